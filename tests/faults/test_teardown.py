"""A connection that dies between the answer and the end of the request leaves the answer as it was."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from booking.extensions import db
from booking.resilience import remove_session


def test_a_connection_whose_rollback_fails_at_the_end_of_a_request_is_invalidated_and_raises_nothing(
        app, monkeypatch):
    # As PostgreSQL does to an open transaction when it shuts down: the ROLLBACK at teardown raises.
    real_remove, calls = db.session.remove, []

    def remove_on_a_terminated_connection():
        calls.append("remove")
        if len(calls) == 1:
            raise DBAPIError("ROLLBACK", None, Exception("terminating connection due to administrator command"))
        real_remove()

    monkeypatch.setattr(db.session, "remove", remove_on_a_terminated_connection)
    monkeypatch.setattr(db.session(), "invalidate", lambda: calls.append("invalidate"))

    remove_session()

    assert calls == ["remove", "invalidate", "remove"]


def test_the_session_is_ended_safely_before_flask_sqlalchemy_ends_it(app):
    # Flask runs teardown_appcontext functions last registered first.
    teardowns = [getattr(f, "__name__", "") for f in reversed(app.teardown_appcontext_funcs)]
    assert teardowns.index("remove_session") < teardowns.index("_teardown_session")
