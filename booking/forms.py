"""WTForms: the shape and format of input only; conflicts are the services' job."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from booking.domain.passwords import password_problem
from booking.views.helpers import ORG_KIND_LABELS


class StrongPassword:
    """The rule of booking.domain.passwords; the form's e-mail and name (and `form.known_words`) count as known."""

    def __call__(self, form: FlaskForm, field: PasswordField) -> None:
        known = [str(form[name].data or "") for name in ("email", "name") if name in form]
        known += list(getattr(form, "known_words", ()))
        problem = password_problem(field.data or "", known)
        if problem is not None:
            raise ValidationError(gettext(problem.message, **problem.params))


def new_password_field() -> PasswordField:
    return PasswordField(_l("Password"), validators=[DataRequired(), StrongPassword()])


def confirm_field() -> PasswordField:
    return PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    org_kind = SelectField(
        _l("Kind of organisation"),
        choices=list(ORG_KIND_LABELS.items()),
        default="individual",
    )
    locale = SelectField(
        _l("Language"), choices=[("ja", "日本語"), ("en", "English")], default="ja"
    )
    password = new_password_field()
    confirm = confirm_field()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1000)])
    password = new_password_field()
    confirm = confirm_field()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )


class ResetPasswordForm(FlaskForm):
    password = new_password_field()
    confirm = confirm_field()


class OneTimeCodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])


class BookingForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = TimeField(_l("Start"), validators=[InputRequired(message=_l("Enter a start time."))])
    end_time = TimeField(_l("End"), validators=[InputRequired(message=_l("Enter an end time."))])
    seats = IntegerField(
        _l("Desks"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=500, message=_l("Choose between %(min)s and %(max)s desks."))],
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(message=_l("Enter a title.")), Length(max=200)]
    )
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=2000)])
    attendees = IntegerField(
        _l("Expected attendees"),
        default=1,
        validators=[Optional(), NumberRange(min=0, max=10000)],
    )
    is_public = BooleanField(_l("Show the title publicly (calendar and space page)"))
    override_notice = BooleanField(_l("Override the minimum notice"))
    override_horizon = BooleanField(_l("Override how far ahead bookings open"))
    override_hours = BooleanField(_l("Override the opening hours"))
    override_quota = BooleanField(_l("Override the member's quota"))
    override_reason = StringField(_l("Reason for the override"), validators=[Length(max=500)])

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

    def validate_end_time(self, field: TimeField) -> None:
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_override_reason(self, field: StringField) -> None:
        if self.chosen_overrides() and not (field.data or "").strip():
            raise ValidationError(_l("Say why the rules are overridden."))


# The rules staff may override, and the checkbox of each.
OVERRIDE_FIELDS = {
    "notice": "override_notice",
    "horizon": "override_horizon",
    "hours": "override_hours",
    "quota": "override_quota",
}
