"""Member and staff feeds behind secret tokens: full details, nothing for a wrong token."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from booking.extensions import db
from booking.models import FeedToken
from booking.services import feed_tokens
from tests.conftest import without_csrf_tokens
from tests.feeds.conftest import token_for


def test_a_member_feed_shows_own_bookings_of_every_space_with_details(
        fetch, space, create_space, member, create_user, book):
    hall = create_space(slug="hall", name_ja="イベントホール")
    desks = create_space(slug="desks", kind="pooled", unit_count=24)
    mine = book(space, member, title="Studio recording", purpose="Episode 12", attendees=3)
    in_hall = book(hall, member, day=9, title="Kick-off")
    at_desks = book(desks, member, day=10, title="Hot desk", units=(3, 4))
    book(space, create_user(name="Someone Else"), day=11, title="Not mine")

    feed = fetch(f"/feeds/{token_for(member)}/bookings.ics")

    assert sorted(feed.summaries()) == ["Hot desk", "Kick-off", "Studio recording"]
    description = str(feed.event(mine.uid)["DESCRIPTION"])
    assert "利用目的：Episode 12" in description and "予定人数：3" in description
    assert "デスク番号：3、4" in str(feed.event(at_desks.uid)["DESCRIPTION"])
    assert str(feed.event(in_hall.uid)["LOCATION"]) == "イベントホール"
    assert "Not mine" not in feed.text
    assert "METHOD" not in feed.calendar


def test_a_wrong_or_revoked_token_gets_the_same_404_as_an_unknown_page(client, member):
    revoked = token_for(member)
    token_for(member)
    paths = [f"/feeds/{'A' * feed_tokens.TOKEN_LENGTH}/bookings.ics", f"/feeds/{revoked}/bookings.ics",
             f"/feeds/{revoked}/staff.ics", "/feeds/not-a-token/bookings.ics", "/no/such/page"]

    responses = [client.get(path) for path in paths]

    # The page echoes its own address in the language switch, and its forms' CSRF token is signed
    # with the second it was made in (Flask-WTF); apart from those, all are alike.
    pages = {without_csrf_tokens(r.get_data(as_text=True).replace(path, "PATH"))
             for r, path in zip(responses, paths, strict=True)}
    assert len(pages) == 1 and 'value="TOKEN"' in next(iter(pages))
    assert [r.status_code for r in responses] == [404] * len(paths)
    assert not any("ETag" in r.headers for r in responses)


def test_renewing_the_token_stops_the_old_address_at_once(client, member, space, book):
    book(space, member)
    old = token_for(member)
    assert client.get(f"/feeds/{old}/bookings.ics").status_code == 200

    new = feed_tokens.renew_token(member, "member")

    assert new != old
    assert client.get(f"/feeds/{old}/bookings.ics").status_code == 404
    assert client.get(f"/feeds/{new}/bookings.ics").status_code == 200


def test_only_a_hash_of_the_token_is_stored(member):
    token = token_for(member)

    row = db.session.scalar(select(FeedToken).where(FeedToken.user_id == member.id))

    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.nonce, row.token_hash)
    assert len(token) * 6 >= 128


def test_a_member_token_does_not_open_the_staff_feed(client, member):
    token = token_for(member)

    assert client.get(f"/feeds/{token}/staff.ics").status_code == 404


def test_a_disabled_member_loses_the_feed(client, member):
    token = token_for(member)
    member.is_enabled = False
    db.session.commit()

    assert client.get(f"/feeds/{token}/bookings.ics").status_code == 404


def test_the_staff_feed_shows_every_booking_with_the_members_names(
        fetch, space, create_space, member, create_user, book):
    staff = create_user(role="staff", name="Staff Sato")
    other = create_user(name="Tanaka Ichiro", email="ichiro@example.jp")
    hall = create_space(slug="hall")
    private = book(space, member, title="Private meeting", purpose="Budget")
    book(hall, other, day=8, title="Hall talk", status="pending")

    feed = fetch(f"/feeds/{token_for(staff, 'staff')}/staff.ics")

    assert len(feed.events) == 2
    event = feed.event(private.uid)
    assert "山田 花子" in str(event["SUMMARY"]) and "Private meeting" in str(event["SUMMARY"])
    description = str(event["DESCRIPTION"])
    assert "山田 花子" in description and "hanako@example.jp" in description and "Budget" in description
    assert "Tanaka Ichiro" in feed.text


def test_the_staff_feed_of_one_space_shows_only_that_space(fetch, space, create_space, member, create_user, book):
    staff = create_user(role="admin")
    hall = create_space(slug="hall")
    in_studio = book(space, member)
    book(hall, member, day=8)

    feed = fetch(f"/feeds/{token_for(staff, 'staff')}/staff/studio.ics")

    assert [str(e["UID"]) for e in feed.events] == [in_studio.uid]


def test_the_staff_feed_of_an_unknown_space_is_404(client, create_user):
    staff = create_user(role="staff")

    assert client.get(f"/feeds/{token_for(staff, 'staff')}/staff/nowhere.ics").status_code == 404


def test_a_staff_member_who_becomes_a_member_loses_the_staff_feed(client, create_user):
    staff = create_user(role="staff")
    token = token_for(staff, "staff")
    staff.role = "member"
    db.session.commit()

    assert client.get(f"/feeds/{token}/staff.ics").status_code == 404


def test_only_a_token_of_exactly_the_token_length_is_well_formed():
    token = "A-_" + "b" * (feed_tokens.TOKEN_LENGTH - 3)
    assert feed_tokens.is_well_formed(token)
    assert not feed_tokens.is_well_formed(token[:-1])  # one character short: refused before any query
    assert not feed_tokens.is_well_formed(token + "c")
    assert not feed_tokens.is_well_formed(token[:-1] + "/")
    for odd in ("é", "１", "\n", " "):  # letters and digits outside ASCII, a line end, a space
        assert not feed_tokens.is_well_formed(token[:-1] + odd)


def test_staff_have_a_member_feed_and_a_staff_feed_and_members_only_a_member_feed(member, create_user):
    staff = create_user(role="staff")
    for user, kind in ((staff, "member"), (staff, "staff"), (member, "member")):
        token_for(user, kind)

    assert feed_tokens.tokens_of(staff) == {"member": feed_tokens.current_token(staff, "member"),
                                            "staff": feed_tokens.current_token(staff, "staff")}
    assert feed_tokens.tokens_of(member) == {"member": feed_tokens.current_token(member, "member")}
    assert None not in feed_tokens.tokens_of(staff).values()


def test_a_renewed_token_keeps_a_nonce_that_fits_its_column(member):
    feed_tokens.renew_token(member, "member")
    nonce = db.session.scalars(select(FeedToken.nonce).where(FeedToken.user_id == member.id)).one()
    assert len(nonce) == FeedToken.__table__.c.nonce.type.length  # PostgreSQL refuses a longer one
