"""Forms of the staff's management pages: spaces, opening hours, closures, members.

Shape and format only; whether a policy is consistent or a closure hits bookings
is the services' job (their field errors come back onto these forms).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking.dates import localise
from booking.fields import (
    CheckField,
    ChoiceField,
    ChoicesField,
    ClockField,
    DayField,
    Form,
    LineField,
    NumberField,
    SubmitTokenField,
    TextField,
)
from booking.services.admin_spaces import MESSAGE_MAX, ClosureInput, InvalidInput, SpaceInput
from booking.services.policy_changes import CHOICES, TEXT_MAX, Resolution
from booking.views.helpers import KIND_LABELS, WEEKDAYS


def _number(label: Any, low: int, high: int, default: int | None = None, optional: bool = False) -> NumberField:
    first = Optional() if optional else InputRequired(message=_l("Enter a number."))
    message = _l("Enter a whole number from %(min)s to %(max)s.", min=low, max=high)
    return NumberField(label, default=default, validators=[first], low=low, high=high, message=message)


class ServiceErrorsMixin:
    """Put a service's field errors next to the fields they name."""

    def show_errors(self, error: InvalidInput) -> None:
        for name, (message, params) in error.errors.items():
            field = getattr(self, name, None)
            text = gettext(message, **localise(params, str(get_locale() or "ja")))
            if field is None:
                self.form_errors.append(text)  # type: ignore[attr-defined]
            else:
                field.errors = [*field.errors, text]


class SpaceForm(ServiceErrorsMixin, Form):
    slug = LineField(_l("Address name (slug)"), validators=[DataRequired(message=_l("Enter a slug."))],
                     max_length=60)
    name_ja = LineField(_l("Name (Japanese)"), validators=[DataRequired()], max_length=120)
    name_en = LineField(_l("Name (English)"), validators=[DataRequired()], max_length=120)
    description_ja = TextField(_l("Description (Japanese)"), max_length=5000)
    description_en = TextField(_l("Description (English)"), max_length=5000)
    kind = ChoiceField(_l("Kind"), choices=list(KIND_LABELS.items()), default="exclusive")
    unit_count = _number(_l("Units (desks or seats; 1 for a whole room)"), 1, 1000, default=1)
    timezone = LineField(_l("Time zone"), default="Asia/Tokyo", validators=[DataRequired()], max_length=64, typed=True)
    slot_minutes = _number(_l("Slot length (minutes)"), 1, 1440, default=30)
    min_minutes = _number(_l("Shortest booking (minutes)"), 1, 10080, default=30)
    max_minutes = _number(_l("Longest booking (minutes)"), 1, 10080, default=480)
    setup_minutes = _number(_l("Setup buffer (minutes)"), 0, 1440, default=0)
    teardown_minutes = _number(_l("Teardown buffer (minutes)"), 0, 1440, default=0)
    min_notice_minutes = _number(_l("Minimum notice (minutes)"), 0, 525600, default=0)
    max_days_ahead = _number(_l("Bookable up to (days ahead)"), 1, 1000, default=90)
    requires_approval = CheckField(_l("Requests need staff approval"))
    pending_holds = CheckField(_l("Pending requests hold their time"), default=True)
    request_deadline_hours = _number(_l("Undecided requests expire this many hours before their start"), 0, 720,
                                     default=24)
    quota_active_bookings = _number(_l("Most future bookings per member (empty: no limit)"), 1, 1000,
                                    optional=True)
    quota_hours_per_week = _number(_l("Most hours per member in 7 days (empty: no limit)"), 1, 168,
                                   optional=True)
    max_people = _number(_l("Most people admitted at once (public events; empty: no registrations)"), 1, 100000,
                         optional=True)
    members_may_host_events = CheckField(_l("Members may propose public events on their bookings"))
    close_on_holidays = CheckField(_l("Closed on national holidays"), default=True)
    holiday_country = LineField(_l("Holiday calendar (country code)"), default="JP",
                                filters=[lambda v: v.upper() if isinstance(v, str) else v],
                                validators=[DataRequired(), Length(min=2)], max_length=2, typed=True)

    def space_input(self) -> SpaceInput:
        values = {name: self[name].data for name in SpaceInput.__dataclass_fields__}
        for name in ("description_ja", "description_en"):
            values[name] = (values[name] or "").strip()
        return SpaceInput(**values)


