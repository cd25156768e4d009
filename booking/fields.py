"""The form fields every form is built from: each one bounded where input enters.

- `LineField`: one line (titles, names, reasons, slugs); a line break or a control
  character is a field error, never stored.
- `TextField`: several lines (purpose, notes, descriptions); line breaks are kept as LF,
  TAB becomes a space, other control characters are dropped.
- `DayField`: a date within FIRST_DAY..LAST_DAY (booking.domain.bounds).
- `NumberField`: a whole number within the range the field states.
- Every field takes exactly one value: a field sent twice is a malformed request (400).

tests/test_form_fields.py checks that every form in the code uses only these.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Length, NumberRange, ValidationError

from booking.domain.bounds import FIRST_DAY, LAST_DAY, clean_multiline, is_single_line, is_supported_day

# WTForms' own message, translated by its own catalogue (a name, so Babel does not extract it).
NOT_AN_INTEGER = "Not a valid integer value."
NOT_ONE_LINE = _l("Use a single line, without line breaks or control characters.")


class OneValue:
    """Mixin: a field posted more than once was not sent by our form: 400."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if len(valuelist) > 1:
            abort(400)
        super().process_formdata(valuelist)  # type: ignore[misc]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class LineField(OneValue, StringField):
    """One line of text, surrounding spaces stripped, at most `max_length` characters."""

    def __init__(self, label: Any = None, validators: list[Any] | None = None, *, max_length: int,
                 filters: tuple[Any, ...] | list[Any] = (), **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), Length(max=max_length)],
                         filters=[_strip, *filters], **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data and not is_single_line(self.data):
            raise ValidationError(NOT_ONE_LINE)


class EmailLineField(OneValue, EmailField):
    """An e-mail address: one line, stripped, at most 254 characters (RFC 5321)."""

    def __init__(self, label: Any = None, validators: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), Length(max=254)], filters=[_strip], **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data and not is_single_line(self.data):
            raise ValidationError(NOT_ONE_LINE)


class SecretField(OneValue, PasswordField):
    """A password, taken as typed (spaces count), at most `max_length` characters."""

    def __init__(self, label: Any = None, validators: list[Any] | None = None, *, max_length: int = 1000,
                 **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), Length(max=max_length)], **kwargs)


class TextField(OneValue, TextAreaField):
    """Several lines: breaks kept as LF, TAB a space, other control characters dropped, stripped."""

    def __init__(self, label: Any = None, validators: list[Any] | None = None, *, max_length: int,
                 **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), Length(max=max_length)],
                         filters=[lambda v: clean_multiline(v).strip() if isinstance(v, str) else v], **kwargs)


class DayField(OneValue, DateField):
    """A date (YYYY-MM-DD) within FIRST_DAY..LAST_DAY; outside it is a field error."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not is_supported_day(self.data):
            self.data = None
            raise ValueError(_l("Choose a date from %(first)s to %(last)s.",
                                first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))


class ClockField(OneValue, TimeField):
    """A time of day (HH:MM)."""


class NumberField(OneValue, IntegerField):
    """A whole number from `low` to `high` (NumberRange, with `message` if given); else a field error."""

    def __init__(self, label: Any = None, validators: list[Any] | None = None, *, low: int, high: int,
                 message: Any = None, **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), NumberRange(min=low, max=high, message=message)], **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        # int() reads up to 4300 digits; a number that long is past any range anyway.
        if len(valuelist) == 1 and len(str(valuelist[0]).strip()) > 20:
            self.data = None
            raise ValueError(self.gettext(NOT_AN_INTEGER))
        super().process_formdata(valuelist)


class ChoiceField(OneValue, SelectField):
    """One of the listed choices."""


class ChoicesField(SelectMultipleField):
    """Any of the listed choices (the one field that takes several values)."""


class CheckField(OneValue, BooleanField):
    """A checkbox."""


SHARED_FIELDS = (LineField, EmailLineField, SecretField, TextField, DayField, ClockField, NumberField,
                 ChoiceField, ChoicesField, CheckField)
