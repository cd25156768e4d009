"""A refusal about one input names the field it is shown beside, with its message and values."""

from __future__ import annotations

from booking.services import InputRefused


def test_a_refused_input_names_its_field_message_and_values():
    refusal = InputRefused("member_email", "No account uses the e-mail address %(email)s.", email="a@example.org")

    assert (refusal.field, refusal.message, refusal.params) == (
        "member_email", "No account uses the e-mail address %(email)s.", {"email": "a@example.org"})
    assert refusal.status_code == 400
    assert str(refusal) == "No account uses the e-mail address %(email)s."
