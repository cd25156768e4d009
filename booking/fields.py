"""The form fields every form is built from: each one bounded where input enters.

- `LineField`: one line (titles, names, reasons, slugs); a line break or a control
  character is a field error, never stored.
- `TextField`: several lines (purpose, notes, descriptions); line breaks are kept as LF,
  TAB becomes a space, other control characters are dropped.
- `DayField`: a date within FIRST_DAY..LAST_DAY (booking.domain.bounds).
- `NumberField`: a whole number within the range the field states.
- `SubmitTokenField`: a hidden random token per rendered form, so a repeated POST of one
  form (a double click, a browser re-posting) is recognised and creates nothing twice.
- Every field takes exactly one value: a field posted twice is a malformed request (400); in a
  query string (a filter form read on GET) the first value counts.
- Every message is the product's own (ja/en), naming the field or its real limit: a required
  field, a length, a range, an unreadable date, time, number or choice never shows WTForms'
  generic text (tests/test_glossary.py posts bad input to every form and checks).

tests/test_form_fields.py checks that every form in the code uses only these.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date
from typing import Any

from flask import abort, g, has_request_context, request
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import DateInput, NumberInput, TextInput, TimeInput

from booking.dates import format_day
from booking.domain.bounds import (
    FIRST_DAY,
    LAST_DAY,
    clean_multiline,
    has_visible_text,
    is_single_line,
    is_supported_day,
)

NOT_ONE_LINE = _l("Use a single line, without line breaks or control characters.")
NOT_A_DATE = _l("Enter a date as year-month-day, e.g. 2026-12-02.")
HAD_NUL = _l("This held a NUL character, which was removed. Check it and send the form again.")
NO_SUCH_DATE = _l("That date does not exist. Check the month and day.")
NOT_A_TIME = _l("Enter a time as hours:minutes, e.g. 15:00.")
NOT_A_CHOICE = _l("Choose one of the listed options.")
NOT_AN_EMAIL = _l("Enter an e-mail address such as name@example.jp.")
# A field's own message never names the field: the label is above it, and the error summary
# writes 「label：message」 (templates/_error_summary.html; break-it report 16, item 7).
TOO_LONG = _l("At most %(max)d characters, please; this has %(length)d.")
TOO_SHORT = _l("At least %(min)d characters, please; this has %(length)d.")
OUT_OF_RANGE = _l("Enter a whole number from %(min)s to %(max)s.")
NOT_FILLED_IN = _l("Fill in this field.")
NOT_TICKED = _l("Tick this box to go on.")



def shown_day(day: date) -> str:
    """A date inside a field's message, in the viewer's language (booking.dates.format_day)."""
    return format_day(day, str(get_locale() or "ja"))

class FilledIn:
    """DataRequired/InputRequired without a message of its own: the product's one message for an empty field."""

    def __init__(self, inner: DataRequired | InputRequired) -> None:
        self.inner = inner
        self.field_flags = inner.field_flags

    def __call__(self, form: Any, field: Any) -> None:
        try:
            self.inner(form, field)
        except StopValidation:
            raise StopValidation(str(NOT_TICKED if field.type == "CheckField" else NOT_FILLED_IN)) from None


class WithinLength(Length):
    """Length with the product's message: its limit and the length typed."""

    def __call__(self, form: Any, field: Any) -> None:
        length = len(field.data or "")
        if length >= self.min and (self.max == -1 or length <= self.max):
            return
        message = TOO_LONG if self.max != -1 and length > self.max else TOO_SHORT
        raise ValidationError(gettext(message, min=self.min, max=self.max, length=length))


def worded(validator: Any) -> Any:
    """The validator with the product's message where WTForms would show its generic one."""
    if isinstance(validator, DataRequired | InputRequired) and validator.message is None:
        return FilledIn(validator)
    if type(validator) is Length and validator.message is None:
        return WithinLength(validator.min, validator.max)
    if isinstance(validator, NumberRange) and validator.message is None:
        return NumberRange(validator.min, validator.max, OUT_OF_RANGE)
    if isinstance(validator, Email) and validator.message is None:
        validator.message = NOT_AN_EMAIL
    return validator


