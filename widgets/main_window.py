"""The ward application's main window: ward board, alerts, trend review and the patient view.

Every action calls one service with the logged-in actor through the single background
executor (ARCHITECTURE "Threads"); results come back on the GUI thread. The board polls
`list_ward` every few seconds (other workstations on PostgreSQL) and refreshes at once
after any write from here. Unsaved assessment forms are kept per episode as drafts while
the user looks at other patients.

Register / drug / discharge / death dialogs belong to another module: the window calls a
`dialogs` hook object (see `DialogHooks`) and refreshes when a hook reports a write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QWidget,
)

from app.actor import Actor
from app.clock import format_local
from app.context import AppContext
from app.errors import ServiceError
from app.executor import Executor
from app.permissions import Action, denial_message, is_allowed
from app.rows import (
    AlertRow,
    AssessmentRow,
    EpisodeHeader,
    PlannedRow,
    Timeline,
    TrendRow,
    WardRow,
)
from app.services import alerts as alert_service
from app.services import ward as ward_service
from app.ui_settings import UiSettings
from widgets.alerts_panel import AlertsPanel
from widgets.assessment_form import uses_capd
from widgets.grade_chip import grade_text, news2_text
from widgets.patient_view import TAB_ASSESSMENT, TAB_TIMELINE, PatientView
from widgets.planned_table import PlannedTable
from widgets.trend_grid import TrendGrid
from widgets.ward_board import WardBoard

if TYPE_CHECKING:
    from widgets.escalation_dialog import EscalationDialog

# Imported where used, not here: app.services.assessments (validation) and the escalation
# dialog are not needed to paint the ward board at start-up (bench/gui.py).

TAB_BOARD = 0
TAB_ALERTS = 1
TAB_TRENDS = 2
TAB_PATIENT = 3
POLL_MS = 5000  # issue 4: other workstations' writes appear within 5 s


class DialogHooks(Protocol):
    """Dialogs owned by another module. Each returns True when it stored something."""

    def register_patient(self, parent: QWidget) -> bool: ...
    def record_administration(self, parent: QWidget, episode_id: int) -> bool: ...
    def record_discharge(self, parent: QWidget, episode_id: int) -> bool: ...
    def record_death(self, parent: QWidget, episode_id: int) -> bool: ...
    def record_infusion(self, parent: QWidget, episode_id: int) -> bool: ...
    def record_icu_transfer(self, parent: QWidget, episode_id: int) -> bool: ...
    def update_weight(self, parent: QWidget, episode_id: int) -> bool: ...
    def stock_panel(self, parent: QWidget) -> bool: ...


@dataclass(frozen=True)
class Snapshot:
    """One poll: everything the visible screens need, read in one background job."""

    ward: list[WardRow]
    planned: list[PlannedRow]  # registered, awaiting infusion (not on the board yet)
    header: EpisodeHeader | None
    timeline: Timeline | None
    trend: list[TrendRow] | None


# What the status bar says after a dialog saved (the dialog itself has closed).
HOOK_DONE = {
    "register_patient": "Patient registered",
    "record_administration": "Drug given recorded",
    "record_discharge": "Discharge recorded",
    "record_death": "Death recorded",
    "record_infusion": "CAR-T infusion recorded",
    "record_icu_transfer": "ICU transfer recorded",
    "update_weight": "Weight updated",
}


def _clear_other(chosen: QAbstractItemView, other: QAbstractItemView) -> None:
    if chosen.selectionModel().hasSelection():
        other.clearSelection()


def saved_summary(row: AssessmentRow, tz: Any) -> str:
    word = "Already saved" if row.already_stored else "Saved"
    crs = grade_text("CRS", row.crs_grade, row.crs_at_least)
    text = (f"{word}: {format_local(row.assessed_at, tz)} — {crs}, "
            f"{grade_text('ICANS', row.icans_grade, row.icans_at_least)}")
    if row.crs_missing:  # say what would complete it, not just "≥"
        text += f" (CRS: {', '.join(row.crs_missing)} not recorded)"
    return text


class MainWindow(QMainWindow):
    # The session (widgets.session_shell) answers these: back to the login, or lock now.
    switch_user_requested = Signal()
    lock_requested = Signal()

    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        executor: Executor,
        *,
        dialogs: DialogHooks | None = None,
        settings: UiSettings | None = None,
        poll_ms: int = POLL_MS,
        demo: bool = False,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.actor = actor
        self.executor = executor
        self.dialogs = dialogs
        self.settings = settings
        self.drafts: dict[int, dict[str, Any]] = {}
        self.ward_rows: list[WardRow] = []
        self._polling = False
        self._pending_day: int | None = None
        # (episode, on the board (else Awaiting infusion), snapshots left to try)
        self._highlight_planned: tuple[int, bool, int] | None = None
        self.escalation_dialog: EscalationDialog | None = None
        self.print_preview: QDialog | None = None
        self.audit_window: QWidget | None = None
        self.role_page: QWidget | None = None
        self._covered: QWidget | None = None  # the page hidden under the lock screen
        # Nurses and haematologists see the ward; a pharmacist lands on the stock panel and
        # an administrator on user management, neither ever loads clinical data (SAFETY.md).
        self.clinical = is_allowed(actor, Action.VIEW_WARD)
        self.setWindowTitle("CAR-T ward monitor" + (" — DEMO DATA" if demo else ""))
        self.setObjectName("mainWindow")

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.board = WardBoard(ctx.tz)
        # Registered patients not yet infused: the infusion is recorded from here (RULES E6).
        self.planned = PlannedTable()
        self.board_page = QSplitter(Qt.Orientation.Vertical)
        self.board_page.setObjectName("boardPage")
        self.board_page.addWidget(self.board)
        self.board_page.addWidget(self.planned)
        self.board_page.setStretchFactor(0, 4)
        self.board_page.setStretchFactor(1, 1)
        self.board_page.setChildrenCollapsible(False)
        self.alerts_panel = AlertsPanel(ctx.tz)
        self.trend_grid = TrendGrid()
        self.patient_view = PatientView(now=ctx.clock, tz=ctx.tz, drugs_source=self._drugs_since)
        self.tabs.addTab(self.board_page, "Ward board")
        self.tabs.addTab(self.alerts_panel, "Alerts")
        self.tabs.addTab(self.trend_grid, "Trend review")
        self.tabs.addTab(self.patient_view, "Patient")
        self.tabs.setTabEnabled(TAB_PATIENT, False)
        self.tabs.currentChanged.connect(self._tab_changed)
        if self.clinical:
            self.setCentralWidget(self.tabs)
        else:
            self.role_page = self._build_role_page()
            self.setCentralWidget(self.role_page)

        self.board.open_episode.connect(self.open_episode)
        self.planned.infusion_requested.connect(self._record_infusion_for)
        # One highlighted patient on the board page: choosing a row in one list clears the
        # other, so the Record menu never acts on a row the user has moved away from.
        for chosen, other in ((self.board.table, self.planned.table),
                              (self.planned.table, self.board.table)):
            chosen.selectionModel().selectionChanged.connect(
                lambda *_, chosen=chosen, other=other: _clear_other(chosen, other))
        self.alerts_panel.open_episode.connect(self.open_episode)
        self.trend_grid.open_day.connect(self.open_episode_day)
        self.trend_grid.open_episode.connect(self.open_episode)
        self.patient_view.save_requested.connect(self._save_assessment)
        self.patient_view.banner.record_discussion_requested.connect(self.record_discussion_for)
        self.patient_view.banner.acknowledge_requested.connect(self.acknowledge)
        self.patient_view.banner.reload_requested.connect(self._after_write)
        self.patient_view.timeline_view.amend_requested.connect(self.amend)
        self.patient_view.timeline_view.error_requested.connect(self.entered_in_error)

        self._build_actions()
        self.user_label = QLabel(
            f"Signed in as {actor.username} · role: {actor.role.value} · "
            f"workstation {actor.workstation}")
        self.user_label.setObjectName("userLabel")
        self.refresh_label = QLabel()
        self.statusBar().addWidget(self.user_label, 1)
        self.statusBar().addPermanentWidget(self.refresh_label)

        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(poll_ms)
        self.poll_timer.timeout.connect(self.refresh)
        if poll_ms > 0 and self.clinical:
            self.poll_timer.start()
        self._restore_settings()

    # --- actions ------------------------------------------------------------------------------
    def _action(
        self, text: str, slot: Callable[[], object], shortcut: str | QKeySequence.StandardKey = "",
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName("action_" + text.replace("&", "").replace("…", "").replace(" ", "_"))
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{text.replace('&', '')} ({action.shortcut().toString()})"
                          if shortcut else text.replace("&", ""))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def identity_line(self, episode_id: int) -> str:
        """Name, NHS (or hospital) number, date of birth and bed of one episode's patient,
        from the open patient's header when it is that episode, else from the board row."""
        header = self.patient_view.header
        if header is not None and header.episode_id == episode_id:
            name, nhs, hospital = header.name, header.nhs_number, header.hospital_number
            born, bed = header.date_of_birth, header.bed
        elif (number := self.board.model.row_for_episode(episode_id)) is not None:
            row = self.board.model.row_at(number)
            name, nhs, hospital = row.patient_name, row.nhs_number, row.hospital_number
            born, bed = row.date_of_birth, row.bed
        else:  # not on the board (discharged since): the service still checks the alert id
            return "patient no longer on the ward board — refresh (F5) and check the alert"
        number_text = f"NHS {nhs}" if nhs else f"hospital no. {hospital}"
        return f"{name} · {number_text} · born {born:%d %b %Y} · bed {bed or '—'}"

    def _show_registered(self) -> None:
        """After a registration: the new patient highlighted under "Awaiting infusion", the
        keyboard there, so Enter goes straight on to the infusion when it is due."""
        episode_id = getattr(self.dialogs, "last_registered_episode_id", None)
        if episode_id is None:
            return
        self._highlight_later(episode_id, on_board=False)

    def _highlight_later(self, episode_id: int, *, on_board: bool) -> None:
        """Highlight the patient just registered (under Awaiting infusion) or just infused
        (on the board), with the keyboard there, so the next Record command is for them.
        The refresh runs on the worker: the row is highlighted once a snapshot holds it
        (the poll already running when the dialog closed may not; the next one will)."""
        self.tabs.setCurrentIndex(TAB_BOARD)
        self._highlight_planned = (episode_id, on_board, 3)
        self._apply_planned_highlight()

    def _apply_planned_highlight(self) -> None:
        if self._highlight_planned is None:
            return
        episode_id, on_board, snapshots_left = self._highlight_planned
        found = (self.board.select_episode(episode_id) if on_board
                 else self.planned.select_episode(episode_id))
        if found:
            (self.board.table if on_board else self.planned.table).setFocus(
                Qt.FocusReason.OtherFocusReason)
            self._highlight_planned = None
        else:
            self._highlight_planned = ((episode_id, on_board, snapshots_left - 1)
                                       if snapshots_left > 1 else None)

    def _record_infusion_for(self, episode_id: int) -> None:
        """Enter on an "Awaiting infusion" row: the infusion dialog for that patient."""
        self.planned.select_episode(episode_id)
        self._hook("record_infusion", True)()

    def _patient_name(self, episode_id: int) -> str:
        header = self.patient_view.header
        if header is not None and header.episode_id == episode_id:
            return header.name
        number = self.board.model.row_for_episode(episode_id)
        if number is not None:
            return self.board.model.row_at(number).patient_name
        planned = next((r for r in self.planned.rows() if r.episode_id == episode_id), None)
        return planned.patient_name if planned is not None else ""

    def _hook(self, name: str, needs_patient: bool) -> Callable[[], None]:
        done = HOOK_DONE.get(name)

        def call() -> None:
            hook = getattr(self.dialogs, name, None)
            if hook is None:
                return
            whom = ""
            episode_id: int | None = None
            if needs_patient:
                episode_id = self.current_episode_id()
                if episode_id is None:
                    self.statusBar().showMessage(self._choose_first(), 5000)
                    return
                changed = hook(self, episode_id)
                whom = self._patient_name(episode_id)
            else:
                changed = hook(self)
            if changed:
                if done:  # a visible confirmation that the write happened, and for whom
                    self.statusBar().showMessage(f"{done}{' for ' + whom if whom else ''}.",
                                                 10000)
                self.refresh()
                if name == "register_patient":
                    self._show_registered()
                elif name == "record_infusion" and episode_id is not None:
                    self._highlight_later(episode_id, on_board=True)

        return call

    def _build_actions(self) -> None:
        a = self._action
        self.refresh_action = a("&Refresh", self.refresh, "F5")
        self.board_action = a("Ward &board", lambda: self.tabs.setCurrentIndex(TAB_BOARD),
                              "Ctrl+1")
        self.alerts_action = a("&Alerts", lambda: self.tabs.setCurrentIndex(TAB_ALERTS), "Ctrl+2")
        self.trends_action = a("&Trend review", lambda: self.tabs.setCurrentIndex(TAB_TRENDS),
                               "Ctrl+3")
        self.patient_action = a("&Patient", self._show_patient_tab, "Ctrl+4")
        self.find_action = a("&Find patient", self._find, "Ctrl+F")
        self.awaiting_action = a("Awaiting infusi&on", self._show_awaiting, "Ctrl+5",
                                 "The registered patients not yet infused, under the board")
        self.switch_user_action = a("S&witch user", self.switch_user_requested.emit,
                                    "Ctrl+Shift+L", "Back to the login: the next person signs in")
        self.lock_action = a("&Lock screen", self.lock_requested.emit, "Ctrl+L",
                             "Hide patient data now; unlock with your password or PIN")
        self.quit_action = a("&Quit", self.close, "Ctrl+Q")
        self.assess_action = a("New &assessment", self._new_assessment, "Ctrl+N",
                               "Enter an observation set for the open patient")
        self.discussion_action = a("Record critical-care &discussion…", self._discussion_current,
                                   "Ctrl+Shift+D")
        self.ack_action = a("Ac&knowledge alert", self._acknowledge_current, "Ctrl+Shift+K")
        self.resolve_action = a("Resol&ve alert…", self._resolve_current, "",
                                "Close the open patient's alert with a reason (not the "
                                "critical-care alert: record the discussion for that one)")
        self.export_action = a("Export trajectories &PNG…", self._export_png, "Ctrl+E")
        self.register_action = a("&Register patient…", self._hook("register_patient", False),
                                 "Ctrl+R")
        self.drug_action = a("Record drug &given…", self._hook("record_administration", True),
                             "Ctrl+G")
        self.discharge_action = a("Record disc&harge…", self._hook("record_discharge", True))
        self.death_action = a("Record d&eath…", self._hook("record_death", True))
        self.icu_action = a("Record ICU &transfer…", self._hook("record_icu_transfer", True),
                            "", "The patient moved to intensive care (stays on the board)")
        self.weight_action = a("Update &weight…", self._hook("update_weight", True), "",
                               "Re-weigh or correct the weight tocilizumab doses use")
        self.infusion_action = a("Record CAR-T &infusion…", self._hook("record_infusion", True),
                                 "", "Day 0, after the tocilizumab readiness check")
        self.stock_action = a("Tocilizumab &stock…", self._hook("stock_panel", False), "",
                              "Vials by strength, batch and expiry")
        self.print_handover_action = a("Print &handover…", self.print_handover, "Ctrl+P",
                                       "Preview, print or save the ward handover sheet")
        self.summary_action = a("Patient &summary…", self.print_patient_summary, "",
                                "Preview, print or save the open patient's day 0-28 course")
        self.registry_action = a("Re&gistry export…", self.registry_export, "",
                                 "Identifiable CSV for the CAR-T registries")
        self.audit_action = a("Audit &trail…", self.open_audit_viewer, "",
                              "Who did what, with before and after")
        self.about_action = a("&About", self._about)
        for action, name in ((self.register_action, "register_patient"),
                             (self.drug_action, "record_administration"),
                             (self.discharge_action, "record_discharge"),
                             (self.death_action, "record_death"),
                             (self.icu_action, "record_icu_transfer"),
                             (self.weight_action, "update_weight"),
                             (self.infusion_action, "record_infusion"),
                             (self.stock_action, "stock_panel")):
            available = getattr(self.dialogs, name, None) is not None
            action.setEnabled(available)
            if not available:
                action.setToolTip(action.toolTip() + " — not available in this build")
        self._apply_permissions()
        self.alerts_panel.add_commands(
            [self.discussion_action, self.ack_action, self.resolve_action])

        menus = self.menuBar()
        ward = menus.addMenu("&Ward")
        for action in (self.refresh_action, self.board_action, self.alerts_action,
                       self.trends_action, self.patient_action, self.find_action,
                       self.awaiting_action):
            ward.addAction(action)
        ward.addSeparator()
        ward.addAction(self.switch_user_action)
        ward.addAction(self.lock_action)
        ward.addAction(self.quit_action)
        record = menus.addMenu("Re&cord")
        for action in (self.assess_action, self.discussion_action, self.ack_action,
                       self.resolve_action):
            record.addAction(action)
        record.addSeparator()
        for action in (self.register_action, self.infusion_action, self.drug_action,
                       self.weight_action, self.icu_action, self.discharge_action,
                       self.death_action, self.stock_action):
            record.addAction(action)
        record.addSeparator()
        record.addAction(self.export_action)
        # Print and Info take no Alt+letter: P and I belong to the form's SpO2 and the
        # patient's Timeline tab, used far more often (Alt+W, then Right, reaches them).
        reports = menus.addMenu("Print")
        for action in (self.print_handover_action, self.summary_action, self.registry_action):
            reports.addAction(action)
        info = menus.addMenu("Info")
        info.addAction(self.audit_action)
        info.addAction(self.about_action)
        for menu in (ward, record, reports, info):
            menu.setToolTipsVisible(True)  # a disabled entry says why

        toolbar = QToolBar("Main toolbar")
        toolbar.setObjectName("mainToolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        if self.clinical:
            for action in (self.refresh_action, self.board_action, self.alerts_action,
                           self.trends_action, self.patient_action, self.assess_action,
                           self.discussion_action, self.register_action, self.drug_action,
                           self.print_handover_action):
                toolbar.addAction(action)
            toolbar.addSeparator()
        toolbar.addAction(self.lock_action)
        toolbar.addAction(self.switch_user_action)
        self.toolbar = toolbar
        self.addToolBar(toolbar)

    def permission_map(self) -> dict[QAction, Action]:
        """Each main action and the permission it needs (SAFETY.md "Who may do what")."""
        return {
            self.refresh_action: Action.VIEW_WARD,
            self.board_action: Action.VIEW_WARD,
            self.alerts_action: Action.VIEW_WARD,
            self.trends_action: Action.VIEW_WARD,
            self.patient_action: Action.VIEW_WARD,
            self.find_action: Action.VIEW_WARD,
            self.awaiting_action: Action.VIEW_WARD,
            self.export_action: Action.VIEW_WARD,
            self.assess_action: Action.RECORD_ASSESSMENT,
            self.discussion_action: Action.RECORD_DISCUSSION,
            self.ack_action: Action.ACKNOWLEDGE_ALERT,
            self.resolve_action: Action.RESOLVE_ALERT,
            self.register_action: Action.REGISTER_PATIENT,
            self.drug_action: Action.RECORD_ADMINISTRATION,
            self.discharge_action: Action.REGISTER_PATIENT,
            self.death_action: Action.REGISTER_PATIENT,
            self.icu_action: Action.RECORD_ASSESSMENT,  # as patients.record_icu_transfer
            self.weight_action: Action.RECORD_ASSESSMENT,  # as patients.update_weight
            self.infusion_action: Action.RECORD_ADMINISTRATION,
            self.stock_action: Action.VIEW_STOCK,
            self.print_handover_action: Action.PRINT_HANDOVER,
            self.summary_action: Action.PRINT_HANDOVER,
            self.registry_action: Action.REGISTRY_EXPORT,
            self.audit_action: Action.VIEW_AUDIT,
        }

    def _apply_permissions(self) -> None:
        # The services refuse anyway (they are the authority); the GUI mirrors them so
        # nobody is offered an action only to be told no.
        for action, needed in self.permission_map().items():
            if is_allowed(self.actor, needed):
                continue
            why = denial_message(self.actor, needed)
            action.setEnabled(False)
            action.setToolTip(why)
            action.setStatusTip(why)
        if not self.clinical:
            # A pharmacist's stock panel is the page itself, not a dialog over the ward.
            self.stock_action.setEnabled(False)

    def _build_role_page(self) -> QWidget:
        """The page of a role that sees no clinical data: stock (pharmacist) or users."""
        if is_allowed(self.actor, Action.MANAGE_STOCK):
            return _embedded_stock_panel(self.ctx, self.actor, self.executor, self)
        if is_allowed(self.actor, Action.MANAGE_USERS):
            from widgets.users_panel import UsersPanel

            return UsersPanel.for_actor(self.ctx, self.actor, self)
        page = QLabel("This account's role has no screens yet: ask an administrator.")
        page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return page

    # --- polling ------------------------------------------------------------------------------
    def current_episode_id(self) -> int | None:
        """The patient every patient action acts on: the one highlighted on the tab being
        looked at (the open patient, the highlighted alert or trend row, the highlighted row
        of the board or of Awaiting infusion) — never one on another tab, out of sight."""
        tab = self.tabs.currentIndex()
        if tab == TAB_PATIENT:
            return self.patient_view.episode_id
        if tab == TAB_ALERTS:
            selected = self.alerts_panel.selected_alert()
            return selected.episode_id if selected is not None else None
        if tab == TAB_TRENDS:
            return self.trend_grid.selected_episode()
        return self.planned.selected_episode_id() or self.board.selected_episode()

    def _choose_first(self) -> str:
        """What to do when nothing is highlighted on the tab being looked at."""
        if self.tabs.currentIndex() == TAB_ALERTS:
            return "Highlight the alert to act on first."
        return "Open or select a patient first."

    def _read_snapshot(self, episode_id: int | None, trends: bool) -> Snapshot:
        # Runs on the worker: plain service calls only, never a widget.
        ctx, actor = self.ctx, self.actor
        ward = ward_service.list_ward(ctx, actor)
        planned = ward_service.list_planned(ctx, actor)
        header = timeline = None
        if episode_id is not None:
            header = ward_service.episode_header(ctx, actor, episode_id)
            timeline = ward_service.patient_timeline(ctx, actor, episode_id)
        trend = ward_service.trend_grid(ctx, actor) if trends else None
        return Snapshot(ward, planned, header, timeline, trend)

    def refresh(self) -> None:
        if self._polling or not self.clinical or self._covered is not None:
            return  # the previous poll is still running, no ward to show, or locked
        self._polling = True
        episode_id = self.patient_view.episode_id
        trends = self.tabs.currentIndex() == TAB_TRENDS
        self.executor.submit(
            lambda: self._read_snapshot(episode_id, trends),
            self._apply_snapshot,
            self._poll_failed,
        )

    def _apply_snapshot(self, snapshot: Snapshot) -> None:
        self._polling = False
        now = self.ctx.clock()
        self.ward_rows = snapshot.ward
        self.board.model.now = now
        self.board.set_rows(snapshot.ward)
        self.planned.set_rows(snapshot.planned)
        self._apply_planned_highlight()
        self.alerts_panel.set_rows(snapshot.ward, now)
        open_count = sum(len(r.open_alerts) for r in snapshot.ward)
        self.tabs.setTabText(TAB_ALERTS, f"Alerts ({open_count})")
        if snapshot.header is not None and snapshot.header.episode_id == (
            self.patient_view.episode_id
        ):
            self.patient_view.update_header(snapshot.header)
            if snapshot.timeline is not None:
                self.patient_view.set_timeline(snapshot.timeline)
        if snapshot.trend is not None:
            self.trend_grid.set_rows(snapshot.trend)
        self.refresh_label.setText(f"Updated {format_local(now, self.ctx.tz)[-5:]}")

    def _poll_failed(self, error: BaseException) -> None:
        self._polling = False
        self.refresh_label.setText("Update failed")
        self.statusBar().showMessage(f"Could not read the ward: {error}", 10000)

    def _tab_changed(self, index: int) -> None:
        if index == TAB_TRENDS and self.clinical:
            self.executor.submit(lambda: ward_service.trend_grid(self.ctx, self.actor),
                                 self.trend_grid.set_rows, self._show_error)

    # --- opening patients -------------------------------------------------------------------
    def _drugs_since(self, episode_id: int) -> list[Any]:
        """The assessment form's "drugs given since the last set" (RULES C2/C5)."""
        from app.services import administrations as administration_service

        return administration_service.drugs_since_last_assessment(
            self.ctx, self.actor, episode_id)

    def _keep_draft(self) -> None:
        form = self.patient_view.form
        episode_id = self.patient_view.episode_id
        if form is None or episode_id is None:
            return
        if form.is_dirty() and form.amend_target is None:
            self.drafts[episode_id] = form.draft()
        else:
            self.drafts.pop(episode_id, None)

    def open_episode(self, episode_id: int) -> None:
        self.open_episode_day(episode_id, None)

    def ask_leave_amendment(self) -> bool:
        """Leaving a patient with an amendment typed: discard it? (a seam tests patch)."""
        header = self.patient_view.header
        name = header.name if header else "this patient"
        box = QMessageBox(
            QMessageBox.Icon.Question, "Discard the amendment?",
            f"You are amending an assessment of {name}. Opening another patient discards "
            "the amendment (the saved assessment is unchanged).",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # the safe choice on Enter
        return box.exec() == QMessageBox.StandardButton.Discard

    def open_episode_day(self, episode_id: int, day: int | None) -> None:
        form = self.patient_view.form
        leaving = self.patient_view.episode_id not in (None, episode_id)
        if (leaving and form is not None and form.amend_target is not None
                and not self.ask_leave_amendment()):
            self.tabs.setCurrentIndex(TAB_PATIENT)  # back to the amendment, as typed
            return

        def job() -> tuple[EpisodeHeader, Timeline]:
            return (ward_service.episode_header(self.ctx, self.actor, episode_id),
                    ward_service.patient_timeline(self.ctx, self.actor, episode_id))

        self._pending_day = day
        self.executor.submit(job, self._show_episode, self._show_error)

    def _show_episode(self, loaded: tuple[EpisodeHeader, Timeline]) -> None:
        header, timeline = loaded
        episode_id = header.episode_id
        form = self.patient_view.form
        if (self.patient_view.episode_id == episode_id and form is not None
                and form.uses_capd == uses_capd(header.age_years, header.developmental_delay)):
            # The patient already open (from the alerts panel, the board or the trend grid):
            # keep the form with whatever is typed in it; only the header and timeline move on.
            self.patient_view.update_header(header)
            self.patient_view.set_timeline(timeline)
            self._finish_opening(header)
            return
        self._keep_draft()

        from app.services import assessments as assessment_service

        def preview(values: dict[str, Any]) -> Any:
            # A read of a few milliseconds: stays on the GUI thread (ARCHITECTURE "Threads").
            return assessment_service.preview_assessment(self.ctx, episode_id, values)

        self.patient_view.show_patient(header, timeline, preview, self.drafts.get(episode_id))
        self._finish_opening(header)

    def _finish_opening(self, header: EpisodeHeader) -> None:
        self.tabs.setTabEnabled(TAB_PATIENT, True)
        self.tabs.setTabText(TAB_PATIENT, f"Patient: {header.name}")
        self.tabs.setCurrentIndex(TAB_PATIENT)
        if self._pending_day is not None:
            day, self._pending_day = self._pending_day, None
            self.patient_view.tabs.setCurrentIndex(TAB_TIMELINE)
            if not self.patient_view.timeline_view.show_day(day):
                # Say so: otherwise the day last highlighted reads as the day asked for.
                self.patient_view.timeline_view.clear_current()
                message = (f"Day {day} is not reached yet (today is D+{header.day})."
                           if header.day is not None and day > header.day
                           else f"No assessments recorded on day {day}.")
                self.statusBar().showMessage(message, 10000)
        else:
            self.patient_view.focus_form()

    def _show_patient_tab(self) -> None:
        if self.tabs.isTabEnabled(TAB_PATIENT):
            self.tabs.setCurrentIndex(TAB_PATIENT)
        elif (episode_id := self.board.selected_episode()) is not None:
            self.open_episode(episode_id)

    def _show_awaiting(self) -> None:
        self.tabs.setCurrentIndex(TAB_BOARD)
        rows = self.planned.rows()
        if not rows:
            self.statusBar().showMessage("No patients awaiting infusion.", 5000)
            return
        if self.planned.selected_episode_id() is None:
            self.planned.select_episode(rows[0].episode_id)
        self.planned.focus_table()

    def _find(self) -> None:
        self.tabs.setCurrentIndex(TAB_BOARD)
        self.board.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.board.filter_edit.selectAll()

    def _new_assessment(self) -> None:
        if self.patient_view.episode_id is None:
            self._show_patient_tab()
            return
        self.tabs.setCurrentIndex(TAB_PATIENT)
        self.patient_view.focus_form()

    # --- writes -----------------------------------------------------------------------------
    def _after_write(self) -> None:
        self._polling = False
        self.refresh()

    def _show_error(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, ServiceError) else f"Unexpected error: {error}"
        self.statusBar().showMessage(message, 15000)
        self.show_message("Not done", message)

    def show_message(self, title: str, text: str) -> None:
        """One seam for message boxes (tests replace it)."""
        QMessageBox.warning(self, title, text)

    def ask_reason(self, title: str, prompt: str) -> str | None:
        """One seam for reason prompts (tests replace it)."""
        text, ok = QInputDialog.getText(self, title, prompt)
        return text.strip() if ok and text.strip() else None

    def _save_assessment(self, values: dict[str, Any], confirmations: dict[str, str],
                         key: str) -> None:
        form = self.patient_view.form
        episode_id = self.patient_view.episode_id
        if form is None or episode_id is None:
            return
        target = form.amend_target
        reason = form.amend_reason_text()
        ctx, actor = self.ctx, self.actor
        from app.services import assessments as assessment_service

        def job() -> AssessmentRow:
            if target is not None:
                return assessment_service.amend_assessment(
                    ctx, actor, target.id, values, reason=reason,
                    confirmations=confirmations or None)
            return assessment_service.record_assessment(
                ctx, actor, episode_id, values, confirmations=confirmations or None,
                idempotency_key=key)

        def done(row: AssessmentRow) -> None:
            form.save_succeeded(saved_summary(row, ctx.tz))
            self.drafts.pop(episode_id, None)
            self.statusBar().showMessage(saved_summary(row, ctx.tz), 10000)
            self._after_write()

        self.executor.submit(job, done, form.save_failed)

    def record_discussion_for(self, alert: AlertRow) -> EscalationDialog:
        """Open the discussion dialog (non-blocking); it closes only once stored."""
        from widgets.escalation_dialog import EscalationDialog

        # SAFETY.md: the identity shown is the alert's own patient, never the open one's.
        patient = self.identity_line(alert.episode_id)
        dialog = EscalationDialog(alert, patient, now=self.ctx.clock(), tz=self.ctx.tz,
                                  parent=self)

        def submit(values: dict[str, Any]) -> None:
            def job() -> AlertRow:  # the alert as the dialog now holds it (after a reload)
                return alert_service.record_discussion(
                    self.ctx, self.actor, dialog.alert.id,
                    expected_version=dialog.alert.version, **values)

            def done(_row: AlertRow) -> None:
                dialog.saved()
                self.statusBar().showMessage("Critical-care discussion recorded.", 10000)
                self._after_write()

            self.executor.submit(job, done, dialog.show_error)

        def reload_alert() -> AlertRow:
            rows = alert_service.list_alerts(self.ctx, self.actor, alert.episode_id)
            return next(a for a in rows if a.id == alert.id)

        dialog.submit = submit
        dialog.reload_alert = reload_alert
        self.escalation_dialog = dialog
        dialog.open()
        return dialog

    def acknowledge(self, alert: AlertRow, patient: str | None = None) -> None:
        def job() -> AlertRow:
            return alert_service.acknowledge_alert(
                self.ctx, self.actor, alert.id, expected_version=alert.version)

        def done(_row: AlertRow) -> None:
            whom = f" for {patient}" if patient else ""
            pending = (" — the discussion with critical care is still to be recorded"
                       if alert.kind == "critical_care" else "")
            self.statusBar().showMessage(f"Alert acknowledged{whom}{pending}.", 10000)
            self._after_write()

        def failed(error: BaseException) -> None:
            from app.errors import StaleEdit

            if isinstance(error, StaleEdit):  # another workstation was first: offer a reload
                self.patient_view.banner.show_conflict(str(error))
            else:
                self._show_error(error)

        self.executor.submit(job, done, failed)

    def _current_patient_alerts(self) -> tuple[str, tuple[AlertRow, ...]] | None:
        """(patient name, open alerts) of the patient the alert shortcuts act on: the same
        patient as every other patient action (`current_episode_id`): the open patient on
        the patient tab, the highlighted alert on the alerts tab, the highlighted row on
        the board."""
        episode_id = self.current_episode_id()
        if episode_id is None:
            return None
        header = self.patient_view.header
        if header is not None and header.episode_id == episode_id:
            return header.name, header.open_alerts
        number = self.board.model.row_for_episode(episode_id)
        if number is None:
            return None
        row = self.board.model.row_at(number)
        return row.patient_name, row.open_alerts

    def _selected_alert(self) -> AlertRow | None:
        """The alert highlighted on the alerts tab, when that tab is the one showing: the
        alert commands then act on exactly that alert, not on one picked for the user."""
        if self.tabs.currentIndex() != TAB_ALERTS:
            return None
        selected = self.alerts_panel.selected_alert()
        return selected.alert if selected is not None else None

    def _open_critical_alert(self) -> AlertRow | None:
        current = self._current_patient_alerts()
        if current is None:
            return None
        return next((a for a in current[1] if a.kind == "critical_care"), None)

    def _discussion_current(self) -> None:
        current = self._current_patient_alerts()
        alert = self._open_critical_alert()  # the discussion is about the patient (RULES E1)
        if current is None:
            self.statusBar().showMessage(self._choose_first(), 5000)
            return
        if alert is None:
            self.statusBar().showMessage(f"No open critical-care alert for {current[0]}.", 5000)
            return
        self.record_discussion_for(alert)

    def _acknowledge_current(self) -> None:
        current = self._current_patient_alerts()
        if current is None:
            self.statusBar().showMessage(self._choose_first(), 5000)
            return
        name, open_alerts = current
        alert = (self._selected_alert() or self._open_critical_alert()
                 or next(iter(open_alerts), None))
        if alert is None:
            self.statusBar().showMessage(f"No open alert for {name}.", 5000)
            return
        self.acknowledge(alert, patient=name)

    def amend(self, row: AssessmentRow) -> None:
        form = self.patient_view.form
        if form is None:
            return
        if form.is_dirty() and not form.confirm_discard():
            return
        self.patient_view.tabs.setCurrentIndex(TAB_ASSESSMENT)
        form.start_amend(row, format_local(row.assessed_at, self.ctx.tz))

    def entered_in_error(self, row: AssessmentRow) -> None:
        from widgets.timeline_view import observations_text

        when = format_local(row.assessed_at, self.ctx.tz)
        # Name the patient and the set itself, so the wrong set is hard to pick (SAFETY.md).
        prompt = (f"{self.identity_line(row.episode_id)}\n"
                  f"Assessment of {when}: {grade_text('CRS', row.crs_grade, row.crs_at_least)}, "
                  f"{grade_text('ICANS', row.icans_grade, row.icans_at_least)}, "
                  f"{news2_text(row.news2_total, row.news2_risk)}\n"
                  f"{observations_text(row)}\n\n"
                  "Why is it entered in error? (it stays readable, struck through, and "
                  "no longer counts for grades or alerts)")
        reason = self.ask_reason("Mark entered in error", prompt)
        if reason is None:
            self.statusBar().showMessage(
                f"Not marked: the assessment of {when} is unchanged (a reason is needed).",
                8000)
            return
        from app.services import assessments as assessment_service

        def done(_row: AssessmentRow) -> None:
            self.statusBar().showMessage(f"Assessment of {when} marked entered in error.", 10000)
            self._after_write()

        self.executor.submit(
            lambda: assessment_service.mark_entered_in_error(
                self.ctx, self.actor, row.id, reason=reason),
            done,
            self._show_error,
        )

    def _resolve_current(self) -> None:
        current = self._current_patient_alerts()
        if current is None:
            self.statusBar().showMessage(self._choose_first(), 5000)
            return
        name, open_alerts = current
        selected = self._selected_alert()
        # RULES E1: a critical-care alert closes only with its recorded discussion.
        alert = (selected if selected is not None and selected.kind != "critical_care"
                 else None if selected is not None
                 else next((a for a in open_alerts if a.kind != "critical_care"), None))
        if alert is None:
            message = (
                "The critical-care alert closes when the discussion is recorded: use "
                "Record critical-care discussion… (Ctrl+Shift+D)."
                if open_alerts else f"No open alert for {name}."
            )
            self.statusBar().showMessage(message, 8000)
            return
        reason = self.ask_reason(
            "Resolve alert",
            f"Resolve “{alert.title}” for {self.identity_line(alert.episode_id)}?\n"
            "Why is this alert resolved? (the reason is kept in the audit trail)")
        if reason is None:
            self.statusBar().showMessage(
                f"Not resolved: “{alert.title}” stays open (a reason is needed).", 8000)
            return

        def job() -> AlertRow:
            return alert_service.resolve_alert(self.ctx, self.actor, alert.id, reason=reason,
                                               expected_version=alert.version)

        def done(_row: AlertRow) -> None:
            self.statusBar().showMessage(f"Alert “{alert.title}” resolved for {name}.", 10000)
            self._after_write()

        self.executor.submit(job, done, self._show_error)

    # --- printing, export and the audit trail ------------------------------------------------
    def ask_save_path(self, title: str, file_name: str, file_filter: str) -> Path | None:
        """One seam for save-file dialogs (tests replace it)."""
        name, _ = QFileDialog.getSaveFileName(self, title, file_name, file_filter)
        return Path(name) if name else None

    def show_pdf(self, data: bytes, title: str, file_name: str) -> QDialog:
        """Preview the bytes just built; printing and saving use exactly these bytes."""
        from widgets.print_preview import PrintPreview

        preview = PrintPreview(data, title=title, file_name=file_name, parent=self)
        self.print_preview = preview
        preview.open()
        return preview

    def print_handover(self) -> None:
        ctx, actor = self.ctx, self.actor
        stamp = format_local(ctx.clock(), ctx.tz).replace(" ", "_").replace(":", "")

        def job() -> bytes:
            # reportlab is imported here, on the worker, the first time someone prints.
            from app.reports.handover import build_handover_pdf

            # Built once: this call is the audited print; preview/print/save reuse it.
            return build_handover_pdf(ctx, actor, ward=None, printed_by=actor.label)

        self.statusBar().showMessage("Preparing the handover sheet…", 5000)
        def done(data: bytes) -> None:
            self.show_pdf(data, "Ward handover", f"handover_{stamp}.pdf")

        self.executor.submit(job, done, self._show_error)

    def print_patient_summary(self) -> None:
        episode_id = self.patient_view.episode_id or self.current_episode_id()
        if episode_id is None:
            self.statusBar().showMessage("Open or select a patient first.", 5000)
            return
        ctx, actor = self.ctx, self.actor

        def job() -> bytes:
            from app.reports.patient_summary import build_patient_summary_pdf

            return build_patient_summary_pdf(ctx, actor, episode_id)

        def done(data: bytes) -> None:
            self.show_pdf(data, "Patient summary", f"patient_summary_episode_{episode_id}.pdf")

        self.executor.submit(job, done, self._show_error)

    def registry_export(self) -> None:
        if not is_allowed(self.actor, Action.REGISTRY_EXPORT):
            self.show_message("Not allowed", denial_message(self.actor, Action.REGISTRY_EXPORT))
            return
        path = self.ask_save_path("Registry export", "registry_export.csv", "CSV files (*.csv)")
        if path is None:
            return
        ctx, actor = self.ctx, self.actor

        def job() -> int:
            from app.reports.registry_export import export_registry_csv

            return export_registry_csv(ctx, actor, path)

        def done(count: int) -> None:
            self.statusBar().showMessage(
                f"Registry export: {count} episode{'s' if count != 1 else ''} written to "
                f"{path}", 15000)

        self.executor.submit(job, done, self._show_error)

    def open_audit_viewer(self) -> QWidget:
        from app.services.audit_query import query_audit
        from widgets.audit_viewer import AuditViewer

        ctx, actor = self.ctx, self.actor
        viewer = AuditViewer(lambda **filters: query_audit(ctx, actor, **filters), self,
                             tz=ctx.tz)
        viewer.setWindowFlag(Qt.WindowType.Window)
        viewer.setWindowTitle(f"Audit trail — {actor.label}")
        viewer.resize(1100, 700)
        viewer.refresh()
        viewer.show()
        self.audit_window = viewer
        return viewer

    # --- idle lock (driven by widgets.session_shell) ------------------------------------------
    @property
    def locked(self) -> bool:
        return self._covered is not None

    def cover(self, lock_screen: QWidget) -> dict[str, Any] | None:
        """Hide every patient datum behind `lock_screen`; return the unsaved forms (drafts)
        for the session lock to keep. The window holds no draft while locked."""
        if self._covered is not None:
            return None
        draft: dict[str, Any] | None = None
        if self.clinical:
            self._keep_draft()
            if self.drafts:
                draft = {"episode_id": self.patient_view.episode_id,
                         "drafts": dict(self.drafts)}
            self.drafts.clear()
            if self.patient_view.form is not None:
                self.patient_view.form.clear()
            self.poll_timer.stop()
            self.refresh_label.setText("Locked — not updating")
            # Emptied, not only hidden: nothing of the ward stays on screen or in a model.
            self.board.set_rows([])
            self.planned.set_rows([])
            self.alerts_panel.set_rows([], self.ctx.clock())
            self.trend_grid.set_rows([])
            self.ward_rows = []
        if self.print_preview is not None:
            self.print_preview.close()
        if self.audit_window is not None:
            self.audit_window.close()
        # takeCentralWidget keeps the page alive but parentless and hidden.
        self._covered = self.takeCentralWidget()
        self.setCentralWidget(lock_screen)
        lock_screen.show()  # a child added to a visible window is not shown by itself
        self.menuBar().setEnabled(False)
        self.toolbar.setEnabled(False)
        lock_screen.setFocus()
        return draft

    def uncover(self, draft: dict[str, Any] | None) -> None:
        """Back to work for the same user: the page returns, with their drafts if any."""
        if self._covered is None:
            return
        lock_screen = self.takeCentralWidget()
        if lock_screen is not None:
            lock_screen.hide()
            lock_screen.deleteLater()
        self.setCentralWidget(self._covered)
        self._covered.show()
        self._covered = None
        self.menuBar().setEnabled(True)
        self.toolbar.setEnabled(True)
        if not self.clinical:
            return
        if draft:
            self.drafts = dict(draft.get("drafts", {}))
            current = draft.get("episode_id")
            form = self.patient_view.form
            if form is not None and current is not None and current in self.drafts:
                form.restore_draft(self.drafts[current])
        if self.poll_timer.interval() > 0:
            self.poll_timer.start()
        self._polling = False
        self.refresh()

    def _export_png(self) -> None:
        if self.patient_view.episode_id is None:
            self.statusBar().showMessage("Open a patient first.", 5000)
            return
        plot = self.patient_view.ensure_trajectories()
        plot._export_clicked()

    def _about(self) -> None:
        QMessageBox.about(
            self, "CAR-T ward monitor",
            "Grades CRS and ICANS (ASTCT 2019) and NEWS2, reminds and records. "
            "It never prescribes: clinicians decide.")

    # --- settings -----------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        if self.settings is None:
            self.resize(1400, 860)
            return
        geometry = self.settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1400, 860)
        header = self.settings.header_state("ward_board")
        if header is not None:
            self.board.table.horizontalHeader().restoreState(header)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.settings is not None:
            self.settings.set_window_geometry(self.saveGeometry())
            self.settings.set_header_state(
                "ward_board", self.board.table.horizontalHeader().saveState())
            self.settings.sync()
        self.poll_timer.stop()
        super().closeEvent(event)


def _embedded_stock_panel(ctx: AppContext, actor: Actor, executor: Executor,
                          parent: QWidget) -> QWidget:
    """The pharmacy StockPanel (a dialog elsewhere) as the pharmacist's whole page."""
    from widgets.stock_panel import StockPanel

    class EmbeddedStockPanel(StockPanel):
        # Esc or Close must not hide the page: it is the window's content, not a dialog.
        def reject(self) -> None:
            pass

        def accept(self) -> None:
            pass

    panel = EmbeddedStockPanel(ctx, actor, executor=executor, parent=parent)
    panel.setWindowFlags(Qt.WindowType.Widget)
    panel.close_button.hide()
    return panel
