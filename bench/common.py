"""Benchmark plumbing: every benchmark reports a value, a baseline measured in the same run,
the ratio and its target, so results compare across machines (never timing asserts in tests)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchResult:
    name: str
    value: float
    unit: str
    baseline_name: str
    baseline_value: float
    target: str  # human-readable target, e.g. "≥ 100,000 /s" or "ratio ≤ 2.0"
    met: bool

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of `repeats` calls, in seconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
