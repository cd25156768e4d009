"""Members: search and member pages for staff; roles and deactivation for admins only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, FeedToken, User
from booking.services import ServiceError, admin_members, feed_tokens
from booking.services.admin_members import Forbidden
from tests.admin.conftest import fresh
from tests.conftest import future_day, without_csrf_tokens
from tests.summary_html import summary_targets

START = future_day(4).replace(hour=2)


def signed_in(client):
    return client.get("/bookings").status_code == 200


@pytest.fixture
def people(create_user):
    return [
        create_user(name="Suzuki Hanako", email="hanako@npo.example.jp", organisation="NPO Kumamoto"),
        create_user(name="Tanaka Ichiro", email="ichiro@lab.example.jp", organisation="Kumamoto University"),
        create_user(name="山田 太郎", email="taro@pref.example.jp", organisation="熊本県庁"),
    ]


@pytest.mark.parametrize("query, found, hidden", [
    ("suzuki", ["Suzuki Hanako"], ["Tanaka Ichiro", "山田 太郎"]),
    ("LAB.EXAMPLE", ["Tanaka Ichiro"], ["Suzuki Hanako"]),
    ("kumamoto", ["Suzuki Hanako", "Tanaka Ichiro"], ["山田 太郎"]),
    ("熊本", ["山田 太郎"], ["Suzuki Hanako"]),
    ("100%", [], ["Suzuki Hanako", "Tanaka Ichiro", "山田 太郎"]),
    ("_", [], ["Suzuki Hanako", "Tanaka Ichiro", "山田 太郎"]),
])
def test_searching_finds_members_by_name_email_or_organisation_in_any_case(staff_client, people, query, found,
                                                                           hidden):
    page = staff_client.get("/staff/members", query_string={"q": query}).get_data(as_text=True)
    for name in found:
        assert name in page
    for name in hidden:
        assert name not in page


@pytest.mark.parametrize("query, found, hidden", [
    ("ｓｏｕｍｕ", ["ＳＯＵＭＵ Ｋａｎａ"], ["Émile Dupont"]),
    ("ＫＵＭＡＭＯＴＯ", ["ＳＯＵＭＵ Ｋａｎａ"], ["Émile Dupont"]),
    ("ÉMILE", ["Émile Dupont"], ["ＳＯＵＭＵ Ｋａｎａ"]),
    ("émile", ["Émile Dupont"], ["ＳＯＵＭＵ Ｋａｎａ"]),
])
def test_searching_finds_full_width_and_accented_letters_in_any_case(staff_client, create_user, query, found, hidden):
    """SQLite's own lower() folds only A-Z: both engines must match beyond it, as PostgreSQL does."""
    create_user(name="ＳＯＵＭＵ Ｋａｎａ", email="kana@city.example.jp", organisation="ｋｕｍａｍｏｔｏ 市役所")
    create_user(name="Émile Dupont", email="emile@lyon.example.fr", organisation="Ville de Lyon")
    page = staff_client.get("/staff/members", query_string={"q": query}).get_data(as_text=True)
    for name in found:
        assert name in page
    for name in hidden:
        assert name not in page


def test_the_list_is_paginated(staff_client, create_user):
    for n in range(30):
        create_user(name=f"Kumamoto member {n:02d}")

    first = staff_client.get("/staff/members?q=kumamoto+member").get_data(as_text=True)
    second = staff_client.get("/staff/members?q=kumamoto+member&page=2").get_data(as_text=True)

    assert "Kumamoto member 00" in first and "Kumamoto member 24" in first
    assert "Kumamoto member 25" not in first and "Kumamoto member 25" in second
    assert "page=2" in first and 'rel="next"' not in second


@pytest.mark.parametrize("page", ["abc", "-5", "0", "99999999999999999999999", "3"])
def test_a_strange_page_number_still_shows_a_page(staff_client, people, page):
    assert staff_client.get(f"/staff/members?page={page}").status_code == 200


