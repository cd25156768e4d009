"""Calendar objects for e-mail (iTIP, RFC 5546), built from plain values: no Flask, no database.

A confirmed booking goes to its member as METHOD:REQUEST; a cancelled or
rejected one as METHOD:CANCEL with the same UID, a higher SEQUENCE and
STATUS:CANCELLED, so Gmail, Outlook and Apple Mail update or remove the event
already in the calendar (RFC 5546 §3.2.2 and §3.2.5). ORGANIZER is the
deployment's mailbox; the member is the one ATTENDEE, with RSVP=FALSE: nobody is
asked to answer. The MIME part must carry `method=` equal to METHOD (RFC 6047 §2.4).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from booking import ical, ical_text

REQUEST = "REQUEST"
CANCEL = "CANCEL"


@dataclass(frozen=True)
class Party:
    """A mailbox and the name shown for it."""

    email: str
    name: str = ""

    def address(self, name: str, role: str | None = None) -> tuple[str, str]:
        """The property `name` (ORGANIZER, ATTENDEE) naming this mailbox: (name with parameters, value).

        A `role` makes it a participant who accepted and is not asked to answer.
        """
        parameters = []
        shown = ical.clean_text(" ".join(self.name.split()))  # a parameter value is one line
        if shown:
            parameters.append(f"CN={ical_text.common_name(shown)}")
        if role is not None:
            parameters += ["PARTSTAT=ACCEPTED", f"ROLE={ical_text.parameter(role)}", "RSVP=FALSE"]
        return ";".join((name, *parameters)), f"mailto:{self.email}"


def method_for(status: str) -> str:
    """REQUEST for a pending or confirmed booking, CANCEL for a cancelled or rejected one."""
    return CANCEL if ical.ICAL_STATUS[status] == "CANCELLED" else REQUEST


def message(values: ical.EventValues, organizer: Party, attendee: Party) -> tuple[str, bytes]:
    """(METHOD, the VCALENDAR bytes) of one booking for its attendee, as it stands now.

    `values.sequence` must be higher than in any message sent before for the same
    UID (the booking's SEQUENCE rises with every visible change). Raises KeyError
    for an unknown status. Everything but the change times comes from a template kept
    per process (see booking.ical.render_event), so a service can render it before
    taking a space's lock.
    """
    method, template = message_template(ical.without_change_times(values), organizer, attendee)
    return method, ical.with_change_times(template, values).encode("utf-8")


@lru_cache(maxsize=256)
def message_template(values: ical.EventValues, organizer: Party, attendee: Party) -> tuple[str, str]:
    """(METHOD, the message's text) with the change times of `values` (see ical.with_change_times)."""
    method = method_for(values.status)
    if method == CANCEL:
        values = replace(values, status="cancelled")
    event = ical.event_text(values, (organizer.address("ORGANIZER"),
                                     attendee.address("ATTENDEE", role="REQ-PARTICIPANT")))
    years = (values.start_dt.year, values.end_dt.year)
    header = ical.calendar_header(values.summary, [values.timezone], values.timezone, refresh=None,
                                  method=method, years=years)
    return method, ical.assemble(header, [event]).decode("utf-8")
