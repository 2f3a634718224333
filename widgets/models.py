"""Shared base for every table: a QAbstractTableModel over frozen row objects (STYLE.md,
as Vorta's table models). Subclasses declare `columns` (one `Column` each) and `row_key`.

- `ROW_ROLE` returns the row object itself, `SORT_ROLE` a Python value to sort by.
- `set_rows` keeps the view's selection and scroll position: when the same rows come back
  in the same order only the changed ones emit a narrow `dataChanged`; otherwise the
  model resets.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

R = TypeVar("R")

ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 2

AnyIndex = QModelIndex | QPersistentModelIndex


def sort_key_none_last(value: Any) -> tuple[int, Any]:
    """Sort None after every real value, so "not assessed" never sorts as 0."""
    return (1, 0) if value is None else (0, value)


@dataclass(frozen=True)
class Column(Generic[R]):
    title: str
    display: Callable[[R], str]
    sort: Callable[[R], Any] | None = None
    tooltip: Callable[[R], str] | None = None
    colours: Callable[[R], tuple[QColor, QColor] | None] | None = None
    bold: Callable[[R], bool] | None = None
    align_right: bool = False


class RowTableModel(QAbstractTableModel, Generic[R]):
    columns: Sequence[Column[R]] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []

    # --- data in --------------------------------------------------------------------
    def row_key(self, row: R) -> Hashable:
        return id(row)

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row_number: int) -> R:
        return self._rows[row_number]

    def set_rows(self, rows: Sequence[R]) -> None:
        new_rows = list(rows)
        same_shape = [self.row_key(r) for r in new_rows] == [self.row_key(r) for r in self._rows]
        if not same_shape:
            self.beginResetModel()
            self._rows = new_rows
            self.endResetModel()
            return
        old_rows = self._rows
        self._rows = new_rows
        last_column = max(len(self.columns) - 1, 0)
        for number, (old, new) in enumerate(zip(old_rows, new_rows, strict=True)):
            if old != new:
                self.dataChanged.emit(self.index(number, 0), self.index(number, last_column))

    # --- Qt overrides -----------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section].title
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if not (0 <= index.column() < len(self.columns)):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return sort_key_none_last(column.sort(row) if column.sort else column.display(row))
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row) or None
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            colours = column.colours(row) if column.colours else None
            if colours is None:
                return None
            background, foreground = colours
            return QBrush(background if role == Qt.ItemDataRole.BackgroundRole else foreground)
        if role == Qt.ItemDataRole.FontRole and column.bold is not None and column.bold(row):
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class RowSortProxy(QSortFilterProxyModel):
    """Sorts by SORT_ROLE (Python values, None last) and filters on every column's text."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)

    def lessThan(self, left: AnyIndex, right: AnyIndex) -> bool:
        a = left.data(SORT_ROLE)
        b = right.data(SORT_ROLE)
        try:
            return bool(a < b)
        except TypeError:  # mixed types in one column: compare their text
            return str(a) < str(b)
