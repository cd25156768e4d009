"""Helpers for feed tests: parse a feed with two independent parsers, make tokens, count queries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import icalendar
import pytest
import vobject
from sqlalchemy import event

from booking.extensions import db
from booking.models import Booking, Space, User
from booking.services import feed_tokens, feeds
from tests.conftest import future_day


@dataclass
class Parsed:
    """One feed as `icalendar` and `vobject` read it."""

    raw: bytes
    calendar: icalendar.Calendar
    vcalendar: Any

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8")

    @property
    def events(self) -> list[icalendar.Event]:
        return list(self.calendar.walk("VEVENT"))

    @property
    def vevents(self) -> list[Any]:
        return list(getattr(self.vcalendar, "vevent_list", []))

    def event(self, uid: str) -> icalendar.Event:
        found = [e for e in self.events if str(e["UID"]) == uid]
        assert len(found) == 1, f"expected one event {uid}, found {len(found)}"
        return found[0]

    def summaries(self) -> list[str]:
        return [str(e["SUMMARY"]) for e in self.events]


def parse(raw: bytes) -> Parsed:
    """Parse with both libraries and check they agree on the events."""
    calendar = icalendar.Calendar.from_ical(raw)
    vcalendar = vobject.readOne(raw.decode("utf-8"))
    parsed = Parsed(raw, calendar, vcalendar)
    assert sorted(str(e["UID"]) for e in parsed.events) == sorted(v.uid.value for v in parsed.vevents)
    assert sorted(parsed.summaries()) == sorted(v.summary.value for v in parsed.vevents)
    return parsed


@pytest.fixture
def fetch(client: Any) -> Callable[..., Parsed]:
    """fetch(url): GET a feed, expect 200 text/calendar, parse it."""

    def get(url: str, **kwargs: Any) -> Parsed:
        response = client.get(url, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.content_type == "text/calendar; charset=utf-8"
        return parse(response.data)

    return get


@pytest.fixture
def space(create_space: Callable[..., Space]) -> Space:
    return create_space(slug="studio", name_ja="tsulunós スタジオ", name_en="tsulunós studio")


@pytest.fixture
def member(create_user: Callable[..., User]) -> User:
    return create_user(name="山田 花子", email="hanako@example.jp", organisation="Yamada Lab")


@pytest.fixture
def book(create_booking: Callable[..., Booking]) -> Callable[..., Booking]:
    """book(space, user, day=7, hour=1, hours=1, **fields): a booking starting `hour` h after midnight UTC."""

    def make(space: Space, user: User, day: int = 7, hour: int = 1, length: int = 1, **fields: Any) -> Booking:
        start = future_day(day) + timedelta(hours=hour)
        return create_booking(space, user, start, start + timedelta(hours=length), **fields)

    return make


def reserved_label() -> str:
    """The neutral title in the feeds' language (Japanese here): 予約済み / Reserved."""
    from flask_babel import force_locale, gettext

    with force_locale("ja"):
        label = gettext("Reserved")
    assert label in ("Reserved", "予約済み")
    return label


def token_for(user: User, kind: str = "member") -> str:
    return feed_tokens.renew_token(user, kind)


class _Recorded:
    """A DBAPI connection or cursor that notes every statement it executes."""

    def __init__(self, wrapped: Any, statements: list[str]) -> None:
        self._wrapped, self._statements = wrapped, statements

    def cursor(self) -> _Recorded:
        return _Recorded(self._wrapped.cursor(), self._statements)

    def execute(self, statement: str, *args: Any) -> Any:
        self._statements.append(statement)
        return self._wrapped.execute(statement, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The SQL statements run inside the block (transaction control aside), ORM or raw DBAPI."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            statements.append(statement)

    engine = db.engine
    raw_connection = engine.raw_connection
    event.listen(engine, "before_cursor_execute", record)
    engine.raw_connection = lambda: _Recorded(raw_connection(), statements)  # type: ignore[method-assign]
    through_libpq = feeds._rows_through_libpq  # PostgreSQL's validators go to libpq, past the cursor

    def recorded_libpq(connection: Any, statement: Any, values: Any) -> Any:
        statements.append(statement.sql)
        return through_libpq(connection, statement, values)

    feeds._rows_through_libpq = recorded_libpq  # type: ignore[assignment]
    feeds._drop_validator_connection()  # the validators' own connection is opened again, recorded
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        del engine.raw_connection
        feeds._rows_through_libpq = through_libpq  # type: ignore[assignment]
        feeds._drop_validator_connection()


def next_second() -> None:
    """Wait until the clock has left the second of every space's last change (and the current one).

    Feeds omit Last-Modified until then; a burst of changes may have set a change time
    up to a few seconds ahead (one whole second apart each).
    """
    import time
    from datetime import UTC

    from sqlalchemy import func, select

    newest = db.session.scalar(select(func.max(Space.feed_changed_at)))
    db.session.rollback()
    until = max(newest.timestamp() if newest is not None else 0.0, time.time())
    time.sleep(max(0.0, int(until) + 1.02 - time.time()))
    assert datetime.now(UTC).timestamp() > until


def utc(dt: Any) -> datetime:
    """A parsed DTSTART/DTEND/DTSTAMP value as an aware UTC datetime."""
    from datetime import UTC

    value = dt.dt if hasattr(dt, "dt") else dt
    return value.astimezone(UTC)
