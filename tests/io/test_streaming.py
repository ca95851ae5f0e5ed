"""Streamed exports (issue 21 item 2): the residents, households and Open311 exports fetched in
batches (a server-side cursor on PostgreSQL) give exactly what the list exports give."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

import community_governance
from community_governance.demo.cases import seed_cases
from community_governance.domain.access import Actor
from community_governance.errors import PermissionDenied, ValidationError
from community_governance.io.exporters import export, export_rows, write_json_array
from community_governance.io.open311 import dump, dumps
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("stream")


@pytest.fixture(params=["sqlite", "postgresql"])
def built(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, SmallCity]]:
    """A small city with a year of cases, on a SQLite file and on PostgreSQL."""
    url = (f"sqlite:///{tmp_path / 'stream.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        seed_cases(gov, seed=5, year=2019)
        yield gov, city


def test_streamed_residents_and_households_match_the_lists(
        built: tuple[Any, SmallCity]) -> None:
    """Gives the same masked residents and households in the same order, whatever the batch."""
    gov, city = built
    residents = gov.registry.export_residents(SYSTEM)
    households = gov.registry.export_households(SYSTEM)
    assert len(residents) == sum(map(len, city.residents.values())) and households
    for batch in (1, 7, 10_000):
        assert list(gov.registry.iter_residents(SYSTEM, batch=batch)) == residents
        assert list(gov.registry.iter_households(SYSTEM, batch=batch)) == households
    c1 = city.communities[0]
    assert (list(gov.registry.iter_residents(SYSTEM, within=c1, batch=3))
            == gov.registry.export_residents(SYSTEM, within=c1))
    # the secretary of one community sees only it, streamed or not
    secretary = city.secretary[c1]
    assert (list(gov.registry.iter_residents(secretary, batch=5))
            == gov.registry.export_residents(secretary))
    assert all(r.id_number is None or "*" in r.id_number.number
               for r in gov.registry.iter_residents(SYSTEM))


def test_streamed_open311_matches_the_list_and_the_text(built: tuple[Any, SmallCity]) -> None:
    """Streams the same requests (agencies, addresses, remarks) and the same JSON text."""
    gov, _city = built
    requests = gov.cases.export_open311(SYSTEM, zipcode="472300")
    assert len(requests) > 10
    for batch in (1, 4, 10_000):
        assert list(gov.cases.iter_open311(SYSTEM, zipcode="472300", batch=batch)) == requests
    out = io.StringIO()
    assert dump(gov.cases.iter_open311(SYSTEM, zipcode="472300", batch=3), out) == len(requests)
    assert out.getvalue() == dumps(requests)
    with pytest.raises(ValidationError, match="batch"):
        next(gov.cases.iter_open311(SYSTEM, batch=0))


def test_streams_use_a_server_side_cursor_on_postgresql(built: tuple[Any, SmallCity]) -> None:
    """On PostgreSQL the export's query runs on a named (server-side) cursor, so rows come
    ``batch`` at a time; on SQLite the driver's cursor is read ``batch`` rows at a time."""
    gov, _city = built
    seen: list[tuple[str, str]] = []

    def note(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append((type(cursor).__name__, statement))

    engine = gov.store.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        stream = gov.registry.iter_residents(SYSTEM, batch=2)
        first = next(stream)
        stream.close()
        for kind in ("residents", "households"):  # the file exports go through the streams
            export(gov, kind, io.StringIO(), actor=SYSTEM, fmt="csv")
        dump(gov.cases.iter_open311(SYSTEM), io.StringIO())
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert first.id
    kinds = [k for k, sql in seen if "FROM residents" in sql or "FROM households" in sql
             or "FROM cases" in sql]
    assert len(kinds) == 4
    if engine.dialect.name == "postgresql":
        assert kinds == ["ServerCursor"] * 4


def test_export_text_is_unchanged_and_bad_reveal_writes_nothing(
        built: tuple[Any, SmallCity]) -> None:
    """The streamed JSON export is the text the list gave; a refused reveal writes nothing."""
    gov, city = built
    for kind in ("households", "residents"):
        out = io.StringIO()
        n = export(gov, kind, out, actor=SYSTEM, fmt="json")
        rows = export_rows(gov, kind, actor=SYSTEM)
        assert n == len(rows)
        assert out.getvalue() == json.dumps(rows, ensure_ascii=False, indent=1,
                                            default=str) + "\n"
    leader = city.building_leader[sorted(city.building_leader)[0]]
    for fmt in ("csv", "json"):
        out = io.StringIO()
        with pytest.raises(PermissionDenied):
            export(gov, "residents", out, actor=leader, fmt=fmt, reveal=True, reason="visit")
        assert out.getvalue() == ""


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=8)


@given(rows=st.lists(st.dictionaries(st.text(max_size=4), _json, max_size=4), max_size=5),
       indent=st.integers(min_value=1, max_value=3))
def test_write_json_array_writes_what_json_dump_writes(rows: list[dict[str, Any]],
                                                       indent: int) -> None:
    """Row by row, the same text as ``json.dumps`` of the whole list (newlines in strings
    included, which JSON escapes)."""
    out = io.StringIO()
    assert write_json_array(iter(rows), out, indent=indent) == len(rows)
    assert out.getvalue() == json.dumps(rows, ensure_ascii=False, indent=indent, default=str)
