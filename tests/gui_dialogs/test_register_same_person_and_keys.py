"""Register, re-audit findings 7 and 8(b).

- A known NHS number with a different typed name or date of birth: Enter does not add
  the episode; Yes waits for "I have checked this is the same person (stored date of
  birth …)". When the details match, Enter still accepts.
- Every mnemonic (Alt+letter) of the dialog is unique, on the form and on the offer."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QLabel, QWidget

from app.context import AppContext
from tests.gui_dialogs.conftest import NURSE, press, show
from tests.gui_dialogs.test_register_all_at_once import _discharged_morgan, _fill
from widgets.register_dialog import RegisterDialog


def test_a_different_date_of_birth_needs_the_tick_before_yes(
    qtbot: Any, dctx: AppContext
) -> None:
    patient_id = _discharged_morgan(dctx)  # MORGAN, Rhys, born 01 May 1970
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    _fill(dialog, dob="01/01/1961")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.offer_box.isVisible()
    tick = dialog.same_person
    assert tick.isVisible() and not tick.isChecked()
    assert tick.text().replace("&", "") == (
        "I have checked this is the same person (stored date of birth 01 May 1970)")
    assert not dialog.save_button.isEnabled()
    assert not dialog.save_button.isDefault()
    assert QApplication.focusWidget() is not dialog.save_button

    press(qtbot, Qt.Key.Key_Return)  # the habitual second Enter adds nothing
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.episode_id is None

    qtbot.keyClick(tick, Qt.Key.Key_Space)  # checked: Yes is enabled, not the default
    assert tick.isChecked() and dialog.save_button.isEnabled()
    assert not dialog.save_button.isDefault()
    dialog.save_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
    assert dialog.patient is not None and dialog.patient.id == patient_id


def test_back_to_the_form_withdraws_the_tick(qtbot: Any, dctx: AppContext) -> None:
    _discharged_morgan(dctx)
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    _fill(dialog, given="Rees")  # the name differs
    press(qtbot, Qt.Key.Key_Return)
    dialog.same_person.setChecked(True)
    press(qtbot, Qt.Key.Key_Escape)  # back to the form
    assert not dialog.same_person.isVisible() and not dialog.same_person.isChecked()
    assert dialog.save_button.isEnabled() and dialog.save_button.isDefault()
    dialog.save_button.setFocus()
    press(qtbot, Qt.Key.Key_Return)  # offered again: the tick is asked again
    assert dialog.offer_box.isVisible() and not dialog.save_button.isEnabled()


def test_matching_details_keep_enter_to_accept(qtbot: Any, dctx: AppContext) -> None:
    patient_id = _discharged_morgan(dctx)
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    _fill(dialog)  # MORGAN, Rhys, 01/05/1970: as stored
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.offer_box.isVisible() and not dialog.same_person.isVisible()
    assert dialog.save_button.isDefault() and dialog.save_button.isEnabled()
    press(qtbot, Qt.Key.Key_Return)  # yes
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.top_error.text()
    assert dialog.patient is not None and dialog.patient.id == patient_id


def _mnemonics(dialog: QWidget) -> dict[str, list[str]]:
    """The Alt+letter of every visible label, button and check box -> their texts."""
    found: dict[str, list[str]] = {}
    for child in dialog.findChildren(QWidget):
        if not child.isVisibleTo(dialog) or not isinstance(child, QLabel | QAbstractButton):
            continue
        if isinstance(child, QLabel) and child.textFormat() == Qt.TextFormat.RichText:
            continue  # rich text has no mnemonic
        match = re.search(r"&([^&\s])", child.text().replace("&&", ""))
        if match:
            found.setdefault(match.group(1).lower(), []).append(child.text())
    return found


def _clashes(dialog: QWidget) -> dict[str, list[str]]:
    return {key: texts for key, texts in _mnemonics(dialog).items() if len(texts) > 1}


def test_every_mnemonic_is_unique_on_the_form_and_on_the_offer(
    qtbot: Any, dctx: AppContext
) -> None:
    _discharged_morgan(dctx)
    dialog = RegisterDialog(dctx, NURSE)
    show(qtbot, dialog)
    form_keys = _mnemonics(dialog)
    assert {"h", "o", "b"} <= form_keys.keys()  # the collector sees the form's labels
    assert _clashes(dialog) == {}

    _fill(dialog, dob="01/01/1961")  # different: the tick shows too
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.same_person.isVisible()
    offer_keys = _mnemonics(dialog)
    assert {"y", "t", "m"} <= offer_keys.keys()
    assert _clashes(dialog) == {}
