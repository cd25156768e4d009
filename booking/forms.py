"""WTForms: the shape and format of input only; conflicts are the services' job."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields import HiddenField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, NumberRange, Optional, ValidationError

from booking.domain.passwords import password_problem
from booking.domain.wallclock import NonexistentTime, is_repeated, utc_offset_label, wall_instant
from booking.fields import (
    CheckField,
    ChoiceField,
    ClockField,
    CodeField,
    DayField,
    EmailLineField,
    Form,
    LineField,
    NumberField,
    SecretField,
    SubmitTokenField,
    TextField,
    shown_day,
)
from booking.views.helpers import ORG_KIND_LABELS


class StrongPassword:
    """The rule of booking.domain.passwords; the form's e-mail and name (and `form.known_words`) count as known."""

    def __call__(self, form: FlaskForm, field: SecretField) -> None:
        known = [str(form[name].data or "") for name in ("email", "name") if name in form]
        known += list(getattr(form, "known_words", ()))
        problem = password_problem(field.data or "", known)
        if problem is not None:
            raise ValidationError(gettext(problem.message, **problem.params))


def new_password_field() -> SecretField:
    return SecretField(_l("Password"), validators=[DataRequired(), StrongPassword()])


def confirm_field() -> SecretField:
    return SecretField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class LoginForm(Form):
    email = EmailLineField(_l("E-mail"), validators=[DataRequired()])
    password = SecretField(_l("Password"), validators=[DataRequired()])


class RegisterForm(Form):
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
    password = new_password_field()
    confirm = confirm_field()


class ChangePasswordForm(Form):
    current = SecretField(_l("Current password"), validators=[DataRequired()])
    password = new_password_field()
    confirm = confirm_field()


class ForgotPasswordForm(Form):
    email = EmailLineField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False)],
    )


class ResetPasswordForm(Form):
    password = new_password_field()
    confirm = confirm_field()


class OneTimeCodeForm(Form):
    code = CodeField(_l("Code"), validators=[DataRequired()], max_length=40)


class ReplaceAuthenticatorForm(OneTimeCodeForm):
    """Replacing an authenticator: the new app's code, and proof of the old one and of the password."""

    current_code = CodeField(_l("Code from the app you use now (or a recovery code)"),
                             validators=[DataRequired()], max_length=40)
    password = SecretField(_l("Password"), validators=[DataRequired()])


def fit_desks_and_overrides(form: Any, desks: int | None) -> None:
    """Bound `seats` by a desk pool's desks, and drop the staff override fields for members.

    For forms with `seats`, the fields of OVERRIDE_FIELDS and `override_reason`, whose
    `can_override` is already set (BookingForm, SeriesForm).
    """
    if desks is not None:
        form.seats.validators = [
            *(v for v in form.seats.validators if not isinstance(v, NumberRange)),
            NumberRange(min=1, max=desks, message=_l("Choose between %(min)s and %(max)s desks.")),
        ]
    if not form.can_override:
        for name in (*OVERRIDE_FIELDS.values(), "override_reason"):
            if name in form._fields:
                delattr(form, name)


class OverrideChoices:
    """What staff chose to override on a booking form, and why (empty for members)."""

    can_override: bool

    def chosen_overrides(self) -> frozenset[str]:
        """The rule codes staff ticked (always empty for members)."""
        if not self.can_override:
            return frozenset()
        return frozenset(code for code, name in OVERRIDE_FIELDS.items() if self[name].data)  # type: ignore[index]

    def reason_text(self) -> str:
        if not self.can_override:
            return ""
        return (self.override_reason.data or "").strip()  # type: ignore[attr-defined]


class _TokenSignedWhenShown(CSRFTokenField):
    """Flask-WTF's CSRF field, whose token is signed when the form is rendered, not when it is bound.

    Profile line 'flask_wtf/csrf.py:25(generate_csrf)' under 'wtforms/csrf/core.py(process)' of a
    booking POST: the field signed a fresh token (an HMAC and a timestamp) for the page, and a POST
    that succeeds answers with a redirect that never shows it. Checking the posted token is unchanged
    (`pre_validate`, CSRFProtect before the view); a page showing the form signs it as before.
    """

    def process(self, *args: Any, **kwargs: Any) -> None:
        HiddenField.process(self, *args, **kwargs)

    @property
    def current_token(self) -> str:
        return str(self.csrf_impl.generate_csrf_token(self))


class _LazyTokenCSRF(FlaskForm.Meta.csrf_class):  # type: ignore[misc]
    field_class = _TokenSignedWhenShown


