"""Check-in at the door, walk-ins and counts, through the services on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.db import utcnow
from booking.domain.checkin import Outcome, display_code
from booking.extensions import db
from booking.models_attendance import AttendeePass
from booking.services import ServiceError, attendance


def code_of(registration):
    return db.session.scalar(select(AttendeePass.code).where(AttendeePass.registration_id == registration.id))


def test_every_registration_gets_its_own_check_in_code(create_event, register):
    event = create_event()
    first, second = register(event), register(event)
    assert code_of(first) and code_of(second) and code_of(first) != code_of(second)


def test_a_code_checks_the_party_in_once_and_then_says_already(create_event, register, create_user):
    event, staff = create_event(), create_user(role="staff")
    guest = register(event, name="山田 花子", party_size=3)

    first = attendance.check_in_code(event.id, display_code(code_of(guest)).lower(), staff.id)
    second = attendance.check_in_code(event.id, code_of(guest), staff.id)

    assert (first.outcome, first.name, first.party_size) == (Outcome.ACCEPTED, "山田 花子", 3)
    assert first.checked_in_at is not None
    assert second.outcome == Outcome.ALREADY
    assert second.checked_in_at == first.checked_in_at
    assert attendance.counts(event.id).checked_in == 3


@pytest.mark.parametrize(("status", "outcome"), [("cancelled", Outcome.CANCELLED), ("waiting", Outcome.WAITING),
                                                 ("offered", Outcome.WAITING), ("expired", Outcome.WAITING)])
def test_a_registration_without_a_seat_is_refused_at_the_door(create_event, register, create_user, status, outcome):
    event, staff = create_event(), create_user(role="staff")
    guest = register(event, status=status)

    scan = attendance.check_in_code(event.id, code_of(guest), staff.id)

    assert scan.outcome == outcome
    db.session.rollback()
    assert db.session.get(AttendeePass, guest.id).checked_in_at is None


def test_a_code_of_another_event_or_a_mistyped_code_is_unknown(create_event, register, create_user):
    staff = create_user(role="staff")
    event, other = create_event(), create_event()
    elsewhere = register(other)
    code = code_of(elsewhere)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")

    assert attendance.check_in_code(event.id, code, staff.id).outcome == Outcome.UNKNOWN
    assert attendance.check_in_code(event.id, wrong, staff.id).outcome == Outcome.UNKNOWN
    assert attendance.check_in_code(event.id, "", staff.id).outcome == Outcome.UNKNOWN


def test_undo_takes_the_check_in_back_and_the_code_works_again(create_event, register, create_user):
    event, staff = create_event(), create_user(role="staff")
    guest = register(event)
    attendance.check_in(event.id, guest.id, staff.id)

    attendance.undo_check_in(event.id, guest.id)

    assert attendance.counts(event.id).checked_in == 0
    assert attendance.check_in_code(event.id, code_of(guest), staff.id).outcome == Outcome.ACCEPTED


def test_checking_in_by_name_is_one_call_and_a_registration_of_another_event_is_not_found(
        create_event, register, create_user):
    event, other, staff = create_event(), create_event(), create_user(role="staff")
    guest, stranger = register(event, name="佐藤 一郎"), register(other)

    assert [row.name for row in attendance.attendees(event.id, "佐藤")] == ["佐藤 一郎"]
    assert attendance.check_in(event.id, guest.id, staff.id).outcome == Outcome.ACCEPTED
    with pytest.raises(ServiceError):
        attendance.check_in(event.id, stranger.id, staff.id)


def test_search_matches_name_organisation_or_address_and_treats_wildcards_as_text(create_event, register):
    event = create_event()
    register(event, name="田中 太郎", organisation="渋谷区", email="taro@example.jp")
    register(event, name="100% 本気", organisation="NPO法人", email="npo@example.jp")

    assert [r.name for r in attendance.attendees(event.id, "渋谷")] == ["田中 太郎"]
    assert [r.name for r in attendance.attendees(event.id, "TARO@")] == ["田中 太郎"]
    assert [r.name for r in attendance.attendees(event.id, "%")] == ["100% 本気"]
    assert len(attendance.attendees(event.id, "")) == 2


def test_search_finds_full_width_and_accented_letters_in_any_case(create_event, register):
    """SQLite's own lower() folds only A-Z; the search must match as on PostgreSQL."""
    event = create_event()
    register(event, name="ＳＯＵＭＵ Ｋａｎａ", organisation="ｋｕｍａｍｏｔｏ", email="kana@example.jp")
    register(event, name="Émile Dupont", organisation="Ville de Lyon", email="emile@example.fr")

    assert [r.name for r in attendance.attendees(event.id, "ｓｏｕｍｕ")] == ["ＳＯＵＭＵ Ｋａｎａ"]
    assert [r.name for r in attendance.attendees(event.id, "ＫＵＭＡＭＯＴＯ")] == ["ＳＯＵＭＵ Ｋａｎａ"]
    assert [r.name for r in attendance.attendees(event.id, "émile")] == ["Émile Dupont"]
    assert [r.name for r in attendance.attendees(event.id, "ÉMILE")] == ["Émile Dupont"]


