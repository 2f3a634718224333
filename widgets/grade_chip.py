"""Grade chips: the number AND a word, with colour only as a third cue (STYLE.md).

"CRS 2 · moderate", "ICANS ≥ 2 · moderate" (RULES I8: a lower bound while domains are
missing; for CRS while observations that could raise it are not recorded, README "Design"),
"CRS ≥ 0 · partial", "CRS — · not assessed". The text functions are pure so the board, the trend
grid and the preview share one wording.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QWidget

GRADE_WORDS: dict[int, str] = {
    0: "none",
    1: "mild",
    2: "moderate",
    3: "severe",
    4: "life-threatening",
    5: "fatal",
}

# Background / text colour per grade. Dark text on light fills and white on dark fills keep
# a contrast ratio above 4.5:1; the grade is always in the text as well.
_GRADE_COLOURS: dict[int | None, tuple[str, str]] = {
    None: ("#eceff1", "#37474f"),
    0: ("#e8f5e9", "#1b5e20"),
    1: ("#fff8e1", "#6d4c00"),
    2: ("#ffe0b2", "#7a3300"),
    3: ("#c62828", "#ffffff"),
    4: ("#4a0072", "#ffffff"),
    5: ("#000000", "#ffffff"),
}

NEWS2_RISK_COLOURS: dict[str | None, tuple[str, str]] = {
    None: _GRADE_COLOURS[None],
    "low": _GRADE_COLOURS[0],
    "low-medium": _GRADE_COLOURS[1],
    "medium": _GRADE_COLOURS[2],
    "high": _GRADE_COLOURS[3],
}


def grade_word(grade: int | None) -> str:
    return "not assessed" if grade is None else GRADE_WORDS.get(grade, "unknown")


def grade_number(grade: int | None, at_least: bool = False) -> str:
    if grade is None:
        return "—"
    return f"≥ {grade}" if at_least else str(grade)


def grade_text(syndrome: str, grade: int | None, at_least: bool = False) -> str:
    """"CRS 2 · moderate"; "ICANS ≥ 1 · mild" while ICANS domains are missing; a lower
    bound of 0 says "partial" (part of the set recorded), never "none"."""
    word = "partial" if at_least and grade == 0 else grade_word(grade)
    return f"{syndrome} {grade_number(grade, at_least)} · {word}"


def grade_colours(grade: int | None, at_least: bool = False) -> tuple[QColor, QColor]:
    """A lower bound of 0 is not the all-clear green: it gets the neutral colours."""
    shown = None if at_least and grade == 0 else grade
    background, foreground = _GRADE_COLOURS.get(shown, _GRADE_COLOURS[None])
    return QColor(background), QColor(foreground)


def news2_text(total: int | None, risk: str | None) -> str:
    if total is None:
        return "NEWS2 —"
    return f"NEWS2 {total} · {risk or '?'}"


def news2_colours(risk: str | None) -> tuple[QColor, QColor]:
    background, foreground = NEWS2_RISK_COLOURS.get(risk, NEWS2_RISK_COLOURS[None])
    return QColor(background), QColor(foreground)


class GradeChip(QLabel):
    """A rounded label showing one grade; its accessible name is the same text."""

    def __init__(self, syndrome: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.syndrome = syndrome
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.set_grade(None)

    def set_grade(self, grade: int | None, at_least: bool = False) -> None:
        self._apply(grade_text(self.syndrome, grade, at_least), *grade_colours(grade, at_least))

    def set_incomplete(self) -> None:
        """A scale part-entered: not gradable yet, but not "not assessed" either."""
        self._apply(f"{self.syndrome} — · incomplete", *grade_colours(None))

    def set_news2(self, total: int | None, risk: str | None) -> None:
        self._apply(news2_text(total, risk), *news2_colours(risk))

    def _apply(self, text: str, background: QColor, foreground: QColor) -> None:
        self.setText(text)
        self.setAccessibleName(text)
        self.setStyleSheet(
            f"QLabel {{ background: {background.name()}; color: {foreground.name()};"
            " border: 1px solid #90a4ae; border-radius: 8px; padding: 2px 8px;"
            " font-weight: bold; }"
        )