def test_a_member_page_shows_their_future_bookings_only(staff_client, people, create_space, create_booking):
    space = create_space(name_en="Studio")
    member = people[0]
    create_booking(space, member, START, START.replace(hour=3), title="Upcoming <talk>")
    create_booking(space, member, future_day(-3), future_day(-3).replace(hour=1), title="Old talk")
    create_booking(space, member, START.replace(hour=5), START.replace(hour=6), title="Called off",
                   status="cancelled")

    page = staff_client.get(f"/staff/members/{member.id}").get_data(as_text=True)

    assert "hanako@npo.example.jp" in page and "NPO Kumamoto" in page
    assert "Upcoming &lt;talk&gt;" in page
    assert "Old talk" not in page and "Called off" not in page


def test_staff_do_not_see_the_admin_controls(staff_client, people):
    page = staff_client.get(f"/staff/members/{people[0].id}").get_data(as_text=True)
    assert "/deactivate" not in page and "/role" not in page


def test_an_admin_changes_a_role(admin_client, people):
    member = people[0]
    page = admin_client.get(f"/staff/members/{member.id}").get_data(as_text=True)
    assert f"/staff/members/{member.id}/role" in page

    response = admin_client.submit(f"/staff/members/{member.id}/role", {"role": "staff"})

    assert response.status_code == 302
    assert fresh(User, member.id).role == "staff"


def test_an_unknown_role_is_refused_and_nothing_changes(admin_client, people):
    response = admin_client.submit(f"/staff/members/{people[0].id}/role", {"role": "owner"}, follow_redirects=True)
    assert 'class="flash error"' in response.get_data(as_text=True)
    assert fresh(User, people[0].id).role == "member"


def test_an_admin_cannot_demote_or_deactivate_themselves(admin_client, admin):
    demote = admin_client.submit(f"/staff/members/{admin.id}/role", {"role": "member"}, follow_redirects=True)
    deactivate = admin_client.submit(f"/staff/members/{admin.id}/deactivate", follow_redirects=True)

    assert 'class="flash error"' in demote.get_data(as_text=True)
    assert 'class="flash error"' in deactivate.get_data(as_text=True)
    me = fresh(User, admin.id)
    assert me.role == "admin" and me.is_enabled


def test_staff_cannot_change_roles_or_accounts(staff_client, people):
    member = people[0]
    assert staff_client.submit(f"/staff/members/{member.id}/role", {"role": "admin"}).status_code == 403
    assert staff_client.submit(f"/staff/members/{member.id}/deactivate").status_code == 403
    assert fresh(User, member.id).role == "member" and fresh(User, member.id).is_enabled


def test_unknown_members_are_not_found(admin_client):
    assert admin_client.get("/staff/members/999").status_code == 404
    assert admin_client.submit("/staff/members/999/role", {"role": "staff"}).status_code == 404
    assert admin_client.submit("/staff/members/999/deactivate").status_code == 404
    assert admin_client.submit("/staff/members/1/explode").status_code == 404


def test_a_deactivated_member_cannot_sign_in_until_reactivated(app, client, admin, people):
    member = people[0]
    admin_client, member_client = client, app.test_client()  # two browsers
    member_client.login(member.email)
    assert signed_in(member_client)
    admin_client.login(admin.email)

    admin_client.submit(f"/staff/members/{member.id}/deactivate")

    assert not fresh(User, member.id).is_enabled
    assert not signed_in(member_client)  # the open session stops working too
    with_password = member_client.login(member.email)  # told why, and whom to contact
    assert with_password.status_code == 403
    assert "deactivated" in with_password.get_data(as_text=True) or "無効" in with_password.get_data(as_text=True)
    without = member_client.login(member.email, "not the password")  # learns nothing
    assert without.status_code == 401
    assert "deactivated" not in without.get_data(as_text=True) and "無効" not in without.get_data(as_text=True)
    assert not signed_in(member_client)

    admin_client.submit(f"/staff/members/{member.id}/reactivate")

    assert member_client.login(member.email).status_code == 302
    assert signed_in(member_client)


