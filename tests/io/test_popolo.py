"""The Popolo export: valid against the vendored schemas, masked by default, open to new sources."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.cases import mask_name
from community_governance.domain.pii_text import find_personal_numbers
from community_governance.domain.posts import (
    HolderKind,
    PartnerKind,
    PartnerUnit,
    PartyOrg,
    PartyOrgKind,
    Post,
    PostKind,
)
from community_governance.errors import NotFound, PermissionDenied, ValidationError
from community_governance.io.popolo import (
    CLASSIFICATIONS,
    SOURCES,
    Contribution,
    Membership,
    Organization,
    Person,
    PopoloPost,
    SourceContext,
    dumps,
    export_popolo,
    org_id,
)
from community_governance.testing.city import SmallCity, build_small_city
from community_governance.testing.popolo import ARRAYS, SCHEMA_NAMES, schema

SYSTEM = Actor.system("popolo")

#: The vendored files' SHA-256: the schemas are kept unchanged (update with the README's
#: commit table when a newer upstream commit is vendored).
SCHEMA_SHA256 = {
    "area.json": "b51da119ca88532de2db1a7f0bfd7feb31f003d1c493a986597e5238b441574f",
    "contact_detail.json": "d483ecc637206a78e6e58bf8eef94b293dc3b19ed6a73fef0c284cfb4365c1c6",
    "count.json": "a0ebadc3de455583f1e98afb4619431819235f328d4f9814cfd6481c4901a31e",
    "event.json": "6167531c7bdad67ee833b7102b4df83cda75cf8e10c11d10d7cfdc94033422d8",
    "group_result.json": "8f11ccf32b4d85f0a1a763c4f41ea7a5d80a33fdbed3938e30cd8db51c9549a2",
    "identifier.json": "9e2b7e29a4cffa14e9f71312d68e3f79df8fdc88fcb171130a742a209d380f5d",
    "link.json": "ec84a44337ee7fe9d2aed0b58cd6c3626f43101a46b953fbfec9d571d06034b5",
    "membership.json": "49303e46cb3618a3d5ebee9603b50d66e13b1e100bf56b4a750c2cce887f0a21",
    "motion.json": "be7ca739507e2a9825ac08c488c669177220b5ae1fbb9e07219dcaeda24447e0",
    "organization.json": "da099c806cda84cc37b331ba5a307dba3829e0747f2e23f1a2b9b4796ec20c43",
    "other_name.json": "5f545f44edd2ee2d3356d51959888b566e82a643deabdd7f126937e6e77ffb25",
    "person.json": "528877598f68b8fe297bbbe6c3b2cc4e28cfad8c85c3f6e6112eeb0f7d44a25f",
    "post.json": "433f078bd94f8878c15a0b28c64fc80101108242cb22240f4bcf70ea1cb63e22",
    "vote.json": "aeff848355a588569cd8700c7a1e03b52488acc8a02c2df5e1700c1a76a1fb75",
    "vote_event.json": "4fdeeb46d728586671127f0d41b637a21c535a8f11bbfebd67bdaa6c5e5890f7",
}


@pytest.fixture(params=["411281", "411202"], ids=["yima", "hubin"])
def county(request: pytest.FixtureRequest) -> str:
    """Every test runs in Yima and in another county (湖滨区)."""
    value: str = request.param
    return value


@pytest.fixture(scope="module")
def empty_gov() -> Iterator[Any]:
    """One empty store for the property tests (their sources read nothing from it)."""
    with community_governance.open("memory://", entrypoints=False) as gov:
        yield gov


def _community(city: SmallCity) -> str:
    return city.communities[0]


@pytest.fixture
def city(small_city: SmallCity, gov: Any) -> SmallCity:
    """The small city with a party tree, a 党员中心户 and a partner unit added."""
    c = _community(small_city)
    grid = small_city.grids[c][0]
    building = small_city.buildings[c][0]
    gov.registry.add_party_orgs(SYSTEM, [
        PartyOrg("PO-1", PartyOrgKind.GENERAL_COMMITTEE, c, "社区大党委"),
        PartyOrg("PO-2", PartyOrgKind.GRID_BRANCH, grid, "第一网格党支部", parent_id="PO-1"),
        PartyOrg("PO-3", PartyOrgKind.BUILDING_GROUP, building, "1号楼党小组",
                 parent_id="PO-2"),
    ])
    member = small_city.residents[small_city.households[building][0]][0]
    gov.registry.add_party_members(SYSTEM, "PO-3", [member], since=dt.date(2019, 3, 1))
    gov.registry.assign_posts(SYSTEM, [Post(
        "P-CH-1", PostKind.PARTY_HOUSEHOLD_CENTRE, building, HolderKind.RESIDENT, member,
        dt.date(2019, 3, 1))])
    gov.registry.add_partner_units(SYSTEM, [PartnerUnit(
        "PU-1", "市财政局", PartnerKind.ASSIGNED_BUREAU, (c,))])
    return small_city


def _by_id(doc: dict[str, Any], array: str) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in doc[array]}


class TestSchemas:
    """The vendored Popolo schemas."""

    def test_files_are_unchanged(self) -> None:
        """Pins each vendored file's SHA-256: the schemas are kept as published."""
        folder = resources.files("community_governance.io") / "schemas" / "popolo"
        got = {f"{n}.json": hashlib.sha256((folder / f"{n}.json").read_bytes()).hexdigest()
               for n in SCHEMA_NAMES}
        assert SCHEMA_SHA256 == got

    def test_every_ref_resolves_to_a_vendored_file(self) -> None:
        """Each ``$ref`` names the ``id`` of a vendored schema, so validation needs no
        network."""
        ids = {schema(n)["id"] for n in SCHEMA_NAMES}

        def refs(node: Any) -> Iterator[str]:
            if isinstance(node, dict):
                if "$ref" in node:
                    yield node["$ref"]
                for v in node.values():
                    yield from refs(v)
            elif isinstance(node, list):
                for v in node:
                    yield from refs(v)

        found = {r for n in SCHEMA_NAMES for r in refs(schema(n))}
        assert found and found <= ids

    def test_licence_and_commits_are_recorded(self) -> None:
        """The folder's README names the licence and the upstream commit of the files."""
        folder = resources.files("community_governance.io") / "schemas" / "popolo"
        text = (folder / "README.md").read_text(encoding="utf-8")
        assert "CC BY 4.0" in text and "b6225682e1e21d817316f9737b1fe87279a1063a" in text


