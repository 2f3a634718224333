"""bench/grading.py stays runnable: its generated mix is valid and grades (no timing here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
from bench.grading import make_assessments, _baseline, _grade_all
from grading import grade_assessment
batch = make_assessments(2000)
assert batch == make_assessments(2000)  # seeded: the same mix every run
results = [grade_assessment(i) for i in batch]
assert all(r.crs is not None and r.icans is not None for r in results)
assert sum(r.news2 is not None for r in results) > 1000
assert len({r.crs.grade for r in results}) == 5 and len({r.icans.grade for r in results}) == 5
_baseline(batch)
_grade_all(batch)
print("ok")
"""


def test_bench_mix_is_realistic_and_grades() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
