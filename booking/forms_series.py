"""The form of a recurring series: the first date and times, the rule, and the dates chosen in the preview."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, InputRequired, Optional

from booking.domain.recurrence import MAX_OCCURRENCES, Freq, InvalidRule, RecurrenceRule
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
from booking.forms import OverrideChoices, fit_desks_and_overrides

WEEKDAYS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")),
            (4, _l("Friday")), (5, _l("Saturday")), (6, _l("Sunday"))]
REPEATS = [("weekly", _l("Weekly")), ("monthly_date", _l("Monthly on the same date")),
           ("monthly_weekday", _l("Monthly on a weekday (e.g. the 2nd Tuesday)"))]
ORDINALS = [(1, _l("1st")), (2, _l("2nd")), (3, _l("3rd")), (4, _l("4th")), (5, _l("5th")), (-1, _l("last"))]


class SeriesForm(OverrideChoices, Form):
    day = DayField(_l("First date"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = ClockField(_l("Start"), validators=[InputRequired(message=_l("Enter a start time."))])
    end_time = ClockField(_l("End"), validators=[InputRequired(message=_l("Enter an end time."))])
    title = LineField(_l("Title"), validators=[DataRequired(message=_l("Enter a title."))], max_length=200)
    repeat = ChoiceField(_l("Repeat"), choices=REPEATS, default="weekly")
    interval = NumberField(_l("Every … weeks or months"), default=1, validators=[Optional()], low=1, high=12,
                           message=_l("Choose between %(min)s and %(max)s."))
    weekdays = ChoicesField(_l("On (weekly)"), choices=WEEKDAYS, coerce=int, validators=[Optional()])
    ordinal = ChoiceField(_l("Which weekday of the month"), choices=ORDINALS, coerce=int, default=2)
    count = NumberField(_l("Number of dates"), validators=[Optional()], low=1, high=MAX_OCCURRENCES,
                        message=_l("Choose between %(min)s and %(max)s."))
    until = DayField(_l("Until (inclusive)"), validators=[Optional()])
    dates = ChoicesField(_l("Dates to book"), choices=[], validators=[Optional()])
    seats = NumberField(_l("Desks"), default=1, validators=[Optional()], low=1, high=500,
                        message=_l("Choose between %(min)s and %(max)s desks."))
    purpose = TextField(_l("Purpose"), validators=[Optional()], max_length=2000)
    attendees = NumberField(_l("Expected attendees"), default=1, validators=[Optional()], low=0, high=10000)
    is_public = CheckField(_l("Show the title publicly (calendar and space page)"))
    override_notice = CheckField(_l("Override the minimum notice"))
    override_horizon = CheckField(_l("Override how far ahead bookings open"))
    override_hours = CheckField(_l("Override the opening hours"))
    override_quota = CheckField(_l("Override the member's quota"))
    override_reason = LineField(_l("Reason for the override"), max_length=500)
    submit_token = SubmitTokenField()

    def __init__(self, *args: Any, can_override: bool = False, desks: int | None = None, **kwargs: Any) -> None:
        """As BookingForm: staff get the override fields, a desk pool bounds `seats` by its desks."""
        super().__init__(*args, **kwargs)
        self.parsed_rule: RecurrenceRule | None = None
        self.can_override = can_override
        fit_desks_and_overrides(self, desks)

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then the rule they make (one of count and until, weekdays for a weekly rule)."""
        if not super().validate(extra_validators):
            return False
        if (self.count.data is None) == (self.until.data is None):
            self.count.errors = [*self.count.errors, _l("Give either a number of dates or an end date.")]
            return False
        if self.until.data is not None and self.until.data < self.day.data:
            self.until.errors = [*self.until.errors, _l("The end date must not be before the first date.")]
            return False
        try:
            self.parsed_rule = self._rule()
        except InvalidRule:
            self.weekdays.errors = [*self.weekdays.errors, _l("Choose at least one weekday.")]
            return False
        return True

    def _rule(self) -> RecurrenceRule:
        ends = {"count": self.count.data, "until": self.until.data}
        interval = self.interval.data or 1
        first = self.day.data
        if self.repeat.data == "monthly_date":
            return RecurrenceRule(Freq.MONTHLY, interval, month_day=first.day, **ends)
        if self.repeat.data == "monthly_weekday":
            return RecurrenceRule(Freq.MONTHLY, interval, weekday=first.weekday(), ordinal=self.ordinal.data, **ends)
        return RecurrenceRule(Freq.WEEKLY, interval, weekdays=tuple(self.weekdays.data or ()), **ends)


class CancelSeriesForm(Form):
    scope = ChoiceField(_l("Cancel"), default="one", choices=[
        ("one", _l("only this date")), ("following", _l("this and all following dates")),
        ("all", _l("every date of the series"))])


class DecideSeriesForm(Form):
    approve = ChoicesField(_l("Approve"), choices=[], coerce=int, validators=[Optional()])
    note = LineField(_l("Note for the dates not approved"), max_length=1000)


class ChangeSeriesForm(Form):
    start_time = ClockField(_l("Start"), validators=[InputRequired(message=_l("Enter a start time."))])
    end_time = ClockField(_l("End"), validators=[InputRequired(message=_l("Enter an end time."))])
    title = LineField(_l("Title"), validators=[DataRequired(message=_l("Enter a title."))], max_length=200)


class DateTimesForm(Form):
    """The start and end of one date of a preview (`start_YYYYMMDD`, `end_YYYYMMDD`), made per preview."""


def date_times_form(days: list[date]) -> Any:
    """A form with a start and an end time field for each of `days` (both optional)."""
    fields = {}
    for day in days:
        fields[f"start_{day:%Y%m%d}"] = ClockField(_l("Start"), validators=[Optional()])
        fields[f"end_{day:%Y%m%d}"] = ClockField(_l("End"), validators=[Optional()])
    return type("DateTimes", (DateTimesForm,), fields)(meta={"csrf": False})


def moved_dates(form: Any, days: list[date], start: time, end: time) -> tuple[tuple[date, time, time], ...]:
    """The dates whose times were changed in `form` (date_times_form), as SeriesInput.moved wants them."""
    moved = []
    for day in days:
        new_start, new_end = form[f"start_{day:%Y%m%d}"].data, form[f"end_{day:%Y%m%d}"].data
        if new_start is not None and new_end is not None and (new_start, new_end) != (start, end):
            moved.append((day, new_start, new_end))
    return tuple(moved)
