"""What every data-entry dialog shares (STYLE.md keyboard-first forms, SAFETY.md bad input).

- Rows are added with `add_row("&Label", widget, "field")`: the label is the widget's buddy
  (Alt+letter focuses it), the tab order follows the order rows are added, and an error
  line sits under the widget.
- `show_error(exc)` puts each `FieldProblem` under the field it names (the service's own
  key names); anything it cannot place, and PermissionDenied / StaleEdit / other service
  errors, goes in the box at the top. Nothing typed is cleared.
- A field's error line goes as soon as that field's value changes (it described the old
  value); the top box's "please correct the marked fields" goes with the last of them.
- Errors are marked with "⚠" and text, never by colour alone.
- Writes go through the window's executor (ARCHITECTURE "Threads"); a dialog made without
  one runs the call at once (tests, screenshots).
- Enter saves (the OK button is the default button), Esc cancels (QDialog).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, QTimeZone, SignalInstance
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.actor import Actor
from app.context import AppContext
from app.errors import ConfirmationRequired, FieldProblem, ServiceError, ValidationFailed

ERROR_STYLE = "color: #b00020; font-weight: bold;"
TOP_ERROR_STYLE = (
    "QLabel { color: #b00020; background: #fdecea; border: 1px solid #f5c2c0; padding: 6px; "
    "font-weight: bold; }"
)
NOTE_STYLE = "color: #37474f;"
WARNING_PREFIX = "⚠ "

_DATE_FORMATS = (
    re.compile(r"^(?P<d>\d{1,2})[/.\- ](?P<m>\d{1,2})[/.\- ](?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{4})$"),
)


W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    """Give a widget its object name (tests and style sheets find it by that name)."""
    widget.setObjectName(name)
    return widget


def parse_date(text: str) -> date:
    """A date as a ward clerk types it: 01/05/1970, 1.5.1970, 1970-05-01 or 01051970.

    Day first (UK). ValueError names what was typed and the accepted forms."""
    typed = text.strip()
    for pattern in _DATE_FORMATS:
        match = pattern.match(typed)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise ValueError(f"{typed!r} is not a date — type day/month/year, e.g. 01/05/1970")


class WardDateTimeEdit(QDateTimeEdit):
    """A date-time field that Tab leaves, like every other field.

    QDateTimeEdit moves Tab between its day, month, year, hour and minute sections, so a
    nurse tabbing down the form pressed Tab five times to pass one field. The sections
    are still reached with the Left/Right arrows or by clicking; Up/Down change one."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


def make_datetime_edit(now: datetime, tz: ZoneInfo, name: str) -> QDateTimeEdit:
    """A local-time editor (ward time zone) starting at `now`; Tab leaves it."""
    edit = WardDateTimeEdit()
    edit.setObjectName(name)
    edit.setDisplayFormat("dd MMM yyyy HH:mm")
    edit.setTimeZone(QTimeZone(tz.key.encode()))
    set_datetime(edit, now)
    return edit


def set_datetime(edit: QDateTimeEdit, moment: datetime) -> None:
    edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp()), edit.timeZone()))


def read_datetime(edit: QDateTimeEdit, tz: ZoneInfo) -> datetime:
    """Aware datetime (ward zone) of what the editor shows, to the minute."""
    return datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), tz=tz).replace(second=0)


def buttons_without_label(root: QWidget) -> list[QPushButton]:
    """Buttons a screen reader could not name (STYLE.md: every button has text or a name)."""
    return [
        b for b in root.findChildren(QPushButton)
        if not b.text().replace("&", "").strip() and not b.accessibleName().strip()
    ]  # fmt: skip


def value_changed_signal(widget: QWidget) -> SignalInstance | None:
    """The signal a field emits when its value changes (None: not a known input)."""
    if isinstance(widget, QLineEdit):
        return widget.textChanged
    if isinstance(widget, QComboBox):
        return widget.currentTextChanged  # a choice, or the text of an editable combo
    if isinstance(widget, QDateTimeEdit):  # also QDateEdit and QTimeEdit
        return widget.dateTimeChanged
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.textChanged
    if isinstance(widget, QAbstractButton):
        return widget.toggled
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return widget.textChanged
    return None


