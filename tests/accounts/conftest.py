"""Accounts test helpers: a cheap Argon2id hasher (production keeps argon2-cffi defaults)
and ready-made accounts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app import passwords
from app.actor import Actor, Role

PASSWORD = "correct horse battery"
PIN = "4812"


@pytest.fixture(autouse=True)
def fast_hasher() -> Iterator[Any]:
    with passwords.use_hasher(passwords.fast_test_hasher()) as hasher:
        yield hasher


@pytest.fixture
def admin(ctx: Any) -> Actor:
    from app.services.users import authenticate, create_first_admin

    create_first_admin(ctx, "admin", "Ada Admin", PASSWORD)
    return authenticate(ctx, "admin", PASSWORD, "ws-1")


@pytest.fixture
def make_user(ctx: Any, admin: Actor) -> Any:
    """make_user(role, username=None, pin=None) -> Actor (logged in)."""
    from app.services.users import authenticate, create_user

    def make(role: Role, username: str | None = None, pin: str | None = None) -> Actor:
        name = username or f"{role.value}1"
        create_user(
            ctx, admin, username=name, display_name=f"{role.value.title()} One", role=role,
            password=PASSWORD, pin=pin,
        )  # fmt: skip
        return authenticate(ctx, name, PASSWORD, "ws-1")

    return make
