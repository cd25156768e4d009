"""Flask commands: `flask --app wsgi setup`, `seed-demo --with-demo-accounts`, `create-user`,
`expire-requests`.

The demo accounts have a password published in the README, so they are made only on
request: `setup` adds them in debug mode only (`make run`), and `seed-demo` refuses
without `--with-demo-accounts`.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
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
    @click.option("--with-demo-accounts", is_flag=True,
                  help="Confirm: this creates accounts whose password is published in the README.")
    def seed_demo_command(with_demo_accounts: bool) -> None:
        """Create the demo spaces, accounts and bookings (idempotent); never on a real deployment."""
        from booking.demo import seed_demo

        if not with_demo_accounts:
            raise click.ClickException(
                "seed-demo creates an admin, a staff and a member account whose password is published "
                "in the README. Run it only on a demo or development database, with --with-demo-accounts.")
        counts = seed_demo()
        click.echo(f"Demo data: {counts['spaces']} spaces, {counts['users']} accounts, "
                   f"{counts['bookings']} new bookings.")
        _print_demo_logins()

    @app.cli.command("setup")
    def setup_command() -> None:
        """Upgrade the database to the newest migration; in debug mode, seed demo data when it is empty."""
        upgrade()
        if not current_app.debug:
            click.echo("Database is up to date. No demo data outside debug mode; create the first admin "
                       "with: flask --app wsgi create-user --role admin --email … --name …")
            return
        if not db.session.scalar(select(func.count()).select_from(Space)):
            seed_demo_command.callback(with_demo_accounts=True)  # type: ignore[misc]
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
            user = accounts.create_account(accounts.Registration(email=email, password=password,
                                                                 name=name, role=role))
        except ServiceError as error:
            raise click.ClickException(error.message % error.params if error.params else error.message) from error
        click.echo(f"Created {user.role} {user.email}")

    @app.cli.command("expire-requests")
    def expire_requests_command() -> None:
        """Expire every request still pending at its space's deadline (what the scheduled job runs)."""
        from booking.services.expiry import expire_due_requests

        expired = expire_due_requests()
        click.echo(f"Expired {len(expired)} request(s).")

    @app.cli.command("rebuild-feed-events")
    def rebuild_feed_events_command() -> None:
        """Store fresh feed events where they are stale (after changing FEED_LOCALE or renaming members)."""
        for space_id in db.session.scalars(select(Space.id).order_by(Space.id)).all():
            click.echo(f"space {space_id}: {feeds.rebuild_events(space_id)} events rebuilt")
