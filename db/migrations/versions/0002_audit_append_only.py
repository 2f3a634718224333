"""Audit trail is append-only: triggers refuse UPDATE/DELETE of audit_event.

Revision ID: 0002
Revises: 0001

SAFETY.md: "changes shall not obscure previously recorded information". The application
never updates or deletes an audit row; these triggers make that true even for a mistaken
query or a person with a SQL prompt (on PostgreSQL also TRUNCATE; grants for a separate
application role are in db/audit_protection.postgres_role_sql and the README).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.audit_protection import install_audit_protection, remove_audit_protection

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    install_audit_protection(op.get_bind())


def downgrade() -> None:
    remove_audit_protection(op.get_bind())
