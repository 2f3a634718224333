"""Audit viewer as an investigator meets it (usability audit 14): the 500-event cap is
said, not hidden; actions read in words; the Action filter's example finds events; the
patient filter takes an NHS number; Alt+D reaches the date filter (no literal "&")."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from app.actor import Actor
from app.audit import record_audit
from app.context import AppContext
from app.services import patients, users
from app.services.audit_query import query_audit
from db.engine import Database
from tests.accounts.conftest import PASSWORD
from tests.fakes import FakeClock
from widgets.audit_viewer import COL_ACTION, AuditViewer

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def app_ctx(sqlite_database: Database, fake_clock: FakeClock) -> AppContext:
    return AppContext(sqlite_database, clock=fake_clock)


@pytest.fixture
def haem(app_ctx: AppContext) -> Actor:
    from app.actor import Role

    users.create_first_admin(app_ctx, "admin", "Ada Admin", PASSWORD)
    admin = users.authenticate(app_ctx, "admin", PASSWORD, "ws")
    users.create_user(app_ctx, admin, username="haem", display_name="Hana Haem",
                      role=Role.HAEMATOLOGIST, password=PASSWORD)
    return users.authenticate(app_ctx, "haem", PASSWORD, "ws")


def _assessments(ctx: AppContext, actor: Actor, n: int, episode_id: int | None = None) -> None:
    with ctx.database.transaction() as session:
        for i in range(n):
            record_audit(session, actor, ctx.clock() - timedelta(minutes=n - i),
                         "record_assessment", "assessment", i + 1, episode_id=episode_id)


def _viewer(qtbot: Any, ctx: AppContext, actor: Actor) -> AuditViewer:
    viewer = AuditViewer(lambda **f: query_audit(ctx, actor, **f))
    qtbot.addWidget(viewer)
    viewer.resize(1000, 600)
    viewer.show()
    qtbot.waitExposed(viewer)
    return viewer


def test_the_cap_is_said_and_more_can_be_shown(
    qtbot: Any, app_ctx: AppContext, haem: Actor
) -> None:
    _assessments(app_ctx, haem, 530)
    total = len(query_audit(app_ctx, haem, limit=5000))
    viewer = _viewer(qtbot, app_ctx, haem)
    viewer.refresh()
    assert viewer.model.rowCount() == 500
    assert viewer.message.text() == ("Newest 500 events shown — there are older ones: narrow "
                                     "the filters, or show more.")
    assert viewer.more_button.isVisible()
    qtbot.mouseClick(viewer.more_button, Qt.MouseButton.LeftButton)
    assert viewer.model.rowCount() == total
    assert viewer.message.text() == f"{total} events."
    assert not viewer.more_button.isVisible()
    viewer.refresh()  # applying the filters again starts from the newest 500
    assert viewer.model.rowCount() == 500


def test_actions_read_in_words_and_the_examples_find_events(
    qtbot: Any, app_ctx: AppContext, haem: Actor
) -> None:
    _assessments(app_ctx, haem, 3)
    viewer = _viewer(qtbot, app_ctx, haem)
    qtbot.keyClicks(viewer.action, "Assessment recorded")  # as the table shows it
    qtbot.keyClick(viewer.action, Qt.Key.Key_Return)
    assert viewer.model.rowCount() == 3
    index = viewer.model.index(0, COL_ACTION)
    assert index.data() == "Assessment recorded"
    assert "record_assessment" in index.data(Qt.ItemDataRole.ToolTipRole)
    # The whole action is readable, not "Assessment rec…".
    width = viewer.table.fontMetrics().horizontalAdvance("Assessment recorded")
    assert viewer.table.columnWidth(COL_ACTION) >= width
    assert viewer.diff.toPlainText().startswith("Assessment recorded by haem")
    for example in ("record_", "user."):  # the placeholder's own examples
        assert example in viewer.action.placeholderText()
        viewer.action.setText(example)
        qtbot.keyClick(viewer.action, Qt.Key.Key_Return)
        assert viewer.model.rowCount() > 0, example


def test_the_patient_filter_takes_an_nhs_number(
    qtbot: Any, app_ctx: AppContext, haem: Actor
) -> None:
    p = patients.register_patient(
        app_ctx, haem, nhs_number="9990000018", hospital_number=None, family_name="Smith",
        given_name="Anna", date_of_birth=date(1970, 5, 1), sex="female")
    e = patients.register_episode(
        app_ctx, haem, p.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=None, weight_kg=70.0, consultant="Dr Brown",
        ward="Haematology", bed="3")
    _assessments(app_ctx, haem, 2, episode_id=e.id)
    _assessments(app_ctx, haem, 4)  # nobody's
    viewer = _viewer(qtbot, app_ctx, haem)
    qtbot.keyClicks(viewer.episode, "999 000 0018")
    qtbot.keyClick(viewer.episode, Qt.Key.Key_Return)
    shown = {viewer.model.index(r, COL_ACTION).data() for r in range(viewer.model.rowCount())}
    assert viewer.model.rowCount() == 4
    assert shown == {"Assessment recorded", "CAR-T episode registered", "Patient registered"}
    viewer.episode.setText("999 000 0019")
    qtbot.keyClick(viewer.episode, Qt.Key.Key_Return)
    assert "fails its check digit" in viewer.message.text()
    assert "nhs_number" not in viewer.message.text()


def test_alt_d_reaches_the_date_filter(qtbot: Any, app_ctx: AppContext, haem: Actor) -> None:
    viewer = _viewer(qtbot, app_ctx, haem)
    labels = [label.text() for label in viewer.findChildren(QLabel)]
    dates = next(label for label in viewer.findChildren(QLabel) if label.text() == "&Dates")
    assert dates.buddy() is viewer.use_dates  # "&" is a mnemonic, not shown
    assert "&Patient" in labels
    viewer.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer, timeout=2000)
    viewer.episode.setFocus()
    qtbot.keyClick(viewer.windowHandle(), Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is viewer.use_dates
