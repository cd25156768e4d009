"""No feed or download answers 500 whatever is stored; the demo desk feed stays under 1 MB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update

from booking.demo import SPACES
from booking.extensions import db
from booking.models import Booking, OpeningPeriod, Space, new_uid
from booking.services import feed_tokens
from tests.feeds.conftest import parse

GOOGLE_LIMIT = 1_000_000


def test_feeds_and_downloads_answer_even_with_odd_stored_values(client, create_space, create_user, book):
    space = create_space(slug="odd")
    member = create_user(name="Line\r\nbreak, \\ ; \x07bell")
    staff = create_user(role="staff")
    booking = book(space, member, title="Title\x01 with SOH, ; \\ and\nnewline", purpose="\x1b[31m",
                   is_public=True)
    # Values no form lets through, written straight to the database.
    db.session.execute(update(Space.__table__).where(Space.__table__.c.id == space.id)
                       .values(timezone="Not/AZone", name_ja="名前\r\n, ; \\"))
    db.session.execute(update(Booking.__table__).values(ics_public="garbage", ics_stamp="old"))
    db.session.commit()
    staff_token = feed_tokens.renew_token(staff, "staff")
    urls = ["/spaces/odd/calendar.ics",
            f"/feeds/{feed_tokens.renew_token(member, 'member')}/bookings.ics",
            f"/feeds/{staff_token}/staff.ics",
            f"/feeds/{staff_token}/staff/odd.ics"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        parsed = parse(response.data)
        assert [str(e["UID"]) for e in parsed.events] == [booking.uid]
        assert "Not/AZone" not in response.get_data(as_text=True)
    client.login(member.email)
    download = client.get(f"/bookings/{booking.id}/calendar.ics")
    assert download.status_code == 200
    assert [str(e["UID"]) for e in parse(download.data).events] == [booking.uid]


def test_the_demo_desk_feed_at_full_load_stays_under_one_megabyte(client, create_user):
    """Full load: every desk booked in every opening period of every open day the window shows.

    The desks take bookings 30 days ahead (the demo's policy); the feed shows
    FEED_DAYS_BACK days back, so that is the most a feed can hold at default settings.
    """
    spec = dict(next(s for s in SPACES if s["slug"] == "netsugen-desks"))
    hours = spec.pop("hours")
    desks = Space(**spec)
    for weekday, periods in hours.items():
        for open_time, close_time in periods:
            desks.opening_hours.append(OpeningPeriod(weekday=weekday, open_time=open_time, close_time=close_time))
    db.session.add(desks)
    db.session.commit()
    members = [create_user(name=f"利用者 {n}") for n in range(4)]
    zone = ZoneInfo(desks.timezone)
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    back, ahead = client.application.config["FEED_DAYS_BACK"], desks.max_days_ahead
    rows = []
    for offset in range(-back, ahead + 1):
        day = today + timedelta(days=offset)
        for period in (p for p in desks.opening_hours if p.weekday == day.weekday()):
            start = datetime.combine(day, period.open_time, zone)
            end = datetime.combine(day, period.close_time, zone)
            rows += [dict(uid=new_uid(), space_id=desks.id, user_id=members[unit % 4].id, start_dt=start, end_dt=end,
                          title="作業", status="confirmed", is_public=unit % 2 == 0, seats=1, sequence=0,
                          created_at=now, updated_at=now)
                     for unit in range(1, desks.unit_count + 1)]
    # Straight into the table (no stored events): the feed renders each one, as after an upgrade.
    db.session.execute(insert(Booking.__table__), rows)
    db.session.commit()
    count = len(rows)

    response = client.get("/spaces/netsugen-desks/calendar.ics")

    assert response.status_code == 200
    assert len(parse(response.data).events) == count > 1500
    assert len(response.data) < GOOGLE_LIMIT, f"{len(response.data):,} bytes for {count} events"
