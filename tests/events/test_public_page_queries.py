"""The visitor's events list and event page read a fixed number of queries, whatever the number of events,
spaces, agenda items or bookings of history (each space and each agenda was loaded on first use)."""

from __future__ import annotations

from datetime import timedelta

from booking.extensions import db
from booking.models import AgendaItem
from tests.conftest import future_day
from tests.events.factories import make_event
from tests.feeds.conftest import counting_queries


def queries_of(client, path: str) -> int:
    with counting_queries() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_the_events_list_reads_the_same_queries_for_one_event_or_four_in_four_halls(client, kick_off,
                                                                                     create_space, create_user):
    one = queries_of(client, "/events")
    host = create_user(role="staff")
    names = []
    for number in range(3):
        hall = create_space(slug=f"hall-{number}", max_people=50, name_ja=f"ホール {number}")
        names.append(hall.name_ja)
        start = future_day(11 + number) + timedelta(hours=8)
        make_event(hall, host, start, start + timedelta(hours=1), title_ja=f"催し {number}")

    four = queries_of(client, "/events")
    page = client.get("/events").get_data(as_text=True)

    assert four == one
    assert all(f"催し {number}" in page for number in range(3))
    assert all(name in page for name in names)


def test_the_event_page_reads_the_same_queries_with_or_without_an_agenda(client, kick_off, create_space,
                                                                         create_user):
    bare = queries_of(client, f"/events/{kick_off.id}")
    hall = create_space(slug="hall-2", max_people=50)
    start = future_day(12) + timedelta(hours=8)
    event = make_event(hall, create_user(role="staff"), start, start + timedelta(hours=2))
    event.agenda_items = [AgendaItem(start_dt=start + timedelta(minutes=30 * n), minutes=30, title_ja=f"議題 {n}")
                          for n in range(3)]
    db.session.commit()
    event_id = event.id
    db.session.expunge_all()

    with_agenda = queries_of(client, f"/events/{event_id}")
    page = client.get(f"/events/{event_id}").get_data(as_text=True)

    assert with_agenda == bare
    assert all(f"議題 {n}" in page for n in range(3))


def test_a_spaces_upcoming_events_include_the_one_under_way(app, kick_off, hall):
    from booking.services.public_events import upcoming_in

    start = kick_off.booking.start_dt

    assert [e.id for e in upcoming_in(hall, start + timedelta(minutes=30))] == [kick_off.id]
    assert [e.id for e in upcoming_in(hall, start - timedelta(days=1))] == [kick_off.id]
    assert upcoming_in(hall, kick_off.booking.end_dt) == []