class TestValidation:
    """``validate_popolo`` against the schemas (needs jsonschema)."""

    @pytest.fixture(autouse=True)
    def _jsonschema(self) -> None:
        pytest.importorskip("jsonschema")

    def test_default_export_validates(self, city: SmallCity, gov: Any) -> None:
        """Every organization, post, person and membership of the export is valid Popolo."""
        from community_governance.testing.popolo import validate_popolo

        doc = export_popolo(gov, actor=SYSTEM)
        assert all(doc[k] for k in ("organizations", "posts", "persons", "memberships"))
        assert [] == validate_popolo(doc)

    def test_revealed_export_validates(self, city: SmallCity, gov: Any) -> None:
        """The revealed export of one community is valid Popolo too."""
        from community_governance.testing.popolo import validate_popolo

        c = _community(city)
        doc = export_popolo(gov, actor=city.secretary[c], within=c, reveal=True,
                            reason="年度核查")
        assert [] == validate_popolo(doc)

    def test_refuses_what_breaks_the_schemas(self) -> None:
        """Reports a wrong type, a malformed date, a missing required field, with paths."""
        from community_governance.testing.popolo import validate_popolo

        doc = {"organizations": [{"id": 3, "founding_date": "2019/01/01"}],
               "memberships": [{"id": "m", "links": [{"note": "no url"}]}],
               "meta": {"anything": object()}}
        problems = validate_popolo(doc)
        assert 3 == len(problems)
        assert any(p.startswith("$.organizations[0].id:") for p in problems)
        assert any(p.startswith("$.organizations[0].founding_date:") for p in problems)
        assert any(p.startswith("$.memberships[0].links[0].url:") and "required" in p
                   for p in problems)

    @settings(max_examples=40)
    @given(st.data())
    def test_any_contribution_validates(self, empty_gov: Any, data: st.DataObject) -> None:
        """Organizations, posts and memberships of any shape a source may give validate."""
        from community_governance.testing.popolo import validate_popolo

        contribution = data.draw(_contributions())
        doc = export_popolo(empty_gov, actor=SYSTEM, sources={"x": lambda ctx: contribution})
        assert [] == validate_popolo(doc)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                max_size=12)
_DATES = st.dates(dt.date(1950, 1, 1), dt.date(2040, 12, 31))


