"""The polish2 tests reuse the GUI fixtures (a small ward and a main window on it)."""

from __future__ import annotations

import pytest

from tests.gui.conftest import OFFSCREEN_NOISE, gui_ctx, ward, window

__all__ = ["gui_ctx", "ward", "window"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/polish2/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
