"""The screen lock and the dialogs open at that moment (re-audit finding 3).

A dialog left on top of the lock screen shows the patient and saves under the locked
user's name. The lock hides it; the same user gets it back as typed; someone else
signing in is asked first (the question names the dialog and the bed), then it closes."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.actor import Actor
from tests.gui.conftest import Ward
from tests.gui_integration.conftest import PASSWORD, visible_text
from widgets.administration_dialog import AdministrationDialog

pytestmark = pytest.mark.gui


def _lock_with_drug_dialog_open(make_shell: Any, qtbot: Any, ward: Ward) -> tuple[Any, Any, Any]:
    """Nurse opens Record drug given (the real menu action, run modally), types a dose,
    and the idle lock fires while the dialog is open."""
    shell, dialogs = make_shell()
    dialogs.login("nurse")
    assert shell.start()
    window = shell.window
    window.open_episode(ward.adult)  # bed 3, SMITH, Anna
    seen: dict[str, Any] = {}

    def while_open() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, AdministrationDialog)
        seen["dialog"] = dialog
        qtbot.keyClicks(dialog.dose, "1000")
        shell.lock_now()  # what the idle timer calls

    QTimer.singleShot(0, while_open)
    window.drug_action.trigger()  # returns when the lock hid the dialog
    return shell, dialogs, seen["dialog"]


def test_the_lock_hides_an_open_dialog_and_gives_it_back_as_typed(
    make_shell: Any, qtbot: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, _dialogs, dialog = _lock_with_drug_dialog_open(make_shell, qtbot, ward)
    assert shell.window.locked
    assert not dialog.isVisible()
    assert QApplication.activeModalWidget() is None  # the lock screen takes the keyboard
    assert "smith" not in visible_text(shell.window).lower()
    note = shell.lock_screen.draft_label
    assert note.isVisible()
    assert note.text() == ("nurse has an unsaved Record drug given for bed 3 — switching "
                           "user discards it")

    qtbot.keyClicks(shell.lock_screen.secret, PASSWORD)
    shell.lock_screen.unlock_button.click()
    assert not shell.window.locked
    assert dialog.isVisible()
    assert dialog.dose.text() == "1000"
    assert "SMITH" in visible_text(dialog)
    dialog.reject()


def test_the_locked_dialog_cannot_be_reached_while_locked(
    make_shell: Any, qtbot: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, _dialogs, dialog = _lock_with_drug_dialog_open(make_shell, qtbot, ward)
    assert not dialog.isVisible()
    assert QApplication.focusWidget() is shell.lock_screen.secret  # typing goes to the lock


def test_another_user_is_asked_and_the_dialog_closes_unsaved(
    make_shell: Any, qtbot: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, dialogs, dialog = _lock_with_drug_dialog_open(make_shell, qtbot, ward)
    asked: list[str] = []

    def discard(question: Any) -> None:
        asked.append(question.text.text())
        assert question.keep_button.isDefault()
        question.discard_button.click()

    dialogs.login("nurse2")
    dialogs.scripts.append(discard)
    shell.lock_screen.switch_button.click()
    assert "nurse2" in shell.window.user_label.text()
    assert asked and asked[0].startswith(
        "nurse has an unsaved Record drug given for bed 3.")
    assert not dialog.isVisible()
    assert dialog.result() == 0  # rejected: nothing saved under nurse2's name
    assert not [d for d in shell.window.findChildren(AdministrationDialog) if d.isVisible()]


def test_keeping_it_stays_locked_and_its_author_gets_it_back(
    make_shell: Any, qtbot: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, dialogs, dialog = _lock_with_drug_dialog_open(make_shell, qtbot, ward)
    dialogs.login("nurse2")
    dialogs.scripts.append(lambda question: question.keep_button.click())
    shell.lock_screen.switch_button.click()
    assert shell.window.locked and not dialog.isVisible()
    dialogs.login("nurse")
    shell.lock_screen.switch_button.click()
    assert not shell.window.locked
    assert dialog.isVisible() and dialog.dose.text() == "1000"
    dialog.reject()
