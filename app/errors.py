"""Errors a service raises; each carries a message a ward user can act on."""

from __future__ import annotations

from dataclasses import dataclass


class ServiceError(Exception):
    """Base: str(error) is shown to the user as is."""


@dataclass(frozen=True)
class FieldProblem:
    field: str  # the input key (RULES §6 name or form field)
    message: str  # what is wrong and how to fix it
    suggestion: object | None = None  # e.g. 38.5 for a temperature typed in °F


class ValidationFailed(ServiceError):
    """Impossible values: nothing was stored; the form keeps what was typed."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


class ConfirmationRequired(ServiceError):
    """Improbable values: resubmit with a reason for each listed field to store them."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        listed = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(f"Please confirm with a reason: {listed}")


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class StaleEdit(ServiceError):
    """Optimistic concurrency: the row changed since it was read."""

    def __init__(self, changed_by: str, changed_at: str) -> None:
        super().__init__(f"Changed by {changed_by} at {changed_at} — reload and try again.")
        self.changed_by = changed_by
        self.changed_at = changed_at
