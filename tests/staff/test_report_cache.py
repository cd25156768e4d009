"""The staff page's figures kept per worker (booking.services.report_cache): never stale, whatever changes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from booking.extensions import db
from booking.models import (
    Booking,
    BookingEvent,
    Closure,
    HolidayOpening,
    OpeningPeriod,
    PublicEvent,
    Registration,
    SpaceVersion,
)
from booking.models_attendance import AttendeePass, EventRecord, WalkIn
from booking.services import admin_spaces, attendance, reports
from booking.services.report_cache import report_cache
from booking.services.reports import Filters, Period
from booking.services.space_history import EPOCH, snapshot
from tests.conftest import PASSWORD, without_csrf_tokens
from tests.staff.test_report_events import events, register  # noqa: F401  (events: the fixture)

TOKYO = ZoneInfo("Asia/Tokyo")
JUNE = Filters(Period.month(2026, 6))
NOW = datetime(2026, 7, 15, tzinfo=TOKYO)


def tokyo(day: int, hour: int) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=TOKYO)


def kinds(report: reports.Report) -> dict[str, float]:
    return {row.org_kind: row.booked_hours for row in report.kinds if row.booked_hours}


def test_figures_are_kept_while_their_data_is_unchanged_and_follow_each_change(create_space, create_user,
                                                                                create_booking):
    report_cache.clear()
    studio = create_space()
    desks = create_space(kind="pooled", unit_count=4)
    member = create_user(org_kind="research", organisation="大学")
    create_booking(studio, member, tokyo(1, 10), tokyo(1, 12))
    first = reports.figures(JUNE, now=NOW)
    assert reports.figures(JUNE, now=NOW) is first
    assert kinds(first) == {"research": 2}

    create_booking(desks, member, tokyo(2, 10), tokyo(2, 11), units=(1, 2))
    assert kinds(reports.figures(JUNE, now=NOW)) == {"research": 4}

    member.org_kind = "public"
    db.session.commit()
    assert kinds(reports.figures(JUNE, now=NOW)) == {"public": 4}

    open_before = {row.space.id: row.open_hours for row in reports.figures(JUNE, now=NOW).spaces}
    db.session.add(Closure(space_id=desks.id, start_dt=tokyo(20, 0), end_dt=tokyo(21, 0), reason="点検"))
    db.session.commit()
    open_after = {row.space.id: row.open_hours for row in reports.figures(JUNE, now=NOW).spaces}
    assert open_after[studio.id] == open_before[studio.id]
    assert open_after[desks.id] == open_before[desks.id] - 4 * 12  # four desks, open 09:00-21:00


def test_an_event_counts_once_it_is_over_and_not_before_even_when_figures_were_kept(create_space, create_user,
                                                                                      create_booking):
    report_cache.clear()
    studio = create_space()
    booking = create_booking(studio, create_user(), tokyo(2, 9), tokyo(2, 18))
    db.session.add(PublicEvent(booking=booking, title_ja="共創ワークショップ", capacity=30, status="published",
                               registration_opens_at=tokyo(1, 9), registration_closes_at=tokyo(2, 9)))
    db.session.commit()
    assert reports.figures(JUNE, now=tokyo(2, 12)).events.held == 0
    over = reports.figures(JUNE, now=tokyo(2, 18))
    assert over.events.held == 1
    assert reports.figures(JUNE, now=tokyo(2, 18)) is over  # kept too, read back at the same `now`
    assert reports.figures(JUNE, now=tokyo(2, 12)).events.held == 0


def test_the_page_shows_kept_figures_until_a_booking_changes_them(client, create_space, create_user,
                                                                   create_booking):
    report_cache.clear()
    staff = create_user(role="staff")
    client.login(staff.email, PASSWORD)
    studio = create_space(name_en="Studio", name_ja="スタジオ")
    create_booking(studio, create_user(), tokyo(1, 10), tokyo(1, 12))
    url = "/staff/reports?period=month&year=2026&month=6"
    first = client.get(url).get_data(as_text=True)
    assert without_csrf_tokens(client.get(url).get_data(as_text=True)) == without_csrf_tokens(first)
    assert "<td>2.0</td>" in first and "<td>5.0</td>" not in first
    create_booking(studio, create_user(), tokyo(3, 10), tokyo(3, 13))
    assert "<td>5.0</td>" in client.get(url).get_data(as_text=True)


def test_a_kept_page_follows_a_renamed_space_and_the_day_it_is(client, create_space, create_user, create_booking,
                                                               monkeypatch):
    report_cache.clear()
    client.login(create_user(role="staff").email, PASSWORD)
    studio = create_space(name_en="Studio", name_ja="スタジオ")
    create_booking(studio, create_user(), tokyo(1, 10), tokyo(1, 12))
    monkeypatch.setattr("booking.views.reports.utcnow", lambda: NOW)
    first = client.get("/staff/reports").get_data(as_text=True)
    assert "スタジオ" in first and 'name="month" type="number" value="7"' in first

    studio.name_ja = "収録スタジオ"  # a column no booking, trail entry or count follows
    db.session.commit()
    renamed = client.get("/staff/reports").get_data(as_text=True)
    assert "収録スタジオ" in renamed and without_csrf_tokens(renamed) != without_csrf_tokens(first)

    monkeypatch.setattr("booking.views.reports.utcnow", lambda: datetime(2026, 8, 1, 9, tzinfo=TOKYO))
    assert 'name="month" type="number" value="8"' in client.get("/staff/reports").get_data(as_text=True)


def test_a_kept_page_shows_each_viewer_their_own_header_and_the_same_figures(app, client, create_space, create_user,
                                                                            create_booking):
    report_cache.clear()
    first_staff, second_staff = create_user(role="staff", name="職員 一"), create_user(role="admin", name="職員 二")
    create_booking(create_space(), create_user(), tokyo(1, 10), tokyo(1, 12))
    url = "/staff/reports?period=month&year=2026&month=6"
    client.login(first_staff.email, PASSWORD)
    seen_first = client.get(url).get_data(as_text=True)
    other = app.test_client()
    other.login(second_staff.email, PASSWORD)
    seen_second = other.get(url).get_data(as_text=True)
    assert "職員 一" in seen_first and "職員 一" not in seen_second and "職員 二" in seen_second
    content = slice(seen_first.index("<h1>"), None)
    assert seen_second[seen_second.index("<h1>"):] == seen_first[content]


@pytest.mark.usefixtures("events")
def test_kept_event_figures_follow_each_change_of_registrations_check_ins_walk_ins_and_frozen_counts():
    report_cache.clear()
    june = Filters(Period.month(2026, 6))
    when = datetime(2026, 7, 15, tzinfo=TOKYO)
    held = db.session.scalars(select(PublicEvent).join(Booking).where(Booking.start_dt == tokyo(5, 18))).one()

    def later(minutes: int) -> datetime:
        """After every row the fixture wrote (the services write the clock's time: always the newest)."""
        return datetime(2026, 8, 1, tzinfo=TOKYO) + timedelta(minutes=minutes)

    def check_in() -> None:
        no_show = db.session.scalars(select(Registration).where(
            Registration.event_id == held.id, Registration.party_size == 2)).one()
        db.session.get(AttendeePass, no_show.id).checked_in_at = held.booking.start_dt + timedelta(minutes=5)

    def fewer_companions() -> None:
        registration = db.session.scalars(select(Registration).where(
            Registration.event_id == held.id, Registration.party_size == 4)).one()  # added above
        registration.party_size, registration.updated_at = 1, later(1)

    changes = {
        "a registration": lambda: register(held, party_size=4),
        "a check-in": check_in,
        "a walk-in": lambda: db.session.add(WalkIn(event_id=held.id, at=tokyo(5, 19))),
        "a registration for fewer persons": fewer_companions,
        "the event's counts frozen": lambda: db.session.add(EventRecord(
            event_id=held.id, registered=40, companions=0, waiting=0, checked_in=30, walk_ins=9,
            anonymised_at=later(3))),
    }
    _each_change_moves_the_event_figures(changes, june, when)


@pytest.mark.usefixtures("events")
def test_kept_event_figures_follow_a_check_in_and_a_walk_in_taken_back_that_were_not_the_newest():
    """Counts catch what the newest value misses: a check-in before the newest undone, the newest walk-in of
    one event taken back after another event's."""
    report_cache.clear()
    june = Filters(Period.month(2026, 6))
    when = datetime(2026, 7, 15, tzinfo=TOKYO)
    held = db.session.scalars(select(PublicEvent).join(Booking).where(Booking.start_dt == tokyo(5, 18))).one()
    coming = db.session.scalars(select(PublicEvent).join(Booking).where(
        Booking.start_dt == datetime(2026, 7, 20, 10, tzinfo=TOKYO))).one()
    db.session.add(WalkIn(event_id=coming.id, at=datetime(2026, 7, 20, 10, tzinfo=TOKYO)))
    db.session.commit()
    early = db.session.scalars(select(Registration).where(
        Registration.event_id == held.id, Registration.party_size == 3)).one()  # checked in 5 June; 12 June the newest
    changes = {
        "an earlier check-in taken back": lambda: attendance.undo_check_in(held.id, early.id),
        "a walk-in taken back": lambda: attendance.undo_walk_in(held.id),
    }
    for what, change in changes.items():
        before = reports.figures(june, now=when).events
        change()
        db.session.expire_all()
        after = reports.figures(june, now=when).events
        assert after != before, what
        assert after == reports.build_report(db.session, june, now=when).events, what


JULY = Filters(Period.month(2026, 7))
AFTER_JULY = datetime(2026, 8, 15, tzinfo=TOKYO)
MARINE_DAY, MOUNTAIN_DAY = date(2026, 7, 20), date(2026, 8, 11)  # national holidays, in and after July


def open_hours(filters: Filters, now: datetime) -> dict[int, float]:
    return {row.space.id: row.open_hours for row in reports.figures(filters, now=now).spaces}


def at_one_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every change of a space's rules at the same instant (the one space_history.record_version is given)."""
    monkeypatch.setattr("booking.services.admin_spaces.utcnow", lambda: datetime(2026, 5, 1, tzinfo=TOKYO))


def test_kept_figures_follow_the_second_of_two_opening_hours_changes_made_at_the_same_instant(
        create_space, create_user, monkeypatch):
    """The second change rewrites the space's version in place and its periods come back under the same ids."""
    report_cache.clear()
    at_one_instant(monkeypatch)
    staff, studio = create_user(role="staff"), create_space()
    admin_spaces.set_opening_hours(staff, studio.id, {n: "09:00-17:00" for n in range(7)}, now=NOW)
    assert open_hours(JUNE, NOW)[studio.id] == 8 * 30
    admin_spaces.set_opening_hours(staff, studio.id, {n: "09:00-18:00" for n in range(7)}, now=NOW)
    db.session.expire_all()
    assert open_hours(JUNE, NOW)[studio.id] == 9 * 30


def test_kept_figures_follow_a_holiday_opening_taken_back_and_another_made_at_the_same_instant(
        create_space, create_user, monkeypatch):
    """The new holiday opening gets the removed one's id, and the space's version is rewritten in place."""
    report_cache.clear()
    at_one_instant(monkeypatch)
    staff, studio = create_user(role="staff"), create_space(close_on_holidays=True)
    marine = admin_spaces.add_holiday_opening(studio.id, MARINE_DAY)
    assert open_hours(JULY, AFTER_JULY)[studio.id] == 12 * 31
    admin_spaces.remove_holiday_opening(staff, studio.id, marine.id, now=AFTER_JULY)
    admin_spaces.add_holiday_opening(studio.id, MOUNTAIN_DAY)
    db.session.expire_all()
    assert open_hours(JULY, AFTER_JULY)[studio.id] == 12 * 30


def test_kept_figures_follow_rules_rewritten_straight_in_the_database_under_the_same_ids(create_space):
    """Rows no service rewrites this way (a script, a repair): a version changed in place, and a space
    without versions whose periods or holiday opening are deleted and inserted again (the same ids)."""
    report_cache.clear()
    versioned = create_space()
    db.session.add(SpaceVersion(space_id=versioned.id, valid_from=EPOCH, **snapshot(db.session, versioned)))
    plain = create_space(close_on_holidays=True)  # created last: its periods hold the greatest ids
    db.session.add(HolidayOpening(space_id=plain.id, day_date=MARINE_DAY))
    db.session.commit()

    def new_periods() -> None:
        plain.opening_hours.clear()
        db.session.flush()
        plain.opening_hours.extend(OpeningPeriod(weekday=n, open_time=time(9), close_time=time(20))
                                   for n in range(7))

    def other_holiday() -> None:
        db.session.delete(db.session.scalars(select(HolidayOpening)).one())
        db.session.flush()
        db.session.add(HolidayOpening(space_id=plain.id, day_date=MOUNTAIN_DAY))

    def version_rewritten() -> None:
        version = db.session.scalars(select(SpaceVersion)).one()
        version.opening = [[n, "09:00", "12:00"] for n in range(7)]

    changes = {"periods": new_periods, "a holiday opening": other_holiday, "a version": version_rewritten}
    for what, change in changes.items():
        before = open_hours(JULY, AFTER_JULY)
        assert open_hours(JULY, AFTER_JULY) == before  # kept
        change()
        db.session.commit()
        db.session.expire_all()
        after = open_hours(JULY, AFTER_JULY)
        assert after != before, what
        assert after == {row.space.id: row.open_hours for row in
                         reports.build_report(db.session, JULY, now=AFTER_JULY).spaces}, what


@pytest.mark.usefixtures("events")
def test_kept_event_figures_follow_a_walk_in_taken_back_and_one_for_another_event_under_the_same_id():
    """On SQLite the new walk-in gets the id of the one taken back: their count and greatest id stay."""
    report_cache.clear()
    when = datetime(2026, 7, 15, tzinfo=TOKYO)
    held = db.session.scalars(select(PublicEvent).join(Booking).where(Booking.start_dt == tokyo(5, 18))).one()
    coming = db.session.scalars(select(PublicEvent).join(Booking).where(
        Booking.start_dt == datetime(2026, 7, 20, 10, tzinfo=TOKYO))).one()
    db.session.add(WalkIn(event_id=held.id, at=tokyo(5, 19)))
    db.session.commit()
    before = reports.figures(JUNE, now=when).events
    attendance.undo_walk_in(held.id)
    db.session.add(WalkIn(event_id=coming.id, at=datetime(2026, 7, 20, 10, tzinfo=TOKYO)))
    db.session.commit()
    db.session.expire_all()
    after = reports.figures(JUNE, now=when).events
    assert after.walk_ins == before.walk_ins - 1
    assert after == reports.build_report(db.session, JUNE, now=when).events


def test_kept_figures_follow_a_booking_written_straight_in_the_database_that_moves_one_part_of_the_version(
        create_space, create_user, create_booking):
    """Each change moves one of the newest booking id, the latest updated_at and the newest trail entry:
    statements that bypass the session's hooks (a script, a repair) raise no space's feed columns, and
    times written by another clock need not be the newest."""
    report_cache.clear()
    studio, member = create_space(), create_user(org_kind="research")
    ahead, behind = datetime(2030, 1, 1, tzinfo=TOKYO), datetime(2026, 6, 1, tzinfo=TOKYO)
    moved = create_booking(studio, member, tokyo(1, 10), tokyo(1, 12), updated_at=ahead)
    row = {"space_id": studio.id, "user_id": member.id, "title": "Test booking", "status": "confirmed",
           "seats": 1, "created_at": behind, "updated_at": behind}
    later_id = moved.id + 1

    def cancelled() -> None:
        db.session.execute(update(Booking).where(Booking.id == later_id).values(status="cancelled"))
        db.session.execute(insert(BookingEvent).values(booking_id=later_id, action="cancelled", at=behind,
                                                       from_status="confirmed", to_status="cancelled"))

    changes = {
        "a booking written at an earlier time than the newest change": lambda: db.session.execute(
            insert(Booking).values(id=later_id, start_dt=tokyo(2, 10), end_dt=tokyo(2, 12), **row)),
        "a booking moved with no trail entry": lambda: db.session.execute(update(Booking).where(
            Booking.id == moved.id).values(end_dt=tokyo(1, 13), updated_at=ahead + timedelta(seconds=1))),
        "a booking cancelled, its updated_at left": cancelled,
    }
    for what, change in changes.items():
        before = kinds(reports.figures(JUNE, now=NOW))
        change()
        db.session.commit()
        db.session.expire_all()
        after = kinds(reports.figures(JUNE, now=NOW))
        assert after != before, what
        assert after == kinds(reports.build_report(db.session, JUNE, now=NOW)), what


@pytest.mark.usefixtures("events")
def test_kept_event_figures_follow_an_event_change_that_moves_one_part_of_the_version_alone():
    """A check-in taken back and another party's taken (their count stays), an event withdrawn, and
    counts frozen at an earlier time than the newest frozen ones."""
    report_cache.clear()
    when = datetime(2026, 7, 15, tzinfo=TOKYO)
    held = db.session.scalars(select(PublicEvent).join(Booking).where(Booking.start_dt == tokyo(5, 18))).one()

    def party(size: int) -> AttendeePass:
        registration = db.session.scalars(select(Registration).where(
            Registration.event_id == held.id, Registration.party_size == size)).one()
        return db.session.get(AttendeePass, registration.id)

    def other_party_checked_in() -> None:
        party(3).checked_in_at = None
        party(2).checked_in_at = datetime(2026, 7, 1, tzinfo=TOKYO)  # the newest check-in

    def withdrawn() -> None:
        newest = db.session.scalar(select(func.max(PublicEvent.updated_at)))
        held.status, held.updated_at = "withdrawn", newest + timedelta(seconds=1)  # the newest change

    changes = {
        "another party checked in": other_party_checked_in,
        "counts frozen earlier than the newest": lambda: db.session.add(EventRecord(
            event_id=held.id, registered=40, companions=0, waiting=0, checked_in=30, walk_ins=9,
            anonymised_at=datetime(2026, 6, 30, tzinfo=TOKYO))),
        "the event withdrawn": withdrawn,
    }
    _each_change_moves_the_event_figures(changes, JUNE, when)


def _each_change_moves_the_event_figures(changes, filters, when):
    """Each change, made and committed in turn, moves the kept event figures to what a fresh report says."""
    for what, change in changes.items():
        before = reports.figures(filters, now=when).events
        assert reports.figures(filters, now=when).events == before  # kept
        change()
        db.session.commit()
        db.session.expire_all()
        after = reports.figures(filters, now=when).events
        assert after != before, what
        assert after == reports.build_report(db.session, filters, now=when).events, what
