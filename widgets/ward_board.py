"""The ward board: one row per active episode (issue 4 "Ward board").

A QAbstractTableModel over `WardRow` (COL_* constants, ROW_ROLE, SORT_ROLE with Python
values, narrow dataChanged through `RowTableModel.set_rows`), a sort/filter proxy and a
filter box. Grades show the number and the word; overdue and alerts are words, not only
colour. Enter or double-click emits `open_episode`.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.clock import WARD_TZ, format_local
from app.products import brand, display_name, iter_products
from app.rows import WardRow
from widgets.grade_chip import grade_colours, grade_text, news2_colours, news2_text
from widgets.models import ROW_ROLE, Column, RowSortProxy, RowTableModel

COL_BED = 0
COL_PATIENT = 1
COL_PRODUCT = 2
COL_DAY = 3
COL_CRS = 4
COL_ICANS = 5
COL_NEWS2 = 6
COL_LAST = 7
COL_DUE = 8
COL_ALERTS = 9
COL_TOCILIZUMAB = 10

_ALERT_COLOURS = (QColor("#b71c1c"), QColor("#ffffff"))
_OVERDUE_COLOURS = (QColor("#fff3e0"), QColor("#8a2c00"))


def patient_text(row: WardRow) -> str:
    identifier = f"NHS {row.nhs_number}" if row.nhs_number else f"Hosp {row.hospital_number}"
    return f"{row.patient_name}\n{identifier} · {row.age_years} y"


def day_text(row: WardRow) -> str:
    if row.day is None:
        return "not infused"
    return f"D{row.day:+d}" if row.day < 0 else f"D+{row.day}"


def max_text(grade: int | None, day: int | None) -> str:
    """"max 2 (D+3)"; "max 0" when the maximum has no day (never "D+None")."""
    if grade is None:
        return ""
    if day is None:
        return f"max {grade}"
    return f"max {grade} ({'D+' if day >= 0 else 'D'}{day})"


def _board_grade(syndrome: str, grade: int | None, at_least: bool) -> str:
    # "CRS not assessed" rather than "CRS — · not assessed": the board cell has two lines
    # (now, max) and no width to spare.
    return f"{syndrome} not assessed" if grade is None else grade_text(syndrome, grade, at_least)


def crs_text(row: WardRow) -> str:
    now = _board_grade("CRS", row.crs_grade, row.crs_at_least)
    peak = max_text(row.max_crs_grade, row.max_crs_day)
    return f"{now}\n{peak}" if peak else now


def icans_text(row: WardRow) -> str:
    now = _board_grade("ICANS", row.icans_grade, row.icans_at_least)
    peak = max_text(row.max_icans_grade, row.max_icans_day)
    return f"{now}\n{peak}" if peak else now


def grade_tooltip(syndrome: str, at_least: bool) -> str:
    if not at_least:
        return ""
    return (f"{syndrome} is a lower bound (≥): the last set did not record everything that "
            "could raise it. Open the patient to see what is missing.")


def alerts_text(row: WardRow) -> str:
    """Worst alert first. A row is two lines high, so from a third alert on the second
    line counts them (the tooltip lists every alert with its message)."""
    if not row.open_alerts:
        return "none"
    ordered = sorted(row.open_alerts, key=lambda a: -a.severity)
    marker = "⚠ " if any(a.kind == "critical_care" for a in ordered) else ""
    titles = [a.title for a in ordered]
    if len(titles) > 2:
        titles = [titles[0], f"+ {len(titles) - 1} more alerts"]
    return marker + "\n".join(titles)


def alerts_tooltip(row: WardRow) -> str:
    ordered = sorted(row.open_alerts, key=lambda a: -a.severity)
    return "\n".join(f"{a.title}: {a.message}" for a in ordered)


def board_time(moment: datetime | None, tz: ZoneInfo) -> str:
    """"22 Nov 02:31": the year is noise on a board of the last few weeks (the tooltip
    has it)."""
    return "—" if moment is None else moment.astimezone(tz).strftime("%d %b %H:%M")


def tocilizumab_text(row: WardRow) -> str:
    status = row.tocilizumab
    if status is None:
        return "—"
    return str(getattr(status, "text", status))


def board_news2_text(row: WardRow) -> str:
    """NEWS2 on the board; with no score, say why: not used under 16 (RULES N1), or the
    last set left a parameter out (never shown as if it were 0)."""
    if row.news2_total is not None:
        return news2_text(row.news2_total, row.news2_risk)
    if row.last_assessed_at is None:
        return "NEWS2 —"
    if row.age_years < 16:
        return "NEWS2 n/a\nunder 16"
    return "NEWS2 —\nincomplete set"


def board_news2_tooltip(row: WardRow) -> str:
    if row.news2_total is not None or row.last_assessed_at is None:
        return board_news2_text(row)
    if row.age_years < 16:
        return "NEWS2 is scored from age 16 (RULES N1); follow the paediatric early warning chart"
    return ("The last set left out a NEWS2 parameter, so no score (a missing parameter is "
            "never scored 0). Open the patient's timeline to see which.")


def _news2_sort(row: WardRow) -> int | None:
    return row.news2_total


class WardBoardModel(RowTableModel[WardRow]):
    def __init__(self, tz: ZoneInfo = WARD_TZ, parent: object = None) -> None:
        super().__init__(parent)
        self.tz = tz
        self.now: datetime | None = None
        self.columns = (
            Column("Bed", lambda r: r.bed or "—", sort=lambda r: (len(r.bed), r.bed)),
            Column("Patient", patient_text, sort=lambda r: r.patient_name,
                   tooltip=lambda r: f"{patient_text(r)}\nBorn {r.date_of_birth:%d %b %Y}"),
            Column("Product", lambda r: brand(r.product_code),
                   tooltip=lambda r: display_name(r.product_code)),
            Column("Day", day_text, sort=lambda r: r.day),
            Column("CRS now / max", crs_text,
                   sort=lambda r: (r.crs_grade if r.crs_grade is not None else -1,
                                   r.max_crs_grade or 0),
                   colours=lambda r: grade_colours(r.crs_grade, r.crs_at_least),
                   tooltip=lambda r: grade_tooltip("CRS", r.crs_at_least),
                   bold=lambda r: True),
            Column("ICANS now / max", icans_text,
                   sort=lambda r: (r.icans_grade if r.icans_grade is not None else -1,
                                   r.max_icans_grade or 0),
                   colours=lambda r: grade_colours(r.icans_grade, r.icans_at_least),
                   tooltip=lambda r: grade_tooltip("ICANS", r.icans_at_least),
                   bold=lambda r: True),
            Column("NEWS2", board_news2_text, sort=_news2_sort, tooltip=board_news2_tooltip,
                   colours=lambda r: news2_colours(r.news2_risk)),
            Column("Last assessed", lambda r: board_time(r.last_assessed_at, self.tz),
                   sort=lambda r: r.last_assessed_at,
                   tooltip=lambda r: format_local(r.last_assessed_at, self.tz)),
            Column("Next due", self._due_text, sort=lambda r: r.next_due_at,
                   tooltip=lambda r: format_local(r.next_due_at, self.tz),
                   colours=lambda r: _OVERDUE_COLOURS if r.overdue else None,
                   bold=lambda r: r.overdue),
            Column("Alerts", alerts_text, sort=lambda r: -max(
                (a.severity for a in r.open_alerts), default=0),
                   colours=lambda r: _ALERT_COLOURS if any(
                       a.kind == "critical_care" for a in r.open_alerts) else None,
                   bold=lambda r: bool(r.open_alerts),
                   tooltip=alerts_tooltip),
            Column("Tocilizumab", tocilizumab_text, tooltip=tocilizumab_text),
        )

    def row_key(self, row: WardRow) -> int:
        return row.episode_id

    def _due_text(self, row: WardRow) -> str:
        if row.next_due_at is None:
            return "—"
        due = board_time(row.next_due_at, self.tz)
        return f"OVERDUE since\n{due}" if row.overdue else due

    def row_for_episode(self, episode_id: int) -> int | None:
        for number, row in enumerate(self._rows):
            if row.episode_id == episode_id:
                return number
        return None


def search_text(row: WardRow, visible: list[str]) -> str:
    """What the filter looks in: the board's own text plus what a nurse may type from
    elsewhere: the generic product name on the prescription ("axicabtagene", the board
    shows "Yescarta") and the NHS number without its spaces ("9990000026")."""
    extra = [display_name(row.product_code), row.product_code.replace("_", " "),
             row.nhs_number.replace(" ", ""), row.hospital_number or ""]
    return "\n".join([*visible, *extra]).casefold()


class BoardFilterProxy(RowSortProxy):
    """Sorts like every table; filters on `search_text`, case-insensitively. A query of
    digits and spaces is an NHS number typed any way: spaces are ignored."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self._query = ""

    def set_query(self, text: str) -> None:
        self.beginFilterChange()
        self._query = " ".join(text.split()).casefold()
        self.endFilterChange()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if not self._query:
            return True
        model = self.sourceModel()
        row = model.index(source_row, 0, source_parent).data(ROW_ROLE)
        if not isinstance(row, WardRow):
            return True
        visible = [str(model.index(source_row, column, source_parent).data() or "")
                   for column in range(model.columnCount(source_parent))]
        haystack = search_text(row, visible)
        if self._query in haystack:
            return True
        digits = self._query.replace(" ", "")
        return digits.isdigit() and digits in row.nhs_number.replace(" ", "")


