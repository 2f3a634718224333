"""A registered patient not yet infused is on the ward board page ("Awaiting infusion"),
and the infusion is recorded from there: Enter on the row opens the infusion dialog for
that patient, the Record menu acts on the highlighted row, and highlighting a board row
moves every patient action back to the board."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.services import patients
from tests.gui.conftest import NURSE, Ward

pytestmark = pytest.mark.gui


class Hooks:
    """The window's dialogs, recording which patient each was opened for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def record_infusion(self, _window: Any, episode_id: int) -> bool:
        self.calls.append(("infusion", episode_id))
        return True

    def record_icu_transfer(self, _window: Any, episode_id: int) -> bool:
        self.calls.append(("icu", episode_id))
        return True

    def update_weight(self, _window: Any, episode_id: int) -> bool:
        self.calls.append(("weight", episode_id))
        return True


@pytest.fixture
def planned_window(qtbot: Any, gui_ctx: Any, ward: Ward) -> Any:
    from app.executor import SyncExecutor
    from widgets.main_window import MainWindow

    patient = patients.register_patient(
        gui_ctx, NURSE, nhs_number="9990001308", hospital_number=None, family_name="Morgan",
        given_name="Rhys", date_of_birth=date(1981, 6, 2), sex="male")
    episode = patients.register_episode(
        gui_ctx, NURSE, patient.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=date(2026, 3, 12), weight_kg=81.0, consultant="Dr Brown",
        ward=gui_ctx.ward, bed="9")
    hooks = Hooks()
    main = MainWindow(gui_ctx, NURSE, SyncExecutor(), dialogs=hooks, poll_ms=0)
    qtbot.addWidget(main)
    main.refresh()
    main.show()
    main.planned_episode = episode.id
    main.hooks = hooks
    return main


def test_a_registered_patient_awaits_infusion_on_the_board_page(planned_window: Any) -> None:
    window = planned_window
    planned = window.planned
    assert planned.title.text() == "Awaiting infusion (1)"
    assert planned.isVisibleTo(window) and planned.table.isVisibleTo(window)
    assert [r.patient_name for r in planned.rows()] == ["MORGAN, Rhys"]
    assert window.board.model.row_for_episode(window.planned_episode) is None


def test_enter_on_the_row_opens_the_infusion_for_that_patient(planned_window: Any,
                                                              qtbot: Any) -> None:
    window = planned_window
    window.planned.select_episode(window.planned_episode)
    qtbot.keyClick(window.planned.table, Qt.Key.Key_Return)
    assert window.hooks.calls == [("infusion", window.planned_episode)]
    assert window.statusBar().currentMessage() == (
        "CAR-T infusion recorded for MORGAN, Rhys.")


def test_the_record_menu_follows_the_row_last_highlighted(planned_window: Any,
                                                          ward: Ward) -> None:
    window = planned_window
    window.planned.select_episode(window.planned_episode)
    assert window.current_episode_id() == window.planned_episode
    window.weight_action.trigger()

    board = window.board
    view_index = board.proxy.mapFromSource(
        board.model.index(board.model.row_for_episode(ward.child), 0))
    board.table.setCurrentIndex(view_index)
    board.table.selectRow(view_index.row())
    assert window.planned.selected_episode_id() is None, "two patients highlighted at once"
    assert window.current_episode_id() == ward.child
    window.icu_action.trigger()
    assert window.hooks.calls == [("weight", window.planned_episode), ("icu", ward.child)]
    assert window.statusBar().currentMessage() == "ICU transfer recorded for JONES, Tom."


def test_record_menu_mnemonics_are_unique(planned_window: Any) -> None:
    record_menu = next(a.menu() for a in planned_window.menuBar().actions()
                       if a.text() == "Re&cord")
    letters = [a.text().split("&")[1][0].lower() for a in record_menu.actions()
               if not a.isSeparator() and "&" in a.text()]
    assert len(letters) == len(set(letters)), sorted(letters)


def test_locking_empties_the_awaiting_list_too(planned_window: Any) -> None:
    """SAFETY.md: nothing of the ward stays on screen or in a model under the lock."""
    from PySide6.QtWidgets import QLabel

    window = planned_window
    assert window.planned.model.rowCount() == 1
    window.cover(QLabel("Locked"))
    assert window.planned.model.rowCount() == 0
    assert window.refresh_label.text() == "Locked — not updating"


