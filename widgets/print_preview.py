"""Preview, print and save one PDF (issue 6 "Printing from the app").

The caller builds the PDF once (that build is the audited step, e.g.
`app.reports.handover.build_handover_pdf`) and hands the bytes here. The preview shows those
bytes with QtPdf, *Print…* renders the pages of the same bytes onto the system printer and
*Save…* writes the same bytes to a file atomically, so the printed, saved and previewed
sheets can never differ.

Seams for tests: `ask_printer()` and `ask_save_path()`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize, Qt
from PySide6.QtGui import QKeySequence, QPainter, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

PRINT_DPI = 300  # pages are rendered at printer resolution, capped so memory stays small


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Temp file beside the target, fsync, rename: a crash never leaves half a PDF."""
    handle, temporary = tempfile.mkstemp(prefix=".carward-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


class PrintPreview(QDialog):
    def __init__(self, data: bytes, *, title: str, file_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = bytes(data)  # the exact bytes that were built (and audited)
        self.file_name = file_name
        self.setWindowTitle(f"{title} — preview")
        self.setAccessibleName(f"{title} preview")
        # The buffer must outlive the document: QPdfDocument reads from it lazily.
        self._bytes = QByteArray(self.data)
        self._buffer = QBuffer(self._bytes, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        self.view = QPdfView(self)
        self.view.setAccessibleName("PDF pages")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

        pages = self.document.pageCount()
        self.info = QLabel(f"{pages} page{'s' if pages != 1 else ''} · "
                           "printed and saved copies are these exact pages")
        self.info.setAccessibleName("Preview information")
        self.message = QLabel("")
        self.message.setAccessibleName("Print message")
        self.print_button = QPushButton("&Print…")
        self.print_button.setAccessibleName("Print")
        self.print_button.clicked.connect(self.print_clicked)
        self.save_button = QPushButton("&Save…")
        self.save_button.setAccessibleName("Save PDF")
        self.save_button.clicked.connect(self.save_clicked)
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close preview")
        self.close_button.clicked.connect(self.accept)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_clicked)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save_clicked)

        buttons = QHBoxLayout()
        buttons.addWidget(self.info, 1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.print_button.setDefault(True)
        self.resize(1000, 800)

    # --- seams ------------------------------------------------------------------------------
    def ask_printer(self) -> QPrinter | None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    def ask_save_path(self) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self, "Save PDF", self.file_name,
                                              "PDF documents (*.pdf)")
        return Path(name) if name else None

    # --- actions ----------------------------------------------------------------------------
    def save_to(self, path: Path) -> Path:
        path = Path(path)
        write_bytes_atomically(path, self.data)
        self.message.setText(f"Saved {path}")
        return path

    def save_clicked(self) -> None:
        path = self.ask_save_path()
        if path is None:
            return
        try:
            self.save_to(path)
        except OSError as error:
            self.message.setText(f"Could not save {path}: {error.strerror or error}. "
                                 "Choose another folder.")

    def print_to(self, printer: QPrinter) -> int:
        """Render every page of the same bytes onto `printer`; returns pages printed."""
        painter = QPainter()
        if not painter.begin(printer):
            raise OSError("The printer could not be opened.")
        try:
            dpi = min(printer.resolution(), PRINT_DPI)
            for page in range(self.document.pageCount()):
                if page:
                    printer.newPage()
                points = self.document.pagePointSize(page)
                size = QSize(round(points.width() / 72 * dpi), round(points.height() / 72 * dpi))
                image = self.document.render(page, size)
                target = painter.viewport()
                scaled = size.scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QRect(target.topLeft(), scaled), image)
        finally:
            painter.end()
        return self.document.pageCount()

    def print_clicked(self) -> None:
        printer = self.ask_printer()
        if printer is None:
            return
        try:
            pages = self.print_to(printer)
        except OSError as error:
            self.message.setText(f"Not printed: {error}")
            return
        self.message.setText(f"Sent {pages} page{'s' if pages != 1 else ''} to the printer.")
