"""User accounts: first admin, creation, login with throttling, unlock, password changes.

SAFETY.md "Who may do what": individual accounts, Argon2id hashes (app/passwords.py), at most
10 failed logins per 5 minutes per account, then a timed lock. Every attempt is stored in
`login_attempt` (never the secret) and every write has exactly one audit event. Log lines
name internal ids only (never a typed username: someone may type an NHS number into it).
"""

from __future__ import annotations

import getpass
import logging
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app import passwords
from app.actor import Actor, Role
from app.audit import record_audit, snapshot
from app.clock import format_local
from app.context import AppContext
from app.errors import (
    FieldProblem,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from app.permissions import Action, require
from db.models import AuditEvent, LoginAttempt, UserAccount

log = logging.getLogger(__name__)

MAX_FAILED_ATTEMPTS = 10
ATTEMPT_WINDOW = timedelta(minutes=5)
LOCK_DURATION = timedelta(minutes=5)
PASSWORD_ENV_VAR = "CARWARD_NEW_PASSWORD"

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,79}$")
# Audit snapshots never carry the hashes.
_AUDITED_FIELDS = ["id", "username", "display_name", "role", "active", "locked_until", "version"]


class LoginFailed(ServiceError):
    """The login or unlock was refused; str() tells the user why and what to do."""


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    has_pin: bool
    locked_until: datetime | None
    created_at: datetime
    version: int


def _row(user: UserAccount) -> UserRow:
    return UserRow(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        active=user.active,
        has_pin=user.pin_hash is not None,
        locked_until=user.locked_until,
        created_at=user.created_at,
        version=user.version,
    )


def _audit_view(user: UserAccount) -> dict[str, Any]:
    return snapshot(user, _AUDITED_FIELDS)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _check_new_account(
    session: Session, *, username: str, display_name: str, role: str, password: str,
    pin: str | None,
) -> tuple[str, Role]:  # fmt: skip
    problems: list[FieldProblem] = []
    name = normalise_username(username)
    if not _USERNAME.match(name):
        problems.append(
            FieldProblem(
                "username",
                "Username must be 2-80 characters: a letter first, then letters, digits, "
                "'.', '_' or '-' (e.g. jsmith).",
            )
        )
    elif session.scalar(select(UserAccount.id).where(UserAccount.username == name)) is not None:
        problems.append(FieldProblem("username", f"Username {name!r} is taken: choose another."))
    if not display_name.strip():
        problems.append(FieldProblem("display_name", "Type the person's full name."))
    try:
        parsed_role = Role(role)
    except ValueError:
        parsed_role = Role.NURSE
        choices = ", ".join(r.value for r in Role)
        problems.append(FieldProblem("role", f"Unknown role {role!r}: choose one of {choices}."))
    problems += passwords.password_problems(password)
    if pin is not None:
        problems += passwords.pin_problems(pin)
    if problems:
        raise ValidationFailed(problems)
    return name, parsed_role


