"""Migration 0007: accounts that existed before it count as verified, so nobody is locked out."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from booking.extensions import db
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401


def test_existing_accounts_are_verified_by_the_upgrade(migration_app):  # noqa: F811
    upgrade(revision="0006")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO users (email, name, organisation, org_kind, role, password_hash, locale, "
                          "is_enabled, created_at) VALUES ('old@example.jp', 'Old', '', 'individual', 'member', "
                          "'x', 'ja', true, '2026-01-05 03:00:00+00:00')"))
    upgrade()
    with db.engine.connect() as conn:
        verified = conn.scalar(text("SELECT email_verified_at FROM users WHERE email = 'old@example.jp'"))
    assert verified is not None
    downgrade(revision="0006")
    upgrade()
