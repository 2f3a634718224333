"""pytest plugin for the full fuzz run: every hypothesis test collected gets 50,000 examples.

The fuzz properties live in tests/validation/test_fuzz.py and tests/importer/
test_import_fuzz.py with `@settings(max_examples=1000)` (the suite size). An explicit
setting beats any hypothesis profile, so this plugin raises max_examples on each collected
test's own settings instead: `pytest -p tests.reliability.fuzz_profile <files>`.
CARWARD_FUZZ_EXAMPLES overrides the number.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

EXAMPLES = int(os.environ.get("CARWARD_FUZZ_EXAMPLES", "50000"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        test = getattr(item, "obj", None)
        current = getattr(test, "_hypothesis_internal_use_settings", None)
        if current is not None:
            test._hypothesis_internal_use_settings = settings(current, max_examples=EXAMPLES)  # type: ignore[union-attr]
