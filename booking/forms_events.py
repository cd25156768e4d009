"""Forms of public events: a visitor's registration, a change of party, and staff's event form."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Email, InputRequired, Optional

from booking.domain.bounds import MAX_INTEGER
from booking.domain.events import MAX_PARTY
from booking.domain.wallclock import NonexistentTime, wall_instant
from booking.fields import (
    CheckField,
    ChoiceField,
    ClockField,
    DayField,
    EmailLineField,
    Form,
    LineField,
    NumberField,
    TextField,
)
from booking.views.helpers import ORG_KIND_LABELS

AGENDA_ROWS = 6


def _companions() -> NumberField:
    return NumberField(_l("Accompanying people"), validators=[InputRequired()], low=0, high=MAX_PARTY - 1,
                       default=0, message=_l("From 0 to %(max)s accompanying people.", max=MAX_PARTY - 1))


class RegistrationForm(Form):
    name = LineField(_l("Name"), validators=[DataRequired()], max_length=100)
    email = EmailLineField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False)])
    organisation = LineField(_l("Organisation"), validators=[Optional()], max_length=200)
    org_kind = ChoiceField(_l("Kind of organisation"), choices=list(ORG_KIND_LABELS.items()), default="individual")
    companions = _companions()
    consent = CheckField(_l("I agree to the privacy notice."),
                         validators=[DataRequired(message=_l("Please agree to the privacy notice to register."))])


class MemberRegistrationForm(Form):
    """One click for a signed-in member: name, address and organisation come from the account."""

    companions = _companions()
    consent = CheckField(_l("I agree to the privacy notice."),
                         validators=[DataRequired(message=_l("Please agree to the privacy notice to register."))])


class PartyForm(Form):
    companions = _companions()


class EventForm(Form):
    """Staff (or a member where the space allows it) turn a booking into a public event."""

    title_ja = LineField(_l("Title (Japanese)"), validators=[DataRequired()], max_length=200)
    title_en = LineField(_l("Title (English)"), validators=[Optional()], max_length=200)
    description_ja = TextField(_l("Description (Japanese)"), validators=[Optional()], max_length=5000)
    description_en = TextField(_l("Description (English)"), validators=[Optional()], max_length=5000)
    organiser = LineField(_l("Organiser"), validators=[Optional()], max_length=200)
    capacity = NumberField(_l("Capacity (people)"), validators=[InputRequired()], low=1, high=MAX_INTEGER)
    fee_ja = LineField(_l("Fee (Japanese)"), validators=[Optional()], max_length=100, default="無料")
    fee_en = LineField(_l("Fee (English)"), validators=[Optional()], max_length=100, default="Free")
    opens_day = DayField(_l("Registration opens (day)"), validators=[InputRequired()])
    opens_time = ClockField(_l("Registration opens (time)"), validators=[InputRequired()])
    closes_day = DayField(_l("Registration closes (day)"), validators=[InputRequired()])
    closes_time = ClockField(_l("Registration closes (time)"), validators=[InputRequired()])
    accepts_walk_ins = CheckField(_l("Walk-ins accepted on the day"), default=True)

    def instant(self, prefix: str, zone: str) -> datetime | None:
        """The local day and time `prefix`_day/_time as a UTC instant, or None (with a field error)."""
        day, clock = self[f"{prefix}_day"].data, self[f"{prefix}_time"].data
        try:
            return wall_instant(day, clock, ZoneInfo(zone))
        except NonexistentTime:
            self[f"{prefix}_time"].errors = [*self[f"{prefix}_time"].errors, _l("This time does not exist here.")]
            return None

    def agenda_rows(self) -> list[tuple[int, object, int, str, str, str]]:
        """The filled agenda rows: (number, time, minutes, title ja, title en, speakers)."""
        rows = []
        for n in range(1, AGENDA_ROWS + 1):
            clock, minutes = self[f"agenda_{n}_time"].data, self[f"agenda_{n}_minutes"].data
            title = self[f"agenda_{n}_title_ja"].data
            if clock is None and not minutes and not title:
                continue
            rows.append((n, clock, minutes or 0, title or "", self[f"agenda_{n}_title_en"].data or "",
                         self[f"agenda_{n}_speakers"].data or ""))
        return rows


for _n in range(1, AGENDA_ROWS + 1):
    setattr(EventForm, f"agenda_{_n}_time", ClockField(_l("Start"), validators=[Optional()]))
    setattr(EventForm, f"agenda_{_n}_minutes", NumberField(_l("Minutes"), validators=[Optional()], low=1, high=1440))
    setattr(EventForm, f"agenda_{_n}_title_ja", LineField(_l("Title (Japanese)"), validators=[Optional()],
                                                          max_length=200))
    setattr(EventForm, f"agenda_{_n}_title_en", LineField(_l("Title (English)"), validators=[Optional()],
                                                          max_length=200))
    setattr(EventForm, f"agenda_{_n}_speakers", LineField(_l("Speakers"), validators=[Optional()], max_length=300))
