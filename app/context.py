"""What every service call needs besides its arguments: the database and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from app.clock import WARD_TZ, Clock, utc_now
from db.engine import Database


@dataclass
class AppContext:
    database: Database
    clock: Clock = field(default=utc_now)
    tz: ZoneInfo = field(default=WARD_TZ)
    ward: str = "Haematology"
