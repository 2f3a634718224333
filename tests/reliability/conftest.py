"""Reliability tests: fast sizes in `make test`, full sizes with CARWARD_RELIABILITY=full
(`make reliability`).

Each test calls `report(check, result)` with what it measured. At the end of the session
the lines are printed, and in a full run they are also written to bench/RELIABILITY.md
(the record of the last full run, with the machine's description).
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.reliability.ward import FULL

_RESULTS: list[tuple[str, str]] = []
RELIABILITY_MD = Path(__file__).resolve().parents[2] / "bench" / "RELIABILITY.md"


def report(check: str, result: str) -> None:
    """Record one measured result for the session summary (and bench/RELIABILITY.md)."""
    _RESULTS.append((check, result))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _RESULTS:
        return
    terminalreporter.section(f"reliability ({'full' if FULL else 'suite'} sizes)")
    for check, result in _RESULTS:
        terminalreporter.write_line(f"{check}: {result}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not FULL or not _RESULTS:
        return
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores"
    outcome = "all passed" if exitstatus == 0 else f"FAILURES (pytest exit status {exitstatus})"
    lines = [
        "# Reliability",
        "",
        f"Last full run (`make reliability`): {stamp} on {machine}; {outcome}.",
        "",
        "| check | result |",
        "|---|---|",
        *(f"| {check} | {result} |" for check, result in _RESULTS),
        "",
    ]
    RELIABILITY_MD.write_text("\n".join(lines), encoding="utf-8")
