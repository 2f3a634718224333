"""Live preview of the grades before saving (ARCHITECTURE "A live preview ... on every field
change"): CRS, ICANS and NEWS2 chips with their reasons and the ICANS domains still missing
(RULES I8: "ICANS at least 1 — missing: seizure, motor")."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.rows import AssessmentPreview
from widgets.grade_chip import GradeChip

# NEWS2 chart rows in the words on the ward's observation chart (RCP NEWS2 chart order).
NEWS2_WORDS: dict[str, str] = {
    "respiratory_rate": "RR",
    "spo2": "SpO2",
    "air_or_oxygen": "oxygen",
    "systolic_bp": "SBP",
    "pulse": "pulse",
    "consciousness": "consciousness",
    "temperature": "temp",
}


def _lines(items: tuple[str, ...] | list[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def news2_breakdown(subscores: Mapping[str, int]) -> str:
    """"RR 2 · SpO2 2 · oxygen 2 · SBP 3 · pulse 2 · consciousness 0 · temp 1": every
    parameter, zeros included, so the nurse sees all seven were scored."""
    return " · ".join(f"{NEWS2_WORDS.get(key, key)} {score}" for key, score in subscores.items())


class PreviewPanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Live grade preview")
        layout = QVBoxLayout(self)
        title = QLabel("<b>Live preview</b> — not saved yet")
        layout.addWidget(title)
        self.crs_chip = GradeChip("CRS")
        self.crs_reasons = self._reason_label()
        self.icans_chip = GradeChip("ICANS")
        self.icans_missing = self._reason_label()
        self.icans_missing.setObjectName("missingDomains")
        self.icans_reasons = self._reason_label()
        self.news2_chip = GradeChip("NEWS2")
        self.news2_reasons = self._reason_label()
        self.left_out = self._reason_label()
        self.left_out.setObjectName("previewLeftOut")
        self.error_label = self._reason_label()
        self.error_label.setObjectName("previewError")
        for widget in (
            self.left_out, self.crs_chip, self.crs_reasons, self.icans_chip,
            self.icans_missing, self.icans_reasons, self.news2_chip, self.news2_reasons,
            self.error_label,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.setMinimumWidth(260)
        self.show_result(None)

    @staticmethod
    def _reason_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        return label

    def summary_text(self) -> str:
        """Everything the panel says, for screen readers and tests."""
        parts = [
            self.left_out.text(), self.crs_chip.text(), self.crs_reasons.text(),
            self.icans_chip.text(), self.icans_missing.text(), self.icans_reasons.text(),
            self.news2_chip.text(), self.news2_reasons.text(), self.error_label.text(),
        ]
        return "\n".join(p for p in parts if p)

    def show_error(self, message: str) -> None:
        self.error_label.setText(f"Preview not available: {message}")
        self.error_label.setVisible(True)

    def show_nothing_entered(self) -> None:
        """An empty form grades nothing: no chip may read "none" before a value is typed
        (a patient with CRS before would otherwise show "CRS 0" from their history)."""
        self.show_result(None)
        self.crs_reasons.setText("Nothing entered yet.")
        self.icans_missing.setText("Nothing entered yet.")
        self.news2_reasons.setText("Nothing entered yet.")

    def show_result(
        self, preview: AssessmentPreview | None, incomplete: tuple[str, int, int] | None = None
    ) -> None:
        """`incomplete` is ("ICE", 4, 5) while a scale is part-entered: the form leaves it
        out of the grading, so say so instead of "no ICANS observations"."""
        self.error_label.setText("")
        self.error_label.setVisible(False)
        result = preview.result if preview else None
        refused = preview.left_out if preview else ()
        self.left_out.setText(
            "Not graded — refused, see the form:\n" + _lines([m for _f, m in refused])
            if refused else "")
        self.left_out.setVisible(bool(refused))
        crs = result.crs if result else None
        icans = result.icans if result else None
        news2 = result.news2 if result else None
        if crs is None:
            self.crs_chip.set_grade(None)
            self.crs_reasons.setText("No CRS observations entered yet.")
        else:
            not_recorded = preview.crs_missing if preview else ()
            self.crs_chip.set_grade(crs.grade, at_least=bool(not_recorded))
            lines = list(crs.reasons) + list(crs.notes)
            if not_recorded:  # the same lower bound the board and timeline show once saved
                lines.insert(0, f"CRS at least {crs.grade} — not recorded: "
                                f"{', '.join(not_recorded)}")
            self.crs_reasons.setText(_lines(lines))
        partial = ""
        if incomplete is not None:
            name, entered, items = incomplete
            partial = (f"{name} incomplete — {entered} of {items} items entered; "
                       "complete it to grade encephalopathy")  # fmt: skip
        if icans is None:
            if partial:
                self.icans_chip.set_incomplete()
            else:
                self.icans_chip.set_grade(None)
            self.icans_missing.setText(partial or "No ICANS observations entered yet.")
            self.icans_reasons.setText("")
        else:
            self.icans_chip.set_grade(icans.grade, icans.at_least)
            if icans.missing:
                missing = f"ICANS at least {icans.grade} — missing: {', '.join(icans.missing)}"
            else:
                missing = f"All ICANS domains assessed ({icans.tool})."
            self.icans_missing.setText(f"{partial}\n{missing}" if partial else missing)
            self.icans_reasons.setText(_lines(icans.reasons))
        if news2 is None:
            self.news2_chip.set_news2(None, None)
            reason = result.news2_null_reason if result else None
            self.news2_reasons.setText(reason or "NEWS2 needs all seven parameters.")
        else:
            self.news2_chip.set_news2(news2.total, news2.clinical_risk)
            self.news2_reasons.setText(news2_breakdown(news2.subscores))
