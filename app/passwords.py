"""Password and PIN hashing with Argon2id (SAFETY.md "Who may do what").

Production uses argon2-cffi's `PasswordHasher()` defaults (Argon2id). When those defaults
change in a newer argon2-cffi, `needs_rehash` turns true and the login service stores a new
hash on the next successful login.

Argon2 is slow on purpose; tests swap in a cheap hasher with `use_hasher` so the suite stays
fast. Nothing here ever logs a secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.errors import FieldProblem, ValidationFailed

MIN_PASSWORD_LENGTH = 10
PIN_LENGTHS = range(4, 9)  # 4 to 8 digits

_hasher = PasswordHasher()


def hasher() -> PasswordHasher:
    return _hasher


def set_hasher(new: PasswordHasher) -> PasswordHasher:
    """Replace the hasher (tests: fewer iterations); returns the previous one."""
    global _hasher
    previous, _hasher = _hasher, new
    return previous


@contextmanager
def use_hasher(new: PasswordHasher) -> Iterator[PasswordHasher]:
    previous = set_hasher(new)
    try:
        yield new
    finally:
        set_hasher(previous)


def fast_test_hasher() -> PasswordHasher:
    """Cheap Argon2id parameters for tests only (never for real accounts)."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """True when `secret` matches; False for a mismatch or an unreadable stored hash."""
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than the current hasher's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problems(password: str, *, field: str = "password") -> list[FieldProblem]:
    """The password policy: at least 10 characters, not only spaces."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [
            FieldProblem(
                field,
                f"Password is too short ({len(password)} characters): use at least "
                f"{MIN_PASSWORD_LENGTH} characters, e.g. a few unrelated words.",
            )
        ]
    if not password.strip():
        return [FieldProblem(field, "Password cannot be only spaces.")]
    return []


def pin_problems(pin: str, *, field: str = "pin") -> list[FieldProblem]:
    """A PIN unlocks only the user's own locked screen: 4 to 8 digits."""
    if not pin.isdigit() or len(pin) not in PIN_LENGTHS:
        return [
            FieldProblem(
                field,
                f"PIN must be {PIN_LENGTHS.start} to {PIN_LENGTHS.stop - 1} digits (0-9 only).",
            )
        ]
    return []


def check_password_policy(password: str) -> None:
    problems = password_problems(password)
    if problems:
        raise ValidationFailed(problems)
