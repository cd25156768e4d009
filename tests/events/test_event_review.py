"""Staff review a public event a member proposed: approve publishes it, reject keeps it private with a
note; both audited and mailed through the outbox; staff only. And a withdrawn event never reads as on."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AgendaItem, BookingEvent, OutboxMessage, PublicEvent
from booking.services import NotFound, ServiceError, Stale, event_review, public_events
from tests.conftest import future_day
from tests.events.factories import make_event


@pytest.fixture
def member(create_user):
    return create_user(name="提案 太郎", locale="en")


@pytest.fixture
def staff(create_user):
    return create_user(role="staff")


@pytest.fixture
def proposal(hall, member) -> PublicEvent:
    """A member's event on their own confirmed booking of the hall, waiting for staff."""
    hall.members_may_host_events = True
    start = future_day(9) + timedelta(hours=8)
    event = make_event(hall, member, start, start + timedelta(hours=2), status="pending", capacity=40,
                       title_ja="地域DX勉強会", title_en="Local DX study group",
                       description_ja="自治体職員向けの勉強会", description_en="A study group for municipal staff",
                       organiser="渋谷区")
    event.agenda_items = [AgendaItem(start_dt=start, minutes=30, title_ja="開会", title_en="Opening",
                                     speakers="区長")]
    db.session.commit()
    return event


def actions(event: PublicEvent) -> list[tuple[str, str]]:
    return [(e.action, e.note) for e in db.session.scalars(
        select(BookingEvent).where(BookingEvent.booking_id == event.booking_id).order_by(BookingEvent.id))]


