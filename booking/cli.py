"""Flask commands: `flask --app wsgi seed-demo`, `create-user`, `upgrade-and-seed`."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import ROLES, Space, User
from booking.services import ServiceError, accounts, feeds


def _print_demo_logins() -> None:
    from booking.demo import DEMO_PASSWORD, DEMO_USERS

    emails = [email for email, *_rest in DEMO_USERS]
    existing = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    if existing:
        click.echo("Demo logins:")
    for email, _name, _org, _kind, role in DEMO_USERS:
        if email in existing:
            click.echo(f"  {role:<7} {email}  password: {DEMO_PASSWORD}")


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create the demo spaces, accounts and bookings (idempotent)."""
        from booking.demo import seed_demo

        counts = seed_demo()
        click.echo(f"Demo data: {counts['spaces']} spaces, {counts['users']} accounts, "
                   f"{counts['bookings']} new bookings.")
        _print_demo_logins()

    @app.cli.command("setup")
    def setup_command() -> None:
        """Upgrade the database to the newest migration; seed demo data when it is empty."""
        upgrade()
        if not db.session.scalar(select(func.count()).select_from(Space)):
            seed_demo_command.callback()  # type: ignore[misc]
        else:
            click.echo("Database is up to date; it already has data, so no demo data was added.")
            _print_demo_logins()

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(ROLES), default="member")
    @click.password_option()
    def create_user_command(email: str, name: str, role: str, password: str) -> None:
        """Create an account (for example the first admin of a new deployment)."""
        try:
            user = accounts.register(accounts.Registration(email=email, password=password,
                                                           name=name, role=role))
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Created {user.role} {user.email}")

    @app.cli.command("rebuild-feed-events")
    def rebuild_feed_events_command() -> None:
        """Store fresh feed events where they are stale (after changing FEED_LOCALE or renaming members)."""
        for space_id in db.session.scalars(select(Space.id).order_by(Space.id)).all():
            click.echo(f"space {space_id}: {feeds.rebuild_events(space_id)} events rebuilt")
