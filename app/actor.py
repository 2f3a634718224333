"""Who is acting: every service call takes an Actor so writes are attributable (SAFETY.md)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    NURSE = "nurse"
    HAEMATOLOGIST = "haematologist"
    PHARMACIST = "pharmacist"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: Role
    workstation: str = socket.gethostname()

    @property
    def label(self) -> str:
        return f"{self.username} ({self.role.value})"


# Used by the command line (import, demo, generate) where no person is logged in; every
# write it makes is still audited under this name.
SYSTEM_ACTOR = Actor(user_id=None, username="system", role=Role.ADMIN, workstation="cli")
