"""The identity header (SAFETY.md: identifiers on every screen) is two deliberate lines at
the ward's 1500 px and at 1280 px: who (name, NHS number, born, bed) and the treatment
(product, infusion, day, weight). Nothing wraps on to a stray third line such as "Weight"
alone."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QTextDocument

from tests.gui.conftest import Ward


def natural_line_widths(label: Any) -> list[float]:
    """The width each line of the label's rich text needs without wrapping."""
    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setHtml(label.text())
    document.setTextWidth(-1)  # no wrapping: each line as long as its text
    document.size()  # lays the text out
    widths = []
    block = document.begin()
    while block.isValid():
        layout = block.layout()
        widths += [layout.lineAt(n).naturalTextWidth() for n in range(layout.lineCount())]
        block = block.next()
    return widths


@pytest.mark.gui
@pytest.mark.parametrize("size", [(1500, 900), (1280, 800)])
def test_identity_header_lines_fit_without_wrapping(
    window: Any, qtbot: Any, ward: Ward, size: tuple[int, int]
) -> None:
    window.resize(*size)
    window.open_episode(ward.adult)
    qtbot.waitUntil(window.patient_view.identity.isVisible)
    label = window.patient_view.identity.label
    widths = natural_line_widths(label)
    assert len(widths) == 2  # who, then the treatment: never "Weight" alone on a line
    assert max(widths) <= label.contentsRect().width()
    visible = QTextDocument()
    visible.setHtml(label.text())
    first, second = visible.toPlainText().splitlines()
    for shown in ("SMITH, Anna", "NHS 999 000 0018", "01 May 1970", "Bed", "3"):
        assert shown in first
    for shown in ("Yescarta (axicabtagene ciloleucel)", "Infused", "07 Mar 2026", "D+3",
                  "Weight", "70 kg"):
        assert shown in second
