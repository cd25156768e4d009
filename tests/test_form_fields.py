"""Every form is built from the shared, bounded fields of booking/fields.py."""

from __future__ import annotations

import pytest
from wtforms import Form
from wtforms.fields.core import UnboundField

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
