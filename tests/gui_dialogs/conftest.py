"""Fixtures for the data-entry dialogs: a context on a fresh SQLite file with the fake
clock (2026-03-10 10:00 UTC), one actor per role, and episodes made through the services.

Keyboard helpers send keys to whatever widget has focus, as a user's keyboard does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from app.actor import Actor, Role
from app.context import AppContext
from app.services import patients

NURSE = Actor(user_id=None, username="nurse.jones", role=Role.NURSE, workstation="ws1")
HAEM = Actor(user_id=None, username="dr.okafor", role=Role.HAEMATOLOGIST, workstation="ws2")
PHARM = Actor(user_id=None, username="pharm.lee", role=Role.PHARMACIST, workstation="ws3")
INFUSED_AT = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)


def planned_episode(
    ctx: AppContext, *, nhs: str = "9990000018", weight: float = 80.0, family: str = "Smith"
) -> int:
    patient = patients.register_patient(
        ctx, NURSE, nhs_number=nhs, hospital_number=None, family_name=family,
        given_name="Anna", date_of_birth=date(1970, 5, 1), sex="female",
    )
    episode = patients.register_episode(
        ctx, NURSE, patient.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=date(2026, 3, 10), weight_kg=weight, consultant="Dr Brown",
        ward=ctx.ward, bed="4",
    )
    return episode.id


def active_episode(ctx: AppContext, **kwargs: Any) -> int:
    from app.services.tocilizumab import record_infusion

    episode_id = planned_episode(ctx, **kwargs)
    record_infusion(ctx, HAEM, episode_id, infused_at=INFUSED_AT,
                    override_reason="test: stock checked by hand")
    return episode_id


@pytest.fixture
def dctx(sqlite_database: Any, fake_clock: Any) -> AppContext:
    return AppContext(sqlite_database, clock=fake_clock)


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has keyboard focus"
    return widget


def type_text(qtbot: Any, text: str) -> None:
    qtbot.keyClicks(focused(), text)


def press(qtbot: Any, key: Qt.Key) -> None:
    qtbot.keyClick(focused(), key)


def tab(qtbot: Any, times: int = 1) -> None:
    for _ in range(times):
        press(qtbot, Qt.Key.Key_Tab)


def show(qtbot: Any, dialog: QWidget) -> None:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    QApplication.processEvents()


# The offscreen platform plugin warns when a dialog's size hints change; the warning is
# about the plugin, not our code (pytest fails on Qt warnings otherwise).
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui_dialogs/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
            item.add_marker(pytest.mark.gui)