class HoursForm(ServiceErrorsMixin, Form):
    """One line per weekday: "09:00-12:00, 13:00-18:00"; empty for a closed day."""

    day_0 = LineField(WEEKDAYS[0], max_length=300, typed=True)
    day_1 = LineField(WEEKDAYS[1], max_length=300, typed=True)
    day_2 = LineField(WEEKDAYS[2], max_length=300, typed=True)
    day_3 = LineField(WEEKDAYS[3], max_length=300, typed=True)
    day_4 = LineField(WEEKDAYS[4], max_length=300, typed=True)
    day_5 = LineField(WEEKDAYS[5], max_length=300, typed=True)
    day_6 = LineField(WEEKDAYS[6], max_length=300, typed=True)

    def days(self) -> list[Any]:
        return [self[f"day_{n}"] for n in range(7)]

    def texts(self) -> dict[int, str]:
        return {n: self[f"day_{n}"].data or "" for n in range(7)}


class HolidayOpeningForm(Form):
    day = DayField(_l("Holiday on which the space opens anyway"),
                   validators=[InputRequired(message=_l("Enter a date."))])


class ClosureForm(ServiceErrorsMixin, Form):
    space = ChoiceField(_l("Space"), default="all")
    start_day = DayField(_l("From (date)"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = ClockField(_l("From (time)"), validators=[InputRequired(message=_l("Enter a time."))])
    end_day = DayField(_l("Until (date)"), validators=[InputRequired(message=_l("Enter a date."))])
    end_time = ClockField(_l("Until (time)"), validators=[InputRequired(message=_l("Enter a time."))])
    reason = LineField(_l("Reason (members see it)"), validators=[DataRequired(message=_l("Give a reason."))],
                       max_length=200)
    submit_token = SubmitTokenField()

    def __init__(self, *args: Any, spaces: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.space.choices = [("all", _l("All spaces")), *((str(i), name) for i, name in spaces)]

    def validate_end_time(self, field: ClockField) -> None:
        if not (self.start_day.data and self.start_time.data and self.end_day.data and field.data):
            return
        start = datetime.combine(self.start_day.data, self.start_time.data)
        if datetime.combine(self.end_day.data, field.data) <= start:
            raise ValidationError(_l("The end must be after the start."))

    def closure_input(self) -> ClosureInput:
        return ClosureInput(
            space_id=None if self.space.data == "all" else int(self.space.data),
            start_local=datetime.combine(self.start_day.data, self.start_time.data),
            end_local=datetime.combine(self.end_day.data, self.end_time.data),
            reason=self.reason.data or "", submit_token=self.submit_token.data,
        )


class CancelHitForm(ServiceErrorsMixin, Form):
    """Which of the bookings a closure hits to cancel, and the one message their members get."""

    booking_ids = ChoicesField(
        _l("Bookings to cancel"), coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[DataRequired(message=_l("Choose the bookings to cancel."))],
    )
    message = TextField(_l("Message to the members"),
                        validators=[DataRequired(message=_l("Write a message to the members."))],
                        max_length=MESSAGE_MAX)

    def __init__(self, *args: Any, booking_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.booking_ids.choices = [(i, str(i)) for i in booking_ids]


class VictimsTextForm(Form):
    """The two texts of the victims fieldset (staff/_victims.html), inside a form that checks CSRF itself."""

    class Meta:
        csrf = False

    victims_reason = LineField(_l("Why kept bookings may break the new policy"), max_length=TEXT_MAX)
    victims_message = TextField(_l("Message to the members whose bookings are cancelled"), max_length=TEXT_MAX)


def resolution_from(formdata: Any) -> Resolution:
    """What staff chose for the bookings a policy change breaks: victim_<booking id> = keep / move / cancel.

    The reason and the message go through the bounded fields (VictimsTextForm); their errors ride
    along in `Resolution.field_errors`, and the service refuses the change (422) when there are any.
    """
    texts = VictimsTextForm(formdata=formdata)
    texts.validate()
    choices = {}
    for name in formdata:
        booking_id = name.removeprefix("victim_")
        if name.startswith("victim_") and booking_id.isdigit() and len(booking_id) < 12:
            if (choice := formdata.get(name)) in CHOICES:
                choices[int(booking_id)] = choice
    return Resolution(choices, texts.victims_reason.data or "", texts.victims_message.data or "",
                      {name: list(errors) for name, errors in texts.errors.items()})


ROLE_LABELS = {"member": _l("Member"), "staff": _l("Staff"), "admin": _l("Admin")}


class RoleForm(Form):
    role = ChoiceField(_l("Role"), choices=list(ROLE_LABELS.items()))


class DeactivateForm(ServiceErrorsMixin, Form):
    """Deactivate an account and, in the same step, cancel its future bookings with a message."""

    # Unticked when shown: the page says the bookings stay unless the box is ticked, and deactivating
    # alone needs no message (tester, issue 16 point 3: the destructive choice was the default).
    cancel_future = CheckField(_l("Also cancel this member's future bookings"), default=False)
    message = TextField(_l("Message to the member (sent with each cancellation)"), max_length=MESSAGE_MAX)

    def validate_message(self, field: TextField) -> None:
        if self.cancel_future.data and not field.data:
            raise ValidationError(_l("Write a message to the member."))


class CancelMemberBookingsForm(ServiceErrorsMixin, Form):
    """要対応: cancel a deactivated member's future bookings with one message."""

    message = TextField(_l("Message to the member (sent with each cancellation)"),
                        validators=[DataRequired(message=_l("Write a message to the member."))], max_length=MESSAGE_MAX)


class ReportForm(Form):
    """Filters of the usage figures (read from the query string: no CSRF, nothing is written)."""

    class Meta:
        csrf = False

    period = ChoiceField(_l("Period"), default="month", choices=[
        ("month", _l("Month")), ("fiscal", _l("Fiscal year (April–March)")), ("range", _l("Any range")),
    ])
    year = NumberField(_l("Year (fiscal year: the April it starts)"), [Optional()], low=2000, high=2100)
    month = NumberField(_l("Month"), [Optional()], low=1, high=12)
    first = DayField(_l("First day"), [Optional()])
    last = DayField(_l("Last day"), [Optional()])
    spaces = ChoicesField(_l("Spaces"), coerce=int, choices=[])
    org_kind = ChoiceField(_l("Organisation kind"), default="", choices=[])

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then the range as a whole: both ends given, in order, at most two years.

        Checked here rather than in an inline validator, which Optional() would skip for an
        empty end (the page then showed the current month without a word).
        """
        is_valid: bool = super().validate(extra_validators)
        if self.period.data != "range" or self.first.errors or self.last.errors:
            return is_valid
        if self.first.data is None:
            self.first.errors = [*self.first.errors, gettext("Give both the first and the last day.")]
        elif self.last.data is None:
            self.last.errors = [*self.last.errors, gettext("Give both the first and the last day.")]
        elif self.last.data < self.first.data:
            self.last.errors = [*self.last.errors, gettext("The last day must not be before the first.")]
        elif (self.last.data - self.first.data).days > 366 * 2:
            self.last.errors = [*self.last.errors, gettext("Choose at most two years.")]
        else:
            return is_valid
        return False
