"""The permission matrix of SAFETY.md ("Who may do what"), in one table a safety officer
can review. Services are the authority: each calls `require` before doing anything."""

from __future__ import annotations

from enum import StrEnum

from app.actor import Actor, Role
from app.errors import PermissionDenied


class Action(StrEnum):
    VIEW_WARD = "view ward and patients"
    VIEW_STOCK = "view tocilizumab stock"
    REGISTER_PATIENT = "register patient or episode"
    RECORD_ASSESSMENT = "record assessment"
    RECORD_ADMINISTRATION = "record drug given"
    AMEND_OWN_ENTRY = "amend own entry"
    AMEND_OTHERS_ENTRY = "amend another user's entry"
    ACKNOWLEDGE_ALERT = "acknowledge alert"
    RECORD_DISCUSSION = "record critical-care discussion"
    RESOLVE_ALERT = "resolve alert"
    OVERRIDE_GRADE = "override a grade or readiness check"
    MANAGE_STOCK = "receive, reserve, release or waste tocilizumab stock"
    PRINT_HANDOVER = "print handover"
    REGISTRY_EXPORT = "identifiable registry export"
    MANAGE_USERS = "manage users and backups"
    VIEW_AUDIT = "view audit trail"


N, H, P, A = Role.NURSE, Role.HAEMATOLOGIST, Role.PHARMACIST, Role.ADMIN

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_WARD: frozenset({N, H}),
    Action.VIEW_STOCK: frozenset({N, H, P}),
    Action.REGISTER_PATIENT: frozenset({N, H}),
    Action.RECORD_ASSESSMENT: frozenset({N, H}),
    Action.RECORD_ADMINISTRATION: frozenset({N, H}),
    Action.AMEND_OWN_ENTRY: frozenset({N, H}),
    Action.AMEND_OTHERS_ENTRY: frozenset({N, H}),  # with a reason, enforced by the service
    Action.ACKNOWLEDGE_ALERT: frozenset({N, H}),
    Action.RECORD_DISCUSSION: frozenset({N, H}),
    Action.RESOLVE_ALERT: frozenset({H}),
    Action.OVERRIDE_GRADE: frozenset({H}),
    Action.MANAGE_STOCK: frozenset({P}),
    Action.PRINT_HANDOVER: frozenset({N, H}),
    Action.REGISTRY_EXPORT: frozenset({H}),
    Action.MANAGE_USERS: frozenset({A}),
    Action.VIEW_AUDIT: frozenset({N, H, P, A}),  # scope narrowed per role by the viewer
}


def is_allowed(actor: Actor, action: Action) -> bool:
    return actor.role in PERMISSIONS[action]


def denial_message(actor: Actor, action: Action) -> str:
    allowed = ", ".join(sorted(r.value for r in PERMISSIONS[action])) or "nobody"
    return f"A {actor.role.value} may not {action.value} (allowed: {allowed})."


def require(actor: Actor, action: Action) -> None:
    """Raise PermissionDenied (and log the denial) unless the actor's role may act."""
    if actor.username == "system" and actor.user_id is None:
        return  # command-line import/demo/generate runs as the audited system actor
    if not is_allowed(actor, action):
        import logging

        logging.getLogger("carward.permissions").warning(
            "denied: user_id=%s role=%s action=%s", actor.user_id, actor.role.value, action.name
        )
        raise PermissionDenied(denial_message(actor, action))
