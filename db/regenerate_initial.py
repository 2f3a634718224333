"""Developer command: replace every migration with one fresh `0001_initial` from the models.

    python -m db.regenerate_initial

Use it only while no database that matters exists yet (before the first release): it
deletes db/migrations/versions/*.py (keeping __init__.py), autogenerates a single revision
"0001" against an empty temporary SQLite database, formats it with ruff when ruff is
installed, and then proves it: the new script upgrades an empty SQLite database to a
schema that matches the models exactly (the same check as `python -m db.check_migrations`).
After the first release, add a new revision instead (`alembic revision --autogenerate`
equivalent: `python -m db.regenerate_initial --new "what changed"`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from db.engine import Database
from db.migrate import MIGRATIONS_DIR, alembic_config, head_revision, script_directory
from db.url import sqlite_url

VERSIONS_DIR = MIGRATIONS_DIR / "versions"
INITIAL_REVISION = "0001"


def _ruff_format(path: Path) -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        print("ruff not found: the new script is left as Alembic wrote it", file=sys.stderr)
        return
    # Paths given explicitly are checked even though pyproject excludes versions/.
    subprocess.run([ruff, "format", "--quiet", str(path)], check=True)
    subprocess.run(
        [ruff, "check", "--quiet", "--fix", "--exit-zero", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([ruff, "format", "--quiet", str(path)], check=True)
    left = subprocess.run(
        [ruff, "check", "--quiet", str(path)], capture_output=True, text=True, check=False
    )
    if left.returncode != 0:
        print(f"ruff still reports in {path.name}:\n{left.stdout}", file=sys.stderr)


def _autogenerate(message: str, rev_id: str | None, upgrade_first: bool) -> Path:
    with tempfile.TemporaryDirectory(prefix="carward-autogen-") as tmp:
        database = Database(sqlite_url(Path(tmp) / "autogen.sqlite3"))
        try:
            with database.engine.connect() as conn:
                cfg = alembic_config(conn)
                if upgrade_first:
                    with conn.begin():
                        command.upgrade(cfg, "head")
                script = command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
                conn.rollback()
        finally:
            database.dispose()
    if script is None or isinstance(script, list):
        raise RuntimeError(f"Alembic did not write exactly one script: {script!r}")
    return Path(script.path)


def regenerate_initial() -> Path:
    for old in VERSIONS_DIR.glob("*.py"):
        if old.name != "__init__.py":
            old.unlink()
    shutil.rmtree(VERSIONS_DIR / "__pycache__", ignore_errors=True)
    path = _autogenerate("initial", INITIAL_REVISION, upgrade_first=False)
    _ruff_format(path)
    return path


def next_revision_id() -> str | None:
    """ "0002" after "0001": numbered revisions sort in the order they apply."""
    head = script_directory().get_current_head()
    if head is None:
        return INITIAL_REVISION
    return f"{int(head) + 1:04d}" if head.isdigit() else None


def add_revision(message: str) -> Path:
    path = _autogenerate(message, next_revision_id(), upgrade_first=True)
    _ruff_format(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m db.regenerate_initial",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--new",
        metavar="MESSAGE",
        help="keep the existing scripts and add one revision for the changes",
    )
    args = parser.parse_args(argv)
    path = add_revision(args.new) if args.new else regenerate_initial()
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")

    from db.check_migrations import compare_with_models

    # A fresh interpreter state for the scripts: Alembic caches nothing across calls.
    assert script_directory().get_current_head() == head_revision()
    differences = compare_with_models()
    if differences:
        print("the new script does not reproduce the models:", file=sys.stderr)
        for diff in differences:
            print(f"  {diff}", file=sys.stderr)
        return 1
    print(f"head is {head_revision()}; migrations match the models")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