class FormDialog(QDialog):
    """Base for the service dialogs: error placement, buttons, executor."""

    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        *,
        title: str,
        save_text: str,
        executor: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.actor = actor
        self.executor = executor
        self.result_row: Any = None  # what the service returned on success
        self.setWindowTitle(title)
        self.setMinimumWidth(440)  # room for the error lines under the fields
        self.layout_ = QVBoxLayout(self)
        self.top_error = QLabel()
        self.top_error.setObjectName("topError")
        self.top_error.setWordWrap(True)
        self.top_error.setStyleSheet(TOP_ERROR_STYLE)
        self.top_error.setAccessibleName("Problems")
        self.top_error.hide()
        self.layout_.addWidget(self.top_error)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.field_errors: dict[str, QLabel] = {}
        self.field_widgets: dict[str, QWidget] = {}
        # The top box as show_problems left it when it held only its heading: it goes
        # when the last marked field has been changed (see clear_field_error).
        self._heading_only: str | None = None
        self._tab_chain: list[QWidget] = []
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.save_button.setText(save_text)
        self.save_button.setObjectName("saveButton")
        self.save_button.setDefault(True)  # Enter saves from any line edit or spin box
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    # --- building ---------------------------------------------------------------------------
    def add_row(
        self,
        label_text: str,
        widget: QWidget,
        field: str,
        *also: str,
        form: QFormLayout | None = None,
        tab: bool = True,
    ) -> QLabel:
        """A labelled row with its error line; `also` names more service fields shown here."""
        target = form or self.form
        label = QLabel(label_text)
        label.setBuddy(widget)
        if not widget.accessibleName():
            widget.setAccessibleName(label_text.replace("&", "").rstrip(": "))
        error = QLabel()
        error.setObjectName(f"error_{field}")
        error.setWordWrap(True)
        error.setStyleSheet(ERROR_STYLE)
        error.hide()
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(error)
        target.addRow(label, box)
        for key in (field, *also):
            self.field_errors[key] = error
            self.field_widgets[key] = widget
        changed = value_changed_signal(widget)
        if changed is not None:
            changed.connect(lambda *_args: self.clear_field_error(field))
        if tab:
            self._tab_chain.append(widget)
        return label

    def finish_layout(self, *extra_tab: QWidget) -> None:
        """Add the buttons and fix the tab order: rows top to bottom, then Save, Cancel."""
        self.layout_.addWidget(self.buttons)
        # Only Save is ever the default button: Enter must not press "Check again" or
        # "Use calculated dose" just because it once had focus.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(button is self.save_button)
        self.save_button.setDefault(True)
        chain = [*self._tab_chain, *extra_tab, self.save_button, self.cancel_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        if self._tab_chain:
            self._tab_chain[0].setFocus()

    # --- errors -----------------------------------------------------------------------------
    def clear_errors(self) -> None:
        self._heading_only = None
        self.top_error.clear()
        self.top_error.hide()
        for label in set(self.field_errors.values()):
            label.clear()
            label.hide()
        for widget in self.field_widgets.values():
            widget.setAccessibleDescription("")

    def clear_field_error(self, field: str) -> None:
        """The field's value changed: its error line no longer describes it. When no
        marked field is left, the top box goes too if it only said to correct them."""
        label = self.field_errors.get(field)
        if label is None or not label.text():
            return
        label.clear()
        label.hide()
        for key, shown_at in self.field_errors.items():
            if shown_at is label:
                self.field_widgets[key].setAccessibleDescription("")
        if (self._heading_only is not None and self.top_error.text() == self._heading_only
                and not any(error.text() for error in self.field_errors.values())):
            self._heading_only = None
            self.top_error.clear()
            self.top_error.hide()

    def set_field_error(self, field: str, message: str) -> bool:
        label = self.field_errors.get(field)
        if label is None:
            return False
        text = WARNING_PREFIX + message
        label.setText(f"{label.text()}\n{text}" if label.text() else text)
        label.show()
        self.field_widgets[field].setAccessibleDescription(label.text())
        return True

    def set_top_error(self, message: str) -> None:
        text = WARNING_PREFIX + message
        current = self.top_error.text()
        self.top_error.setText(f"{current}\n{text}" if current else text)
        self.top_error.show()

    def show_problems(self, problems: Iterable[FieldProblem], heading: str = "") -> None:
        was_empty = not self.top_error.text()
        if heading:
            self.set_top_error(heading)
        heading_only = self.top_error.text() if heading and was_empty else None
        first: QWidget | None = None
        for problem in problems:
            if self.set_field_error(problem.field, problem.message):
                first = first or self.field_widgets[problem.field]
            else:
                self.set_top_error(f"{problem.field.replace('_', ' ')}: {problem.message}")
                heading_only = None
        self._heading_only = heading_only
        if first is not None:
            first.setFocus()

    def show_error(self, error: BaseException) -> None:
        """Executor failure callback: say what is wrong, keep every value typed."""
        self.set_busy(False)
        self.clear_errors()
        if isinstance(error, ConfirmationRequired):
            self.confirmation_needed(error)
        elif isinstance(error, ValidationFailed):
            self.show_problems(error.problems, "Not saved — please correct the marked fields.")
        elif isinstance(error, ServiceError):
            self.set_top_error(f"Not saved — {error}")
        else:
            self.set_top_error(f"Not saved — unexpected error: {error}")

    def confirmation_needed(self, error: ConfirmationRequired) -> None:
        """Dialogs that take a reason override this to reveal their reason field."""
        self.show_problems(error.problems, "Not saved — please check:")

    # --- saving -----------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy and self.can_save())

    def can_save(self) -> bool:
        return True

    def run(self, job: Callable[[], Any], on_success: Callable[[Any], None]) -> None:
        """Run a service call (on the worker when there is one); errors come back here."""
        self.set_busy(True)
        if self.executor is None:
            try:
                result = job()
            except Exception as error:  # shown in the dialog, never swallowed
                self.show_error(error)
                return
            self.set_busy(False)
            on_success(result)
            return

        def done(result: Any) -> None:
            self.set_busy(False)
            on_success(result)

        self.executor.submit(job, done, self.show_error)

    def saved(self, row: Any) -> None:
        self.result_row = row
        super().accept()

    def accept(self) -> None:  # Enter or the save button
        if not self.save_button.isEnabled():
            return
        self.clear_errors()
        self.submit()

    def submit(self) -> None:
        raise NotImplementedError
