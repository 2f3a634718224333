"""Fuzz at full size: the validator and import-file properties with 50,000 examples each.

The suite runs them with 1,000 examples in their own folders; this runs the same
properties again, unchanged, through tests/reliability/fuzz_profile.py, only when
CARWARD_RELIABILITY=full (`make reliability`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.ward import FULL

ROOT = Path(__file__).resolve().parents[2]
PROPERTIES = ["tests/validation/test_fuzz.py", "tests/importer/test_import_fuzz.py"]


def _run(examples: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CARWARD_FUZZ_EXAMPLES": str(examples)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-p",
            "tests.reliability.fuzz_profile",
            "-o",
            "timeout=0",
            *PROPERTIES,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=4 * 3600,
    )


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
@pytest.mark.skipif(
    not FULL,
    reason="full size only (CARWARD_RELIABILITY=full); the suite "
    "runs these properties with 1,000 examples in tests/validation, tests/importer",
)
def test_fuzz_properties_at_50000_examples() -> None:
    start = time.perf_counter()
    result = _run(50_000)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    from tests.reliability.conftest import report

    report(
        "Fuzz (validators and import file)",
        f"50,000 examples per property, {len(PROPERTIES)} files: 0 crashes, "
        f"0 impossible values ({time.perf_counter() - start:.0f} s)",
    )


def test_the_profile_plugin_really_raises_the_example_count() -> None:
    """Guard for the plugin above: with 1,001 examples hypothesis reports more than 1,000."""
    env = {**os.environ, "CARWARD_FUZZ_EXAMPLES": "1001"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-p",
            "tests.reliability.fuzz_profile",
            "--hypothesis-show-statistics",
            "tests/validation/test_fuzz.py::test_parse_number_returns_a_finite_number_none_or_a_reason",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "max_examples=1001" in result.stdout, result.stdout[-3000:]