def test_future_bookings_of_deactivated_members_need_attention(admin_client, people, create_space, create_booking):
    space = create_space()
    gone, staying = people[0], people[1]
    create_booking(space, gone, START, START.replace(hour=3), title="Orphaned talk")
    create_booking(space, staying, START.replace(hour=4), START.replace(hour=5), title="Normal talk")
    assert "Orphaned talk" not in admin_client.get("/staff/attention").get_data(as_text=True)

    admin_client.submit(f"/staff/members/{gone.id}/deactivate")

    page = admin_client.get("/staff/attention").get_data(as_text=True)
    assert "Orphaned talk" in page and "Suzuki Hanako" in page
    assert "Normal talk" not in page
    member_page = admin_client.get(f"/staff/members/{gone.id}").get_data(as_text=True)
    assert "Orphaned talk" in member_page
    assert "/reactivate" in member_page


def test_attention_cancels_a_deactivated_members_bookings_with_a_message(
        admin_client, people, create_space, create_booking):
    gone = people[0]
    kept = create_booking(create_space(), gone, START, START.replace(hour=3), title="Orphaned talk")
    admin_client.submit(f"/staff/members/{gone.id}/deactivate")

    refused = admin_client.submit(f"/staff/attention/members/{gone.id}/cancel", {"message": "  "})
    assert refused.status_code == 422
    assert "Orphaned talk" in refused.get_data(as_text=True)
    assert summary_targets(refused.get_data(as_text=True)) == [f"message-{gone.id}"]
    assert f'aria-describedby="message-{gone.id}-errors"' in refused.get_data(as_text=True)
    assert admin_client.get(f"/staff/attention/members/{gone.id}/cancel").headers["Location"].endswith("/attention")
    assert fresh(Booking, kept.id).status == "confirmed"

    done = admin_client.submit(f"/staff/attention/members/{gone.id}/cancel", {"message": "Your contract ended."},
                               follow_redirects=True)
    assert done.status_code == 200
    assert fresh(Booking, kept.id).status == "cancelled"
    assert "Orphaned talk" not in admin_client.get("/staff/attention").get_data(as_text=True)


def test_an_unknown_role_is_refused_by_name_and_nothing_changes(create_user):
    admin, member = create_user(role="admin"), create_user()
    with pytest.raises(ServiceError) as refused:
        admin_members.change_role(admin, member.id, "owner")
    assert refused.value.message == "Unknown role."
    assert fresh(User, member.id).role == "member"


def test_losing_the_staff_role_deletes_only_that_accounts_staff_feed_token(create_user):
    admin, leaving, staying = create_user(role="admin"), create_user(role="staff"), create_user(role="staff")
    for user, kind in ((leaving, "member"), (leaving, "staff"), (staying, "staff")):
        feed_tokens.renew_token(user, kind)

    admin_members.change_role(admin, leaving.id, "member")

    db.session.expire_all()
    kinds = sorted(db.session.execute(select(FeedToken.user_id, FeedToken.kind)).all())
    assert kinds == sorted([(leaving.id, "member"), (staying.id, "staff")])


def test_only_an_admin_changes_roles_and_never_their_own(create_user):
    admin, staff = create_user(role="admin"), create_user(role="staff")

    with pytest.raises(Forbidden) as forbidden:
        admin_members.change_role(staff, admin.id, "member")
    assert forbidden.value.message == "Only admins can change roles and accounts."
    with pytest.raises(ServiceError) as own:
        admin_members.change_role(admin, admin.id, "member")
    assert own.value.message == "You cannot change your own role or deactivate yourself; ask another admin."
    assert (fresh(User, admin.id).role, fresh(User, staff.id).role) == ("admin", "staff")


