"""Application log files, with NHS numbers redacted as a last line of defence.

Services log internal ids only (SAFETY.md: NHS numbers never written to log files); the
redaction filter catches anything NHS-number-shaped that slips through anyway: ten digits,
written together or as 3-3-4 groups separated by spaces or dashes.
"""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

import platformdirs

APP_NAME = "carward"
LOG_FILE_NAME = "carward.log"
MAX_BYTES = 2_000_000
BACKUP_COUNT = 5
REDACTED = "[redacted-10-digits]"

# 3-3-4 with optional single space/dash separators, not part of a longer digit run. Dates
# and times ("2024-05-01 10:22") do not match: their groups are 4-2-2.
NHS_SHAPED = re.compile(r"(?<!\d)\d{3}[ \-]?\d{3}[ \-]?\d{4}(?!\d)")

_HANDLER_NAME = "carward-file"


def redact(text: str) -> str:
    return NHS_SHAPED.sub(REDACTED, text)


class NhsRedactionFilter(logging.Filter):
    """Rewrites the record's message (arguments merged in) with NHS-shaped strings removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """Also redacts tracebacks and anything else the formatter adds."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def default_log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def configure_logging(log_dir: Path | str | None = None, level: int = logging.INFO) -> Path:
    """Send the root logger to a rotating file in `log_dir` (default: the platform's user
    log folder for "carward"); returns the file. Calling again replaces the handler."""
    folder = Path(log_dir) if log_dir is not None else default_log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE_NAME
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    handler = RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
    )
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(NhsRedactionFilter())
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return path


def close_logging() -> None:
    """Remove and close the file handler (tests; shutdown)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
