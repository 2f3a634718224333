"""The alert commands act on the alert and patient the user is looking at, and say whom:
the discussion dialog names the alert's own patient (not the open one), the alerts tab's
highlighted alert is the one acknowledged or resolved, and the resolve prompt names both."""

from __future__ import annotations

from typing import Any

import pytest

from app.services import alerts as alert_service
from app.services.assessments import record_assessment
from tests.gui.conftest import HAEM, NURSE, Ward
from tests.gui.test_escalation import ICANS2
from tests.gui.test_patient_scope import CRS3_CHILD
from widgets.alerts_panel import COL_ALERT
from widgets.main_window import TAB_ALERTS, TAB_BOARD
from widgets.models import ROW_ROLE

pytestmark = pytest.mark.gui


@pytest.fixture
def haem_window(qtbot: Any, gui_ctx: Any, ward: Ward, monkeypatch: Any) -> Any:
    """The haematologist's window (resolving an alert is theirs); a refused write fails."""
    from app.executor import SyncExecutor
    from widgets.main_window import MainWindow

    main = MainWindow(gui_ctx, HAEM, SyncExecutor(), poll_ms=0)
    qtbot.addWidget(main)
    monkeypatch.setattr(main, "show_message", lambda title, text: pytest.fail(text))
    main.refresh()
    main.show()
    return main


def open_alerts(window: Any, episode_id: int) -> dict[str, Any]:
    return {a.kind: a for a in alert_service.list_open_alerts(window.ctx, NURSE, episode_id)}


def two_alerted_patients(window: Any, ward: Ward) -> None:
    """Adult: ICANS 2 (critical-care alert); child: CRS 3 on a vasopressor (critical-care
    and NEWS2 alerts). The adult is open in the patient tab."""
    ctx = window.ctx
    record_assessment(ctx, NURSE, ward.adult, {**ICANS2, "assessed_at": ctx.clock()})
    record_assessment(ctx, NURSE, ward.child, {**CRS3_CHILD, "assessed_at": ctx.clock()})
    window.open_episode(ward.adult)
    window.refresh()


def highlight_board_row(window: Any, episode_id: int) -> None:
    window.tabs.setCurrentIndex(TAB_BOARD)
    board = window.board
    view_index = board.proxy.mapFromSource(
        board.model.index(board.model.row_for_episode(episode_id), 0))
    board.table.setCurrentIndex(view_index)
    board.table.selectRow(view_index.row())


def highlight_alert(window: Any, episode_id: int, kind: str) -> None:
    window.tabs.setCurrentIndex(TAB_ALERTS)
    panel = window.alerts_panel
    for row in range(panel.proxy.rowCount()):
        item = panel.proxy.index(row, COL_ALERT).data(ROW_ROLE)
        if item.episode_id == episode_id and item.alert.kind == kind:
            panel.table.setCurrentIndex(panel.proxy.index(row, COL_ALERT))
            panel.table.selectRow(row)
            return
    raise AssertionError(f"no {kind} alert on the alerts tab for episode {episode_id}")


def test_discussion_dialog_names_the_alerts_patient_not_the_open_one(
    window: Any, qtbot: Any, ward: Ward
) -> None:
    two_alerted_patients(window, ward)
    highlight_board_row(window, ward.child)  # the adult stays open in the patient tab

    window.discussion_action.trigger()
    dialog = window.escalation_dialog
    assert dialog.alert.episode_id == ward.child
    heading = dialog.heading.text()
    assert "JONES, Tom" in heading and "999 000 0026" in heading
    assert "SMITH" not in heading, "the open patient's name was shown over another's alert"

    qtbot.keyClicks(dialog.clinician, "Dr A Patel, ICU registrar")
    dialog.outcome_buttons["stay_with_plan"].setChecked(True)
    qtbot.keyClicks(dialog.detail, "Review at 18:00")
    dialog.accept()
    assert "critical_care" not in open_alerts(window, ward.child)
    assert open_alerts(window, ward.adult)["critical_care"].status == "raised"


