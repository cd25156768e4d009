"""Nothing stored breaks a page: hostile text already in the database still renders everywhere.

Rows written before input was bounded (or straight into the database) may hold line
breaks in a title, control characters, markup, huge text or odd names. Every page the
app has (each GET route of the url_map, filled with the seeded rows), every feed, the
single-booking .ics and the mails of a booking must still answer, escape the text,
and keep their formats valid.
"""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import text

from booking.extensions import db
from booking.models import BookingEvent, Closure
from booking.services import feed_tokens
from booking.services import staff as staff_service
from tests.conftest import Client
from tests.hostile import values
from tests.mail.conftest import DAY, app_config, calendars_of, mail_config, smtp_server  # noqa: F401 (fixtures)
from tests.views.conftest import tokyo_today

STORED = {
    "line breaks": "Kick\r\noff\nparty\r",
    "control characters": "Kick\x01\x08\x1b[31m\x7f\x85off\x9f",
    "unicode separators": "Kick\u2028off\u2029now\u000b",
    "markup": f"{values.MARKER}x</b>\"'><script>alert(1)</script>",
    "bidi and emoji": "\u202eevil\u202c 😀\ufeff\u200b",
    "formula": "=HYPERLINK(\"https://evil.example\";\"x\")",
    "huge": "長" * 5000,
}
CONTROL_BYTES = bytes(range(0, 32)).replace(b"\t", b"").replace(b"\r", b"").replace(b"\n", b"") + b"\x7f"


def cut(value: str, size: int) -> str:
    return value[:size]


@pytest.fixture(params=sorted(STORED), ids=sorted(STORED))
def stored(request, app, create_user, create_space, create_booking):
    """Every text column a page shows holds the hostile value (cut to the column's size)."""
    value = STORED[request.param]
    member = create_user(name=cut(value, 100), organisation=cut(value, 200), email="member@hx.jp", locale="en")
    staff = create_user(role="staff", name=cut("Staff " + value, 100), email="staff@hx.jp")
    space = create_space(slug="studio", name_ja=cut(value, 120), name_en=cut(value, 120),
                         description_ja=value, description_en=value * 3, requires_approval=True)
    start = DAY + timedelta(days=5, hours=1)
    confirmed = create_booking(space, member, start, start + timedelta(hours=1), title=cut(value, 200),
                               purpose=value * 3, is_public=True, override_reason=value)
    pending = create_booking(space, member, start + timedelta(hours=2), start + timedelta(hours=3),
                             title=cut(value, 200), purpose=value, status="pending")
    db.session.add(BookingEvent(booking_id=confirmed.id, actor_id=staff.id, action="overridden",
                                to_status="confirmed", note=value))
    db.session.add(Closure(space_id=space.id, start_dt=start + timedelta(days=1),
                           end_dt=start + timedelta(days=1, hours=2), reason=cut(value, 200)))
    db.session.commit()
    # As if written by hand or by an older version: the raw value, past any cleaning the ORM does.
    db.session.execute(text("UPDATE bookings SET title = :t"), {"t": cut(value, 200)})
    db.session.commit()
    tokens = {"token": [feed_tokens.renew_token(member, "member"), feed_tokens.renew_token(staff, "staff")]}
    return {"value": value, "member": member, "staff": staff, "space": space, "pending": pending,
            "known": {"id": ["1", "2"], "slug": ["studio"], **tokens}}


def signed_in(app, email: str) -> Client:
    app.test_client_class = Client
    client = app.test_client()
    assert client.login(email).status_code == 302
    return client


def check_page(response, url: str) -> None:
    assert response.status_code < 500, (url, response.status_code)
    body = response.get_data()
    if response.mimetype == "text/html":
        assert values.MARKER.encode() not in body, url
    if response.mimetype == "text/calendar" and response.status_code == 200:
        calendar = icalendar.Calendar.from_ical(body)
        assert calendar.walk("VEVENT") or calendar.get("X-WR-CALNAME") is not None, url
        assert not any(byte in CONTROL_BYTES for byte in body), url
        assert all(line.endswith(b"\r") or not line for line in body.split(b"\n")), url


def test_every_page_feed_file_and_mail_shows_hostile_stored_text(app, stored, smtp_server):  # noqa: F811
    shown = 0
    day = tokyo_today() + timedelta(days=6)
    with_queries = ["/staff/closures/1/bookings", f"/staff/calendar?day={day}", f"/staff/calendar?week={day}",
                    "/staff/members?q=Kick", f"/spaces/studio?week={day}"]
    for email in ("member@hx.jp", "staff@hx.jp"):
        client = signed_in(app, email)
        for url in values.get_urls(app, stored["known"]) + with_queries:
            response = client.get(url)
            check_page(response, url)
            shown += response.status_code == 200
    visitor = app.test_client()
    for url in ("/", "/spaces/studio", "/spaces/studio/calendar.ics"):
        check_page(visitor.get(url), url)
    assert shown > 40  # the seeded rows really were found: pages answered, not only 404s

    inbox = smtp_server[0]
    inbox.messages.clear()
    staff_service.approve(stored["staff"], stored["pending"].id, locale="en")
    mails = inbox.wait_for(1)
    assert any(calendars_of(message) for message in mails)
    for message in mails:
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        for part in calendars_of(message):
            icalendar.Calendar.from_ical(part.get_content())