class WardTable(QTableView):
    """Enter opens the selected patient (double-click too). Tab leaves the table (arrows
    move between rows), so the keyboard reaches what comes after it on the page."""

    activated_row = Signal(QModelIndex)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabKeyNavigation(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_row.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


class WardBoard(QWidget):
    open_episode = Signal(int)

    def __init__(self, tz: ZoneInfo = WARD_TZ, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = WardBoardModel(tz, self)
        self.proxy = BoardFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("boardFilter")
        self.filter_edit.setPlaceholderText(
            "name, NHS number, bed, product (brand or generic name)…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter the ward board")
        label = QLabel("&Filter")
        label.setBuddy(self.filter_edit)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.filter_edit.returnPressed.connect(self._filter_entered)
        self.count_label = QLabel()
        self.count_label.setObjectName("boardCount")
        self._summary = ""
        top.addWidget(label)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.count_label)
        layout.addLayout(top)
        self.table = WardTable()
        self.table.setObjectName("wardTable")
        self.table.setAccessibleName("Ward board")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_BED, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        # Fixed row height (two text lines): fast and steady with many rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().lineSpacing() * 2 + 10
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self._fit_columns()
        self.table.doubleClicked.connect(self._open)
        self.table.activated_row.connect(self._open)
        layout.addWidget(self.table)

    def _fit_columns(self) -> None:
        """Widths from the font, not from the rows, so the board fits a 1500 px window with
        no horizontal scroll bar: each column is as wide as its longest usual line (bold
        where the cell is bold); the patient's name wraps and Tocilizumab, last, takes what
        is left and wraps. A nurse can still drag a column wider; tooltips hold full texts."""
        plain = self.table.fontMetrics()
        bold_font = QFont(self.table.font())
        bold_font.setBold(True)
        bold = QFontMetrics(bold_font)
        header = QFontMetrics(self.table.horizontalHeader().font())
        pad = 10  # the cell's text margins and a little air
        header_pad = 20  # the header also needs room for its sort arrow

        def fit(metrics: QFontMetrics, *samples: str) -> int:
            return max(metrics.horizontalAdvance(sample) for sample in samples) + pad

        widths = {
            COL_BED: fit(plain, "ICU-12"),
            COL_PATIENT: fit(plain, "NHS 999 000 0000 · 88 y"),  # a long name wraps
            COL_PRODUCT: fit(plain, *(p.brand for p in iter_products())),
            COL_DAY: fit(plain, "D+100", "infused"),  # "not infused" wraps
            COL_CRS: fit(bold, "CRS ≥ 2 · moderate", "CRS ≥ 0 · partial", "CRS not assessed"),
            COL_ICANS: fit(bold, "ICANS ≥ 2 · moderate", "ICANS not assessed"),
            COL_NEWS2: fit(plain, "NEWS2 4 · low-medium"),
            COL_LAST: fit(plain, "22 Nov 22:22"),
            COL_DUE: fit(bold, "22 Nov 22:22", "OVERDUE since"),
            COL_ALERTS: fit(bold, "⚠ Critical-care discussion", "NEWS2 emergency response"),
        }
        for column, width in widths.items():
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            self.table.setColumnWidth(
                column, max(width, header.horizontalAdvance(title) + header_pad)
            )

    def set_rows(self, rows: list[WardRow]) -> None:
        self.model.set_rows(rows)
        overdue = sum(1 for r in rows if r.overdue)
        critical = sum(1 for r in rows if any(a.kind == "critical_care" for a in r.open_alerts))
        self._summary = f"{critical} critical-care alerts · {overdue} overdue"
        self._show_count()

    def _show_count(self) -> None:
        """The whole ward's counts, and — while a filter hides rows — that it does, so a
        nurse coming back to the board never takes a filtered list for the ward."""
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        query = self.filter_edit.text().strip()
        if query and shown < total:
            self.count_label.setText(
                f"<b>Filtered: {shown} of {total} patients</b> (“{escape(query)}”; Esc or the "
                f"✕ clears it) · {self._summary}")
        else:
            self.count_label.setText(f"{total} patients · {self._summary}")

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_query(text)
        self._show_count()
        # Keep a row current, so Tab then Enter opens a patient with no mouse.
        if self.proxy.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def _filter_entered(self) -> None:
        """Enter in the filter: one match opens it; several go to the first of them."""
        shown = self.proxy.rowCount()
        if shown == 1:
            self._open(self.proxy.index(0, 0))
        elif shown > 1:
            self.table.selectRow(0)
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.filter_edit.text():
            self.filter_edit.clear()
            event.accept()
            return
        super().keyPressEvent(event)

    def selected_episode(self) -> int | None:
        """The highlighted row's episode (a current cell whose row is not highlighted, e.g.
        after choosing a row under Awaiting infusion, does not count)."""
        index = self.table.currentIndex()
        selection = self.table.selectionModel()
        if not index.isValid() or not selection.isRowSelected(index.row(), index.parent()):
            return None
        row = index.data(ROW_ROLE)
        return row.episode_id if isinstance(row, WardRow) else None

    def select_episode(self, episode_id: int) -> bool:
        """Highlight the patient's row (clearing the filter if it hides them)."""
        number = self.model.row_for_episode(episode_id)
        if number is None:
            return False
        view_index = self.proxy.mapFromSource(self.model.index(number, 0))
        if not view_index.isValid():
            self.filter_edit.clear()
            view_index = self.proxy.mapFromSource(self.model.index(number, 0))
        self.table.setCurrentIndex(view_index)
        self.table.selectRow(view_index.row())
        self.table.scrollTo(view_index)
        return True

    def _open(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, WardRow):
            self.open_episode.emit(row.episode_id)