# Each booking form field as built once per worker from its class's definition, copied for every form:
# profile line 'wtforms/form.py:20(__init__)' with 'wtforms/meta.py:14(bind_field)' of a booking POST,
# 13 fields constructed (labels, flags, the validators checked and worded again) to hold the same values
# each time. The key is the definition (the class's UnboundField), the name, prefix and translations it
# is bound with, so the cache holds at most one field per definition; a copy gets its own form, meta and
# render_kw, and the values a form sets (data, errors, validators, choices) are its own attributes.
_bound_fields: dict[tuple[Any, ...], Any] = {}


def _bound_copy(form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
    """A field of `form` as `UnboundField.bind` makes it, from the kept field of the same definition."""
    name = options.get("name")
    if getattr(type(form), str(name), None) is not unbound_field:  # the CSRF field: one definition per form
        return unbound_field.bind(form=form, **options)
    key = (unbound_field, name, options.get("prefix", ""), options.get("translations"))
    kept = _bound_fields.get(key)
    if kept is None:
        kept = unbound_field.bind(form=form, **options)
        kept._form = kept.meta = None
        _bound_fields[key] = kept
    field = object.__new__(type(kept))  # Field.__new__ would make an UnboundField (what copy.copy calls)
    field.__dict__.update(kept.__dict__)
    field._form, field.meta = form, form.meta
    if field.render_kw is not None:
        field.render_kw = dict(field.render_kw)
    return field


class BookingForm(OverrideChoices, Form):
    class Meta:
        csrf_class = _LazyTokenCSRF

        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            return _bound_copy(form, unbound_field, options)

    # The error summary's heading (templates/_forms.html): a new booking's refusal says
    # "This could not be booked:", every other form (a change included) "Please check:".
    says_not_booked = True
    day = DayField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = ClockField(_l("Start"), validators=[InputRequired(message=_l("Enter a start time."))])
    end_time = ClockField(_l("End"), validators=[InputRequired(message=_l("Enter an end time."))])
    end_day = DayField(_l("End date (empty: the same day)"), validators=[Optional()])
    # Which occurrence of a wall time the autumn clock change repeats (0 = the first).
    start_fold = ChoiceField(_l("Which start, if the clocks show it twice"), coerce=int, default=0,
                             choices=[(0, _l("the first (before the clocks go back)")),
                                      (1, _l("the second (after the clocks go back)"))])
    end_fold = ChoiceField(_l("Which end, if the clocks show it twice"), coerce=int, default=0,
                           choices=[(0, _l("the first (before the clocks go back)")),
                                    (1, _l("the second (after the clocks go back)"))])
    seats = NumberField(
        _l("Desks"), default=1, validators=[Optional()], low=1, high=500,
        message=_l("Choose between %(min)s and %(max)s desks."),
    )
    title = LineField(_l("Title"), validators=[DataRequired(message=_l("Enter a title."))], max_length=200)
    purpose = TextField(_l("Purpose"), validators=[Optional()], max_length=2000)
    attendees = NumberField(_l("Expected attendees"), default=1, validators=[Optional()], low=0, high=10000,
                            message=_l("A number of people from %(min)s to %(max)s."))
    is_public = CheckField(_l("Show the title publicly (calendar and space page)"))
    override_notice = CheckField(_l("Override the minimum notice"))
    override_horizon = CheckField(_l("Override how far ahead bookings open"))
    override_hours = CheckField(_l("Override the opening hours"))
    override_quota = CheckField(_l("Override the member's quota"))
    override_reason = LineField(_l("Reason for the override"), max_length=500)
    submit_token = SubmitTokenField()

    def __init__(self, *args: Any, can_override: bool = False, zone: str = "Asia/Tokyo", desks: int | None = None,
                 **kwargs: Any) -> None:
        """Staff get the override fields; for anybody else they do not exist, so posting them does nothing.

        `zone` is the space's time zone: the day and times are its wall times. `desks` is the
        desk count of a desk pool (spaces.unit_count): `seats` then ranges over 1..desks, and
        its error states that range.
        """
        super().__init__(*args, **kwargs)
        self.can_override = can_override
        self.zone = ZoneInfo(zone)
        self.desks = desks
        fit_desks_and_overrides(self, desks)

    @property
    def has_clock_changes(self) -> bool:
        """Whether the space's zone changes its clocks (then the form asks which repeated time is meant)."""
        year = date.today().year
        return len({datetime(year, month, 1, tzinfo=self.zone).utcoffset() for month in (1, 7)}) > 1

    def _instant(self, day: date | None, at: time | None, fold: int | None) -> datetime | None:
        if day is None or at is None:
            return None
        try:
            return wall_instant(day, at, self.zone, fold or 0)
        except NonexistentTime as gap:
            raise ValidationError(_l(
                "%(time)s does not exist on %(day)s: the clocks jump forward. The first valid time is %(first)s.",
                time=at.strftime("%H:%M"), day=shown_day(day), first=gap.first_valid.strftime("%H:%M"))) from None

    def validate_start_time(self, field: ClockField) -> None:
        self._instant(self.day.data, field.data, self.start_fold.data)

    def validate_end_time(self, field: ClockField) -> None:
        end = self._instant(self.end_day.data or self.day.data, field.data, self.end_fold.data)
        try:
            start = self._instant(self.day.data, self.start_time.data, self.start_fold.data)
        except ValidationError:
            return  # the start field says what is wrong
        if start is not None and end is not None and end <= start:
            raise ValidationError(_l("The end must be after the start."))

    def instants(self) -> tuple[datetime, datetime]:
        """Start and end as instants (UTC), after validation."""
        start = self._instant(self.day.data, self.start_time.data, self.start_fold.data)
        end = self._instant(self.end_day.data or self.day.data, self.end_time.data, self.end_fold.data)
        assert start is not None and end is not None
        return start, end

    def repeated_hint(self, which: str) -> str | None:
        """Both UTC offsets when the chosen start or end is a wall time the clocks show twice."""
        day = (self.end_day.data or self.day.data) if which == "end" else self.day.data
        at = self[f"{which}_time"].data
        if day is None or at is None or not is_repeated(day, at, self.zone):
            return None
        first, second = (wall_instant(day, at, self.zone, fold) for fold in (0, 1))
        return str(_l("%(time)s happens twice on %(day)s: first at %(first)s, then at %(second)s.",
                      time=at.strftime("%H:%M"), day=shown_day(day),
                      first=utc_offset_label(first, self.zone), second=utc_offset_label(second, self.zone)))

    def validate_override_reason(self, field: LineField) -> None:
        if self.chosen_overrides() and not (field.data or "").strip():
            raise ValidationError(_l("Say why the rules are overridden."))


def desk_count(space: Any) -> int | None:
    """The `desks` a booking form takes for `space`: its unit count for a desk pool, else None."""
    return int(space.unit_count) if space.is_pooled else None


# The rules staff may override, and the checkbox of each.
OVERRIDE_FIELDS = {
    "notice": "override_notice",
    "horizon": "override_horizon",
    "hours": "override_hours",
    "quota": "override_quota",
}


class MemberBookingForm(BookingForm):
    """BookingForm without the staff override fields, which a member's form binds and drops for nothing.

    Profile line 'wtforms/form.py(__init__)' of a member's booking POST: 17 fields bound
    and processed, 6 of them (the overrides and their reason) deleted right after.
    """

    override_notice = None  # type: ignore[assignment]
    override_horizon = None  # type: ignore[assignment]
    override_hours = None  # type: ignore[assignment]
    override_quota = None  # type: ignore[assignment]
    override_reason = None  # type: ignore[assignment]


def booking_form(can_override: bool, **kwargs: Any) -> BookingForm:
    """A BookingForm for staff (`can_override`), else a MemberBookingForm; `kwargs` as BookingForm takes."""
    if can_override:
        return BookingForm(can_override=True, **kwargs)
    return MemberBookingForm(can_override=False, **kwargs)


class EditBookingForm(BookingForm):
    """The booking form for changing a booking, with the desks a member may pick in a pool."""

    says_not_booked = False

    units = LineField(_l("Desk numbers (optional, e.g. 3, 4; empty: any free desks)"),
                      validators=[Optional()], max_length=200, typed=True)

    def validate_units(self, field: LineField) -> None:
        try:
            self.unit_numbers()
        except ValueError as error:
            raise ValidationError(_l("List desk numbers separated by commas, e.g. 3, 4.")) from error
        if self.desks is not None and any(n > self.desks for n in self.unit_numbers()):
            raise ValidationError(_l("This space has desks 1 to %(max)s.", max=self.desks))
        if len(set(self.unit_numbers())) != len(self.unit_numbers()):
            raise ValidationError(_l("Name each desk number only once."))
        if self.unit_numbers() and len(self.unit_numbers()) != (self.seats.data or 1):
            raise ValidationError(_l("Name as many desks as you book, or leave this empty."))

    def unit_numbers(self) -> tuple[int, ...]:
        """The chosen desk numbers; ValueError when the text is not a list of positive numbers."""
        parts = [p.strip() for p in (self.units.data or "").replace("、", ",").split(",") if p.strip()]
        numbers = tuple(int(p) for p in parts)
        if any(n < 1 or n > 100_000 for n in numbers):
            raise ValueError("desk numbers start at 1")
        return numbers
