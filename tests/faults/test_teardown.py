"""A connection that dies between the answer and the end of the request leaves the answer as it was."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from booking.extensions import db
from booking.resilience import discard_failed_session, remove_session


@pytest.mark.parametrize("failure", [
    # As PostgreSQL does to an open transaction when it shuts down: the ROLLBACK at teardown raises.
    DBAPIError("ROLLBACK", None, Exception("terminating connection due to administrator command")),
    # What a hook inside SQLAlchemy's rollback raised on a connection it had invalidated (booking/db.py).
    PendingRollbackError("Can't reconnect until invalid transaction is rolled back."),
])
def test_a_connection_whose_rollback_fails_at_the_end_of_a_request_is_invalidated_and_raises_nothing(
        app, monkeypatch, failure):
    real_remove, calls = db.session.remove, []

    def remove_on_a_terminated_connection():
        calls.append("remove")
        if len(calls) == 1:
            raise failure
        real_remove()

    monkeypatch.setattr(db.session, "remove", remove_on_a_terminated_connection)
    monkeypatch.setattr(db.session(), "invalidate", lambda: calls.append("invalidate"))

    remove_session()

    assert calls == ["remove", "invalidate", "remove"]


def test_the_session_is_ended_safely_before_flask_sqlalchemy_ends_it(app):
    # Flask runs teardown_appcontext functions last registered first.
    teardowns = [getattr(f, "__name__", "") for f in reversed(app.teardown_appcontext_funcs)]
    assert teardowns.index("remove_session") < teardowns.index("_teardown_session")


def test_a_failed_session_whose_rollback_and_close_fail_is_invalidated_and_the_error_page_still_answers(
        app, monkeypatch):
    """The error pages end the failed session first (booking.views.errors): that may not raise."""
    session, calls = db.session(), []

    def fails(name):
        def failing():
            calls.append(name)
            raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back.")
        return failing

    monkeypatch.setattr(session, "rollback", fails("rollback"))
    monkeypatch.setattr(session, "close", fails("close"))
    monkeypatch.setattr(session, "invalidate", lambda: calls.append("invalidate"))

    discard_failed_session()

    assert calls == ["rollback", "close", "invalidate"]