@st.composite
def _contributions(draw: st.DrawFn) -> Contribution:
    """A source's contribution: a tree of groups, posts, and members with terms."""
    n = draw(st.integers(1, 5))
    orgs = tuple(Organization(org_id("group", str(i)), draw(_TEXT), "group/culture",
                              org_id("group", str(draw(st.integers(0, i - 1)))) if i else None,
                              founding_date=draw(st.none() | _DATES)) for i in range(n))
    posts = tuple(PopoloPost(f"post:g{i}", orgs[i].id, "leader", "负责人") for i in range(n))
    members = []
    for k in range(draw(st.integers(0, 6))):
        start = draw(_DATES)
        end = draw(st.none() | st.dates(start, dt.date(2050, 1, 1)))
        i = draw(st.integers(0, n - 1))
        members.append(Membership(
            f"membership:g{k}", orgs[i].id, "member", "成员",
            person=Person("resident", draw(st.sampled_from(["R1", "R2", "R3"])),
                          draw(st.none() | _TEXT)),
            post_id=draw(st.none() | st.just(posts[i].id)), start_date=start, end_date=end))
    return Contribution(orgs, posts, tuple(members), {"group/culture": "文体组织"})


class TestExport:
    """The document's shape and its links."""

    def test_hierarchy_and_parents(self, city: SmallCity, gov: Any) -> None:
        """Units hang under their parents, a building under its grid; every parent is in the
        document; every classification has its Chinese term."""
        doc = export_popolo(gov, actor=SYSTEM)
        orgs = _by_id(doc, "organizations")
        c = _community(city)
        building = city.buildings[c][0]
        assert f"unit:{city.grid_of_building(building)}" == orgs[f"unit:{building}"]["parent_id"]
        assert f"unit:{c[:9]}" == orgs[f"unit:{c}"]["parent_id"]
        assert "unit/community" == orgs[f"unit:{c}"]["classification"]
        assert all(o["parent_id"] in orgs for o in orgs.values() if "parent_id" in o)
        assert "party:PO-1" == orgs["party:PO-2"]["parent_id"]
        assert "partner/assigned_bureau" == orgs["partner:PU-1"]["classification"]
        used = {o["classification"] for o in orgs.values()}
        assert used == set(doc["meta"]["classifications"])
        assert all(doc["meta"]["classifications"][k] == CLASSIFICATIONS[k] for k in used)

    def test_posts_and_memberships_link_up(self, city: SmallCity, gov: Any) -> None:
        """Each membership names an organization, a post and a person of the document; one
        post per kind and unit."""
        doc = export_popolo(gov, actor=SYSTEM)
        orgs, posts = _by_id(doc, "organizations"), _by_id(doc, "posts")
        persons = _by_id(doc, "persons")
        c = _community(city)
        grid = city.grids[c][0]
        post = posts[f"post:{grid}/grid_leader"]
        assert ("grid_leader", "网格长", f"unit:{grid}") == (
            post["role"], post["label"], post["organization_id"])
        for m in doc["memberships"]:
            assert m["organization_id"] in orgs
            assert "post_id" not in m or m["post_id"] in posts
            assert ("person_id" in m) != ("member" in m)
            assert "person_id" not in m or m["person_id"] in persons
        leaders = [m for m in doc["memberships"] if m.get("post_id") == post["id"]]
        assert 1 == len(leaders) and "2019-01-01" == leaders[0]["start_date"]
        partner = [m for m in doc["memberships"] if "member" in m]
        assert [{"@type": "Organization", "id": "partner:PU-1"}] == [m["member"]
                                                                     for m in partner]

    def test_within_keeps_one_community_and_its_ancestors(self, city: SmallCity,
                                                         gov: Any) -> None:
        """Only the community's units, posts and partners, plus the units above it."""
        c = _community(city)
        other = city.communities[2]
        doc = export_popolo(gov, actor=SYSTEM, within=c)
        ids = set(_by_id(doc, "organizations"))
        assert {f"unit:{city.county}", f"unit:{c[:9]}", f"unit:{c}"} <= ids
        assert f"unit:{other}" not in ids and "partner:PU-1" in ids
        assert all(p["organization_id"][5:].startswith(c) for p in doc["posts"])

    def test_unknown_within_is_an_error(self, city: SmallCity, gov: Any) -> None:
        """A code of no unit is refused, not answered with an empty document."""
        with pytest.raises(NotFound, match="411299"):
            export_popolo(gov, actor=SYSTEM, within="411299")

    def test_an_ended_term_has_its_end_date(self, city: SmallCity, gov: Any) -> None:
        """A post whose term ended exports its end date."""
        c = _community(city)
        gov.registry.end_post(SYSTEM, f"P-STF-{c}", on=dt.date(2020, 6, 30))
        doc = export_popolo(gov, actor=SYSTEM, within=c)
        ended = _by_id(doc, "memberships")[f"membership:P-STF-{c}"]
        assert ("2019-01-01", "2020-06-30") == (ended["start_date"], ended["end_date"])


