"""The approval message counts the requests it rejected: "1 overlapping request was", "2 … were"."""

from __future__ import annotations

import pytest

from tests.staff.test_pages import ask, at


@pytest.mark.parametrize(("rivals", "words"), [
    (1, "1 overlapping request was rejected automatically."),
    (2, "2 overlapping requests were rejected automatically."),
])
def test_approving_counts_the_rejected_requests_in_english(client, create_user, create_space, rivals, words):
    staff = create_user(role="staff", locale="en")
    client.login(staff.email)
    space = create_space(requires_approval=True, pending_holds=False)
    chosen = ask(create_user(), space, at(2), at(4))
    for minute in range(0, 30 * rivals, 30):
        ask(create_user(), space, at(3, minute), at(5, minute))
    page = client.submit(f"/staff/requests/{chosen.id}/approve", follow_redirects=True).get_data(as_text=True)
    assert words in page


def test_japanese_keeps_its_one_form(client, create_user, create_space):
    client.login(create_user(role="staff", locale="ja").email)
    space = create_space(requires_approval=True, pending_holds=False)
    chosen = ask(create_user(), space, at(2), at(4))
    ask(create_user(), space, at(3), at(5))
    page = client.submit(f"/staff/requests/{chosen.id}/approve", follow_redirects=True).get_data(as_text=True)
    assert "時間が重なる申請1件を自動的にお断りしました。" in page
