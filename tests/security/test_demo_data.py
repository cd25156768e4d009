"""Demo accounts (published password) only on request: never from `setup` outside debug mode."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking.demo import DEMO_PASSWORD
from booking.extensions import db
from booking.models import Space, User


def count(model: type) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_setup_outside_debug_migrates_but_adds_no_demo_accounts(app):
    result = app.test_cli_runner().invoke(args=["setup"])

    assert result.exit_code == 0, result.output
    assert (count(User), count(Space)) == (0, 0)
    assert DEMO_PASSWORD not in result.output
    assert "create-user" in result.output


def test_seed_demo_refuses_without_the_explicit_flag(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code != 0
    assert "--with-demo-accounts" in result.output
    assert count(User) == 0


@pytest.mark.parametrize("app_config", [{"DEBUG": True}])
def test_setup_in_debug_mode_adds_the_demo_for_make_run_and_seed_demo_needs_the_flag_anyway(app, app_config):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["setup"])

    assert result.exit_code == 0, result.output
    assert count(User) > 0 and count(Space) > 0
    assert DEMO_PASSWORD in result.output
    assert runner.invoke(args=["seed-demo"]).exit_code != 0
    again = runner.invoke(args=["seed-demo", "--with-demo-accounts"])
    assert again.exit_code == 0 and "0 new bookings" in again.output, again.output