def test_counts_are_persons_registered_waiting_checked_in_walk_ins_and_no_shows(create_event, register, create_user):
    event, staff = create_event(), create_user(role="staff")
    came = register(event, party_size=3)
    register(event, party_size=1)
    register(event, party_size=2, status="waiting")
    register(event, party_size=4, status="cancelled")
    attendance.check_in(event.id, came.id, staff.id)
    attendance.add_walk_in(event.id, staff.id, "飛び入り 太郎", "個人")
    attendance.add_walk_in(event.id, staff.id)

    counts = attendance.counts(event.id)

    assert (counts.registered, counts.companions, counts.waiting) == (4, 2, 2)
    assert (counts.checked_in, counts.walk_ins, counts.no_shows) == (3, 2, 1)


def test_walk_ins_are_refused_when_the_event_does_not_accept_them(create_event, create_user):
    event, staff = create_event(accepts_walk_ins=False), create_user(role="staff")
    with pytest.raises(ServiceError):
        attendance.add_walk_in(event.id, staff.id)
    assert attendance.counts(event.id).walk_ins == 0


def test_walk_ins_are_refused_before_the_door_opens_and_counted_once_it_has(create_event, create_user):
    from datetime import timedelta

    from booking.domain.checkin import door_window
    from tests.conftest import future_day

    start = future_day(9) + timedelta(hours=8)
    event, staff = create_event(start_dt=start, end_dt=start + timedelta(hours=2)), create_user(role="staff")
    opens = door_window(start, start + timedelta(hours=2), "Asia/Tokyo")[0]

    with pytest.raises(ServiceError) as refused:
        attendance.add_walk_in(event.id, staff.id, "早すぎ", now=opens - timedelta(seconds=1))
    assert refused.value.message == attendance.WALK_IN_TOO_EARLY
    assert attendance.counts(event.id).walk_ins == 0
    assert attendance.add_walk_in(event.id, staff.id, "ちょうど", now=opens).walk_ins == 1


def test_the_last_walk_in_can_be_taken_back_and_not_more_than_were_counted(create_event, create_user):
    event, staff = create_event(), create_user(role="staff")
    attendance.add_walk_in(event.id, staff.id, "一人目")
    attendance.add_walk_in(event.id, staff.id, "二人目")

    assert attendance.undo_walk_in(event.id).walk_ins == 1
    assert [w.name for w in attendance.recent_walk_ins(event.id)] == ["一人目"]
    attendance.undo_walk_in(event.id)
    with pytest.raises(ServiceError):
        attendance.undo_walk_in(event.id)


def test_a_walk_in_records_who_counted_it_and_when(create_event, create_user):
    from booking.models_attendance import WalkIn

    event, staff = create_event(), create_user(role="staff")
    attendance.add_walk_in(event.id, staff.id, "飛び入り", now=event.booking.start_dt)

    db.session.rollback()
    walk_ins = db.session.scalars(select(WalkIn).where(WalkIn.event_id == event.id))
    assert [(w.recorded_by_id, w.at) for w in walk_ins] == [(staff.id, event.booking.start_dt)]


