"""Pharmacy panel: tocilizumab stock by strength, batch, expiry and location, and the
ledger actions (receive, reserve for a patient, release, waste with a reason).

Two tables (both `RowTableModel`s over the services' frozen rows): the stock lines with
their counts by status, and the usable vials (in stock or reserved) that release and
waste act on; a reserved vial names its patient as the ward does (bed and initials for a
pharmacist), never by an internal episode number. Reserve and Release choose the patient
from a list (`EpisodeChoice`, from `tocilizumab.list_stock_episodes`): bed, patient,
NHS number, product, weight and what is reserved, so nobody types an episode number.
Anything expiring within 30 days says so in words ("expires in 12 days", "EXPIRED") as
well as by colour. Only a pharmacist may change stock (SAFETY.md); for other
roles the action buttons are disabled and their tooltip says why.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.actor import Actor
from app.clock import local_date
from app.context import AppContext
from app.errors import FieldProblem, ServiceError
from app.permissions import Action, denial_message, is_allowed
from app.services import tocilizumab as toci_service
from app.services.tocilizumab import LOCATIONS, StockEpisode, StockLine, VialRow
from grading.tocilizumab import VIAL_STRENGTHS_MG
from widgets.form_dialog import NOTE_STYLE, TOP_ERROR_STYLE, FormDialog, named
from widgets.infusion_dialog import readiness_text
from widgets.models import Column, RowSortProxy, RowTableModel

EXPIRY_WARNING_DAYS = 30  # issue 5: vials expiring within 30 days are listed
SOON = (QColor("#fff3cd"), QColor("#5c4400"))
GONE = (QColor("#f8d7da"), QColor("#721c24"))
STRENGTH_VOLUME_ML = {80: 4, 200: 10, 400: 20}


def expiry_note(expiry: date, today: date) -> str:
    days = (expiry - today).days
    if days < 0:
        return f"EXPIRED {-days} day{'s' if days != -1 else ''} ago — do not use"
    if days == 0:
        return "expires today"
    if days <= EXPIRY_WARNING_DAYS:
        return f"expires in {days} day{'s' if days != 1 else ''}"
    return ""


def _expiry_colours(expiry: date, today: date) -> tuple[QColor, QColor] | None:
    days = (expiry - today).days
    if days < 0:
        return GONE
    return SOON if days <= EXPIRY_WARNING_DAYS else None


def strength_text(mg: int) -> str:
    ml = STRENGTH_VOLUME_ML.get(mg)
    return f"{mg} mg/{ml} mL" if ml else f"{mg} mg"


class StockLineModel(RowTableModel[StockLine]):
    def __init__(self, today: date, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = today
        soon = self._soon
        self.columns = (
            Column("Strength", lambda r: strength_text(r.strength_mg),
                   sort=lambda r: r.strength_mg),
            Column("Batch", lambda r: r.batch),
            Column("Expiry", lambda r: f"{r.expiry_date:%d %b %Y}",
                   sort=lambda r: r.expiry_date, colours=soon, bold=lambda r: bool(self.note(r))),
            Column("Location", lambda r: r.location),
            Column("In stock", lambda r: str(r.in_stock), sort=lambda r: r.in_stock,
                   align_right=True),
            Column("Reserved", lambda r: str(r.reserved), sort=lambda r: r.reserved,
                   align_right=True),
            Column("Issued", lambda r: str(r.issued), sort=lambda r: r.issued, align_right=True),
            Column("Wasted", lambda r: str(r.wasted), sort=lambda r: r.wasted, align_right=True),
            Column("Expired", lambda r: str(r.expired), sort=lambda r: r.expired,
                   align_right=True),
            Column("Expiry note", self.note, colours=soon),
        )

    def _soon(self, row: StockLine) -> tuple[QColor, QColor] | None:
        return _expiry_colours(row.expiry_date, self.today) if row.usable else None

    def note(self, row: StockLine) -> str:
        return expiry_note(row.expiry_date, self.today) if row.usable else ""

    def row_key(self, row: StockLine) -> tuple[int, str, date, str]:
        return (row.strength_mg, row.batch, row.expiry_date, row.location)


class VialModel(RowTableModel[VialRow]):
    def __init__(self, today: date, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = today
        self.patients: dict[int, str] = {}  # episode id -> "A2 · R P" (set by the panel)
        soon = self._soon
        self.columns = (
            Column("Vial", lambda r: str(r.id), sort=lambda r: r.id, align_right=True),
            Column("Strength", lambda r: strength_text(r.strength_mg),
                   sort=lambda r: r.strength_mg),
            Column("Batch", lambda r: r.batch),
            Column("Expiry", lambda r: f"{r.expiry_date:%d %b %Y}", sort=lambda r: r.expiry_date,
                   colours=soon),
            Column("Location", lambda r: r.location),
            Column("Status", lambda r: r.status.replace("_", " ")),
            Column("Reserved for", self.reserved_for),
            Column("Expiry note", lambda r: expiry_note(r.expiry_date, self.today), colours=soon),
        )

    def _soon(self, row: VialRow) -> tuple[QColor, QColor] | None:
        return _expiry_colours(row.expiry_date, self.today)

    def reserved_for(self, row: VialRow) -> str:
        if row.reserved_episode_id is None:
            return ""
        # A patient the list does not know (it could not be read): say so, not an id.
        return self.patients.get(row.reserved_episode_id, "a patient (press Refresh)")

    def row_key(self, row: VialRow) -> int:
        return row.id


def _table(model: RowTableModel[Any], name: str) -> QTableView:
    proxy = RowSortProxy()
    proxy.setSourceModel(model)
    view = named(QTableView(), name)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    return view


# --------------------------------------------------------------------------------------------
# Choosing the patient (usability audit 10)
# --------------------------------------------------------------------------------------------


def episode_short_text(row: StockEpisode) -> str:
    """"A2 · R P": the bed and the patient, for the vial table."""
    return f"{row.bed or 'no bed'} · {row.patient}"


def episode_choice_text(row: StockEpisode) -> str:
    """One patient in the list, as the ward identifies them: "A2 · R P · NHS 999 000 0026 ·
    Yescarta (axi-cel) · 80 kg · reserved 0 of 1 dose"."""
    parts = [episode_short_text(row), row.identifier, row.product_label,
             f"{row.weight_kg:g} kg", row.readiness_text]
    if row.vials_reserved:
        parts.append(f"{row.vials_reserved} vial{'s' if row.vials_reserved != 1 else ''} held")
    if row.status == "planned":
        parts.append("awaiting infusion")
    elif not row.open:
        parts.append(row.status)
    return " · ".join(parts)