class TestPersonalData:
    """Masked unless revealed with the right and a reason."""

    def test_default_export_has_no_personal_data(self, city: SmallCity, gov: Any) -> None:
        """No personal number (by the library's scanner), no full name, no record key."""
        text = dumps(export_popolo(gov, actor=SYSTEM))
        assert [] == find_personal_numbers(text)
        doc = json.loads(text)
        names = {p["name"] for p in doc["persons"] if "name" in p}
        assert names and all("*" in n for n in names)
        residents = city.all_residents()
        full = [f"居民{r[-4:].lstrip('0')}" for r in residents]
        assert not any(f'"{n}"' in text for n in full)
        assert not any(f'"{r}"' in text or f"resident:{r}" in text for r in residents)
        assert not any(n in text for n in city.id_numbers.values())
        assert all(p["id"].startswith("person:") for p in doc["persons"])

    @settings(max_examples=40)
    @given(st.data())
    def test_any_source_is_masked(self, empty_gov: Any, data: st.DataObject) -> None:
        """Whatever a source gives, the default export shows only masked names and
        pseudonyms, and every membership's person is in the document."""
        contribution = data.draw(_contributions())
        doc = export_popolo(empty_gov, actor=SYSTEM, sources={"x": lambda ctx: contribution})
        persons = _by_id(doc, "persons")
        given_names = {m.person.name for m in contribution.memberships
                       if m.person is not None and m.person.name}
        assert all(p["name"] == mask_name(p["name"]) for p in persons.values() if "name" in p)
        assert not {p.get("name") for p in persons.values()} & {
            n.strip() for n in given_names if len(n.strip()) > 1 and "*" not in n}
        assert all(i.startswith("person:") and "R" not in i[7:] for i in persons)
        assert all(m["person_id"] in persons for m in doc["memberships"])

    def test_party_membership_is_not_exported(self, city: SmallCity, gov: Any) -> None:
        """Party organizations are, but not their members nor who is a 党员中心户."""
        doc = export_popolo(gov, actor=SYSTEM)
        assert "party:PO-3" in _by_id(doc, "organizations")
        assert not any(m["organization_id"].startswith("party:") for m in doc["memberships"])
        assert not any(m["role"] == "party_household_centre" for m in doc["memberships"])
        c = _community(city)
        shown = export_popolo(gov, actor=city.secretary[c], within=c, reveal=True,
                              reason="党建核查")
        assert any(m["role"] == "party_household_centre" for m in shown["memberships"])

    def test_pseudonyms_are_stable_and_unlinkable(self, city: SmallCity, gov: Any) -> None:
        """The same person has the same id in two exports, and no resident key in it."""
        first = export_popolo(gov, actor=SYSTEM)
        second = export_popolo(gov, actor=SYSTEM)
        assert [p["id"] for p in first["persons"]] == [p["id"] for p in second["persons"]]
        assert len({p["id"] for p in first["persons"]}) == len(first["persons"])

    def test_reveal_needs_a_reason_and_the_right(self, city: SmallCity, gov: Any) -> None:
        """Refuses without a reason and for a building leader; writes nothing then."""
        c = _community(city)
        with pytest.raises(ValidationError, match="reason"):
            export_popolo(gov, actor=city.secretary[c], reveal=True)
        leader = city.building_leader[city.buildings[c][0]]
        before = len(gov.audit.access(SYSTEM, action="resident.read"))
        with pytest.raises(PermissionDenied):
            export_popolo(gov, actor=leader, within=c, reveal=True, reason="走访")
        assert before == len(gov.audit.access(SYSTEM, action="resident.read"))

    def test_reveal_gives_names_and_logs_each_holder(self, city: SmallCity, gov: Any) -> None:
        """Full names and record keys, one access-log row per holder, with the reason."""
        c = _community(city)
        doc = export_popolo(gov, actor=city.secretary[c], within=c, reveal=True,
                            reason="年度核查")
        persons = _by_id(doc, "persons")
        leader = city.grid_leader[city.grids[c][0]].id
        assert f"resident:{leader}" in persons
        assert "*" not in persons[f"resident:{leader}"]["name"]
        assert doc["meta"]["masked"] is False
        log = gov.audit.access(SYSTEM, action="resident.read", by=city.secretary[c].id)
        assert len(log) == len(doc["memberships"]) - 1  # all but the partner attachment
        assert all("年度核查" in e.reason for e in log)


