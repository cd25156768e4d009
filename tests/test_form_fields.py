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
