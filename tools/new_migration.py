"""Generate an Alembic migration for a set of tables (developers' tool).

    .venv/bin/python tools/new_migration.py 0003 "funds tables" funds_

creates ``storage/migrations/versions/0003_<slug>.py`` holding the DDL of every table whose
name starts with one of the given prefixes, computed against a database at the current head.
"""

from __future__ import annotations

import re
import sys
import tempfile

import sqlalchemy as sa
from alembic import command

from community_governance.storage.migrate import MIGRATIONS, alembic_config
from community_governance.storage.tables import load_all


def main() -> None:
    rev, message, *prefixes = sys.argv[1:]
    load_all()
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{tmp}/m.db")
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with engine.begin() as conn:
            cfg = alembic_config(conn)

            def include(obj: object, name: str | None, type_: str, reflected: bool,
                        compare_to: object) -> bool:
                table = name if type_ == "table" else getattr(getattr(obj, "table", None),
                                                                "name", "")
                return any(str(table).startswith(p) for p in prefixes)

            cfg.attributes["include_object"] = include
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev)
    from community_governance.storage.tables._base import APPEND_ONLY

    tables = sorted(t for t in APPEND_ONLY if any(t.startswith(p) for p in prefixes))
    for path in (MIGRATIONS / "versions").glob(f"{rev}_*.py"):
        text = path.read_text()
        if tables:
            text = text.replace(
                "import community_governance.storage.tables._base\n",
                "import community_governance.storage.tables._base\n"
                "from community_governance.storage.tables._base import append_only_ddl\n", 1)
            head, _, tail = text.partition("\n\ndef downgrade")
            head = head.rstrip() + (
                "\n    dialect = op.get_bind().dialect.name\n"
                f"    for table in {tuple(tables)!r}:\n"
                "        for stmt in append_only_ddl(table).get(dialect, []):\n"
                "            op.execute(stmt)\n")
            text = head + "\n\ndef downgrade" + tail
        path.write_text(text)
        slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40]
        path.rename(path.with_name(f"{rev}_{slug}.py"))
        print(path.with_name(f"{rev}_{slug}.py"))


if __name__ == "__main__":
    main()