def typed_text(value: Any) -> Any:
    """What a person typed into a date, time, number, code or e-mail field, read as ASCII where a
    Japanese IME wrote it full-width (２０２６－１２－１４, １０：００, ａ＠ｅｘａｍｐｌｅ．ｊｐ): NFKC.
    Free text (titles, names, notes) is never passed through this: it is stored as typed."""
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


class OneValue:
    """Mixin: a field posted more than once was not sent by our form: 400. Messages are worded (`worded`).

    A field whose `is_typed_data` is true (dates, times, numbers, e-mail addresses, codes, hours)
    reads full-width input as ASCII (`typed_text`), in this one place for every form.
    """

    is_typed_data = False

    @property
    def validators(self) -> list[Any]:
        return list(self.__dict__.get("_worded_validators", ()))

    @validators.setter
    def validators(self, value: Any) -> None:
        self.__dict__["_worded_validators"] = [worded(v) for v in value or ()]

    def process_formdata(self, valuelist: list[Any]) -> None:
        if len(valuelist) > 1:
            if not _is_read_from_address():
                abort(400)
            # A filter form read from the query (reports, a series' cancel scope): a person may
            # edit the address, so the first value counts, as everywhere in the query (views.params).
            valuelist = valuelist[:1]
        if self.is_typed_data:
            valuelist = [typed_text(v[:1000] if isinstance(v, str) else v) for v in valuelist]
        super().process_formdata(valuelist)  # type: ignore[misc]
        # The request held a NUL in this field, dropped before (booking.views.params): the rest
        # is kept in the field, and the field says what happened.
        if valuelist and has_request_context() and self.name in g.get("nul_fields", ()):  # type: ignore[attr-defined]
            raise ValueError(str(HAD_NUL))


def _is_read_from_address() -> bool:
    return has_request_context() and request.method in ("GET", "HEAD")