def _lock_user_table(session: Session) -> None:
    """PostgreSQL: serialise "is there any user yet?" checks (SQLite's BEGIN IMMEDIATE
    already holds the write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE user_account IN EXCLUSIVE MODE"))


def any_user_exists(ctx: AppContext) -> bool:
    """False on a brand-new record: the GUI then shows the first-admin set-up dialog."""
    with ctx.database.read() as session:
        return session.scalar(select(func.count()).select_from(UserAccount)) != 0


def create_first_admin(ctx: AppContext, username: str, display_name: str, password: str) -> UserRow:
    """The first account of a new record; refused once any account exists."""
    now = ctx.clock()
    with ctx.database.transaction() as session:
        _lock_user_table(session)
        if session.scalar(select(func.count()).select_from(UserAccount)):
            raise PermissionDenied(
                "An account already exists: ask an administrator to create your account."
            )
        name, _ = _check_new_account(
            session, username=username, display_name=display_name, role="admin",
            password=password, pin=None,
        )  # fmt: skip
        user = UserAccount(
            username=name,
            display_name=display_name.strip(),
            role=Role.ADMIN.value,
            password_hash=passwords.hash_secret(password),
            pin_hash=None,
            active=True,
            created_at=now,
            version=1,
        )
        session.add(user)
        session.flush()
        creator = Actor(user_id=user.id, username=name, role=Role.ADMIN)
        record_audit(
            session, creator, now, "user.create_first_admin", "user", user.id,
            after=_audit_view(user), reason="first start",
        )  # fmt: skip
        row = _row(user)
    log.info("first administrator created: user_id=%s", row.id)
    return row


def create_user(
    ctx: AppContext,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str | Role,
    password: str,
    pin: str | None = None,
) -> UserRow:
    require(actor, Action.MANAGE_USERS)
    now = ctx.clock()
    with ctx.database.transaction() as session:
        name, parsed_role = _check_new_account(
            session, username=username, display_name=display_name, role=str(role),
            password=password, pin=pin,
        )  # fmt: skip
        user = UserAccount(
            username=name,
            display_name=display_name.strip(),
            role=parsed_role.value,
            password_hash=passwords.hash_secret(password),
            pin_hash=passwords.hash_secret(pin) if pin is not None else None,
            active=True,
            created_at=now,
            version=1,
        )
        session.add(user)
        session.flush()
        record_audit(session, actor, now, "user.create", "user", user.id, after=_audit_view(user))
        row = _row(user)
    log.info("user created: user_id=%s role=%s by user_id=%s", row.id, row.role, actor.user_id)
    return row


def list_users(ctx: AppContext, actor: Actor) -> list[UserRow]:
    require(actor, Action.MANAGE_USERS)
    with ctx.database.read() as session:
        users = session.scalars(select(UserAccount).order_by(UserAccount.username)).all()
        return [_row(u) for u in users]


def _get_user(session: Session, user_id: int) -> UserAccount:
    user = session.get(UserAccount, user_id)
    if user is None:
        raise NotFound(f"No user account with id {user_id}.")
    return user


def set_password(
    ctx: AppContext,
    actor: Actor,
    user_id: int,
    new_password: str,
    *,
    current_password: str | None = None,
) -> UserRow:
    """A user changes their own password (giving the current one); an admin resets anyone's
    (which also lifts a timed lock)."""
    own = actor.user_id == user_id
    if not own:
        require(actor, Action.MANAGE_USERS)
    passwords.check_password_policy(new_password)
    now = ctx.clock()
    with ctx.database.transaction() as session:
        user = _get_user(session, user_id)
        if own and not passwords.verify_secret(user.password_hash, current_password or ""):
            raise ValidationFailed(
                [FieldProblem("current_password", "Current password is wrong: type it again.")]
            )
        before = _audit_view(user)
        user.password_hash = passwords.hash_secret(new_password)
        user.locked_until = None
        user.version += 1
        session.flush()
        record_audit(
            session, actor, now, "user.set_password", "user", user.id,
            before=before, after=_audit_view(user),
            reason="own password changed" if own else "password reset by administrator",
        )  # fmt: skip
        row = _row(user)
    log.info("password set: user_id=%s by user_id=%s", user_id, actor.user_id)
    return row


def set_pin(ctx: AppContext, actor: Actor, user_id: int, pin: str | None) -> UserRow:
    """Set (or clear with None) the PIN that unlocks a user's own locked screen."""
    if actor.user_id != user_id:
        require(actor, Action.MANAGE_USERS)
    if pin is not None and (problems := passwords.pin_problems(pin)):
        raise ValidationFailed(problems)
    now = ctx.clock()
    with ctx.database.transaction() as session:
        user = _get_user(session, user_id)
        before = _audit_view(user) | {"has_pin": user.pin_hash is not None}
        user.pin_hash = passwords.hash_secret(pin) if pin is not None else None
        user.version += 1
        session.flush()
        record_audit(
            session, actor, now, "user.set_pin", "user", user.id,
            before=before, after=_audit_view(user) | {"has_pin": pin is not None},
        )  # fmt: skip
        return _row(user)


def deactivate_user(ctx: AppContext, actor: Actor, user_id: int, *, reason: str) -> UserRow:
    """Accounts are never deleted (their entries stay attributable); a deactivated account
    cannot log in."""
    require(actor, Action.MANAGE_USERS)
    if not reason.strip():
        raise ValidationFailed([FieldProblem("reason", "Give a reason for deactivating.")])
    if actor.user_id == user_id:
        raise ValidationFailed(
            [FieldProblem("user", "You cannot deactivate your own account: ask another admin.")]
        )
    now = ctx.clock()
    with ctx.database.transaction() as session:
        user = _get_user(session, user_id)
        if user.role == Role.ADMIN.value and user.active:
            active_admins = session.scalar(
                select(func.count())
                .select_from(UserAccount)
                .where(UserAccount.role == Role.ADMIN.value, UserAccount.active.is_(True))
            )
            if active_admins == 1:
                raise ValidationFailed(
                    [FieldProblem("user", "This is the last active administrator: keep it.")]
                )
        before = _audit_view(user)
        user.active = False
        user.version += 1
        session.flush()
        record_audit(
            session, actor, now, "user.deactivate", "user", user.id,
            before=before, after=_audit_view(user), reason=reason.strip(),
        )  # fmt: skip
        row = _row(user)
    log.info("user deactivated: user_id=%s by user_id=%s", user_id, actor.user_id)
    return row


