"""Fixtures for the gap tests: the GUI ward and main window of tests/gui (same seed, same
synchronous executor), re-exported here so these tests use exactly what the GUI tests use."""

from __future__ import annotations

import pytest

from tests.gui.conftest import OFFSCREEN_NOISE, gui_ctx, ward, window

__all__ = ["gui_ctx", "ward", "window"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gaps/" in str(item.path).replace("\\", "/") and item.get_closest_marker("gui"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
