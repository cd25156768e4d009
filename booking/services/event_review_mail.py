"""The mails around a member's proposed public event: staff's on a new proposal, the member's on the decision.

`events.proposal_waiting` goes to every enabled staff member (not the proposer) when a member
proposes an event or proposes a rejected one again (public_events.save_event), with a link to
the proposals page (/staff/event-proposals). The decisions (event_review.py) are mailed to
the member. All are queued in the proposing or deciding transaction, delivered after its
commit and rendered in each recipient's language: `events.proposal_approved` (the event is
public, with its page) and `events.proposal_rejected` (staff's note, and the booking's
page where the event can be changed and proposed again). The rejection says what the booking
itself is (`booking_status` of the payload): still confirmed, or a request still waiting for
approval; a message queued without it says only that the booking is not changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.dates import format_span_in_zone
from booking.domain.values import N_
from booking.models import PublicEvent, User
from booking.services import outbox
from booking.urls import external_url

STAFF_ROLES = ("staff", "admin")

SUBJECTS = {
    "proposal_approved": N_("Your event is published: %(title)s"),
    "proposal_rejected": N_("Your event was not published: %(title)s"),
    "proposal_waiting": N_("Public event to approve: %(title)s"),
}


def render(kind: str, payload: dict[str, Any], locale: str) -> tuple[str, str]:
    """(subject, body) of a message about a proposed event in `locale` (the locale in force)."""
    title = str(payload["title_en"] if locale == "en" else payload["title_ja"])
    start, end = datetime.fromisoformat(payload["start_dt"]), datetime.fromisoformat(payload["end_dt"])
    when = format_span_in_zone(start, end, payload["timezone"], locale)
    body = current_app.jinja_env.get_template(f"mail/event_{kind}.txt").render(
        p=payload, title=title, when=when, space=payload["space_en"] if locale == "en" else payload["space_ja"],
        event_link=external_url("events.detail", event_id=payload["event_id"]),
        booking_link=external_url("bookings.detail", booking_id=payload["booking_id"]),
        proposals_link=f"{external_url('event_review.index')}#proposal-{payload['event_id']}",
    )
    return " ".join(_(SUBJECTS[kind], title=title).split()), body.strip() + "\n"


def _register(kind: str) -> None:
    @outbox.renderer(f"events.{kind}")
    def _render(payload: dict[str, Any], locale: str) -> tuple[str, str]:
        return render(kind, payload, locale)


for _kind in SUBJECTS:
    _register(_kind)


def event_facts(event: PublicEvent) -> dict[str, Any]:
    """What every mail about a proposed event shows: ids, titles (ja/en), UTC times, zone, place (ja/en)."""
    booking = event.booking
    return {
        "booking_id": booking.id, "event_id": event.id,
        "title_ja": event.title("ja"), "title_en": event.title("en"),
        "start_dt": booking.start_dt.isoformat(), "end_dt": booking.end_dt.isoformat(),
        "timezone": booking.space.timezone, "space_ja": booking.space.name("ja"), "space_en": booking.space.name("en"),
    }


def notify_staff(session: Session, event: PublicEvent, proposer: User) -> int:
    """Queue `events.proposal_waiting` to each enabled staff member but the proposer; returns how many.

    Called inside the proposing transaction, so nothing is sent when it rolls back.
    """
    staff = session.scalars(select(User).where(User.role.in_(STAFF_ROLES), User.is_enabled.is_(True),
                                               User.id != proposer.id).order_by(User.id))
    facts = {**event_facts(event), "member": proposer.name, "organisation": proposer.organisation or ""}
    count = 0
    for person in staff:
        outbox.enqueue(session, kind="events.proposal_waiting", to=person.email, locale=person.locale or "ja",
                       payload={**facts, "name": person.name})
        count += 1
    return count