def test_the_attendee_list_without_a_search_shows_every_registration(create_event, register):
    event = create_event()
    register(event, name="佐藤 一郎")
    register(event, name="鈴木 二郎", status="waiting")

    assert [a.name for a in attendance.attendees(event.id)] == ["佐藤 一郎", "鈴木 二郎"]


def test_the_event_page_names_the_event_and_its_space_in_the_viewers_language(create_event, create_space):
    hall = create_space(max_people=80, name_ja="イベントホール", name_en="Event hall")
    page = attendance.event_page(create_event(space=hall).id)

    assert (page.title("en"), page.title("ja")) == ("Joint kick-off", "4自治体サテライトオフィス合同キックオフ")
    assert (page.space_name("en"), page.space_name("ja")) == ("Event hall", "イベントホール")


def test_the_staff_list_of_events_puts_the_latest_start_first_in_the_viewers_language(create_event, create_space):
    from datetime import timedelta

    from tests.events.running.conftest import starting_soon

    hall = create_space(max_people=80, name_ja="イベントホール", name_en="")
    first = create_event(space=hall)
    later = create_event(start_dt=starting_soon() + timedelta(days=2), title_en="")

    rows = attendance.events_for_staff()

    assert [row.id for row in rows] == [later.id, first.id]
    assert (rows[1].title("en"), rows[1].title("ja")) == ("Joint kick-off", "4自治体サテライトオフィス合同キックオフ")
    assert rows[0].title("en") == "4自治体サテライトオフィス合同キックオフ"  # no English title
    assert (rows[1].space_name("en"), rows[1].space_name("ja")) == ("イベントホール", "イベントホール")
    assert rows[0].space_name("en") == later.booking.space.name_en != rows[0].space_name("ja")
    assert [row.id for row in attendance.events_for_staff(limit=1)] == [later.id]


def test_the_list_is_in_registration_order_and_stops_at_its_maximum(create_event, register, monkeypatch):
    from datetime import timedelta

    from booking.db import utcnow

    event, now = create_event(), utcnow()
    late = register(event, name="後から", now=now - timedelta(days=1))  # written first, registered last
    early = register(event, name="先に", now=now - timedelta(days=2))

    assert [a.registration_id for a in attendance.attendees(event.id)] == [early.id, late.id]
    assert [r.registration_id for r in attendance.export_rows(event.id)] == [early.id, late.id]
    monkeypatch.setattr(attendance, "LIST_MAX", 1)
    attendance._statements.cache_clear()
    assert [a.registration_id for a in attendance.attendees(event.id)] == [early.id]
    attendance._statements.cache_clear()


def test_each_listed_registration_shows_its_own_check_in(create_event, register, create_user):
    event, staff = create_event(), create_user(role="staff")
    came, absent = register(event, name="来た"), register(event, name="来ない")
    attendance.check_in(event.id, came.id, staff.id, now=event.booking.start_dt)

    listed = {a.registration_id: a.checked_in_at for a in attendance.attendees(event.id)}

    assert set(listed) == {came.id, absent.id}
    assert listed[came.id] is not None and listed[absent.id] is None


def test_search_treats_wildcards_as_text_in_the_organisation_and_the_address_too(create_event, register):
    event = create_event()
    register(event, name="佐藤", organisation="100%出資", email="sato@example.jp")
    register(event, name="鈴木", organisation="鈴木商店", email="suzu_ki@example.jp")
    register(event, name="田中", organisation="1000出資", email="suzuxki@example.jp")

    assert [r.name for r in attendance.attendees(event.id, "0%")] == ["佐藤"]
    assert [r.name for r in attendance.attendees(event.id, "u_k")] == ["鈴木"]


def test_the_staff_list_of_events_shows_the_latest_hundred(create_event, create_space):
    from datetime import timedelta

    from tests.events.running.conftest import starting_soon

    hall, start = create_space(max_people=80), starting_soon()
    for day in range(101):
        create_event(space=hall, start_dt=start + timedelta(days=day), end_dt=start + timedelta(days=day, hours=1))

    rows = attendance.events_for_staff()

    assert len(rows) == 100 and rows[-1].start_dt == start + timedelta(days=1)