def mails(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


# --- services ---------------------------------------------------------------------------------------

def test_proposals_are_the_pending_events_of_live_bookings_oldest_first(proposal, hall, member, create_booking):
    start = future_day(11) + timedelta(hours=8)
    later = make_event(hall, member, start, start + timedelta(hours=1), status="pending")
    make_event(hall, member, start + timedelta(days=1), start + timedelta(days=1, hours=1))  # published
    gone = make_event(hall, member, start + timedelta(days=2), start + timedelta(days=2, hours=1), status="pending")
    gone.booking.status = "cancelled"
    db.session.commit()

    assert [e.id for e in event_review.proposals()] == [proposal.id, later.id]
    assert event_review.proposal_count() == 2


def test_approving_publishes_the_event_audits_it_and_queues_the_members_mail(client, proposal, staff, hall):
    assert proposal.title_ja not in client.get("/events").get_data(as_text=True)

    event_review.approve(staff, proposal.id)

    db.session.rollback()
    assert db.session.get(PublicEvent, proposal.id).status == "published"
    assert actions(proposal) == [("published", "")]
    [mail] = mails("events.proposal_approved")
    assert (mail.recipient, mail.locale) == (proposal.booking.user.email, "en")
    assert proposal.title_ja in client.get("/events").get_data(as_text=True)
    assert proposal.title_ja in client.get(f"/spaces/{hall.slug}").get_data(as_text=True)
    assert proposal.uid in client.get("/events.ics").get_data(as_text=True)
    assert client.get(f"/events/{proposal.id}").status_code == 200


def test_rejecting_needs_a_note_keeps_the_event_from_visitors_and_queues_the_note_in_the_members_language(
        client, proposal, staff):
    with pytest.raises(ServiceError):
        event_review.reject(staff, proposal.id, "   ")
    with pytest.raises(ServiceError) as too_long:
        event_review.reject(staff, proposal.id, "x" * (event_review.NOTE_MAX + 1))
    assert (too_long.value.message, too_long.value.params) == (event_review.LONG_NOTE, {"max": 2000})

    event_review.reject(staff, proposal.id, "定員が会場の上限に近すぎます。")

    db.session.rollback()
    event = db.session.get(PublicEvent, proposal.id)
    assert event.status == "rejected"
    assert actions(proposal) == [("turned_down", "定員が会場の上限に近すぎます。")]
    assert [e.actor_id for e in db.session.scalars(select(BookingEvent).where(
        BookingEvent.booking_id == proposal.booking_id))] == [staff.id]
    assert event_review.rejection_note(event) == "定員が会場の上限に近すぎます。"
    [mail] = mails("events.proposal_rejected")
    assert mail.locale == "en" and mail.payload["note"] == "定員が会場の上限に近すぎます。"
    assert client.get(f"/events/{proposal.id}").status_code == 404
    assert client.get(f"/events/{proposal.id}.ics").status_code == 404
    assert proposal.uid not in client.get("/events.ics").get_data(as_text=True)
    assert proposal.title_ja not in client.get("/events").get_data(as_text=True)


def test_rejecting_writes_under_the_spaces_write_lock(proposal, staff, locked_spaces):
    locked = locked_spaces
    locked.clear()

    event_review.reject(staff, proposal.id, "日程を再検討してください")

    assert locked[0] == proposal.booking.space_id  # the decision; its mail is sent after it


def test_a_decided_proposal_is_not_decided_again(proposal, staff):
    event_review.approve(staff, proposal.id)

    with pytest.raises(Stale):
        event_review.reject(staff, proposal.id, "遅すぎた判断")
    with pytest.raises(Stale):
        event_review.approve(staff, proposal.id)
    db.session.rollback()
    assert db.session.get(PublicEvent, proposal.id).status == "published"
    assert [a for a, _note in actions(proposal)] == ["published"]


def test_an_event_on_a_booking_still_pending_waits_for_the_booking_to_be_approved(proposal, staff):
    proposal.booking.status = "pending"
    db.session.commit()

    with pytest.raises(ServiceError):
        event_review.approve(staff, proposal.id)
    db.session.rollback()
    assert db.session.get(PublicEvent, proposal.id).status == "pending"
    assert mails("events.proposal_approved") == []


def test_members_cannot_decide_on_proposals(proposal, member):
    with pytest.raises(NotFound):
        event_review.approve(member, proposal.id)
    with pytest.raises(NotFound):
        event_review.reject(member, proposal.id, "自分で")


def test_a_member_who_changes_a_rejected_event_proposes_it_again(proposal, staff, member):
    event_review.reject(staff, proposal.id, "説明を英語でも書いてください。")
    start = proposal.booking.start_dt
    data = public_events.EventInput(title_ja="地域DX勉強会", title_en="Local DX study group", capacity=40,
                                    registration_opens_at=start - timedelta(days=5), registration_closes_at=start)

    saved = public_events.save_event(member, proposal.booking_id, data)

    assert saved.ok and saved.event.status == "pending"
    assert [e.id for e in event_review.proposals()] == [proposal.id]


def test_once_published_a_members_event_is_changed_by_staff_only(proposal, staff, member):
    """Found by a break-it run: a member retitled an approved event and it went live unreviewed."""
    event_review.approve(staff, proposal.id)
    start = proposal.booking.start_dt
    data = public_events.EventInput(title_ja="別の題名", title_en="Another title", capacity=40,
                                    registration_opens_at=start - timedelta(days=5), registration_closes_at=start)

    refused = public_events.save_event(member, proposal.booking_id, data)
    db.session.rollback()

    assert not refused.ok and [p.code for p in refused.problems][:1] == ["published"]
    assert refused.problems[0].message == public_events.PUBLISHED_BY_STAFF
    assert db.session.get(PublicEvent, proposal.id).title_ja == "地域DX勉強会"
    changed = public_events.save_event(staff, proposal.booking_id, data)
    assert changed.ok and changed.event.title_ja == "別の題名" and changed.event.status == "published"


# --- views ------------------------------------------------------------------------------------------

PAGES = ["/staff/event-proposals", "/staff/event-proposals/{id}/reject"]
POSTS = ["/staff/event-proposals/{id}/approve", "/staff/event-proposals/{id}/reject"]


@pytest.mark.parametrize(("method", "url"), [("get", u) for u in PAGES] + [("post", u) for u in POSTS])
def test_proposals_are_for_staff_only(client, proposal, member, method, url):
    path = url.format(id=proposal.id)
    send = client.get if method == "get" else (lambda p: client.submit(p, {"note": "no"}))

    visitor = send(path)
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
    client.login(member.email)
    assert send(path).status_code == 403
    db.session.rollback()
    assert db.session.get(PublicEvent, proposal.id).status == "pending"
    assert actions(proposal) == []


def test_an_unknown_proposal_is_a_404_for_staff(client, staff):
    client.login(staff.email)

    assert client.get("/staff/event-proposals/999999/reject").status_code == 404
    assert client.submit("/staff/event-proposals/999999/approve").status_code == 404
    assert client.submit("/staff/event-proposals/999999/reject", {"note": "x"}).status_code == 404


def test_deciding_needs_the_forms_csrf_token(client, proposal, staff):
    client.login(staff.email)

    assert client.post(f"/staff/event-proposals/{proposal.id}/approve").status_code == 400
    assert client.post(f"/staff/event-proposals/{proposal.id}/reject", data={"note": "x"}).status_code == 400
    db.session.rollback()
    assert db.session.get(PublicEvent, proposal.id).status == "pending"


def test_staff_see_the_proposal_with_its_details_and_approve_it(client, proposal, staff):
    client.login(staff.email)
    assert "承認待ちの公開イベント申請が1件あります" in client.get("/staff/requests").get_data(as_text=True)
    assert "承認待ちの公開イベント申請が1件あります" in client.get("/staff/attention").get_data(as_text=True)

    page = client.get("/staff/event-proposals").get_data(as_text=True)

    for shown in ("地域DX勉強会", "Local DX study group", "自治体職員向けの勉強会", "A study group for municipal staff",
                  "渋谷区", "開会", "区長", "40人", "提案 太郎", "当日参加も歓迎"):
        assert shown in page, shown
    response = client.submit(f"/staff/event-proposals/{proposal.id}/approve", follow_redirects=True)
    assert "イベントを公開しました" in response.get_data(as_text=True)
    assert "承認待ちのイベント申請はありません" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(PublicEvent, proposal.id).status == "published"


def test_rejecting_asks_first_needs_a_note_and_the_member_reads_it_on_the_booking(client, proposal, staff, member):
    client.login(staff.email)
    confirm = client.get(f"/staff/event-proposals/{proposal.id}/reject")
    assert confirm.status_code == 200 and "このイベントをお断りする" in confirm.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(PublicEvent, proposal.id).status == "pending"  # asking changes nothing

    assert client.submit(f"/staff/event-proposals/{proposal.id}/reject", {"note": ""}).status_code == 422
    response = client.submit(f"/staff/event-proposals/{proposal.id}/reject",
                             {"note": "<b>会場の都合</b>でお受けできません"}, follow_redirects=True)
    assert "イベントをお断りしました" in response.get_data(as_text=True)
    client.get("/logout")
    client.login(member.email)
    page = client.get(f"/bookings/{proposal.booking_id}").get_data(as_text=True)
    assert "Not published: rejected by the staff" in page
    assert "&lt;b&gt;会場の都合&lt;/b&gt;でお受けできません" in page


def test_the_member_sees_a_waiting_proposal_on_the_booking(client, proposal, member):
    client.login(member.email)

    assert "Proposed: waiting for staff approval" in client.get(f"/bookings/{proposal.booking_id}").get_data(
        as_text=True)


def test_the_trail_names_the_decisions(client, proposal, staff):
    event_review.reject(staff, proposal.id, "日程を再検討してください")
    client.login(staff.email)

    page = client.get(f"/staff/bookings/{proposal.booking_id}").get_data(as_text=True)

    assert "イベント申請をお断り" in page and "日程を再検討してください" in page


# --- a withdrawn event never reads as on -----------------------------------------------------------------

def _withdrawn(kick_off, create_user, release_booking=False):
    from booking.services.attendee_mail import withdraw_event
    from booking.services.registrations import RegistrationInput, register

    register(kick_off.id, RegistrationInput(name="参加 花子", email="hanako@example.jp", consent=True), "k")
    withdraw_event(kick_off.id, create_user(role="staff"), "台風のため", release_booking=release_booking)
    db.session.rollback()
    return db.session.get(PublicEvent, kick_off.id)


@pytest.mark.parametrize("release_booking", [False, True])
def test_a_withdrawn_event_page_says_it_is_called_off_without_seats_window_or_form(
        client, kick_off, create_user, release_booking):
    event = _withdrawn(kick_off, create_user, release_booking)

    page = client.get(f"/events/{event.id}").get_data(as_text=True)

    assert "このイベントは中止になりました" in page and "中止" in page
    for hidden in ("残り", "満席", "申込受付", f'action="/events/{event.id}/register"', "当日参加も歓迎"):
        assert hidden not in page, hidden
    [data] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert json.loads(data)["eventStatus"] == "https://schema.org/EventCancelled"


@pytest.mark.parametrize("release_booking", [False, True])
def test_a_withdrawn_event_stays_listed_marked_cancelled_in_words_on_events_and_its_space(
        client, kick_off, create_user, hall, release_booking):
    event = _withdrawn(kick_off, create_user, release_booking)

    for url in ("/events", f"/spaces/{hall.slug}"):
        page = client.get(url).get_data(as_text=True)
        listing = page[page.index('<ul class="events">'):]
        [item] = re.findall(r"<li>(.*?)</li>", listing[:listing.index("</ul>")], re.S)
        assert event.title_ja in item and f'href="/events/{event.id}"' in item, url
        assert '<span class="status cancelled">中止</span>' in item, url
        assert "残り" not in item and "満席" not in item, url
    with client.session_transaction() as session:
        session["locale"] = "en"
    assert '<span class="status cancelled">Called off</span>' in client.get("/events").get_data(as_text=True)


def test_a_listed_cancelled_event_reads_cancelled_in_its_page_data_and_the_feed_too(client, kick_off, create_user):
    event = _withdrawn(kick_off, create_user)
    assert [e.id for e in public_events.listed()[0]] == [event.id]

    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    [data] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    [vevent] = [c for c in icalendar.Calendar.from_ical(client.get("/events.ics").data).walk("VEVENT")
                if str(c["UID"]) == event.uid]

    assert json.loads(data)["eventStatus"] == "https://schema.org/EventCancelled"
    assert str(vevent["STATUS"]) == "CANCELLED"


def test_a_cancelled_event_leaves_the_list_once_its_date_has_passed(kick_off, create_user):
    event = _withdrawn(kick_off, create_user)
    after = event.booking.end_dt + timedelta(minutes=1)

    assert public_events.listed(now=event.booking.end_dt - timedelta(minutes=1))[0] == [event]
    assert public_events.listed(now=after) == ([], [])


def test_a_withdrawn_event_is_cancelled_in_its_ics_and_the_events_feed(client, kick_off, create_user):
    event = _withdrawn(kick_off, create_user)

    for url in (f"/events/{event.id}.ics", "/events.ics"):
        [vevent] = [c for c in icalendar.Calendar.from_ical(client.get(url).data).walk("VEVENT")
                    if str(c["UID"]) == event.uid]
        assert str(vevent["STATUS"]) == "CANCELLED", url
        assert int(vevent["SEQUENCE"]) >= 1


def test_a_new_event_is_written_at_the_time_given_and_only_on_a_pending_or_confirmed_booking(
        hall, staff, create_booking):
    from booking.db import utcnow

    start = future_day(12) + timedelta(hours=8)
    data = public_events.EventInput(title_ja="新しい催し", title_en="", capacity=40,
                                    registration_opens_at=start - timedelta(days=5), registration_closes_at=start)
    at = utcnow().replace(microsecond=0) - timedelta(minutes=3)

    saved = public_events.save_event(staff, create_booking(hall, staff, start, start + timedelta(hours=2)).id, data,
                                     now=at)
    assert saved.ok and saved.event.created_at == at

    cancelled = create_booking(hall, staff, start + timedelta(days=1), start + timedelta(days=1, hours=2),
                               status="cancelled")
    with pytest.raises(ServiceError) as refused:
        public_events.save_event(staff, cancelled.id, data)
    assert refused.value.message == "Only a pending or confirmed booking can carry a public event."


def test_approving_records_the_staff_member_who_published_the_event(proposal, staff):
    event_review.approve(staff, proposal.id)

    db.session.rollback()
    assert [(e.action, e.actor_id) for e in db.session.scalars(
        select(BookingEvent).where(BookingEvent.booking_id == proposal.booking_id))] == [("published", staff.id)]


def test_a_rejection_note_of_exactly_the_maximum_length_is_accepted(proposal, staff):
    note = "x" * event_review.NOTE_MAX

    event_review.reject(staff, proposal.id, note)

    db.session.rollback()
    assert event_review.rejection_note(db.session.get(PublicEvent, proposal.id)) == note


def test_a_rejected_event_shows_its_own_note_not_that_of_another_rejected_event(proposal, staff, hall, member):
    start = future_day(12) + timedelta(hours=8)
    other = make_event(hall, member, start, start + timedelta(hours=1), status="pending")
    event_review.reject(staff, proposal.id, "この提案への返事")
    event_review.reject(staff, other.id, "別の提案への返事")  # newer

    db.session.rollback()
    assert event_review.rejection_note(db.session.get(PublicEvent, proposal.id)) == "この提案への返事"


def test_of_two_rejections_written_at_the_same_instant_the_later_note_is_shown(proposal, staff, member):
    at = future_day(1)
    event_review.reject(staff, proposal.id, "一回目の返事", now=at)
    start = proposal.booking.start_dt
    public_events.save_event(member, proposal.booking_id, public_events.EventInput(
        title_ja="地域DX勉強会", title_en="Local DX study group", capacity=40,
        registration_opens_at=start - timedelta(days=5), registration_closes_at=start))  # proposed again
    event_review.reject(staff, proposal.id, "二回目の返事", now=at)

    db.session.rollback()
    assert event_review.rejection_note(db.session.get(PublicEvent, proposal.id)) == "二回目の返事"


def test_the_proposals_come_with_their_booking_space_and_member_loaded(proposal):
    from tests.feeds.conftest import counting_queries

    db.session.expire_all()
    [event] = event_review.proposals()

    with counting_queries() as statements:
        shown = (event.booking.space.name_ja, event.booking.user.name, [a.title_ja for a in event.agenda_items])

    assert shown == (proposal.booking.space.name_ja, "提案 太郎", ["開会"]) and statements == []