def test_the_alerts_tab_acts_on_the_highlighted_alert(window: Any, ward: Ward) -> None:
    two_alerted_patients(window, ward)
    highlight_board_row(window, ward.child)  # a board row elsewhere must not win
    highlight_alert(window, ward.adult, "critical_care")
    assert window.current_episode_id() == ward.adult

    window.ack_action.trigger()
    assert open_alerts(window, ward.adult)["critical_care"].status == "acknowledged"
    assert open_alerts(window, ward.child)["critical_care"].status == "raised"
    assert "for SMITH, Anna" in window.statusBar().currentMessage()


def test_resolve_on_the_alerts_tab_names_the_alert_and_patient(
    haem_window: Any, monkeypatch: Any, ward: Ward
) -> None:
    window = haem_window
    two_alerted_patients(window, ward)
    child_alerts = open_alerts(window, ward.child)
    other_kind = next(kind for kind in child_alerts if kind != "critical_care")
    highlight_alert(window, ward.child, other_kind)
    asked: list[str] = []
    monkeypatch.setattr(window, "ask_reason",
                        lambda _title, prompt: asked.append(prompt) or "seen by registrar")

    window._resolve_current()  # the menu slot (the action itself is a haematologist's)
    (prompt,) = asked
    assert child_alerts[other_kind].title in prompt
    assert "JONES, Tom" in prompt and "bed 7" in prompt
    still_open = open_alerts(window, ward.child)
    assert other_kind not in still_open and "critical_care" in still_open
    assert f"“{child_alerts[other_kind].title}” resolved for JONES, Tom" in (
        window.statusBar().currentMessage())


def test_resolve_refuses_a_highlighted_critical_care_alert(
    haem_window: Any, monkeypatch: Any, ward: Ward
) -> None:
    window = haem_window
    two_alerted_patients(window, ward)
    before = set(open_alerts(window, ward.child))
    assert "critical_care" in before and len(before) > 1  # another alert it could pick
    highlight_alert(window, ward.child, "critical_care")
    monkeypatch.setattr(window, "ask_reason", lambda *_: pytest.fail("asked for a reason"))

    window._resolve_current()
    assert set(open_alerts(window, ward.child)) == before, "an alert was resolved"
    assert "Record critical-care discussion" in window.statusBar().currentMessage()


def test_alert_commands_are_buttons_on_the_alerts_tab(window: Any) -> None:
    from PySide6.QtWidgets import QToolButton

    buttons = {b.defaultAction(): b for b in window.alerts_panel.findChildren(QToolButton)}
    for action in (window.discussion_action, window.ack_action, window.resolve_action):
        button = buttons[action]
        assert button.text() and button.accessibleName()
        assert button.isEnabled() == action.isEnabled()


def test_with_no_alert_highlighted_the_alert_commands_ask_for_one(
    haem_window: Any, monkeypatch: Any, ward: Ward
) -> None:
    """The buttons sit above the alert list: with nothing highlighted there they act on
    nobody (not on a board row on another tab), and say so (re-audit 6)."""
    window = haem_window
    two_alerted_patients(window, ward)
    highlight_board_row(window, ward.adult)
    window.tabs.setCurrentIndex(TAB_ALERTS)
    window.alerts_panel.table.clearSelection()
    monkeypatch.setattr(window, "ask_reason", lambda *_: pytest.fail("asked for a reason"))

    window.ack_action.trigger()
    assert open_alerts(window, ward.adult)["critical_care"].status == "raised"
    assert window.statusBar().currentMessage() == "Highlight the alert to act on first."
    window._resolve_current()
    assert window.statusBar().currentMessage() == "Highlight the alert to act on first."


def test_a_cancelled_resolve_says_nothing_was_resolved(
    haem_window: Any, monkeypatch: Any, ward: Ward
) -> None:
    window = haem_window
    two_alerted_patients(window, ward)
    kind = next(k for k in open_alerts(window, ward.child) if k != "critical_care")
    highlight_alert(window, ward.child, kind)
    monkeypatch.setattr(window, "ask_reason", lambda *_: None)
    window._resolve_current()
    assert kind in open_alerts(window, ward.child)
    assert window.statusBar().currentMessage().startswith("Not resolved:")
