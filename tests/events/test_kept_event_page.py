"""A visitor's event page is kept per distinct data (views.events._visitor_parts): a kept page is what a fresh
rendering gives, and after any change the page shows (seats taken, the event's text, the space's name) the
next visitor sees the change, never the kept page."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from booking.extensions import db
from booking.models import PublicEvent, Space
from booking.services import public_events, registrations
from tests.events.test_visitor_form_cache import without_any_csrf_token


def forget_kept_pages(app: Flask) -> None:
    app.extensions.pop("booking_event_pages", None)


def visit(client, path: str) -> str:
    """A visitor's GET as it comes to a server: the session not yet reading (the tests' app context
    outlives requests, and a request that finds the session reading renders afresh)."""
    db.session.rollback()
    return client.get(path).get_data(as_text=True)


def test_a_kept_event_page_is_what_a_fresh_rendering_gives(app, client, kick_off):
    path = f"/events/{kick_off.id}"
    forget_kept_pages(app)
    fresh = visit(client, path)  # renders and keeps
    kept = visit(client, path)

    assert len(app.extensions["booking_event_pages"]) == 1
    assert without_any_csrf_token(kept) == without_any_csrf_token(fresh)
    assert "残り3席" in kept


def test_a_registration_shows_on_the_next_visitors_page_not_the_kept_one(app, client, kick_off):
    path = f"/events/{kick_off.id}"
    before = visit(client, path)  # kept with 3 seats left
    assert len(app.extensions["booking_event_pages"]) == 1
    with app.app_context():
        registrations.register(kick_off.id, registrations.RegistrationInput(
            name="山田 花子", email="hanako@example.jp", companions=1, consent=True), "test-key")

    after = visit(client, path)

    assert "残り3席" in before
    assert "残り1席" in after and "残り3席" not in after


def test_an_edited_title_or_space_name_shows_at_once(app, client, kick_off):
    path = f"/events/{kick_off.id}"
    visit(client, path)  # kept
    with app.app_context():
        space_id = db.session.get(PublicEvent, kick_off.id).booking.space_id
        db.session.execute(update(PublicEvent).where(PublicEvent.id == kick_off.id).values(title_ja="新しい題名"))
        db.session.execute(update(Space).where(Space.id == space_id).values(name_ja="新しい会場"))
        db.session.commit()

    page = visit(client, path)

    assert "新しい題名" in page and "新しい会場" in page


def test_a_signed_in_member_gets_their_own_page_not_a_visitors(app, client, kick_off, create_user):
    path = f"/events/{kick_off.id}"
    visit(client, path)  # a visitor's page kept
    client.login(create_user().email)

    page = visit(client, path)

    assert "アカウントで申し込む" in page and 'name="email"' not in page


def test_the_event_a_page_shows_is_read_in_the_snapshot_of_its_facts_not_after_a_change_committed_between(
        app, kick_off):
    """page_facts starts the request's transaction as one snapshot (PostgreSQL: REPEATABLE READ), so the
    kept page's key and the event rendered under it are the same data."""
    event_id = kick_off.id
    db.session.commit()
    db.session.close()  # a request's session, not yet reading
    facts = public_events.page_facts(event_id)
    with Session(db.engine) as other:  # another request's edit, committed between the two reads
        other.execute(update(PublicEvent).where(PublicEvent.id == event_id).values(title_en="Renamed"))
        other.commit()

    assert facts.is_snapshot
    assert public_events.public_event(event_id).title_en == "Satellite offices kick-off"
    db.session.rollback()  # the next request
    assert public_events.public_event(event_id).title_en == "Renamed"
