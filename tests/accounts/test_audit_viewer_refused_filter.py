"""Audit viewer, re-audit finding 10: a refused filter (a name typed in Patient) empties
the table, so the previous search's events are not read as the patient's."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.actor import Actor
from app.context import AppContext
from tests.accounts.test_audit_viewer_ux import _assessments, _viewer, app_ctx, haem

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]
__all__ = ["app_ctx", "haem"]  # fixtures, reused


def test_a_name_in_the_patient_filter_empties_the_table(
    qtbot: Any, app_ctx: AppContext, haem: Actor
) -> None:
    _assessments(app_ctx, haem, 530)
    viewer = _viewer(qtbot, app_ctx, haem)
    viewer.refresh()
    assert viewer.model.rowCount() == 500 and viewer.more_button.isVisible()
    assert viewer.diff.toPlainText()  # the first row's details show

    qtbot.keyClicks(viewer.episode, "Patel")
    qtbot.keyClick(viewer.episode, Qt.Key.Key_Return)
    assert viewer.model.rowCount() == 0
    assert not viewer.more_button.isVisible()
    assert viewer.diff.toPlainText() == ""
    assert viewer.message.text().startswith("Episode must be a number (e.g. 12)")
    assert viewer.message.text().endswith("No events shown — correct the filter and press "
                                          "Enter.")
    assert viewer.episode.text() == "Patel"  # what was typed is kept

    viewer.episode.clear()
    qtbot.keyClick(viewer.episode, Qt.Key.Key_Return)  # corrected: the events come back
    assert viewer.model.rowCount() == 500
