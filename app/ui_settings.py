"""Per-workstation UI state only (window geometry, table header state), through QSettings
with typed accessors and defaults (STYLE.md, as Picard's config). Clinical configuration
lives in the database, never here."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "carward"
APPLICATION = "ward-monitor"


class UiSettings:
    def __init__(self, path: Path | None = None) -> None:
        # An explicit ini file for tests and portable installs; else the platform's store.
        if path is not None:
            self._settings = QSettings(str(path), QSettings.Format.IniFormat)
        else:
            self._settings = QSettings(ORGANISATION, APPLICATION)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(key)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        return None

    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def set_window_geometry(self, data: QByteArray) -> None:
        self._settings.setValue("window/geometry", data)

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def set_window_state(self, data: QByteArray) -> None:
        self._settings.setValue("window/state", data)

    def header_state(self, table: str) -> QByteArray | None:
        return self._bytes(f"headers/{table}")

    def set_header_state(self, table: str, data: QByteArray) -> None:
        self._settings.setValue(f"headers/{table}", data)

    def sync(self) -> None:
        self._settings.sync()
