"""Command line of the ward monitor (ARCHITECTURE.md "Interfaces anyone can script").

Every command opens the database the same way (migrating a SQLite file after backing it
up) and reports problems as one clear sentence on stderr with a non-zero exit status.
Heavy modules (Qt, reportlab) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from app.actor import SYSTEM_ACTOR, Actor
from app.context import AppContext
from app.errors import ServiceError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m app",
        description="CAR-T ward monitor: CRS/ICANS grading, escalation and tocilizumab "
        "tracking for days 0-28 after infusion.",
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="database URL (default: CARWARD_DATABASE_URL, else a SQLite file in the "
        "user data folder); e.g. postgresql+psycopg://user@host/carward",
    )
    p.add_argument("--demo", action="store_true", help="seed a demo ward into an empty database")
    p.add_argument("--smoke", action="store_true", help="build the main window once and exit 0")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("screenshot", help="save PNGs of the main screens (demo ward)")
    s.add_argument("out_dir", type=Path)

    s = sub.add_parser("handover", help="print the ward handover sheet to a PDF")
    s.add_argument("--ward", default=None)
    s.add_argument("--out", type=Path, required=True)

    s = sub.add_parser("summary", help="one patient's day 0-28 course as a PDF")
    s.add_argument("--patient", required=True, metavar="NHS_NUMBER")
    s.add_argument("--out", type=Path, required=True)

    s = sub.add_parser("export", help="registry export, one CSV row per episode")
    s.add_argument("--out", type=Path, required=True)

    s = sub.add_parser("import", help="bulk entry of assessments/administrations (JSON Lines)")
    s.add_argument("file", type=Path)
    s.add_argument(
        "--user",
        required=True,
        help="the nurse or haematologist entering the charts (password asked, or "
        "CARWARD_PASSWORD); every imported entry is attributed to them",
    )

    s = sub.add_parser("generate", help="synthetic history at scale, for benchmarks")
    s.add_argument("--patients", type=int, default=100)
    s.add_argument("--days", type=int, default=29)
    s.add_argument("--per-day", type=int, default=6)
    s.add_argument("--seed", type=int, default=1)

    s = sub.add_parser("user", help="manage user accounts")
    user_sub = s.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add an account (password asked twice)")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=["nurse", "haematologist", "pharmacist", "admin"]
    )
    add.add_argument("--name", dest="display_name", default=None)
    return p


def open_context(database_url: str | None) -> AppContext:
    from app.products import load_products
    from db.migrate import open_database
    from db.url import resolve_database_url

    load_products()  # refuse a malformed product table at start, with its line and reason
    return AppContext(database=open_database(resolve_database_url(database_url)))


def _login(ctx: AppContext, username: str) -> Actor:
    """Command-line sign-in, so clinical entries are attributed to a real person (SAFETY.md)."""
    import getpass
    import os
    import socket

    from app.services.users import authenticate

    password = os.environ.get("CARWARD_PASSWORD") or getpass.getpass(f"Password for {username}: ")
    return authenticate(ctx, username, password, f"cli@{socket.gethostname()}")


def _report_actor() -> Actor:
    """The command line prints and exports as the audited system actor."""
    return SYSTEM_ACTOR


def main(argv: Sequence[str]) -> int:
    from app.products import ProductTableError
    from db.migrate import DatabaseError

    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except (ServiceError, DatabaseError, ProductTableError, OSError, ValueError) as error:
        # One clear sentence, never a traceback: the user can act on it.
        print(f"error: {error}", file=sys.stderr)
        if args.command is None and not args.smoke:
            _show_startup_error(str(error))
        return 2


def _show_startup_error(message: str) -> None:
    """Someone who double-clicked the app sees why it did not open."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication([])
    QMessageBox.critical(None, "CAR-T ward monitor cannot start", message)
    del app


def _dispatch(args: argparse.Namespace) -> int:
    from app.logging_setup import configure_logging

    configure_logging()
    ctx = open_context(args.database)
    if args.demo or args.command == "screenshot":
        from app.demo import seed_demo_ward

        seeded = seed_demo_ward(ctx)
        if seeded:
            print(f"demo ward: {seeded} patients seeded", file=sys.stderr)

    command = args.command
    if command is None:
        from app.gui import run_gui, smoke

        return smoke(ctx) if args.smoke else run_gui(ctx, demo=args.demo)
    if command == "screenshot":
        from app.gui import screenshots

        for path in screenshots(ctx, args.out_dir):
            print(path)
        return 0
    if command == "handover":
        from app.reports.handover import write_handover

        write_handover(ctx, _report_actor(), args.out, ward=args.ward)
        print(args.out)
        return 0
    if command == "summary":
        from app.reports.patient_summary import write_patient_summary
        from app.services.ward import find_episode_by_nhs

        header = find_episode_by_nhs(ctx, _report_actor(), args.patient)
        write_patient_summary(ctx, _report_actor(), header.episode_id, args.out)
        print(args.out)
        return 0
    if command == "export":
        from app.reports.registry_export import export_registry_csv

        rows = export_registry_csv(ctx, _report_actor(), args.out)
        print(f"{rows} episodes written to {args.out}")
        return 0
    if command == "import":
        from app.importer import format_summary, import_jsonl

        if not args.file.is_file():
            print(f"error: no such file {args.file} — give the path of a .jsonl file",
                  file=sys.stderr)  # fmt: skip
            return 2
        summary = import_jsonl(ctx, _login(ctx, args.user), args.file)
        print(format_summary(summary))
        return 0 if not summary.rejected else 1
    if command == "generate":
        from app.generate import generate_history

        made = generate_history(
            ctx, patients=args.patients, days=args.days, per_day=args.per_day, seed=args.seed
        )
        print(f"generated {made} episodes")
        return 0
    if command == "user":
        from app.services.users import cli_user_add

        return cli_user_add(ctx, args.username, args.role, args.display_name)
    raise AssertionError(f"unhandled command {command}")
