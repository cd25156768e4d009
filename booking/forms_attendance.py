"""Forms of the event's day (staff): the door, walk-ins, a message to all registrants, cancelling."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, InputRequired

from booking.fields import CheckField, ChoiceField, CodeField, Form, LineField, TextField


class CodeForm(Form):
    code = CodeField(_l("Check-in code"), [DataRequired()], max_length=200)


class TapForm(Form):
    """Check in, undo, or take back a walk-in: a button and the CSRF token."""


class WalkInForm(Form):
    # Its refusals are said beside its button (templates/attendance/_door_body.html): the summary links there.
    refusal_anchor = "walk-in-errors"
    name = LineField(_l("Name (optional)"), max_length=100)
    organisation = LineField(_l("Organisation (optional)"), max_length=200)


class MessageForm(Form):
    subject = LineField(_l("Subject"), [DataRequired()], max_length=150)
    body = TextField(_l("Message"), [DataRequired()], max_length=5000)
    include_waiting = CheckField(_l("Also to people on the waiting list"))


class WithdrawForm(Form):
    note = TextField(_l("Message to the registrants (optional)"), max_length=2000)
    booking = ChoiceField(_l("The booking of the space"), [InputRequired()],
                          choices=[("keep", _l("Keep the booking (the space stays reserved)")),
                                   ("release", _l("Release the booking (the space becomes free)"))])
    confirm = CheckField(_l("Yes, cancel this event and tell everyone"), [DataRequired()])
