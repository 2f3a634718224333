"""`make bench`: run every benchmark, print one table, write bench/RESULTS.md.

Each benchmark measures its own baseline in the same run, so the ratios compare across
machines; absolute numbers are printed for the record only.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.common import BenchResult

MODULES = ["bench.grading", "bench.record", "bench.gui", "bench.reports", "bench.memory"]


def _table(results: list[BenchResult]) -> str:
    lines = [
        "| benchmark | value | baseline (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.value:,.3f} {r.unit} | {r.baseline_name}: "
            f"{r.baseline_value:,.3f} {r.unit} | {r.ratio:,.2f} | {r.target} | "
            f"{'yes' if r.met else 'NO'} |"
        )
    return "\n".join(lines)


def main() -> int:
    results: list[BenchResult] = []
    failures: list[str] = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            failures.append(f"{name}: not available ({error})")
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.extend(module.run())
    table = _table(results)
    print(table)
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = f"# Benchmark results\n\nLast run: {stamp} on {machine} ({_cores()} cores).\n\n{table}\n"
    if failures:
        body += "\n" + "\n".join(f"- {f}" for f in failures) + "\n"
    Path(__file__).with_name("RESULTS.md").write_text(body, encoding="utf-8")
    return 0


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The patient-switch benchmark leaves a Qt/pyqtgraph window in this process; tearing
    # those down at interpreter exit can segfault, which would turn a finished run into a
    # failed `make bench`. Results are already written, so leave without teardown.
    os._exit(status)
