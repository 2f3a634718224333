"""The lock screen on a shared ward PC (usability audit 11).

- While the lock holds an unsaved assessment it says whose and for which bed (no name:
  the screen is public) and that switching user discards it.
- Another user signing in is asked first; keeping the draft leaves the screen locked for
  its author, who unlocks and finds it as typed. Discarding starts the newcomer clean.
- The number of critical-care discussions pending shows while locked (no names), and is
  re-read while the screen stays locked."""

from __future__ import annotations

from typing import Any

import pytest

from app.actor import Actor
from app.context import AppContext
from app.services import assessments
from tests.gui.conftest import Ward
from tests.gui_integration.conftest import PASSWORD, visible_text
from tests.gui_integration.test_session import open_with_typed_temperature
from tests.services.conftest import CRS3, ICANS2, obs
from widgets.lock_screen import LockScreen

pytestmark = pytest.mark.gui

CAPD = {"eye_contact": "often", "purposeful_actions": "often", "aware_of_surroundings": "often",
        "communicates_needs": "often", "restless": "never", "inconsolable": "never",
        "underactive": "never", "slow_to_respond": "rarely"}


def _locked_with_draft(make_shell: Any, qtbot: Any, ward: Ward) -> tuple[Any, Any, Any]:
    shell, dialogs = make_shell()
    dialogs.login("nurse")
    assert shell.start()
    window = open_with_typed_temperature(shell, qtbot, ward.adult)  # bed 3, SMITH, Anna
    window.lock_requested.emit()
    assert window.locked
    return shell, dialogs, window


def test_the_lock_screen_says_a_draft_is_waiting_without_the_name(
    make_shell: Any, qtbot: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, _dialogs, window = _locked_with_draft(make_shell, qtbot, ward)
    note = shell.lock_screen.draft_label
    assert note.isVisible()
    assert note.text() == ("nurse has an unsaved assessment for bed 3 — switching user "
                           "discards it")
    text = visible_text(window).lower()
    assert "smith" not in text and "anna" not in text and "999 000 0018" not in text


def test_no_draft_no_note_and_no_question(
    make_shell: Any, qtbot: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, dialogs = make_shell()
    dialogs.login("nurse")
    assert shell.start()
    shell.window.lock_requested.emit()
    assert not shell.lock_screen.draft_label.isVisible()
    dialogs.login("nurse2")
    shell.lock_screen.switch_button.click()
    assert "nurse2" in shell.window.user_label.text()
    assert len(dialogs.seen) == 2  # the two logins: nothing to confirm


def test_keeping_the_draft_stays_locked_for_its_author(
    make_shell: Any, qtbot: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, dialogs, window = _locked_with_draft(make_shell, qtbot, ward)
    asked: list[str] = []

    def keep(dialog: Any) -> None:
        asked.append(dialog.text.text())
        assert dialog.keep_button.isDefault()  # Enter keeps it
        dialog.keep_button.click()

    dialogs.login("nurse2")
    dialogs.scripts.append(keep)
    shell.lock_screen.switch_button.click()

    assert asked and asked[0].startswith("nurse has an unsaved assessment for bed 3.")
    assert "Signing in as nurse2 discards it" in asked[0]
    assert "smith" not in asked[0].lower()
    assert shell.window is window and window.locked  # nothing discarded, still locked
    shell.lock_screen.secret.setText(PASSWORD)
    shell.lock_screen.unlock_button.click()
    assert not window.locked
    assert window.patient_view.form.temperature.text() == "38.4"


def test_discarding_starts_the_newcomer_clean(
    make_shell: Any, qtbot: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    shell, dialogs, first = _locked_with_draft(make_shell, qtbot, ward)
    dialogs.login("haem")
    dialogs.scripts.append(lambda dialog: dialog.discard_button.click())
    shell.lock_screen.switch_button.click()
    assert shell.window is not first and "haem" in shell.window.user_label.text()
    shell.window.open_episode(ward.adult)
    assert shell.window.patient_view.form.temperature.text() == ""


def test_pending_discussions_are_counted_while_locked(
    make_shell: Any, qtbot: Any, gui_ctx: AppContext, ward: Ward,
    accounts: dict[str, Actor],
) -> None:
    shell, dialogs = make_shell()
    dialogs.login("nurse")
    assert shell.start()
    shell.window.lock_requested.emit()
    screen = shell.lock_screen
    assert not screen.pending_label.isVisible()  # none pending yet
    assert screen.pending_timer.isActive()

    # Another workstation records ICANS 2 for the adult while this one is locked.
    nurse2, now = accounts["nurse2"], gui_ctx.clock()
    assessments.record_assessment(gui_ctx, nurse2, ward.adult, obs(assessed_at=now, **ICANS2))
    screen.pending_timer.timeout.emit()  # the next periodic re-read
    assert screen.pending_label.text() == ("1 critical-care discussion pending — sign in to "
                                           "see it")
    # ... then CRS 3 for the child (screened with CAPD, not ICE).
    child = {k: v for k, v in obs(assessed_at=now, **CRS3).items() if k != "ice_score"}
    assessments.record_assessment(gui_ctx, nurse2, ward.child, dict(child, capd_items=CAPD))
    screen.pending_timer.timeout.emit()
    assert screen.pending_label.isVisible()
    assert screen.pending_label.text() == ("2 critical-care discussions pending — sign in "
                                           "to see them")
    text = visible_text(shell.window).lower()
    assert "smith" not in text and "jones" not in text

    screen.secret.setText(PASSWORD)
    screen.unlock_button.click()
    assert not screen.pending_timer.isActive()  # unlocked: the board shows them


def test_a_failed_count_is_not_shown_as_none_pending(qtbot: Any) -> None:
    def broken() -> int:
        raise OSError("database unreachable")

    screen = LockScreen("nurse (nurse)", lambda _s: False, pending=broken)
    qtbot.addWidget(screen)
    screen.show()
    assert screen.pending_label.isVisible()
    assert screen.pending_label.text().startswith("Could not check for critical-care alerts")
