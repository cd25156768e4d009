"""One mail per series action: the notices of a series' occurrences, grouped per recipient.

notifications.py turns every audit entry into notices; those of occurrences of a
series wait in the session until the commit, and here become one message per
(series, recipient) listing every date with what happened to it. Calendars stay
one object per occurrence, as in the feeds: each date is attached as the same
RFC 5546 message (UID, SEQUENCE, METHOD) a single booking's mail would carry, so a
member who subscribes and also imports an attachment never sees a duplicate.
A group of one is sent exactly as a single booking's mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from booking.domain.values import N_, N_plural
from booking.services import audit, outbox
from booking.services.notifications import Notice, _link, _notice, _payload, _when, enqueue
from booking.urls import external_url

KIND = "booking.series"
# The order sections appear in when one action did several things (approve some, reject others).
ORDER = ("confirmed", "approved", "received", "waiting", "updated", "change_received", "change_waiting",
         "change_declined", "rejected", "expired", "cancelled")
SUBJECTS = {
    "received": N_plural("Series request received: %(title)s (%(count)s date)",
                         "Series request received: %(title)s (%(count)s dates)"),
    "waiting": N_plural("New series request to approve: %(title)s (%(count)s date)",
                        "New series request to approve: %(title)s (%(count)s dates)"),
    "confirmed": N_plural("Series confirmed: %(title)s (%(count)s date)",
                          "Series confirmed: %(title)s (%(count)s dates)"),
    "approved": N_plural("Series approved: %(title)s (%(count)s date)",
                         "Series approved: %(title)s (%(count)s dates)"),
    "rejected": N_plural("Series request rejected: %(title)s (%(count)s date)",
                         "Series request rejected: %(title)s (%(count)s dates)"),
    "cancelled": N_plural("Series dates cancelled: %(title)s (%(count)s date)",
                          "Series dates cancelled: %(title)s (%(count)s dates)"),
    "updated": N_plural("Series changed: %(title)s (%(count)s date)",
                        "Series changed: %(title)s (%(count)s dates)"),
    "expired": N_plural("Series request expired: %(title)s (%(count)s date)",
                        "Series request expired: %(title)s (%(count)s dates)"),
}
MIXED_SUBJECT = N_plural("Series decided: %(title)s (%(count)s date)",
                         "Series decided: %(title)s (%(count)s dates)")
HEADINGS = {
    "received": N_("Your request for these dates was received; the staff will decide on it:"),
    "waiting": N_("These dates are waiting for approval:"),
    "confirmed": N_("These dates are booked:"),
    "approved": N_("These dates were approved:"),
    "rejected": N_("These dates were rejected:"),
    "cancelled": N_("These dates were cancelled:"),
    "updated": N_("These dates were changed:"),
    "expired": N_("These requests expired without a decision:"),
    "change_received": N_("Your change of these dates waits for the staff:"),
    "change_waiting": N_("A change of these dates waits for approval:"),
    "change_declined": N_("The change of these dates was rejected:"),
}


def enqueue_grouped(session: Session, notices: Sequence[Notice]) -> None:
    """Record one outbox message per (series, recipient) for `notices` of series occurrences."""
    groups: dict[tuple[int | None, str], list[Notice]] = {}
    for notice in notices:
        groups.setdefault((notice.facts.series_id, notice.recipient.email), []).append(notice)
    for group in groups.values():
        if len(group) == 1:
            enqueue(session, group)
            continue
        group.sort(key=lambda n: (ORDER.index(n.kind) if n.kind in ORDER else len(ORDER), n.facts.start_dt))
        attachments = [outbox.calendar_attachment(n.calendar, method=n.method,
                                                  filename=f"booking-{n.facts.booking_id}.ics")
                       for n in group if n.calendar is not None]
        first = group[0]
        payload = {"series_id": first.facts.series_id, "name": first.recipient.name,
                   "items": [{"kind": n.kind, **_payload(n)} for n in group]}
        outbox.enqueue(session, kind=KIND, to=first.recipient.email, locale=first.recipient.locale,
                       payload=payload, attachments=attachments)


@outbox.renderer(KIND)
def render(payload: dict[str, Any], locale: str) -> tuple[str, str]:
    """(subject, body) of a series message: one section per kind, one line per date."""
    notices = [_notice(item["kind"], item, locale) for item in payload["items"]]
    kinds = list(dict.fromkeys(n.kind for n in notices))
    first = notices[0]
    sections = [(_(HEADINGS[kind]), [n for n in notices if n.kind == kind]) for kind in kinds]
    staff_side = kinds[0] in ("waiting", "change_waiting")
    link = (external_url("series.decide", series_id=payload["series_id"]) if staff_side
            else _link(first.kind, first.facts.booking_id))
    body = current_app.jinja_env.get_template("mail/series.txt").render(
        name=payload["name"], sections=sections, facts=first.facts, when=lambda n: _when(n.facts, locale),
        note=_note(notices), by_staff=any(n.by_staff for n in notices),
        space=first.facts.space_en if locale == "en" else first.facts.space_ja, link=link,
        staff_side=staff_side, has_calendar=any(n.method for n in notices),
    )
    subject = SUBJECTS.get(kinds[0], MIXED_SUBJECT) if len(kinds) == 1 else MIXED_SUBJECT
    return ngettext(*subject, len(notices), title=first.facts.title, count=len(notices)), body.strip() + "\n"


def _note(notices: Sequence[Notice]) -> str:
    """The first note of the group, a system note (an expiry, an automatic rejection) in the reader's language."""
    note = next((n.note for n in notices if n.note), "")
    return _(note) if note in audit.SYSTEM_NOTES else note