def test_the_not_today_banner_is_checked_against_the_time_given(create_event, register):
    from datetime import timedelta

    from tests.conftest import future_day

    start = future_day(9) + timedelta(hours=8)
    event = create_event(start_dt=start, end_dt=start + timedelta(hours=2))
    guest = register(event)

    days_before = attendance.describe(event.id, Outcome.NOT_TODAY, guest.id, now=start - timedelta(days=5))
    on_the_day = attendance.describe(event.id, Outcome.NOT_TODAY, guest.id, now=start)

    assert days_before is not None and days_before.outcome == Outcome.NOT_TODAY
    assert on_the_day != days_before  # the door is open at the start: "not today" is no longer true


def test_parties_registered_at_the_same_instant_are_listed_in_the_order_they_came_whatever_order_the_table_keeps(
        create_event, register):
    """The first party cancelled and registered again (its place in the queue is new, its registration
    time is not): PostgreSQL then reads the second party's row first, in the table and in its index."""
    event, at = create_event(), utcnow() - timedelta(days=1)
    first, second = register(event, name="先着 一郎", now=at), register(event, name="次点 二郎", now=at)
    first.status = "cancelled"
    db.session.commit()
    first.status, first.queued_at = "registered", at + timedelta(hours=1)
    db.session.commit()

    assert [row.name for row in attendance.attendees(event.id)] == ["先着 一郎", "次点 二郎"]
    assert [row.registration_id for row in attendance.export_rows(event.id)] == [first.id, second.id]


def test_a_check_in_by_code_records_which_staff_member_let_the_party_in(create_event, register, create_user):
    event, staff = create_event(), create_user(role="staff")
    guest = register(event)

    attendance.check_in_code(event.id, code_of(guest), staff.id)

    db.session.rollback()
    assert db.session.get(AttendeePass, guest.id).checked_in_by_id == staff.id


def test_a_check_in_that_loses_the_race_says_already_with_the_winners_time(
        create_event, register, create_user, monkeypatch):
    """Another door checks the party in between this door's read and its UPDATE (which then changes no row)."""
    from sqlalchemy import update

    event, staff = create_event(), create_user(role="staff")
    guest = register(event)
    winner_time = event.booking.start_dt
    real_is_door_open = attendance.is_door_open

    def other_door_first(*args):
        db.session.execute(update(AttendeePass).where(AttendeePass.registration_id == guest.id)
                           .values(checked_in_at=winner_time, checked_in_by_id=staff.id)
                           .execution_options(synchronize_session=False))
        return real_is_door_open(*args)

    monkeypatch.setattr(attendance, "is_door_open", other_door_first)
    scan = attendance.check_in_code(event.id, code_of(guest), staff.id)

    assert scan.outcome == Outcome.ALREADY
    assert scan.checked_in_at == winner_time


def test_undo_takes_back_the_walk_in_counted_latest_not_the_one_written_last(create_event, create_user):
    from datetime import timedelta

    event, staff = create_event(), create_user(role="staff")
    start = event.booking.start_dt
    attendance.add_walk_in(event.id, staff.id, "後から", now=start + timedelta(minutes=5))
    attendance.add_walk_in(event.id, staff.id, "先に", now=start)  # written last, counted earlier

    attendance.undo_walk_in(event.id)

    assert [w.name for w in attendance.recent_walk_ins(event.id)] == ["先に"]


def test_of_two_walk_ins_counted_at_the_same_instant_undo_takes_back_the_second(create_event, create_user):
    event, staff = create_event(), create_user(role="staff")
    start = event.booking.start_dt
    attendance.add_walk_in(event.id, staff.id, "一人目", now=start)
    attendance.add_walk_in(event.id, staff.id, "二人目", now=start)

    attendance.undo_walk_in(event.id)

    assert [w.name for w in attendance.recent_walk_ins(event.id)] == ["一人目"]
