"""The member's mail on staff's decision about their proposed public event (event_review.py).

Rendered at delivery in the member's language: `events.proposal_approved` (the event is
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

from booking.dates import format_span
from booking.domain.values import N_
from booking.services import outbox
from booking.urls import external_url

SUBJECTS = {
    "proposal_approved": N_("Your event is published: %(title)s"),
    "proposal_rejected": N_("Your event was not published: %(title)s"),
}


def render(kind: str, payload: dict[str, Any], locale: str) -> tuple[str, str]:
    """(subject, body) of a decision message in `locale` (the locale in force)."""
    title = str(payload["title_en"] if locale == "en" else payload["title_ja"])
    start, end = datetime.fromisoformat(payload["start_dt"]), datetime.fromisoformat(payload["end_dt"])
    when = f"{format_span(start, end, payload['timezone'], locale)} ({payload['timezone']})"
    body = current_app.jinja_env.get_template(f"mail/event_{kind}.txt").render(
        p=payload, title=title, when=when, space=payload["space_en"] if locale == "en" else payload["space_ja"],
        event_link=external_url("events.detail", event_id=payload["event_id"]),
        booking_link=external_url("bookings.detail", booking_id=payload["booking_id"]),
    )
    return " ".join(_(SUBJECTS[kind], title=title).split()), body.strip() + "\n"


def _register(kind: str) -> None:
    @outbox.renderer(f"events.{kind}")
    def _render(payload: dict[str, Any], locale: str) -> tuple[str, str]:
        return render(kind, payload, locale)


for _kind in SUBJECTS:
    _register(_kind)