class EpisodeChoice(QComboBox):
    """The patient a stock action is for, chosen from a list (typing the bed jumps to it).

    `value()` is the chosen episode's id, 0 when none is chosen (as the number box it
    replaces)."""

    def __init__(self, rows: list[StockEpisode], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("episode_id")
        self.setPlaceholderText("choose the patient…")
        # Wide enough for bed, initials and NHS number; the open list shows whole lines and
        # the tooltip the whole chosen line, so the dialog does not grow off the screen.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(48)
        self.rows = rows
        for row in rows:
            self.addItem(episode_choice_text(row), row.episode_id)
            self.setItemData(self.count() - 1, episode_choice_text(row),
                             Qt.ItemDataRole.ToolTipRole)
        self.view().setMinimumWidth(self.view().sizeHintForColumn(0) + 24)
        self.currentIndexChanged.connect(lambda _i: self.setToolTip(self.currentText()))
        self.setCurrentIndex(-1)

    def value(self) -> int:
        data = self.currentData()
        return int(data) if data is not None else 0

    def set_episode(self, episode_id: int | None) -> None:
        self.setCurrentIndex(self.findData(episode_id) if episode_id else -1)

    def chosen(self) -> StockEpisode | None:
        index = self.currentIndex()
        return self.rows[index] if 0 <= index < len(self.rows) else None


def _episode_rows(dialog: FormDialog, keep: Any) -> list[StockEpisode]:
    """The patients the dialog offers; a failed read is said at the top of the dialog."""
    try:
        rows = toci_service.list_stock_episodes(dialog.ctx, dialog.actor)
    except ServiceError as exc:
        dialog.set_top_error(f"Could not list the patients — {exc}")
        return []
    return [r for r in rows if keep(r)]


def clear_field_error(dialog: FormDialog, field: str) -> None:
    """The user changed the field: its error line no longer describes what is shown, so
    it goes (and the "please correct the marked fields" box with the last one)."""
    label = dialog.field_errors.get(field)
    if label is None or label.isHidden():
        return
    label.clear()
    label.hide()
    dialog.field_widgets[field].setAccessibleDescription("")
    if all(other.isHidden() for other in dialog.field_errors.values()):
        dialog.top_error.clear()
        dialog.top_error.hide()


class _PatientFormDialog(FormDialog):
    """Reserve and Release: after a problem is shown the dialog grows to fit its error
    lines (a long stock message otherwise squeezes the fields)."""

    def show_problems(self, problems: Any, heading: str = "") -> None:
        super().show_problems(problems, heading)
        self.adjustSize()

    def show_error(self, error: BaseException) -> None:
        super().show_error(error)
        self.adjustSize()


def _no_patient_problem(rows: list[StockEpisode], what: str) -> FieldProblem:
    if rows:
        return FieldProblem("episode_id", "choose the patient from the list")
    return FieldProblem("episode_id", f"no patient {what} — check with the ward, then press "
                                      "Refresh on the stock page")


# --------------------------------------------------------------------------------------------
# Action forms
# --------------------------------------------------------------------------------------------


class ReceiveDialog(FormDialog):
    def __init__(self, ctx: AppContext, actor: Actor, *, executor: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, title="Receive tocilizumab vials", save_text="&Receive",
                         executor=executor, parent=parent)
        self.layout_.addLayout(self.form)
        self.strength = named(QComboBox(), "strength_mg")
        for mg in VIAL_STRENGTHS_MG:
            self.strength.addItem(strength_text(mg), mg)
        self.strength.setCurrentIndex(-1)
        self.strength.setPlaceholderText("choose…")
        self.add_row("&Strength", self.strength, "strength_mg")
        self.batch = named(QLineEdit(), "batch")
        self.batch.setMaxLength(40)
        self.add_row("&Batch", self.batch, "batch")
        self.expiry = named(QDateEdit(), "expiry_date")
        self.expiry.setDisplayFormat("dd/MM/yyyy")
        today = local_date(ctx.clock(), ctx.tz)
        self.expiry.setDate(QDate(today.year + 1, today.month, 1))  # a typical shelf life
        self.expiry.setCalendarPopup(True)
        self.add_row("&Expiry date", self.expiry, "expiry_date")
        self.location = named(QComboBox(), "location")
        for loc in LOCATIONS:
            self.location.addItem(loc, loc)
        self.location.setCurrentIndex(self.location.findData("pharmacy"))
        self.add_row("&Location", self.location, "location")
        self.count = named(QSpinBox(), "count")
        self.count.setRange(1, toci_service.MAX_RECEIVE)
        self.add_row("&Number of vials", self.count, "count")
        self.finish_layout()

    def submit(self) -> None:
        if self.strength.currentIndex() < 0:
            self.show_problems([FieldProblem("strength_mg", "choose the vial strength")])
            return
        ctx, actor = self.ctx, self.actor
        values = {
            "strength_mg": int(self.strength.currentData()),
            "batch": self.batch.text(),
            "expiry_date": self.expiry.date().toPython(),
            "location": self.location.currentData(),
            "count": self.count.value(),
        }
        self.run(lambda: toci_service.receive_vials(ctx, actor, **values), self.saved)


class ReserveDialog(_PatientFormDialog):
    """Reserve the selected vials, or enough stock for N doses, for one patient."""

    def __init__(self, ctx: AppContext, actor: Actor, *, episode_id: int | None,
                 vial_ids: list[int], executor: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, title="Reserve tocilizumab for a patient",
                         save_text="&Reserve", executor=executor, parent=parent)
        self.vial_ids = vial_ids
        self.layout_.addLayout(self.form)
        # Planned and active episodes only: reserve_for_episode refuses the others.
        self.episode = EpisodeChoice(_episode_rows(self, lambda r: r.open))
        self.episode.set_episode(episode_id)  # the patient open in the window, if any
        self.add_row("&Patient", self.episode, "episode_id", "episode")
        self.readiness = named(QLabel(), "reserve_readiness")
        self.readiness.setWordWrap(True)
        self.doses = named(QSpinBox(), "doses")
        self.doses.setRange(1, 10)
        doses_label = self.add_row("&Doses", self.doses, "doses")
        if vial_ids:
            self.doses.setEnabled(False)
            doses_label.setText("Vials")
            self.doses.setToolTip("The vials selected in the panel are reserved")
            self.form.addRow("", QLabel(f"Selected vials: {', '.join(map(str, vial_ids))}"))
        self.field_errors["vial_ids"] = self.field_errors["doses"]
        self.field_widgets["vial_ids"] = self.doses
        self.episode.currentIndexChanged.connect(self._episode_changed)
        self.doses.valueChanged.connect(lambda _v: clear_field_error(self, "doses"))
        # Outside the form: a wrapped label in a QFormLayout row gets clipped.
        self.layout_.addWidget(self.readiness)
        self.finish_layout()
        self.setMinimumWidth(640)
        self.show_readiness()

    def _episode_changed(self, _index: int) -> None:
        clear_field_error(self, "episode_id")
        clear_field_error(self, "doses")  # "not enough stock for dose 2" was for the other
        self.show_readiness()

    def show_readiness(self) -> None:
        """What the patient needs and has, so the pharmacist sees the right patient."""
        episode_id = self.episode.value()
        if not episode_id:
            self.readiness.setText("")
            return
        try:
            row = toci_service.check_readiness(self.ctx, self.actor, episode_id)
        except ServiceError as exc:
            self.readiness.setText(f"⚠ {exc}")
            self.readiness.setStyleSheet(TOP_ERROR_STYLE)
            return
        self.readiness.setText(readiness_text(row))
        self.readiness.setStyleSheet(NOTE_STYLE)
        self.adjustSize()

    def submit(self) -> None:
        episode_id = self.episode.value()
        if not episode_id:
            self.show_problems([_no_patient_problem(self.episode.rows,
                                                    "is awaiting or after an infusion")])
            return
        ctx, actor, vial_ids, doses = self.ctx, self.actor, self.vial_ids, self.doses.value()
        if vial_ids:
            self.run(lambda: toci_service.reserve_for_episode(ctx, actor, episode_id,
                                                              vial_ids=vial_ids), self.saved)
        else:
            self.run(lambda: toci_service.reserve_for_episode(ctx, actor, episode_id,
                                                              doses=doses), self.saved)


class ReleaseDialog(_PatientFormDialog):
    def __init__(self, ctx: AppContext, actor: Actor, *, episode_id: int | None,
                 vial_ids: list[int], executor: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, title="Release a reservation", save_text="&Release",
                         executor=executor, parent=parent)
        self.vial_ids = vial_ids
        self.layout_.addLayout(self.form)
        # Patients holding reserved vials (a discharged one too: its vials go back to stock).
        self.episode = EpisodeChoice(_episode_rows(self, lambda r: r.vials_reserved > 0))
        self.episode.set_episode(episode_id)
        self.add_row("&Patient", self.episode, "episode_id", "vial_ids")
        what = (f"Vials {', '.join(map(str, vial_ids))}" if vial_ids
                else "Every vial reserved for this patient")
        self.form.addRow("Releases", QLabel(what))
        self.reason = named(QLineEdit(), "reason")
        self.reason.setPlaceholderText("e.g. infusion postponed")
        self.add_row("Rea&son", self.reason, "reason")
        self.episode.currentIndexChanged.connect(
            lambda _i: clear_field_error(self, "episode_id"))
        self.reason.textChanged.connect(lambda _t: clear_field_error(self, "reason"))
        self.finish_layout()
        self.setMinimumWidth(640)

    def submit(self) -> None:
        episode_id = self.episode.value()
        if not episode_id:
            self.show_problems([_no_patient_problem(self.episode.rows,
                                                    "has vials reserved")])
            return
        ctx, actor, reason = self.ctx, self.actor, self.reason.text().strip()
        vial_ids = self.vial_ids or None
        self.run(lambda: toci_service.release_reservation(ctx, actor, episode_id,
                                                          vial_ids=vial_ids, reason=reason),
                 self.saved)


class WasteDialog(FormDialog):
    def __init__(self, ctx: AppContext, actor: Actor, vial: VialRow, *, executor: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, title="Waste a vial", save_text="&Waste vial",
                         executor=executor, parent=parent)
        self.vial = vial
        self.layout_.addLayout(self.form)
        self.form.addRow("Vial", QLabel(
            f"{vial.id}: {strength_text(vial.strength_mg)}, batch {vial.batch}, expiry "
            f"{vial.expiry_date:%d %b %Y}, {vial.status.replace('_', ' ')}"))
        self.reason = named(QLineEdit(), "reason")
        self.reason.setPlaceholderText("e.g. vial dropped and broken")
        self.add_row("&Reason", self.reason, "reason", "vial_id")
        self.finish_layout()

    def submit(self) -> None:
        ctx, actor, vial_id, reason = self.ctx, self.actor, self.vial.id, self.reason.text()
        self.run(lambda: toci_service.waste_vial(ctx, actor, vial_id, reason=reason), self.saved)


# --------------------------------------------------------------------------------------------
# The panel
# --------------------------------------------------------------------------------------------


class StockPanel(QDialog):
    def __init__(self, ctx: AppContext, actor: Actor, *, episode_id: int | None = None,
                 executor: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.actor = actor
        self.episode_id = episode_id
        self.executor = executor
        self.changed = False  # something was written: the caller refreshes the board
        self.setWindowTitle("Tocilizumab stock (pharmacy)")
        today = local_date(ctx.clock(), ctx.tz)
        layout = QVBoxLayout(self)
        self.message = named(QLabel(), "stockMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.expiry_summary = named(QLabel(), "expirySummary")
        self.expiry_summary.setWordWrap(True)
        layout.addWidget(self.expiry_summary)

        self.line_model = StockLineModel(today, self)
        self.lines_view = _table(self.line_model, "stockLines")
        self.lines_view.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # soonest expiry first
        self.lines_view.setAccessibleName("Stock by strength, batch, expiry and location")
        lines_label = QLabel("&Stock by strength, batch, expiry and location")
        lines_label.setBuddy(self.lines_view)
        layout.addWidget(lines_label)
        layout.addWidget(self.lines_view, 2)

        self.vial_model = VialModel(today, self)
        self.vials_view = _table(self.vial_model, "vials")
        self.vials_view.sortByColumn(3, Qt.SortOrder.AscendingOrder)
        self.vials_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.vials_view.setAccessibleName("Usable vials")
        vials_label = QLabel("Usable &vials (select to reserve, release or waste)")
        vials_label.setBuddy(self.vials_view)
        layout.addWidget(vials_label)
        layout.addWidget(self.vials_view, 3)

        buttons = QHBoxLayout()
        self.receive_button = named(QPushButton("Re&ceive…"), "receive")
        self.reserve_button = named(QPushButton("&Reserve for patient…"), "reserve")
        self.release_button = named(QPushButton("Re&lease…"), "release")
        self.waste_button = named(QPushButton("&Waste vial…"), "waste")
        self.refresh_button = named(QPushButton("Re&fresh"), "refresh")
        self.close_button = named(QPushButton("Close"), "close")
        self.action_buttons = (self.receive_button, self.reserve_button, self.release_button,
                               self.waste_button)
        for button in (*self.action_buttons, self.refresh_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.receive_button.clicked.connect(self.receive)
        self.reserve_button.clicked.connect(self.reserve)
        self.release_button.clicked.connect(self.release)
        self.waste_button.clicked.connect(self.waste)
        self.refresh_button.clicked.connect(self.reload)
        self.close_button.clicked.connect(self.accept)
        self.vials_view.selectionModel().selectionChanged.connect(
            lambda *_a: self._update_buttons())

        self.may_manage = is_allowed(actor, Action.MANAGE_STOCK)
        QWidget.setTabOrder(self.lines_view, self.vials_view)
        previous: QWidget = self.vials_view
        for button in (*self.action_buttons, self.refresh_button, self.close_button):
            QWidget.setTabOrder(previous, button)
            previous = button
        self.reload()
        self.resize(980, 620)

    # --- data -------------------------------------------------------------------------------
    def reload(self) -> None:
        today = local_date(self.ctx.clock(), self.ctx.tz)
        self.line_model.today = self.vial_model.today = today
        try:
            lines = toci_service.list_stock(self.ctx, self.actor)
            vials = toci_service.list_vials(self.ctx, self.actor)  # in stock or reserved
        except ServiceError as exc:
            self.show_message(str(exc))
            self._update_buttons()
            return
        try:
            patients = toci_service.list_stock_episodes(self.ctx, self.actor)
        except ServiceError:  # the vials still show; "Reserved for" asks for a Refresh
            patients = []
        self.vial_model.patients = {p.episode_id: episode_short_text(p) for p in patients}
        self.line_model.set_rows(lines)
        self.vial_model.set_rows(vials)
        for view in (self.lines_view, self.vials_view):
            view.resizeColumnsToContents()
        soon = [v for v in vials if expiry_note(v.expiry_date, today)]
        if soon:
            self.expiry_summary.setText(
                f"⚠ {len(soon)} usable vial{'s' if len(soon) != 1 else ''} expire within "
                f"{EXPIRY_WARNING_DAYS} days (marked in the tables)")
            self.expiry_summary.setStyleSheet("QLabel { background: #fff3cd; padding: 4px; }")
        else:
            self.expiry_summary.setText(f"No usable vial expires within {EXPIRY_WARNING_DAYS} "
                                        "days.")
            self.expiry_summary.setStyleSheet(NOTE_STYLE)
        self._update_buttons()

    def show_message(self, text: str, error: bool = True) -> None:
        self.message.setText(("⚠ " if error else "") + text)
        self.message.setStyleSheet(TOP_ERROR_STYLE if error else NOTE_STYLE)
        self.message.show()

    def selected_vials(self) -> list[VialRow]:
        proxy = self.vials_view.model()
        rows = {i.row() for i in self.vials_view.selectionModel().selectedRows()}
        return [self.vial_model.row_at(proxy.mapToSource(proxy.index(r, 0)).row())  # type: ignore[attr-defined]
                for r in sorted(rows)]

    def _update_buttons(self) -> None:
        selected = self.selected_vials()
        if not self.may_manage:
            why = denial_message(self.actor, Action.MANAGE_STOCK)
            for button in self.action_buttons:
                button.setEnabled(False)
                button.setToolTip(why)
            return
        self.receive_button.setToolTip("Add a delivery of vials to stock")
        in_stock = [v for v in selected if v.status == "in_stock"]
        self.reserve_button.setEnabled(not selected or len(in_stock) == len(selected))
        self.reserve_button.setToolTip(
            "Reserve the selected vials for a patient" if selected
            else "Reserve enough stock for a number of doses for a patient")
        if not self.reserve_button.isEnabled():
            self.reserve_button.setToolTip("Only vials in stock can be reserved")
        reserved = [v for v in selected if v.status == "reserved"]
        self.release_button.setEnabled(not selected or len(reserved) == len(selected))
        self.release_button.setToolTip(
            "Release the selected reserved vials" if self.release_button.isEnabled()
            else "Select only reserved vials to release them")
        self.waste_button.setEnabled(len(selected) == 1)
        self.waste_button.setToolTip("Waste the selected vial, with a reason"
                                     if len(selected) == 1 else "Select one vial to waste")

    # --- actions ----------------------------------------------------------------------------
    def exec_form(self, dialog: FormDialog) -> bool:
        """Run one action form; on success reload the tables."""
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        if accepted:
            self.changed = True
            self.message.hide()
            self.reload()
        return accepted

    def _episode_of(self, vials: list[VialRow]) -> int | None:
        episodes = {v.reserved_episode_id for v in vials if v.reserved_episode_id is not None}
        return episodes.pop() if len(episodes) == 1 else self.episode_id

    def receive(self) -> bool:
        return self.exec_form(ReceiveDialog(self.ctx, self.actor, executor=self.executor,
                                            parent=self))

    def reserve(self) -> bool:
        ids = [v.id for v in self.selected_vials()]
        return self.exec_form(ReserveDialog(self.ctx, self.actor, episode_id=self.episode_id,
                                            vial_ids=ids, executor=self.executor, parent=self))

    def release(self) -> bool:
        selected = self.selected_vials()
        return self.exec_form(ReleaseDialog(
            self.ctx, self.actor, episode_id=self._episode_of(selected),
            vial_ids=[v.id for v in selected], executor=self.executor, parent=self))

    def waste(self) -> bool:
        selected = self.selected_vials()
        if len(selected) != 1:
            self.show_message("Select one vial to waste.")
            return False
        return self.exec_form(WasteDialog(self.ctx, self.actor, selected[0],
                                          executor=self.executor, parent=self))

    def keyPressEvent(self, event: Any) -> None:
        # Enter in a table must not close the panel (QDialog's default-button behaviour).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)