def test_a_kept_members_list_follows_a_changed_account_and_shows_each_viewer_their_own_header(
        app, staff_client, admin, people):
    first = staff_client.get("/staff/members").get_data(as_text=True)
    assert without_csrf_tokens(staff_client.get("/staff/members").get_data(as_text=True)) == without_csrf_tokens(first)
    people[0].organisation = "改称後の団体"
    db.session.commit()
    changed = staff_client.get("/staff/members").get_data(as_text=True)
    assert "改称後の団体" in changed and "改称後の団体" not in first
    admin_client = app.test_client()
    admin_client.login(admin.email)
    seen_by_admin = admin_client.get("/staff/members").get_data(as_text=True)
    assert seen_by_admin[seen_by_admin.index("<h1>"):] == changed[changed.index("<h1>"):]
    assert seen_by_admin[:seen_by_admin.index("<h1>")] != changed[:changed.index("<h1>")]


def test_searching_treats_percent_underscore_and_slash_as_plain_characters(staff_client, create_user):
    create_user(name="100% 出資_法人/本社", email="percent@example.jp")
    create_user(name="100 出資 法人 本社", email="plain@example.jp")
    for words in ("100%", "出資_法人", "法人/本社"):
        page = staff_client.get("/staff/members", query_string={"q": words}).get_data(as_text=True)
        assert "percent@example.jp" in page and "plain@example.jp" not in page


def test_a_search_nobody_matches_finds_no_account_and_counts_none(create_user):
    create_user(name="Mori Aki")
    found = admin_members.search_members("nobody-like-this")
    assert (found.members, found.total) == ((), 0)


def test_cancelling_a_members_future_bookings_dates_each_cancellation_at_the_time_given(
        create_user, create_space, create_booking):
    staff, member = create_user(role="staff"), create_user()
    booking = create_booking(create_space(), member, START, START.replace(hour=3))
    decided_at = START - timedelta(days=1, minutes=7)

    report = admin_members.cancel_future_bookings(staff, member.id, "Your contract ended.", now=decided_at)

    assert [b.id for b in report.cancelled] == [booking.id]
    cancelled = fresh(Booking, booking.id)
    assert (cancelled.status, cancelled.cancelled_at) == ("cancelled", decided_at)


def test_a_search_without_words_gives_the_first_page_of_every_account(people):
    found = admin_members.search_members()
    assert (found.page, found.total) == (1, 3)
    assert [m.name for m in found.members] == sorted((p.name for p in people), key=str.lower)


@pytest.mark.parametrize("query", ["", "kumamoto"])
def test_a_page_past_the_last_shows_no_account_but_still_counts_the_matches(people, query):
    found = admin_members.search_members(query, page=9)
    assert (found.members, found.total, found.pages) == ((), 3 if not query else 2, 1)


def test_only_staff_may_cancel_a_members_bookings(create_user):
    member, other = create_user(), create_user()
    with pytest.raises(Forbidden) as forbidden:
        admin_members.cancel_future_bookings(member, other.id, "Bye.")
    assert forbidden.value.message == "Only staff can cancel a member's bookings."


@pytest.mark.parametrize(("message", "refusal"), [
    ("  ", ("Write a message to the member.", {})),
    ("x" * 2001, ("The message is too long (at most %(max)s characters).", {"max": 2000})),
])
def test_cancelling_a_members_bookings_needs_a_message_of_at_most_2000_characters(create_user, message, refusal):
    staff, member = create_user(role="staff"), create_user()
    with pytest.raises(ServiceError) as refused:
        admin_members.cancel_future_bookings(staff, member.id, message)
    assert refused.value.errors == {"message": refusal}


