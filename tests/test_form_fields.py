"""Every form is built from the shared, bounded fields of booking/fields.py."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields.core import UnboundField
from wtforms.validators import Optional

from booking import fields
from tests.hostile.values import form_classes

FORMS = form_classes()


def test_the_forms_are_found():
    assert {"BookingForm", "ClosureForm", "RegisterForm", "SpaceForm"} <= {cls.__name__ for cls in FORMS}


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: cls.__qualname__)
def test_every_field_of_every_form_is_a_shared_bounded_field(form_class):
    plain = [
        f"{name}: {unbound.field_class.__name__}"
        for name in dir(form_class)
        if isinstance(unbound := getattr(form_class, name, None), UnboundField)
        and not issubclass(unbound.field_class, fields.SHARED_FIELDS)
    ]
    assert plain == [], "use the fields of booking/fields.py, which bound and clean their input"


@pytest.mark.parametrize("field_class", [fields.LineField, fields.TextField, fields.NumberField])
def test_a_text_or_number_field_cannot_be_made_without_its_bounds(field_class):
    with pytest.raises(TypeError):
        field_class("Unbounded").bind(form=Form(), name="unbounded")


@pytest.mark.parametrize("typed", ["abc", "1" * 30, "11"])
def test_a_number_out_of_its_range_or_not_a_number_gets_one_message(app, typed):
    """Not two (issue 16: the booking form said 参加予定人数は0～10000人… twice for 'abc')."""

    class Attendees(Form):
        attendees = fields.NumberField("Attendees", validators=[Optional()], low=0, high=10)

    with app.test_request_context():
        form = Attendees(formdata=MultiDict({"attendees": typed}))
        assert not form.validate()
        assert len(form.attendees.errors) == 1, form.attendees.errors


@pytest.mark.parametrize("typed", ["", "  "])
def test_a_blank_optional_number_is_no_error(app, typed):
    class Attendees(Form):
        attendees = fields.NumberField("Attendees", validators=[Optional()], low=0, high=10)

    with app.test_request_context():
        form = Attendees(formdata=MultiDict({"attendees": typed}))
        assert form.validate(), form.attendees.errors


@pytest.mark.parametrize(("raw", "message"), [
    ("2026-02-30", "NO_SUCH_DATE"), ("2026-13-01", "NO_SUCH_DATE"), ("2026/02/03", "NOT_A_DATE"),
])
def test_a_day_that_does_not_exist_is_told_apart_from_a_wrong_format(app, raw, message):
    """Issue 16 (tester): day=2026-02-30 was told to use the format it already had."""
    class DayForm(Form):
        day = fields.DayField("Day")

    with app.test_request_context():
        form = DayForm(MultiDict({"day": raw}))
        assert not form.validate()
        assert form.day.errors == [str(getattr(fields, message))]


# Issue 16 (break-it report, item 10): a Japanese IME types full-width. Dates were read, but times,
# hours, e-mail addresses and numbers were refused. Every typed-data field reads them (fields.typed_text).
FULL_WIDTH = [
    ("booking.forms", "RegisterForm", "email", "ａ＠ｅｘａｍｐｌｅ．ｊｐ", "a@example.jp"),
    ("booking.forms", "LoginForm", "email", "ａ＠ｅｘａｍｐｌｅ．ｊｐ", "a@example.jp"),
    ("booking.forms", "ForgotPasswordForm", "email", "ａ＠ｅｘａｍｐｌｅ．ｊｐ", "a@example.jp"),
    ("booking.forms_events", "RegistrationForm", "email", "ａ＠ｅｘａｍｐｌｅ．ｊｐ", "a@example.jp"),
    ("booking.forms", "BookingForm", "start_time", "１０：００", "10:00"),
    ("booking.forms", "BookingForm", "day", "２０２６－１２－１４", "2026-12-14"),
    ("booking.forms", "BookingForm", "attendees", "１２", "12"),
    ("booking.forms_staff", "ClosureForm", "start_time", "１０：００", "10:00"),
    ("booking.forms_staff", "HoursForm", "day_0", "１０：００－１２：００", "10:00-12:00"),
    ("booking.forms", "OneTimeCodeForm", "code", "１２３４５６", "123456"),
]


@pytest.mark.parametrize(("module", "form_name", "name", "typed", "read"), FULL_WIDTH,
                         ids=[f"{f}.{n}" for _, f, n, _, _ in FULL_WIDTH])
def test_full_width_input_is_read_as_ascii_in_every_typed_field(app, module, form_name, name, typed, read):
    import importlib

    form_class = getattr(importlib.import_module(module), form_name)
    with app.test_request_context("/", method="POST"):
        form = form_class(formdata=MultiDict({name: typed}), meta={"csrf": False},
                          **({"spaces": [(1, "Studio")]} if form_name == "ClosureForm" else {}))
        field = form[name]
        assert field.process_errors == []
        shown = field.data.strftime("%H:%M") if hasattr(field.data, "hour") else (
            field.data.isoformat() if hasattr(field.data, "isoformat") else str(field.data))
        assert shown == read


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: cls.__qualname__)
def test_every_date_time_number_and_e_mail_field_reads_full_width(form_class):
    kinds = (fields.DayField, fields.ClockField, fields.NumberField, fields.EmailLineField)
    unread = [name for name in dir(form_class)
              if isinstance(unbound := getattr(form_class, name, None), UnboundField)
              and issubclass(unbound.field_class, kinds) and not unbound.field_class.is_typed_data]
    assert unread == []


def test_free_text_keeps_what_was_typed(app):
    class Titled(Form):
        title = fields.LineField("Title", max_length=50)

    with app.test_request_context():
        form = Titled(MultiDict({"title": "ＡＢＣ　１２３"}))
        assert form.title.data == "ＡＢＣ　１２３"
