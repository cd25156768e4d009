"""WTForms: the shape and format of input only; conflicts are the services' job."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError

from booking.fields import (
    CheckField,
    ChoiceField,
    ClockField,
    DayField,
    EmailLineField,
    LineField,
    NumberField,
    SecretField,
    TextField,
)
from booking.views.helpers import ORG_KIND_LABELS

PASSWORD_MIN = 10


class LoginForm(FlaskForm):
    email = EmailLineField(_l("E-mail"), validators=[DataRequired()])
    password = SecretField(_l("Password"), validators=[DataRequired()])


class RegisterForm(FlaskForm):
    email = EmailLineField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False)])
    name = LineField(_l("Name"), validators=[DataRequired()], max_length=100)
    organisation = LineField(_l("Organisation"), validators=[Optional()], max_length=200)
    org_kind = ChoiceField(
        _l("Kind of organisation"),
        choices=list(ORG_KIND_LABELS.items()),
        default="individual",
    )
    locale = ChoiceField(
        _l("Language"), choices=[("ja", "日本語"), ("en", "English")], default="ja"
    )
    password = SecretField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(min=PASSWORD_MIN, max=1000,
                   message=_l("Use at least %(min)d characters.", min=PASSWORD_MIN)),
        ],
    )
    confirm = SecretField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class BookingForm(FlaskForm):
    day = DayField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = ClockField(_l("Start"), validators=[InputRequired(message=_l("Enter a start time."))])
    end_time = ClockField(_l("End"), validators=[InputRequired(message=_l("Enter an end time."))])
    seats = NumberField(
        _l("Desks"), default=1, validators=[Optional()], low=1, high=500,
        message=_l("Choose between %(min)s and %(max)s desks."),
    )
    title = LineField(_l("Title"), validators=[DataRequired(message=_l("Enter a title."))], max_length=200)
    purpose = TextField(_l("Purpose"), validators=[Optional()], max_length=2000)
    attendees = NumberField(_l("Expected attendees"), default=1, validators=[Optional()], low=0, high=10000)
    is_public = CheckField(_l("Show the title publicly (calendar and space page)"))
    override_notice = CheckField(_l("Override the minimum notice"))
    override_horizon = CheckField(_l("Override how far ahead bookings open"))
    override_hours = CheckField(_l("Override the opening hours"))
    override_quota = CheckField(_l("Override the member's quota"))
    override_reason = LineField(_l("Reason for the override"), max_length=500)

    def __init__(self, *args: Any, can_override: bool = False, **kwargs: Any) -> None:
        """Staff get the override fields; for anybody else they do not exist, so posting them does nothing."""
        super().__init__(*args, **kwargs)
        self.can_override = can_override
        if not can_override:
            for name in (*OVERRIDE_FIELDS.values(), "override_reason"):
                delattr(self, name)

    def chosen_overrides(self) -> frozenset[str]:
        """The rule codes staff ticked (always empty for members)."""
        if not self.can_override:
            return frozenset()
        return frozenset(code for code, name in OVERRIDE_FIELDS.items() if self[name].data)

    def reason_text(self) -> str:
        return (self.override_reason.data or "").strip() if self.can_override else ""

    def validate_end_time(self, field: ClockField) -> None:
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_override_reason(self, field: LineField) -> None:
        if self.chosen_overrides() and not (field.data or "").strip():
            raise ValidationError(_l("Say why the rules are overridden."))


# The rules staff may override, and the checkbox of each.
OVERRIDE_FIELDS = {
    "notice": "override_notice",
    "horizon": "override_horizon",
    "hours": "override_hours",
    "quota": "override_quota",
}
