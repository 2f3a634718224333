"""What every printed report shares: fonts, styles, page frame, footer and atomic writes.

- Fonts: Bitstream Vera, shipped inside reportlab itself, so every workstation prints the
  same glyphs ("≥", "—", "°" are missing from the PDF base-14 Helvetica encoding).
- Footer on every page: "Page x of y" and "Positive patient identification required"
  (SAFETY.md: identifiers on every printed page; the identity itself is drawn by each
  report's page callback).
- Deterministic bytes: reportlab invariant mode plus a creation date taken from the
  caller's clock, so the same ward gives the same file (golden comparisons, and the GUI
  prints exactly the bytes it previewed).
- `write_atomically`: temp file in the target folder, fsync, `os.replace` — a reader never
  sees half a PDF or CSV (STYLE.md, as qutebrowser's savefile_open).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

FONT = "CarwardSans"
FONT_BOLD = "CarwardSans-Bold"
FONT_ITALIC = "CarwardSans-Italic"
FONT_BOLD_ITALIC = "CarwardSans-BoldItalic"

PATIENT_ID_NOTICE = "Positive patient identification required"
CONFIDENTIAL_NOTICE = "Confidential: patient-identifiable information"
MARGIN = 10 * mm

_fonts_registered = False


def register_fonts() -> None:
    """Register the report font family once per process (idempotent)."""
    global _fonts_registered
    if _fonts_registered:
        return
    import reportlab

    folder = Path(reportlab.__file__).parent / "fonts"
    for name, filename in (
        (FONT, "Vera.ttf"),
        (FONT_BOLD, "VeraBd.ttf"),
        (FONT_ITALIC, "VeraIt.ttf"),
        (FONT_BOLD_ITALIC, "VeraBI.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
    )
    _fonts_registered = True


def style(name: str, size: float = 8, *, bold: bool = False, leading: float | None = None,
          **kwargs: Any) -> ParagraphStyle:
    register_fonts()  # a Paragraph resolves its font family when it is created
    return ParagraphStyle(
        name,
        fontName=FONT_BOLD if bold else FONT,
        fontSize=size,
        leading=leading if leading is not None else size * 1.2,
        **kwargs,
    )


def escape(text: str | None) -> str:
    """Plain text for a Paragraph: its markup is XML-like, so user text must be escaped."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pdf_date(moment: datetime) -> str:
    """PDF date string (UTC) for the document information dictionary."""
    utc = moment.astimezone(UTC)
    return utc.strftime("D:%Y%m%d%H%M%S+00'00'")


PageCallback = Callable[[Canvas, BaseDocTemplate], None]


def _numbered_canvas_class(created_at: datetime, footer_left: str) -> type[Canvas]:
    """A canvas that knows the page total when it saves, for "Page x of y".

    The classic reportlab recipe: remember each page's state at showPage, then draw the
    footers in save() when the total is known.
    """
    created = pdf_date(created_at)

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            # Fixed creation date from the caller's clock (the formatter ignores reportlab's).
            self.setDateFormatter(lambda *_parts: created)
            self._page_states: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab API name
            self._page_states.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._page_states)
            for number, state in enumerate(self._page_states, start=1):
                self.__dict__.update(state)
                self._draw_footer(number, total)
                super().showPage()
            super().save()

        def _draw_footer(self, number: int, total: int) -> None:
            width, _height = self._pagesize
            y = MARGIN * 0.55
            self.setStrokeColor(colors.black)
            self.setLineWidth(0.5)
            self.line(MARGIN, y + 9, width - MARGIN, y + 9)
            self.setFont(FONT_BOLD, 8)
            self.drawString(MARGIN, y, PATIENT_ID_NOTICE)
            self.setFont(FONT, 7)
            self.drawCentredString(width / 2, y, footer_left)
            self.setFont(FONT_BOLD, 8)
            self.drawRightString(width - MARGIN, y, f"Page {number} of {total}")

    return NumberedCanvas


def render_pdf(
    story: Sequence[Flowable],
    *,
    pagesize: tuple[float, float],
    title: str,
    author: str,
    created_at: datetime,
    on_page: PageCallback,
    header_height: float,
    footer_text: str = CONFIDENTIAL_NOTICE,
) -> bytes:
    """Lay `story` out on pages whose top `header_height` is drawn by `on_page`."""
    register_fonts()
    buffer = io.BytesIO()
    width, height = pagesize
    doc = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + header_height,
        bottomMargin=MARGIN + 6 * mm,
        title=title,
        author=author,
        creator="carward",
        subject=title,
        invariant=1,
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        width - doc.leftMargin - doc.rightMargin,
        height - doc.topMargin - doc.bottomMargin,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page)])
    doc.build(list(story), canvasmaker=_numbered_canvas_class(created_at, footer_text))
    return buffer.getvalue()


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write all of `data` to `path` or nothing: temp file beside it, fsync, os.replace."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Folder {folder} does not exist — choose an existing folder to save {target.name}"
        )
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        # Never leave a half-written temp file behind, whatever went wrong.
        Path(temp_name).unlink(missing_ok=True)
        raise
