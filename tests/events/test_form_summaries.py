"""The event registration form after a failed submit: a summary opens the page in the order of the
fields, and the form's POST-only address, reloaded or left by the language switch, is no 405."""

from __future__ import annotations

from tests.summary_html import field_is_invalid, is_in_page_order, is_summary_first, summary_items, summary_targets


def test_a_failed_registration_opens_with_a_summary_in_the_order_of_the_form(client, kick_off):
    response = client.submit(f"/events/{kick_off.id}/register", {
        "name": "", "email": "not-an-address", "organisation": "", "org_kind": "public", "companions": "x"})

    page = response.get_data(as_text=True)
    targets = summary_targets(page)
    assert response.status_code == 422
    assert targets[:2] == ["name", "email"] and "consent" in targets
    assert is_in_page_order(page, targets)
    assert is_summary_first(page)
    assert field_is_invalid(page, "email", "")
    # Break-it round 2: the consent label is a sentence; its full stop stood before the colon (「。：」).
    assert not [text for _target, text in summary_items(page) if "。：" in text or ".:" in text]


def test_the_language_switch_of_a_failed_registration_sends_the_form_again(client, kick_off):
    """It used to go back to the event without the typed values; now it sends them again
    (tests/views/test_language_switch.py), and names the event page for when it cannot."""
    page = client.submit(f"/events/{kick_off.id}/register", {"name": ""}).get_data(as_text=True)

    assert f'action="/events/{kick_off.id}/register" class="inline lang"' in page
    assert f'name="_next" value="/events/{kick_off.id}"' in page
    switched = client.submit("/language", {"locale": "en", "next": f"/events/{kick_off.id}"})
    assert client.get(switched.headers["Location"]).status_code == 200


def test_the_registration_address_opened_again_leads_to_the_event(client, kick_off):
    response = client.get(f"/events/{kick_off.id}/register")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{kick_off.id}")


def test_a_member_whose_party_is_too_large_gets_the_summary(client, kick_off, create_user):
    client.login(create_user().email)

    response = client.submit(f"/events/{kick_off.id}/register", {"m-companions": "40", "m-consent": "y"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert summary_targets(page) == ["m-companions"]
