"""The spaces' listing and the week page's space are kept per worker by their rows: a second read
is served as kept, and an edit of the space is on the next read (stale-data tests)."""

from __future__ import annotations

from booking.extensions import db
from booking.models import Space
from booking.services import spaces


def renamed(space_id: int, name_en: str) -> None:
    db.session.get(Space, space_id).name_en = name_en
    db.session.commit()


def test_the_listing_read_twice_is_the_one_kept(create_space):
    create_space(name_en="Studio")

    first = spaces.listed_spaces()

    assert spaces.listed_spaces() is first
    assert [space.name_en for space in first.spaces] == ["Studio"]


def test_a_renamed_space_is_in_the_next_listing_and_the_kept_one_is_left_alone(create_space):
    studio = create_space(name_en="Studio")
    hall = create_space(name_en="Hall")
    before = spaces.listed_spaces()

    renamed(studio.id, "Broadcast studio")
    after = spaces.listed_spaces()

    assert [space.name_en for space in after.spaces] == ["Broadcast studio", "Hall"]
    assert after.keys[studio.id] != before.keys[studio.id]
    assert after.keys[hall.id] == before.keys[hall.id]
    assert [space.name_en for space in before.spaces] == ["Studio", "Hall"]


def test_the_listing_with_closure_counters_is_the_listing_kept_by_listed_spaces(create_space):
    create_space(name_en="Studio")

    listing, counters = spaces.listed_spaces_and_closure_counters()

    assert listing is spaces.listed_spaces()
    assert len(counters) == len(spaces._CLOSURE_COUNTERS)


def test_the_listing_with_closure_counters_of_no_spaces_is_empty(app):
    listing, counters = spaces.listed_spaces_and_closure_counters()

    assert (listing.spaces, listing.policies, listing.keys, counters) == ([], [], {}, ())


def test_a_space_read_twice_by_its_slug_is_the_one_kept(create_space):
    studio = create_space(name_en="Studio")

    first = spaces.read_space(studio.slug)

    assert spaces.read_space(studio.slug) is first
    assert first.space.name_en == "Studio"


def test_a_renamed_space_is_on_the_next_read_of_its_slug(create_space):
    studio = create_space(name_en="Studio")
    before = spaces.read_space(studio.slug)

    renamed(studio.id, "Broadcast studio")
    after = spaces.read_space(studio.slug)

    assert after.space.name_en == "Broadcast studio"
    assert after.key != before.key
    assert before.space.name_en == "Studio"


def test_two_spaces_read_by_slug_are_each_their_own(create_space):
    studio = create_space(name_en="Studio")
    hall = create_space(name_en="Hall")

    assert spaces.read_space(studio.slug).space.name_en == "Studio"
    assert spaces.read_space(hall.slug).space.name_en == "Hall"
    assert spaces.read_space(studio.slug).space.name_en == "Studio"


def test_every_space_is_listed_in_id_order_with_its_opening_hours(create_space):
    from datetime import time

    studio = create_space(name_en="Studio", hours={0: ((time(9), time(12)), (time(13), time(18)))})
    hall = create_space(name_en="Hall", hours={})

    listed = spaces.list_spaces()

    assert [(s.id, s.name_en) for s in listed] == [(studio.id, "Studio"), (hall.id, "Hall")]
    assert [(p.weekday, p.open_time, p.close_time) for p in listed[0].opening_hours] == [
        (0, time(9), time(12)), (0, time(13), time(18))]
    assert listed[1].opening_hours == []


def test_the_closure_counters_of_a_lone_space_open_one_period_a_week_are_read(create_space):
    from datetime import time

    create_space(hours={0: ((time(9), time(18)),)})  # one row of the listing's statement

    listing, counters = spaces.listed_spaces_and_closure_counters()

    assert len(listing.spaces) == 1 and counters == (0, 0)


def test_the_glance_of_a_lone_space_open_one_period_a_week_and_of_no_spaces(app, create_space):
    from datetime import UTC, datetime, time

    now = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)  # a Monday, 09:00 in Tokyo
    assert spaces.spaces_at_a_glance(now, "ja").listing.spaces == []

    studio = create_space(hours={0: ((time(9), time(18)),)})

    glance = spaces.spaces_at_a_glance(now, "ja")

    assert [space.id for space in glance.listing.spaces] == [studio.id]
    assert glance.availability[studio.id].free_today > 0


def test_a_space_read_twice_under_its_lock_unchanged_is_the_one_kept(create_space):
    studio = create_space(name_en="Studio")

    first = spaces.read_locked_space(db.session(), studio.id, for_update=False)
    again = spaces.read_locked_space(db.session(), studio.id, for_update=False)

    assert first is not None and again is not None and again.read is first.read
