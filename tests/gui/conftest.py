"""GUI test helpers: a small ward seeded through the real services, and a main window on it
with the synchronous executor (background work made synchronous, as in Picard's tests).

Every test here runs on SQLite only (`sqlite_database`); the GUI code is backend-agnostic
and the services have their own tests on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.actor import Actor, Role
from app.context import AppContext
from app.services import patients
from app.services.tocilizumab import record_infusion

NURSE = Actor(user_id=None, username="nurse.jones", role=Role.NURSE, workstation="ws1")
HAEM = Actor(user_id=None, username="dr.okafor", role=Role.HAEMATOLOGIST, workstation="ws2")
# Fake clock: 2026-03-10 10:00 UTC; the infusions were on 7 March (so today is day 3).
INFUSED_AT = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Ward:
    adult: int  # episode ids
    child: int


def make_episode(
    ctx: AppContext, *, nhs: str, family: str, given: str, dob: date, bed: str,
    weight: float = 70.0,
) -> int:
    patient = patients.register_patient(
        ctx, NURSE, nhs_number=nhs, hospital_number=None, family_name=family,
        given_name=given, date_of_birth=dob, sex="female",
    )
    episode = patients.register_episode(
        ctx, NURSE, patient.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=INFUSED_AT.date(), weight_kg=weight, consultant="Dr Brown",
        ward=ctx.ward, bed=bed,
    )
    record_infusion(ctx, HAEM, episode.id, infused_at=INFUSED_AT,
                    override_reason="test ward: stock checked by hand")
    return episode.id


@pytest.fixture
def gui_ctx(sqlite_database: Any, fake_clock: Any) -> AppContext:
    return AppContext(sqlite_database, clock=fake_clock)


@pytest.fixture
def ward(gui_ctx: AppContext) -> Ward:
    adult = make_episode(gui_ctx, nhs="9990000018", family="Smith", given="Anna",
                         dob=date(1970, 5, 1), bed="3")
    child = make_episode(gui_ctx, nhs="9990000026", family="Jones", given="Tom",
                         dob=date(2019, 1, 15), bed="7", weight=22.0)
    return Ward(adult=adult, child=child)


@pytest.fixture
def window(qtbot: Any, gui_ctx: AppContext, ward: Ward) -> Iterator[Any]:
    from app.executor import SyncExecutor
    from widgets.main_window import MainWindow

    main = MainWindow(gui_ctx, NURSE, SyncExecutor(), poll_ms=0)
    qtbot.addWidget(main)
    main.refresh()
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.close()


def record(window: Any, episode_id: int, hours_ago: float = 0, **changes: Any) -> Any:
    """An ICANS 2 set (with `changes`) `hours_ago` before the fake clock, through the service."""
    from app.services.assessments import record_assessment
    from tests.gui.test_escalation import ICANS2

    at = window.ctx.clock() - timedelta(hours=hours_ago)
    values = {**ICANS2, **changes, "assessed_at": at}
    confirmations = {"assessed_at": "paper chart", "ice_score": "checked"}
    return record_assessment(window.ctx, NURSE, episode_id, values,
                             confirmations=confirmations)


@pytest.fixture
def busy_window(window: Any, ward: Ward) -> Any:
    record(window, ward.adult, hours_ago=30, temperature_c=38.4)
    record(window, ward.adult, hours_ago=2, temperature_c=38.9)
    record(window, ward.child, hours_ago=1,
           ice_items=None, capd_items={"eye_contact": "often", "purposeful_actions": "often",
                                       "aware_of_surroundings": "often",
                                       "communicates_needs": "often", "restless": "never",
                                       "inconsolable": "never", "underactive": "never",
                                       "slow_to_respond": "rarely"})
    window.refresh()
    window.tabs.setCurrentIndex(2)  # trend review loads its rows
    return window


# The offscreen platform plugin warns when a main window with a tool bar is shown; the
# warning is about the plugin, not our code (pytest fails on Qt warnings otherwise).
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
