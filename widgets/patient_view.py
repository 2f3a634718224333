"""One patient: identity header and alert banner above three tabs (Assessment, Timeline,
Trajectories). Shows plain rows; every action is a signal the main window turns into a
service call. The assessment form is rebuilt per patient (ICE or CAPD depends on age, and a
fresh form can carry nothing over from the previous patient); the timeline tree and the
plots are filled when their tab is shown.

`drugs_source(episode_id)` (app.services.administrations.drugs_since_last_assessment bound
to the context and actor) feeds the form's "drugs given since the last set": read when the
patient opens and whenever a new timeline arrives (after a save, a dose or a poll)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.clock import WARD_TZ
from app.errors import ServiceError
from app.rows import AdministrationRow, AssessmentPreview, EpisodeHeader, Timeline
from app.services.history import age_on
from widgets.alert_banner import AlertBanner
from widgets.assessment_form import AssessmentForm
from widgets.identity_header import IdentityHeader
from widgets.preview_panel import PreviewPanel
from widgets.timeline_view import TimelineView

TAB_ASSESSMENT = 0
TAB_TIMELINE = 1
TAB_TRAJECTORIES = 2
PREVIEW_MAX_WIDTH = 360  # px: reasons wrap; the rest of the page goes to the form


def patient_label(header: EpisodeHeader) -> str:
    """"SMITH, Anna (NHS 999 000 0018)": how the form's questions name the patient (the
    hospital number when there is no NHS number, SAFETY.md "shown with name")."""
    if header.nhs_number:
        return f"{header.name} (NHS {header.nhs_number})"
    if header.hospital_number:
        return f"{header.name} (hospital no. {header.hospital_number})"
    return header.name


class PatientView(QWidget):
    save_requested = Signal(dict, dict, str)

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        tz: ZoneInfo = WARD_TZ,
        drugs_source: Callable[[int], Sequence[AdministrationRow]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("patientView")
        self._now = now
        self.drugs_source = drugs_source
        self.tz = tz
        self.header: EpisodeHeader | None = None
        self.timeline: Timeline | None = None
        self.form: AssessmentForm | None = None
        self.trajectories: Any = None  # TrajectoryPlot, built on first view (pyqtgraph)
        self._plots_stale = False  # the timeline changed since the plots were drawn
        self._tree_stale = False  # ... since the timeline tree was filled
        layout = QVBoxLayout(self)
        self.identity = IdentityHeader(tz)
        layout.addWidget(self.identity)
        self.banner = AlertBanner(tz)
        layout.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("patientTabs")
        layout.addWidget(self.tabs, 1)

        # The form scrolls its own fields and keeps Save below them; the preview column
        # gives way (down to its minimum) before the fields would need sideways scrolling.
        assessment_page = QWidget()
        page_layout = QHBoxLayout(assessment_page)
        self.form_area = QWidget()
        self.form_area.setObjectName("formArea")
        self._form_layout = QVBoxLayout(self.form_area)
        self._form_layout.setContentsMargins(0, 0, 0, 0)
        self._form_placeholder: QWidget | None = QLabel("Open a patient from the ward board.")
        self._form_layout.addWidget(self._form_placeholder)
        self.preview = PreviewPanel()
        self.preview.setMaximumWidth(PREVIEW_MAX_WIDTH)
        page_layout.addWidget(self.form_area, 3)
        page_layout.addWidget(self.preview, 1)  # a quarter: 360 px at 1500, ~310 at 1280
        # No Alt+A here: it is the form's ACVPU (the tab is Ctrl+N, New assessment).
        self.tabs.addTab(assessment_page, "Assessment")
        self.timeline_view = TimelineView(tz)
        self.tabs.addTab(self.timeline_view, "T&imeline")
        self.trajectory_page = QWidget()
        QVBoxLayout(self.trajectory_page)
        self.tabs.addTab(self.trajectory_page, "Tra&jectories")
        self.tabs.currentChanged.connect(self._tab_changed)

    @property
    def episode_id(self) -> int | None:
        return self.header.episode_id if self.header else None

    def show_patient(
        self,
        header: EpisodeHeader,
        timeline: Timeline,
        preview: Callable[[dict[str, Any]], AssessmentPreview],
        draft: dict[str, Any] | None,
    ) -> AssessmentForm:
        """Switch to another patient: a fresh form (restored from its draft, if any)."""
        self.header = header
        self.identity.set_header(header)
        self.banner.set_alerts(header.open_alerts, self._now())
        form = AssessmentForm(
            # Exact age, as the grading engine uses (RULES C7: 70 + 2 × age), so the form's
            # hypotension hint and the preview's note agree for a child of 7.5.
            age_years=age_on(header.date_of_birth, self._now().astimezone(self.tz).date()),
            developmental_delay=header.developmental_delay,
            now=self._now,
            tz=self.tz,
            preview=preview,
        )
        form.preview_panel = self.preview
        form.patient_label = patient_label(header)
        form.save_requested.connect(self.save_requested)
        old = self.form if self.form is not None else self._form_placeholder
        if old is not None:
            self._form_layout.removeWidget(old)
            old.deleteLater()
        self._form_placeholder = None
        self._form_layout.addWidget(form)
        form.show()  # now, not on the next event-loop turn (a layout shows it queued)
        self.form = form
        if draft is not None:
            form.restore_draft(draft)
        else:
            form.clear()
        self.timeline = None
        self.set_timeline(timeline)
        return form

    def refresh_drugs(self) -> None:
        """Re-read the doses given since the last set (a read of a few milliseconds, like
        the preview). Without a source the section stays hidden: never a false "none"."""
        if self.form is None or self.drugs_source is None or self.episode_id is None:
            return
        try:
            rows = self.drugs_source(self.episode_id)
        except ServiceError as error:
            self.form.set_drugs_since(None, str(error))
            return
        self.form.set_drugs_since(rows)

    def update_header(self, header: EpisodeHeader) -> None:
        self.header = header
        if self.form is not None:
            self.form.patient_label = patient_label(header)
        self.identity.set_header(header)
        self.banner.set_alerts(header.open_alerts, self._now())

    def set_timeline(self, timeline: Timeline) -> None:
        if timeline == self.timeline:
            return  # nothing new: keep the tree's expansion and the plots' zoom
        self.timeline = timeline
        self.refresh_drugs()  # a new timeline: a set saved or a dose recorded since
        # The tree and the plots are rebuilt only when someone looks at them: switching
        # patients on another tab costs neither (bench/gui.py "switch patient").
        self._tree_stale = True
        self._plots_stale = True
        if self.tabs.currentIndex() == TAB_TIMELINE:
            self.ensure_timeline()
        elif self.tabs.currentIndex() == TAB_TRAJECTORIES:
            self.ensure_trajectories()

    def ensure_timeline(self) -> Any:
        if self._tree_stale and self.timeline is not None:
            self.timeline_view.set_timeline(self.timeline)
            self._tree_stale = False
        return self.timeline_view

    def ensure_trajectories(self) -> Any:
        if self.trajectories is None:
            from widgets.trajectory_plot import TrajectoryPlot

            self.trajectories = TrajectoryPlot(self.tz)
            layout = self.trajectory_page.layout()
            assert layout is not None
            layout.addWidget(self.trajectories)
        if self._plots_stale and self.timeline is not None:
            self.trajectories.set_timeline(self.timeline)
            self._plots_stale = False
        return self.trajectories

    def _tab_changed(self, index: int) -> None:
        if index == TAB_TIMELINE:
            self.ensure_timeline()
        elif index == TAB_TRAJECTORIES:
            self.ensure_trajectories()

    def focus_form(self) -> None:
        self.tabs.setCurrentIndex(TAB_ASSESSMENT)
        if self.form is not None:
            self.form.temperature.setFocus(Qt.FocusReason.ShortcutFocusReason)
