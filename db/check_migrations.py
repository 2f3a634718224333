"""`python -m db.check_migrations`: do the migration scripts build exactly the models' schema?

Upgrades an empty temporary SQLite database to head, then runs Alembic's autogenerate
comparison against `db.models.Base.metadata` (what `alembic check` does). Exit 0 and
"migrations match the models", or exit 1 with the differences. Runs in `make lint`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db.engine import Database
from db.migrate import alembic_config
from db.models import Base
from db.url import sqlite_url


def compare_with_models(url: str | None = None) -> list[Any]:
    """Differences between the schema the scripts build and the models ([] when equal).

    `url`: an empty database to build in (default: a temporary SQLite file).
    """
    with tempfile.TemporaryDirectory(prefix="carward-check-") as tmp:
        database = Database(url or sqlite_url(Path(tmp) / "check.sqlite3"))
        try:
            with database.engine.connect() as conn:
                with conn.begin():
                    command.upgrade(alembic_config(conn), "head")
                context = MigrationContext.configure(
                    conn,
                    opts={
                        "compare_type": True,
                        "compare_server_default": True,
                        "target_metadata": Base.metadata,
                    },
                )
                differences = list(compare_metadata(context, Base.metadata))
                conn.rollback()
        finally:
            database.dispose()
    return differences


def main() -> int:
    differences = compare_with_models()
    if not differences:
        print("migrations match the models")
        return 0
    print("The migrations do not match db/models.py:", file=sys.stderr)
    for diff in differences:
        print(f"  {diff}", file=sys.stderr)
    print(
        "\nBefore the first release: run `python -m db.regenerate_initial` to rebuild "
        "0001_initial from the models.\nAfter it: add a revision with "
        '`python -m db.regenerate_initial --new "what changed"` and review it.',
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
