"""User accounts: first admin, creation and policy, login throttling, rehash, unlock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app import passwords
from app.actor import Actor, Role
from app.errors import PermissionDenied, ValidationFailed
from app.services import users
from app.services.users import LoginFailed, authenticate
from db.models import AuditEvent, LoginAttempt, UserAccount
from tests.accounts.conftest import PASSWORD, PIN


def audit_actions(ctx: Any) -> list[str]:
    with ctx.database.read() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def attempts(ctx: Any) -> list[tuple[str, bool]]:
    with ctx.database.read() as s:
        rows = s.execute(select(LoginAttempt.username, LoginAttempt.succeeded).order_by(
            LoginAttempt.id)).all()  # fmt: skip
    return [(r[0], r[1]) for r in rows]


def test_first_admin_only_on_an_empty_record(ctx: Any) -> None:
    assert not users.any_user_exists(ctx)
    row = users.create_first_admin(ctx, " Admin ", "Ada Admin", PASSWORD)
    assert (row.username, row.role, row.active) == ("admin", Role.ADMIN, True)
    assert users.any_user_exists(ctx)
    assert audit_actions(ctx) == ["user.create_first_admin"]
    with pytest.raises(PermissionDenied, match="already exists"):
        users.create_first_admin(ctx, "intruder", "Eve", PASSWORD)
    assert audit_actions(ctx) == ["user.create_first_admin"]


def test_password_policy_names_the_rule(ctx: Any) -> None:
    with pytest.raises(ValidationFailed, match="at least 10 characters") as caught:
        users.create_first_admin(ctx, "admin", "Ada Admin", "short")
    assert caught.value.problems[0].field == "password"
    assert not users.any_user_exists(ctx)


def test_create_user_checks_every_field(ctx: Any, admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        users.create_user(
            ctx, admin, username="9bad name", display_name=" ", role="surgeon",
            password="123", pin="12",
        )  # fmt: skip
    fields = {p.field for p in caught.value.problems}
    assert fields == {"username", "display_name", "role", "password", "pin"}
    users.create_user(
        ctx, admin, username="nina", display_name="Nina Nurse", role=Role.NURSE, password=PASSWORD
    )
    with pytest.raises(ValidationFailed, match="taken"):
        users.create_user(
            ctx, admin, username="NINA", display_name="Other", role="nurse", password=PASSWORD
        )


def test_only_admins_manage_users(ctx: Any, make_user: Any) -> None:
    nurse = make_user(Role.NURSE)
    with pytest.raises(PermissionDenied, match="nurse may not manage users"):
        users.create_user(
            ctx, nurse, username="x1", display_name="X", role="admin", password=PASSWORD
        )
    with pytest.raises(PermissionDenied):
        users.list_users(ctx, nurse)


def test_hashes_are_argon2id_and_never_the_password(ctx: Any, make_user: Any) -> None:
    make_user(Role.NURSE, pin=PIN)
    with ctx.database.read() as s:
        user = s.scalars(select(UserAccount).where(UserAccount.username == "nurse1")).one()
        assert user.password_hash.startswith("$argon2id$")
        assert user.pin_hash is not None and user.pin_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        events = s.scalars(select(AuditEvent)).all()
    assert all("$argon2" not in str(e.after) and PASSWORD not in str(e.after) for e in events)


def test_login_returns_the_actor_and_is_logged(ctx: Any, admin: Actor) -> None:
    assert (admin.username, admin.role, admin.workstation) == ("admin", Role.ADMIN, "ws-1")
    assert attempts(ctx) == [("admin", True)]
    assert audit_actions(ctx)[-1] == "user.login"


def test_wrong_password_message_and_attempts_left(ctx: Any, admin: Actor) -> None:
    with pytest.raises(LoginFailed, match=r"Wrong username or password\. 9 attempts left"):
        authenticate(ctx, "admin", "wrong password!", "ws-1")
    with pytest.raises(LoginFailed, match="Wrong username or password"):
        authenticate(ctx, "nobody", PASSWORD, "ws-1")
    with pytest.raises(LoginFailed, match="Type your username and password"):
        authenticate(ctx, "admin", "", "ws-1")
    assert attempts(ctx)[-2:] == [("admin", False), ("nobody", False)]
    assert audit_actions(ctx)[-2:] == ["user.login_failed", "user.login_failed"]


def test_ten_failures_lock_the_account_until_the_window_passes(
    ctx: Any, admin: Actor, fake_clock: Any
) -> None:
    for _ in range(9):
        fake_clock.advance(seconds=10)
        with pytest.raises(LoginFailed, match=r"attempts? left"):
            authenticate(ctx, "admin", "not the password", "ws-1")
    fake_clock.advance(seconds=10)
    with pytest.raises(LoginFailed, match="locked after 10 failed attempts until") as tenth:
        authenticate(ctx, "admin", "not the password", "ws-1")
    locked_at = fake_clock()
    # "until 10 Mar 2026 10:06": ward-local time, 5 minutes after the 10th failure
    assert "10 Mar 2026 10:06" in str(tenth.value)
    # The 11th attempt is refused even with the right password, until the lock ends.
    fake_clock.advance(minutes=4, seconds=59)
    with pytest.raises(LoginFailed, match=r"locked .* until 10 Mar 2026 10:06"):
        authenticate(ctx, "admin", PASSWORD, "ws-1")
    fake_clock.set(locked_at + timedelta(minutes=5))
    assert authenticate(ctx, "admin", PASSWORD, "ws-1").username == "admin"
    actions = audit_actions(ctx)
    assert actions.count("user.locked") == 1
    assert actions.count("user.login_failed") == 9
    assert actions.count("user.login_refused_locked") == 1
    assert [ok for _, ok in attempts(ctx)].count(False) == 11


def test_failures_spread_over_more_than_5_minutes_do_not_lock(
    ctx: Any, admin: Actor, fake_clock: Any
) -> None:
    for _ in range(15):
        fake_clock.advance(seconds=34)  # 10 failures span 306 s: never 10 in 5 minutes
        with pytest.raises(LoginFailed, match=r"attempts? left"):
            authenticate(ctx, "admin", "not the password", "ws-1")
    assert authenticate(ctx, "admin", PASSWORD, "ws-1").username == "admin"


def test_success_resets_the_count(ctx: Any, admin: Actor, fake_clock: Any) -> None:
    for _ in range(9):
        with pytest.raises(LoginFailed):
            authenticate(ctx, "admin", "not the password", "ws-1")
    fake_clock.advance(seconds=1)
    authenticate(ctx, "admin", PASSWORD, "ws-1")
    fake_clock.advance(seconds=1)
    with pytest.raises(LoginFailed, match="9 attempts left"):
        authenticate(ctx, "admin", "not the password", "ws-1")


def test_unknown_usernames_are_throttled_too(ctx: Any, admin: Actor) -> None:
    for _ in range(10):
        with pytest.raises(LoginFailed, match="Wrong username or password"):
            authenticate(ctx, "ghost", "whatever it is", "ws-1")
    with pytest.raises(LoginFailed, match="Too many failed attempts"):
        authenticate(ctx, "ghost", "whatever it is", "ws-1")


def test_rehash_on_login_when_parameters_change(ctx: Any, admin: Actor) -> None:
    with ctx.database.read() as s:
        old_hash = s.scalars(select(UserAccount.password_hash)).one()
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    with passwords.use_hasher(stronger):
        authenticate(ctx, "admin", PASSWORD, "ws-1")
        with ctx.database.read() as s:
            new_hash = s.scalars(select(UserAccount.password_hash)).one()
            event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert new_hash != old_hash and "t=2" in new_hash and "m=2048" in new_hash
        assert event is not None and event.action == "user.login"
        assert event.after == {"password_rehashed": True}
        authenticate(ctx, "admin", PASSWORD, "ws-1")  # no second rehash
        with ctx.database.read() as s:
            assert s.scalars(select(UserAccount.password_hash)).one() == new_hash


def test_unlock_with_password_or_pin(ctx: Any, make_user: Any) -> None:
    nurse = make_user(Role.NURSE, pin=PIN)
    assert users.unlock_with_pin_or_password(ctx, nurse.user_id, PIN)
    assert users.unlock_with_pin_or_password(ctx, nurse.user_id, PASSWORD)
    assert not users.unlock_with_pin_or_password(ctx, nurse.user_id, "0000")
    assert not users.unlock_with_pin_or_password(ctx, 999, PASSWORD)
    assert audit_actions(ctx)[-3:] == ["user.unlock", "user.unlock", "user.unlock_failed"]


def test_pin_guessing_locks_the_account(ctx: Any, make_user: Any) -> None:
    nurse = make_user(Role.NURSE, pin=PIN)
    for guess in range(10):
        assert not users.unlock_with_pin_or_password(ctx, nurse.user_id, f"{guess:04d}")
    assert not users.unlock_with_pin_or_password(ctx, nurse.user_id, PIN)
    assert "locked" in (users.unlock_problem(ctx, nurse.user_id) or "")
    with pytest.raises(LoginFailed, match="locked"):
        authenticate(ctx, "nurse1", PASSWORD, "ws-1")


def test_set_password_own_and_admin_reset(ctx: Any, admin: Actor, make_user: Any) -> None:
    nurse = make_user(Role.NURSE)
    new = "a brand new passphrase"
    with pytest.raises(ValidationFailed, match="Current password is wrong"):
        users.set_password(ctx, nurse, nurse.user_id, new, current_password="guess guess")
    users.set_password(ctx, nurse, nurse.user_id, new, current_password=PASSWORD)
    assert authenticate(ctx, "nurse1", new, "ws-1").user_id == nurse.user_id
    other = make_user(Role.HAEMATOLOGIST)
    with pytest.raises(PermissionDenied):
        users.set_password(ctx, other, nurse.user_id, "taking over the account")
    users.set_password(ctx, admin, nurse.user_id, "reset by the admin")
    assert authenticate(ctx, "nurse1", "reset by the admin", "ws-1").role is Role.NURSE
    assert audit_actions(ctx).count("user.set_password") == 2


def test_deactivated_account_cannot_log_in(ctx: Any, admin: Actor, make_user: Any) -> None:
    nurse = make_user(Role.NURSE)
    with pytest.raises(ValidationFailed, match="reason"):
        users.deactivate_user(ctx, admin, nurse.user_id, reason=" ")
    with pytest.raises(ValidationFailed, match="own account"):
        users.deactivate_user(ctx, admin, admin.user_id or 0, reason="leaving")
    row = users.deactivate_user(ctx, admin, nurse.user_id, reason="left the trust")
    assert not row.active
    with pytest.raises(LoginFailed, match="deactivated"):
        authenticate(ctx, "nurse1", PASSWORD, "ws-1")
    listed = {u.username: u.active for u in users.list_users(ctx, admin)}
    assert listed == {"admin": True, "nurse1": False}


def test_every_write_has_exactly_one_audit_event(ctx: Any, admin: Actor) -> None:
    def count() -> int:
        with ctx.database.read() as s:
            return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)

    start = count()
    row = users.create_user(
        ctx, admin, username="hana", display_name="Hana H", role="haematologist",
        password=PASSWORD,
    )  # fmt: skip
    assert count() == start + 1
    users.set_pin(ctx, admin, row.id, PIN)
    assert count() == start + 2
    with pytest.raises(LoginFailed):
        authenticate(ctx, "hana", "wrong wrong wrong", "ws-1")
    assert count() == start + 3
    users.deactivate_user(ctx, admin, row.id, reason="test")
    assert count() == start + 4


def test_cli_user_add(ctx: Any, capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter([PASSWORD, PASSWORD])
    status = users.cli_user_add(ctx, "nina", "nurse", None, prompt=lambda _: next(answers))
    assert status == 2
    assert "first account must be an administrator" in capsys.readouterr().out
    env = {users.PASSWORD_ENV_VAR: PASSWORD}
    assert users.cli_user_add(ctx, "boss", "admin", "The Boss", environ=env) == 0
    assert users.cli_user_add(ctx, "nina", "nurse", "Nina N", environ=env) == 0
    assert "Created nurse account 'nina'" in capsys.readouterr().out
    mismatched = iter([PASSWORD, "something else!"])
    assert users.cli_user_add(ctx, "ned", "nurse", None, prompt=lambda _: next(mismatched)) == 1
    assert "differ" in capsys.readouterr().out
    assert authenticate(ctx, "nina", PASSWORD, "ws").role is Role.NURSE