def _strip(value: Any) -> Any:
    """Surrounding spaces off; a value that shows nothing (spaces, zero-width or format characters
    only) is an empty one, so a required field asks for it (bounds.has_visible_text)."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    return value if has_visible_text(value) else ""


class LineField(OneValue, StringField):
    """One line of text, surrounding spaces stripped, at most `max_length` characters.

    `typed=True` for a line that holds data rather than words (a code, desk numbers, hours, a
    country code): full-width input is read as ASCII (`typed_text`); other lines keep what was typed.
    """

    def __init__(self, label: Any = None, validators: list[Any] | None = None, *, max_length: int,
                 filters: tuple[Any, ...] | list[Any] = (), typed: bool = False, **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), Length(max=max_length)],
                         filters=[_strip, *filters], **kwargs)
        self.is_typed_data = typed

    def pre_validate(self, form: Any) -> None:
        if self.data and not is_single_line(self.data):
            raise ValidationError(NOT_ONE_LINE)


class EmailLineField(OneValue, EmailField):
    """An e-mail address: one line, stripped, at most 254 characters (RFC 5321); full-width read as ASCII."""

    is_typed_data = True

    def __init__(self, label: Any = None, validators: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), Length(max=254)], filters=[_strip], **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data and not is_single_line(self.data):
            raise ValidationError(NOT_ONE_LINE)


# A language switch after a refused form (booking.views.language) sends the typed values again, but
# never a secret: the page does not write one back, and a replay's own secrets are not read.
RETYPE_SECRET = _l("Type this again: it is not kept when the language is changed.")


def is_language_replay() -> bool:
    return has_request_context() and bool(g.get("language_replay"))


class Secret:
    """Mixin: a field whose value is a secret (a password, a one-time or check-in code, a token).

    What it is, not what it is called: the language switch never writes its value into a page
    (its name is noted for this request: `secret_names`), and on a switch's replay its posted
    value is not read, so the replay can try no password or code; it asks for it again instead.
    """

    name: str
    data: Any
    asks_again = True  # on a replay, the field's message asks for it again (a token does not)

    def process(self, formdata: Any, *args: Any, **kwargs: Any) -> None:
        if has_request_context():
            g.setdefault("secret_names", set()).add(self.name)
        if formdata is not None and is_language_replay():
            formdata = {}
        super().process(formdata, *args, **kwargs)  # type: ignore[misc]

    def pre_validate(self, form: Any) -> None:
        if self.asks_again and is_language_replay():
            raise StopValidation(RETYPE_SECRET)
        super().pre_validate(form)  # type: ignore[misc]


NOT_SENT = _l("The language was changed, and this form was not sent: check it and send it.")


class Form(FlaskForm):
    """Every form of the product: Flask-WTF's, which a language switch's replay never lets through.

    A replay (booking.views.language) writes nothing; when its form would now succeed, the view runs
    once more with `g.language_unsent` set, and the form comes back with what was typed and the
    word that it was not sent, as any refused form does.
    """

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        if is_language_replay() and g.get("language_unsent"):
            self.form_errors.append(str(NOT_SENT))
            return False
        return valid


def secret_names() -> set[str]:
    """The names of the secret fields (`Secret`) of the forms this request bound."""
    return set(g.get("secret_names", ())) if has_request_context() else set()


class SecretField(Secret, OneValue, PasswordField):
    """A password, taken as typed (spaces count), at most `max_length` characters."""

    def __init__(self, label: Any = None, validators: list[Any] | None = None, *, max_length: int = 1000,
                 **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), Length(max=max_length)], **kwargs)


class CodeField(Secret, LineField):
    """A one-time, recovery or check-in code: a secret line, full-width read as ASCII."""

    def __init__(self, label: Any = None, validators: list[Any] | None = None, *, max_length: int,
                 **kwargs: Any) -> None:
        super().__init__(label, validators, max_length=max_length, typed=True, **kwargs)


class TextField(OneValue, TextAreaField):
    """Several lines: breaks kept as LF, TAB a space, other control characters dropped, stripped."""

    def __init__(self, label: Any = None, validators: list[Any] | None = None, *, max_length: int,
                 **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), Length(max=max_length)],
                         filters=[lambda v: _strip(clean_multiline(v)) if isinstance(v, str) else v], **kwargs)


class ShownAsTyped:
    """A date, time or number input that keeps showing what was typed when the browser could not show it.

    An `<input type="date">` (or time) holding a value that is not a real date in ISO form
    (2026-02-30, 25:00) is shown empty by the browser, beside the message about it. Such a value
    is rendered as `type="text"`, so the person sees what they typed and corrects it; a value
    read all the same (full-width digits from an IME) is shown as read, in the browser's picker.
    """

    def __init__(self, widget: Any, shape: str) -> None:
        self.widget = widget
        self.input_type = widget.input_type
        self.shape = re.compile(shape, re.ASCII)  # \d: ASCII digits only, not full-width ones

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        typed = field.raw_data[0] if field.raw_data else ""
        if not isinstance(typed, str) or not typed or (field.data is not None and self.shape.fullmatch(typed)):
            return self.widget(field, **kwargs)
        if field.data is not None:  # read all the same (full-width digits): the picker shows the value read
            read = field.data.strftime(field.format[0]) if hasattr(field.data, "strftime") else str(field.data)
            return self.widget(field, value=read, **kwargs)
        for picker_only in ("step", "min", "max"):
            kwargs.pop(picker_only, None)
        return TextInput()(field, autocomplete="off", **kwargs)


class DayField(OneValue, DateField):
    """A date (YYYY-MM-DD) within FIRST_DAY..LAST_DAY; outside it is a field error.

    Full-width digits and hyphens from a Japanese IME are read as ASCII (NFKC, `typed_text`), as in
    an address (booking.domain.bounds.typed_day). What the browser cannot show is shown as typed
    (ShownAsTyped).
    """

    is_typed_data = True
    widget = ShownAsTyped(DateInput(), r"\d{4}-\d{2}-\d{2}")

    def process_formdata(self, valuelist: list[Any]) -> None:
        valuelist = [typed_text(v[:40]) if isinstance(v, str) else v for v in valuelist]
        try:
            super().process_formdata(valuelist)
        except ValueError:
            # Written in the right shape but no such day (2026-02-30): say so, not "the format".
            if valuelist and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(valuelist[0]).strip()):
                raise ValueError(str(NO_SUCH_DATE)) from None
            raise ValueError(str(NOT_A_DATE)) from None
        if self.data is not None and not is_supported_day(self.data):
            self.data = None
            raise ValueError(_l("Choose a date from %(first)s to %(last)s.",
                                first=shown_day(FIRST_DAY), last=shown_day(LAST_DAY)))


class ClockField(OneValue, TimeField):
    """A time of day (HH:MM); full-width １０：００ read as 10:00; what the browser cannot show is
    shown as typed (ShownAsTyped)."""

    is_typed_data = True
    widget = ShownAsTyped(TimeInput(), r"\d{2}:\d{2}(:\d{2})?")

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(NOT_A_TIME)) from None


class NumberField(OneValue, IntegerField):
    """A whole number from `low` to `high` (NumberRange, with `message` if given); else a field error.
    Full-width digits (１２) are read as ASCII; what the browser cannot show (abc) is shown as typed
    (ShownAsTyped: an `<input type="number">` holding it is shown empty)."""

    is_typed_data = True
    widget = ShownAsTyped(NumberInput(), r"-?\d+")

    def __init__(self, label: Any = None, validators: list[Any] | None = None, *, low: int, high: int,
                 message: Any = None, **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), NumberRange(min=low, max=high, message=message)], **kwargs)

    def not_a_number(self) -> str:
        """The range message of the field's current range (a form may narrow it, e.g. to a space's desks)."""
        ranges = [v for v in self.validators if isinstance(v, NumberRange)]
        if not ranges:
            return str(_l("Enter a whole number."))
        limit = ranges[-1]
        message = limit.message or OUT_OF_RANGE
        return str(message % {"min": limit.min, "max": limit.max})

    def process_formdata(self, valuelist: list[Any]) -> None:
        # int() reads up to 4300 digits; a number that long is past any range anyway.
        if len(valuelist) == 1 and len(str(valuelist[0]).strip()) > 20:
            self.data = None
            raise ValueError(self.not_a_number())
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.not_a_number()) from None

    def pre_validate(self, form: Any) -> None:
        # Typed but not a number: its message is there already; the range check would only say it
        # again. (A blank one goes on to the chain, where Optional or InputRequired decides.)
        # The message was written while the form was read, before the view narrowed the range
        # (fit_desks_and_overrides: a space's desks); it is written again with the range now in
        # force, so it names the field's real limits (issue 16: "abc" in a 24-desk space).
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            stale = set(self.process_errors)
            self.errors = [e for e in self.errors if e not in stale] + [self.not_a_number()]
            raise StopValidation()
        super().pre_validate(form)


class ChoiceField(OneValue, SelectField):
    """One of the listed choices."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(NOT_A_CHOICE)) from None

    def pre_validate(self, form: Any) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(str(NOT_A_CHOICE)) from None