class TestSources:
    """The sources registry: a capability adds its records in a few lines."""

    def test_builtin_sources(self) -> None:
        """The registry's sources, in order: the service hierarchy, then social organizations
        (issue 14) and councils (issue 16)."""
        assert ["units", "posts", "party", "partners", "orgs", "council"] == list(SOURCES)

    def test_a_new_source_adds_its_organizations(self, city: SmallCity, gov: Any) -> None:
        """A culture-group source hangs its group under a community, with a member."""
        c = _community(city)
        member = city.all_residents()[0]

        def culture_groups(ctx: SourceContext) -> Contribution:
            group = Organization(org_id("culture", "G1"), "银杏舞蹈队", "culture/group",
                                 org_id("unit", c))
            joined = Membership("membership:culture:G1:1", group.id, "member", "队员",
                                person=Person("resident", member, "张三丰"),
                                start_date=dt.date(2017, 5, 1))
            return Contribution(organizations=(group,), memberships=(joined,),
                                classifications={"culture/group": "文体组织"})

        doc = export_popolo(gov, actor=SYSTEM,
                            sources={**SOURCES, "culture_groups": culture_groups})
        group = _by_id(doc, "organizations")["culture:G1"]
        assert f"unit:{c}" == group["parent_id"]
        assert "文体组织" == doc["meta"]["classifications"]["culture/group"]
        person_id = _by_id(doc, "memberships")["membership:culture:G1:1"]["person_id"]
        assert "张**" == _by_id(doc, "persons")[person_id]["name"]

    def test_refuses_an_unknown_classification(self, gov: Any) -> None:
        """A classification in no vocabulary is named with the fix; nothing is exported."""
        def typo(ctx: SourceContext) -> Contribution:
            return Contribution(organizations=(Organization("culture:G1", "队", "cultur"),))

        with pytest.raises(ValidationError, match=r"'cultur'.*classifications"):
            export_popolo(gov, actor=SYSTEM, sources={"typo": typo})

    def test_refuses_duplicate_ids_and_wrong_answers(self, gov: Any) -> None:
        """Two organizations with one id, or a source returning a list, are refused."""
        org = Organization("unit:1", "甲", "unit/county")
        with pytest.raises(ValidationError, match="two organizations"):
            export_popolo(gov, actor=SYSTEM, sources={
                "a": lambda ctx: Contribution(organizations=(org,)),
                "b": lambda ctx: Contribution(organizations=(org,))})
        with pytest.raises(ValidationError, match="not a Contribution"):
            export_popolo(gov, actor=SYSTEM, sources={"bad": lambda ctx: [org]})  # type: ignore[dict-item]

    def test_membership_needs_exactly_one_member(self) -> None:
        """A membership of nobody, or of both a person and an organization, is refused."""
        with pytest.raises(ValidationError, match="exactly one member"):
            Membership("m", "unit:1", "member")
        with pytest.raises(ValidationError, match="ends"):
            Membership("m", "unit:1", "member", member_organization_id="x",
                       start_date=dt.date(2020, 1, 2), end_date=dt.date(2020, 1, 1))


def test_arrays_map_to_vendored_schemas() -> None:
    """Every array the validator checks has a vendored schema."""
    assert set(ARRAYS.values()) <= set(SCHEMA_NAMES)


@pytest.mark.usefixtures("cli_as_system")
def test_cli_export_popolo(tmp_path: Path, county: str) -> None:
    """``cgov export popolo --community C --out FILE`` writes the document; CSV is refused."""
    from community_governance.cli import _load, cli

    _load()
    db = f"sqlite:///{tmp_path / 'city.db'}"
    with community_governance.open(db, entrypoints=False) as gov:
        city = build_small_city(gov, county)
    c = city.communities[0]
    out = tmp_path / "popolo.json"
    runner = CliRunner()
    done = runner.invoke(cli, ["export", "popolo", "--db", db, "--community", c, "--out",
                               str(out), "--json"])
    assert done.exit_code == 0, done.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert f"unit:{c}" in _by_id(doc, "organizations") and doc["meta"]["masked"] is True
    assert "exported popolo" in done.output
    refused = runner.invoke(cli, ["export", "popolo", "--db", db, "--format", "csv"])
    assert refused.exit_code != 0 and "JSON only" in refused.output


def test_postgresql_export_matches_memory(postgres_url: str, county: str) -> None:
    """The same city exports the same document from PostgreSQL as from memory."""
    docs = []
    for url in ("memory://", postgres_url):
        with community_governance.open(url, entrypoints=False) as gov:
            build_small_city(gov, county)
            docs.append(export_popolo(gov, actor=SYSTEM))
    assert docs[0]["organizations"] and docs[0] == docs[1]
