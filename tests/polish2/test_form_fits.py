"""At the ward's 1500×900 and at 1280×800 the assessment page needs no sideways scrolling:
vital signs, ICANS and the live preview side by side, every drop-down whole, and the Save
button on screen without scrolling at all (it stays below the scrolling fields)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractScrollArea, QComboBox, QWidget

from tests.gui.conftest import Ward


def on_screen(widget: QWidget, window: QWidget) -> bool:
    """The whole widget lies inside the window and inside every scroll viewport around it."""
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    if not window.rect().contains(rect):
        return False
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent.parentWidget(), QAbstractScrollArea):  # parent is a viewport
            viewport = QRect(parent.mapTo(window, QPoint(0, 0)), parent.size())
            if not viewport.contains(rect):
                return False
        parent = parent.parentWidget()
    return True


@pytest.mark.gui
@pytest.mark.parametrize("size", [(1500, 900), (1280, 800)])
@pytest.mark.parametrize("patient", ["adult", "child"])  # ICE and CAPD forms
def test_assessment_page_fits_without_sideways_scrolling(
    window: Any, qtbot: Any, ward: Ward, size: tuple[int, int], patient: str
) -> None:
    window.resize(*size)
    window.open_episode(getattr(ward, patient))
    view = window.patient_view
    view.focus_form()
    form = view.form
    qtbot.waitUntil(form.save_button.isVisible)
    qtbot.wait(50)  # nested layouts settle over a few event-loop turns
    assert (window.width(), window.height()) == size  # not pushed wider by minimum sizes
    page = view.tabs.currentWidget()
    areas = [a for a in page.findChildren(QAbstractScrollArea) if a.isVisible()]
    assert areas  # the fields scroll (vertically) inside the page
    for area in areas:
        assert not area.horizontalScrollBar().isVisible(), area.objectName()
        inner = getattr(area, "widget", lambda: None)()
        assert inner is None or inner.width() >= \
            inner.minimumSizeHint().width()  # nothing squeezed or cut off
    assert on_screen(form.save_button, window)
    assert on_screen(form.cancel_button, window)
    # Every drop-down is whole (not cut off on the right) and the preview is beside them.
    right_edge = view.preview.mapTo(window, QPoint(0, 0)).x()
    for combo in form.findChildren(QComboBox):
        left = combo.mapTo(window, QPoint(0, 0)).x()
        assert left + combo.width() <= right_edge, combo.objectName()
        box = combo.parentWidget().parentWidget()  # row container, then its group box
        inside = QRect(combo.mapTo(box, QPoint(0, 0)), combo.size())
        assert box.contentsRect().contains(inside), combo.objectName()
        # At least "— not assessed" whole.
        empty_text = combo.fontMetrics().horizontalAdvance(combo.itemText(0))
        assert combo.width() > empty_text, combo.objectName()
    assert view.preview.isVisible()
    assert view.preview.mapTo(window, QPoint(0, 0)).x() + view.preview.width() \
        <= window.width()
