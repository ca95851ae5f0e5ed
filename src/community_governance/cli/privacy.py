"""``cgov privacy``: residents' rights — their own data, corrections, erasure."""

from __future__ import annotations

from pathlib import Path

import click

from community_governance.cli import (
    actor_option,
    db_option,
    echo_json,
    json_always,
    json_option,
    open_db,
    writer_option,
)
from community_governance.domain.access import Actor


def register(cli: click.Group) -> None:
    """Add the ``privacy`` group."""

    @cli.group()
    def privacy() -> None:
        """Residents' rights under PIPL: export, correct, erase (个人信息权利)."""

    @privacy.command("export")
    @click.argument("resident_id")
    @db_option
    @actor_option
    @click.option("--reason", help="why (written to the access log)")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  help="write the JSON here instead of printing it")
    @json_always
    def export_(resident_id: str, db: str, actor: Actor, reason: str | None,
                out: Path | None) -> None:
        """A resident's own data as JSON (run as resident:<id>, or by their community office)."""
        import json

        from community_governance.serialization import to_jsonable

        with open_db(db) as gov:
            data = gov.privacy.export_own_data(actor, resident_id, reason=reason)
        if out is None:
            echo_json(data)
            return
        out.write_text(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2, default=str),
                       encoding="utf-8")
        click.echo(f"wrote {out}", err=True)

    @privacy.command()
    @click.argument("resident_id")
    @db_option
    @writer_option
    @click.option("--name", help="the corrected name")
    @click.option("--phone", help="the corrected phone number")
    @click.option("--id-number", help="the corrected ID number")
    @click.option("--reason", required=True, help="why the record is corrected")
    @json_option
    def correct(resident_id: str, db: str, actor: Actor, name: str | None, phone: str | None,
                id_number: str | None, reason: str, as_json: bool) -> None:
        """Correct a resident's name, phone or ID number (the old values leave no trace)."""
        with open_db(db) as gov:
            res = gov.privacy.correct(actor, resident_id, name=name, phone=phone,
                                      id_number=id_number, reason=reason)
        if as_json:
            echo_json({"resident_id": resident_id, "reason": reason,
                       "corrected": [f for f, v in (("name", name), ("phone", phone),
                                                    ("id_number", id_number)) if v]})
        else:
            click.echo(repr(res))

    @privacy.command()
    @click.argument("resident_id")
    @db_option
    @writer_option
    @click.option("--reason", required=True, help="why (moved away, the resident asked...)")
    @click.confirmation_option(prompt="Erase this resident's personal data? This cannot be undone")
    @json_option
    def erase(resident_id: str, db: str, actor: Actor, reason: str, as_json: bool) -> None:
        """Blank a resident's personal data; ledgers and case histories stay, anonymised."""
        with open_db(db) as gov:
            res = gov.privacy.erase(actor, resident_id, reason=reason)
        if as_json:
            echo_json({"resident_id": resident_id, "erased": True, "reason": reason})
        else:
            click.echo(f"erased: {res!r}")