def test_a_message_of_exactly_2000_characters_is_sent(create_user, create_space, create_booking):
    staff, member = create_user(role="staff"), create_user()
    booking = create_booking(create_space(), member, START, START.replace(hour=3))
    report = admin_members.cancel_future_bookings(staff, member.id, "x" * 2000)
    assert [b.id for b in report.cancelled] == [booking.id]


def test_only_bookings_still_to_come_at_the_time_given_are_cancelled(create_user, create_space, create_booking):
    staff, member = create_user(role="staff"), create_user()
    booking = create_booking(create_space(), member, START, START.replace(hour=3))

    report = admin_members.cancel_future_bookings(staff, member.id, "Bye.", now=START + timedelta(days=1))

    assert (report.cancelled, report.skipped) == ([], [])
    assert fresh(Booking, booking.id).status == "confirmed"


def test_deactivating_with_cancellation_dates_each_one_at_the_time_given(create_user, create_space, create_booking):
    admin, member = create_user(role="admin"), create_user()
    booking = create_booking(create_space(), member, START, START.replace(hour=3))
    decided_at = START - timedelta(days=1, minutes=7)

    admin_members.deactivate(admin, member.id, cancel_future=True, message="Your contract ended.", now=decided_at)

    assert fresh(Booking, booking.id).cancelled_at == decided_at


def test_a_booking_ending_at_the_time_given_is_no_longer_a_future_one(create_user, create_space, create_booking):
    member = create_user()
    booking = create_booking(create_space(), member, START, START.replace(hour=3))
    assert admin_members.future_bookings(member.id, now=booking.end_dt) == []
    assert admin_members.future_bookings(member.id, now=booking.end_dt - timedelta(microseconds=1)) == [booking]


def test_the_bookings_of_deactivated_members_are_listed_soonest_first(admin, people, create_space, create_booking):
    space, gone = create_space(), people[0]
    later = create_booking(space, gone, START.replace(hour=5), START.replace(hour=6))
    sooner = create_booking(space, gone, START, START.replace(hour=3))
    admin_members.deactivate(admin, gone.id)

    assert [b.id for b in admin_members.deactivated_members_bookings()] == [sooner.id, later.id]


def test_deactivating_an_account_deletes_its_feed_tokens_and_no_one_elses(create_user):
    admin, leaving, staying = create_user(role="admin"), create_user(), create_user()
    for user in (leaving, staying):
        feed_tokens.renew_token(user, "member")

    admin_members.set_enabled(admin, leaving.id, False)

    db.session.expire_all()
    assert db.session.execute(select(FeedToken.user_id)).scalars().all() == [staying.id]


def test_a_members_future_bookings_are_listed_soonest_first(create_user, create_space, create_booking):
    member, space = create_user(), create_space()
    later = create_booking(space, member, START.replace(hour=5), START.replace(hour=6))
    sooner = create_booking(space, member, START, START.replace(hour=3))

    assert admin_members.future_bookings(member.id, now=START - timedelta(days=1)) == [sooner, later]


def test_deactivating_without_cancelling_reports_nothing_cancelled_and_keeps_the_bookings(
        admin, people, create_space, create_booking):
    gone = people[0]
    booking = create_booking(create_space(), gone, START, START.replace(hour=3))

    report = admin_members.deactivate(admin, gone.id)

    assert (report.user.id, report.cancelled, report.skipped) == (gone.id, [], [])
    assert fresh(Booking, booking.id).status == "confirmed"


def test_deactivating_with_cancellation_but_no_message_is_refused_and_changes_nothing(create_user, create_space,
                                                                                      create_booking):
    admin, member = create_user(role="admin"), create_user()
    booking = create_booking(create_space(), member, START, START.replace(hour=3))

    with pytest.raises(admin_members.InvalidInput) as refused:
        admin_members.deactivate(admin, member.id, cancel_future=True)

    assert refused.value.errors == {"message": ("Write a message to the member.", {})}
    assert fresh(Booking, booking.id).status == "confirmed" and fresh(User, member.id).is_enabled