class ChoicesField(SelectMultipleField):
    """Any of the listed choices (the one field that takes several values)."""

    validators = OneValue.validators

    def pre_validate(self, form: Any) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(str(NOT_A_CHOICE)) from None

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(NOT_A_CHOICE)) from None


class CheckField(OneValue, BooleanField):
    """A checkbox."""


SUBMIT_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_submit_token() -> str:
    """A fresh token for one rendered form: 128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


class SubmitTokenField(Secret, OneValue, HiddenField):
    """The form's submission token: a new one when the form is first shown, the posted one after.

    `data` is the token, or None when a POST carried none or one not of this shape
    (an old page, a hand-made request): that POST is simply not deduplicated. The
    service stores the token with what the POST created (unique per member), so a
    repeat finds it instead of creating another.
    """

    asks_again = False

    def __init__(self, label: Any = "", validators: list[Any] | None = None, **kwargs: Any) -> None:
        # A label, though never shown: without one WTForms translates "Submit Token" for it, and
        # Flask-WTF loads WTForms' message catalogue from disk for that, once per request
        # (profile line 'flask_wtf/i18n.py(_get_translations)' -> 'babel/support.py(load)' binding
        # the booking form of every POST; a successful POST translates nothing else of WTForms').
        super().__init__(label, validators, default=new_submit_token, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if not (valuelist and isinstance(self.data, str) and SUBMIT_TOKEN.fullmatch(self.data)):
            self.data = None

    def _value(self) -> str:
        # A form shown again after a POST without a token gets one from now on.
        return self.data or new_submit_token()


SHARED_FIELDS = (LineField, CodeField, EmailLineField, SecretField, TextField, DayField, ClockField, NumberField,
                 ChoiceField, ChoicesField, CheckField, SubmitTokenField)