def test_after_registering_the_new_patient_is_highlighted_awaiting_infusion(
    qtbot: Any, gui_ctx: Any, ward: Ward
) -> None:
    from app.executor import SyncExecutor
    from widgets.main_window import TAB_BOARD, MainWindow

    class RegisterHooks:
        last_registered_episode_id: int | None = None

        def register_patient(self, _window: Any) -> bool:
            registration = patients.register_patient_with_episode(
                gui_ctx, NURSE, nhs_number="9990001308", hospital_number=None,
                family_name="Morgan", given_name="Rhys", date_of_birth=date(1981, 6, 2),
                sex="male", product_code="axicabtagene_ciloleucel",
                planned_infusion_date=date(2026, 3, 12), weight_kg=81.0,
                consultant="Dr Brown", ward=gui_ctx.ward, bed="9")
            self.last_registered_episode_id = registration.episode.id
            return True

    hooks = RegisterHooks()
    main = MainWindow(gui_ctx, NURSE, SyncExecutor(), dialogs=hooks, poll_ms=0)
    qtbot.addWidget(main)
    main.refresh()
    main.show()
    main.tabs.setCurrentIndex(2)  # wherever the nurse was
    main.register_action.trigger()
    assert main.tabs.currentIndex() == TAB_BOARD
    assert main.planned.selected_episode_id() == hooks.last_registered_episode_id
    assert main.current_episode_id() == hooks.last_registered_episode_id
    assert main.statusBar().currentMessage() == "Patient registered."


def test_after_the_infusion_the_patient_is_highlighted_on_the_board(
    qtbot: Any, gui_ctx: Any, ward: Ward
) -> None:
    """The next Record command (first set, premedication) is for the patient just infused,
    not for whoever was open before (re-audit 4)."""
    from app.executor import SyncExecutor
    from app.services.tocilizumab import record_infusion
    from tests.gui.conftest import HAEM
    from widgets.main_window import TAB_BOARD, MainWindow

    class InfusionHooks:
        def record_infusion(self, _window: Any, episode_id: int) -> bool:
            record_infusion(gui_ctx, HAEM, episode_id, infused_at=gui_ctx.clock(),
                            override_reason="test: stock checked by hand")
            return True

    patient = patients.register_patient(
        gui_ctx, NURSE, nhs_number="9990001308", hospital_number=None, family_name="Morgan",
        given_name="Rhys", date_of_birth=date(1981, 6, 2), sex="male")
    episode = patients.register_episode(
        gui_ctx, NURSE, patient.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=date(2026, 3, 10), weight_kg=81.0, consultant="Dr Brown",
        ward=gui_ctx.ward, bed="9")
    main = MainWindow(gui_ctx, NURSE, SyncExecutor(), dialogs=InfusionHooks(), poll_ms=0)
    qtbot.addWidget(main)
    main.refresh()
    main.show()
    main.open_episode(ward.adult)  # someone else open on the patient tab
    main.tabs.setCurrentIndex(TAB_BOARD)
    main.planned.select_episode(episode.id)
    qtbot.keyClick(main.planned.table, Qt.Key.Key_Return)

    assert main.planned.rows() == []
    assert main.board.selected_episode() == episode.id
    assert main.current_episode_id() == episode.id, "the next command would act on another"


def test_nothing_highlighted_on_the_board_page_means_no_patient(planned_window: Any,
                                                                ward: Ward) -> None:
    window = planned_window
    window.open_episode(ward.adult)  # open on the patient tab, then back to the board
    window.tabs.setCurrentIndex(0)
    window.board.table.clearSelection()
    assert window.current_episode_id() is None
    window.icu_action.trigger()
    assert window.hooks.calls == []
    assert window.statusBar().currentMessage() == "Open or select a patient first."


def test_tab_leaves_the_board_and_ctrl5_reaches_awaiting_infusion(planned_window: Any,
                                                                   qtbot: Any) -> None:
    from PySide6.QtWidgets import QApplication

    window = planned_window
    window.activateWindow()
    window.board.table.setFocus()
    qtbot.keyClick(window.board.table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not window.board.table, "Tab stayed in the board"

    window.tabs.setCurrentIndex(1)
    window.awaiting_action.trigger()
    assert window.tabs.currentIndex() == 0
    assert window.planned.selected_episode_id() == window.planned_episode
    assert window.current_episode_id() == window.planned_episode