# --- Login and unlock -------------------------------------------------------------------

_dummy_hash: str | None = None


def _spend_time_like_a_verify(secret: str) -> None:
    """Unknown username: verify against a dummy hash so timing does not reveal which
    usernames exist."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = passwords.hash_secret("not a real password, only for timing")
    passwords.verify_secret(_dummy_hash, secret)


def _audit_login(
    session: Session,
    user: UserAccount | None,
    action: str,
    *,
    username: str,
    workstation: str,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    # Built directly (not via record_audit) because an unknown username has no role.
    session.add(
        AuditEvent(
            at=at,
            user_id=user.id if user else None,
            username=user.username if user else username[:80],
            role=user.role if user else "unknown",
            workstation=workstation[:80],
            action=action,
            entity="user",
            entity_id=user.id if user else None,
            episode_id=None,
            before=before,
            after=after,
            reason=None,
        )
    )


def _failures_in_window(
    session: Session, username: str, now: datetime, user: UserAccount | None
) -> int:
    """Failed attempts counted towards the limit: within the last 5 minutes, after the
    last success (by id: a fake or coarse clock can give both the same time), and after
    the end of the last lock (refused attempts during a lock do not prolong it)."""
    last_success_id = session.scalar(
        select(func.max(LoginAttempt.id)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > now - ATTEMPT_WINDOW,
            LoginAttempt.at <= now,
        )
    )
    if last_success_id is not None:
        query = query.where(LoginAttempt.id > last_success_id)
    if user is not None and user.locked_until is not None:
        query = query.where(LoginAttempt.at >= user.locked_until)
    return int(session.scalar(query) or 0)


def _locked_message(until: datetime, ctx: AppContext) -> str:
    return (
        f"This account is locked after {MAX_FAILED_ATTEMPTS} failed attempts until "
        f"{format_local(until, ctx.tz)} (ward time). Try again then, or ask an "
        "administrator to reset the password."
    )


def _attempt(
    ctx: AppContext,
    session: Session,
    user: UserAccount | None,
    *,
    username: str,
    workstation: str,
    matches: Callable[[UserAccount], bool],
    verb: str,
) -> str | None:
    """One throttled login or unlock attempt, stored and audited; returns None on success
    or the message to show. Never raises, so the attempt is committed either way."""
    now = ctx.clock()

    def audit(who: UserAccount | None, action: str, **kwargs: Any) -> None:
        _audit_login(
            session, who, action, username=username, workstation=workstation, at=now, **kwargs
        )

    def record(succeeded: bool) -> None:
        session.add(
            LoginAttempt(username=username[:80], at=now, succeeded=succeeded,
                         workstation=workstation[:80])
        )  # fmt: skip

    if user is not None and user.locked_until is not None and now < user.locked_until:
        _spend_time_like_a_verify("")
        record(False)
        audit(user, f"user.{verb}_refused_locked")
        log.warning("%s refused, account locked: user_id=%s", verb, user.id)
        return _locked_message(user.locked_until, ctx)

    failures = _failures_in_window(session, username, now, user)
    if user is None and failures >= MAX_FAILED_ATTEMPTS:
        _spend_time_like_a_verify("")
        record(False)
        audit(None, f"user.{verb}_refused_locked")
        log.warning("%s refused: too many failures for an unknown username", verb)
        return (
            f"Too many failed attempts ({MAX_FAILED_ATTEMPTS} in 5 minutes): "
            "wait 5 minutes and try again."
        )

    if user is None:
        _spend_time_like_a_verify("x")
        ok = False
    else:
        ok = matches(user)

    if ok and user is not None and not user.active:
        record(False)
        audit(user, f"user.{verb}_refused_inactive")
        log.warning("%s refused, account deactivated: user_id=%s", verb, user.id)
        return "This account is deactivated: ask an administrator."

    if ok and user is not None:
        record(True)
        after: dict[str, Any] = {"password_rehashed": False}
        if verb == "login" and passwords.needs_rehash(user.password_hash):
            after["password_rehashed"] = True  # authenticate() stores the new hash
        audit(user, f"user.{verb}", after=after)
        log.info("%s succeeded: user_id=%s", verb, user.id)
        return None

    record(False)
    failures += 1
    if user is not None and failures >= MAX_FAILED_ATTEMPTS:
        before = _audit_view(user)
        user.locked_until = now + LOCK_DURATION
        user.version += 1
        session.flush()
        audit(user, "user.locked", before=before, after=_audit_view(user))
        log.warning("account locked after %d failures: user_id=%s", failures, user.id)
        return "Wrong password. " + _locked_message(user.locked_until, ctx)
    audit(user, f"user.{verb}_failed", after={"failures_in_window": failures})
    log.warning(
        "%s failed (%d in window): user_id=%s", verb, failures, user.id if user else "unknown"
    )
    left = MAX_FAILED_ATTEMPTS - failures
    what = "username or password" if verb == "login" else "password or PIN"
    return (
        f"Wrong {what}. {left} attempt{'s' if left != 1 else ''} left before the account "
        f"is locked for {int(LOCK_DURATION.total_seconds() // 60)} minutes."
    )


def authenticate(ctx: AppContext, username: str, password: str, workstation: str) -> Actor:
    """The logged-in Actor, or LoginFailed with a message to show under the form."""
    name = normalise_username(username)
    if not name or not password:
        raise LoginFailed("Type your username and password, then press Enter.")
    with ctx.database.transaction() as session:
        user = session.scalars(
            select(UserAccount).where(UserAccount.username == name)
        ).one_or_none()

        def matches(u: UserAccount) -> bool:
            return passwords.verify_secret(u.password_hash, password)

        problem = _attempt(
            ctx, session, user, username=name, workstation=workstation, matches=matches,
            verb="login",
        )  # fmt: skip
        actor: Actor | None = None
        if problem is None and user is not None:
            if passwords.needs_rehash(user.password_hash):
                # Hash parameters changed since it was stored: store a new hash now that the
                # password is known to be right (the login audit event says so).
                user.password_hash = passwords.hash_secret(password)
                user.version += 1
                log.info("password re-hashed with current parameters: user_id=%s", user.id)
            actor = Actor(
                user_id=user.id, username=user.username, role=Role(user.role),
                workstation=workstation,
            )  # fmt: skip
    if actor is None:
        raise LoginFailed(problem or "Login refused.")
    return actor


def unlock_with_pin_or_password(ctx: AppContext, user_id: int, secret: str) -> bool:
    """Unlock the idle-locked screen of `user_id` with their password or PIN. Throttled and
    audited like a login (a 4-digit PIN must not be guessable)."""
    if not secret:
        return False
    with ctx.database.transaction() as session:
        user = session.get(UserAccount, user_id)
        if user is None:
            return False

        def matches(u: UserAccount) -> bool:
            return passwords.verify_secret(u.password_hash, secret) or passwords.verify_secret(
                u.pin_hash, secret
            )

        problem = _attempt(
            ctx, session, user, username=user.username, workstation=socket.gethostname(),
            matches=matches, verb="unlock",
        )  # fmt: skip
    return problem is None


def unlock_problem(ctx: AppContext, user_id: int) -> str | None:
    """Why the account cannot be unlocked right now (timed lock), for the lock screen."""
    with ctx.database.read() as session:
        user = session.get(UserAccount, user_id)
        if user is None:
            return "This account no longer exists: switch user."
        if not user.active:
            return "This account is deactivated: switch user."
        if user.locked_until is not None and ctx.clock() < user.locked_until:
            return _locked_message(user.locked_until, ctx)
    return None


# --- Command line -----------------------------------------------------------------------


def read_new_password(
    prompt: Callable[[str], str] = getpass.getpass, environ: dict[str, str] | None = None
) -> str:
    """`CARWARD_NEW_PASSWORD` (for scripts) or typed twice; ValidationFailed if they differ."""
    env = os.environ if environ is None else environ
    from_env = env.get(PASSWORD_ENV_VAR)
    if from_env:
        return from_env
    first = prompt("New password: ")
    second = prompt("Type it again: ")
    if first != second:
        raise ValidationFailed([FieldProblem("password", "The two passwords differ.")])
    return first


def cli_user_add(
    ctx: AppContext,
    username: str,
    role: str,
    display_name: str | None,
    *,
    prompt: Callable[[str], str] = getpass.getpass,
    environ: dict[str, str] | None = None,
) -> int:
    """`python -m app user add USERNAME --role ROLE [--name "Full Name"]`; exit status.

    On an empty record the first account must be an admin (it becomes the first admin).
    Otherwise the command runs as the audited system actor: whoever can run it can already
    write to the database, so it grants nothing new.
    """
    from app.actor import SYSTEM_ACTOR

    try:
        password = read_new_password(prompt, environ)
        name = display_name or username
        if not any_user_exists(ctx):
            if role != Role.ADMIN.value:
                print("The first account must be an administrator: use --role admin.")
                return 2
            row = create_first_admin(ctx, username, name, password)
        else:
            row = create_user(
                ctx, SYSTEM_ACTOR, username=username, display_name=name, role=role,
                password=password,
            )  # fmt: skip
    except ServiceError as error:
        print(f"Not created: {error}")
        return 1
    print(f"Created {row.role.value} account {row.username!r} (id {row.id}).")
    return 0
