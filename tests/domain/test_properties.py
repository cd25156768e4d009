"""Properties: the week grid agrees with the rules; unit counting agrees with a minute-by-minute oracle."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.domain.grid import CLOSED, FREE, MINE, PAST, TAKEN, build_week
from booking.domain.intervals import overlaps
from booking.domain.rules import (
    check_hours,
    check_quota,
    check_request,
    check_units,
    free_units,
    occupied,
    pick_units,
)
from booking.domain.values import ClosedRange, Hold, Policy, Request, Usage

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# An ordinary week, and the weeks of both daylight saving switches in Berlin (2026) and New York (2027).
MONDAYS = (date(2030, 6, 3), date(2026, 3, 23), date(2026, 10, 19), date(2027, 3, 8), date(2027, 11, 1))
ZONES = ("Asia/Tokyo", "Europe/Berlin", "America/St_Johns", "America/New_York")
AROUND_THE_CLOCK = {weekday: ((time(0), time(0)),) for weekday in range(7)}
MINUTE = timedelta(minutes=1)


@st.composite
def opening_days(draw: st.DrawFn) -> dict[int, tuple[tuple[time, time], ...]]:
    """Up to three non-overlapping periods per weekday, on a quarter-hour grid."""
    opening = {}
    for weekday in range(7):
        count = draw(st.integers(0, 3))
        marks = sorted(draw(st.sets(st.integers(0, 95), min_size=2 * count, max_size=2 * count)))
        quarters = [time(m // 4, m % 4 * 15) for m in marks]
        if quarters:
            periods = list(zip(quarters[::2], quarters[1::2], strict=True))
            if draw(st.booleans()):  # the last period runs past midnight (or to 24:00)
                overnight = draw(st.integers(0, marks[-2]))
                periods[-1] = (periods[-1][0], time(overnight // 4, overnight % 4 * 15))
            opening[weekday] = tuple(periods)
    return opening


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    slot = draw(st.sampled_from((15, 30, 60)))
    shortest = draw(st.one_of(st.integers(1, 4).map(lambda k: k * slot), st.integers(10, 120),
                              st.integers(20, 40).map(lambda k: k * 60)))  # overnight and multi-day probes
    is_pooled = draw(st.booleans())
    return Policy(
        timezone=draw(st.sampled_from(ZONES)),
        kind="pooled" if is_pooled else "exclusive",
        unit_count=draw(st.integers(1, 5)) if is_pooled else 1,
        slot_minutes=slot,
        min_minutes=shortest,
        max_minutes=shortest + draw(st.integers(0, 4)) * slot,
        setup_minutes=draw(st.sampled_from((0, 15, 30, 45))),
        teardown_minutes=draw(st.sampled_from((0, 15, 30, 45))),
        min_notice_minutes=draw(st.sampled_from((0, 30, 120, 1440))),
        max_days_ahead=draw(st.integers(1, 10)),
        opening=draw(st.one_of(opening_days(), st.just(AROUND_THE_CLOCK))),
    )


def week_instants(monday: date, policy: Policy) -> st.SearchStrategy[datetime]:
    """Instants from a day before the week to a day after it, on whole 5 minutes."""
    first = datetime.combine(monday - timedelta(days=1), time(0), ZoneInfo(policy.timezone)).astimezone(UTC)
    return st.integers(0, 9 * 24 * 12).map(lambda n: first + timedelta(minutes=5 * n))


@st.composite
def week_scenarios(draw: st.DrawFn) -> tuple[Policy, date, list[Hold], list[ClosedRange], datetime]:
    policy = draw(policies())
    monday = draw(st.sampled_from(MONDAYS))
    instants = week_instants(monday, policy)
    holds = []
    for number in range(draw(st.integers(0, 8))):
        start = draw(instants)
        length = timedelta(minutes=draw(st.integers(1, 48)) * 15)
        unit = draw(st.integers(1, policy.unit_count))
        holds.append(Hold(number + 1, 2, unit, start, start + length))
    closures = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(instants)
        closures.append(ClosedRange(start, start + timedelta(minutes=draw(st.integers(1, 96)) * 15), "test"))
    return policy, monday, holds, closures, draw(instants)


def codes_for_cell(start_dt, policy, holds, closures, now):
    request = Request(start_dt, start_dt + timedelta(minutes=policy.min_minutes), 1)
    return {c.code for c in check_request(request, policy, holds, closures, now, suggest=False)}


@PROPERTY_SETTINGS
@given(week_scenarios())
def test_every_cell_of_the_week_grid_says_what_the_rules_say(scenario):
    policy, monday, holds, closures, now = scenario
    grid = build_week(policy, monday, holds, closures, [], now)
    for cell in grid.cells.values():
        codes = codes_for_cell(cell.start_dt, policy, holds, closures, now)
        assert cell.end_dt - cell.start_dt == timedelta(minutes=policy.slot_minutes)
        assert (cell.state == FREE) == (not codes), (cell, codes)
        if cell.state == TAKEN:
            assert codes & {"overlap", "capacity"}, (cell, codes)
        if cell.state in (CLOSED, PAST):
            assert codes, (cell, codes)


@PROPERTY_SETTINGS
@given(week_scenarios(), st.data())
def test_codes_only_the_rules_find_the_same_codes_in_the_same_order(scenario, data):
    # The grid's fast path (detail=False) is the same rule code with the messages left out.
    policy, monday, holds, closures, now = scenario
    start = data.draw(week_instants(monday, policy))
    length = timedelta(minutes=data.draw(st.integers(1, 24)) * 15)
    request = Request(start, start + length, data.draw(st.integers(0, 3)))
    full = check_request(request, policy, holds, closures, now, suggest=False)
    bare = check_request(request, policy, holds, closures, now, suggest=False, detail=False)
    assert [c.code for c in bare] == [c.code for c in full]


@PROPERTY_SETTINGS
@given(week_scenarios())
def test_every_cell_counts_the_units_free_among_all_the_weeks_holds(scenario):
    # The grid hands each cell only the holds near it: the count must be the one all holds give.
    policy, monday, holds, closures, now = scenario
    grid = build_week(policy, monday, holds, closures, [], now)
    for cell in grid.cells.values():
        request = Request(cell.start_dt, cell.start_dt + timedelta(minutes=policy.min_minutes))
        if cell.state in (FREE, PAST):
            assert cell.free_count == len(free_units(holds, policy, *occupied(request, policy))), cell


@PROPERTY_SETTINGS
@given(week_scenarios(), st.data())
def test_the_viewers_own_bookings_show_as_mine_and_nowhere_else(scenario, data):
    policy, monday, holds, closures, now = scenario
    own = [(h.start_dt, h.end_dt) for h in data.draw(st.lists(st.sampled_from(holds), max_size=2))] if holds else []
    grid = build_week(policy, monday, holds, closures, own, now)
    for cell in grid.cells.values():
        is_in_own = any(overlaps(cell.start_dt, cell.end_dt, a, b) for a, b in own)
        assert (cell.state == MINE) == is_in_own


@PROPERTY_SETTINGS
@given(week_scenarios())
def test_every_cell_is_a_real_local_wall_time_of_its_row(scenario):
    policy, monday, holds, closures, now = scenario
    grid = build_week(policy, monday, holds, closures, [], now)
    zone = ZoneInfo(policy.timezone)
    for (day, at, fold), cell in grid.cells.items():
        local = cell.start_dt.astimezone(zone)
        assert (local.date(), local.time(), local.fold) == (day, at, fold)
        assert grid.cell(day, at.replace(fold=fold)) is cell


# --- units against a minute-by-minute oracle -----------------------------------------------

BASE = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)


def busy_minutes(holds: list[Hold], unit: int, start: datetime, end: datetime) -> bool:
    """Whether any minute of [start, end) is held on `unit`, counted one minute at a time."""
    minute = start
    while minute < end:
        if any(h.unit_no == unit and h.start_dt <= minute < h.end_dt for h in holds):
            return True
        minute += MINUTE
    return False


@st.composite
def unit_scenarios(draw: st.DrawFn) -> tuple[Policy, list[Hold], Request]:
    units = draw(st.integers(1, 5))
    policy = Policy(
        kind="pooled" if units > 1 or draw(st.booleans()) else "exclusive",
        unit_count=units,
        setup_minutes=draw(st.integers(0, 30)),
        teardown_minutes=draw(st.integers(0, 30)),
    )
    minutes = st.integers(0, 300)
    holds = []
    for number in range(draw(st.integers(0, 10))):
        start = draw(minutes)
        end = start + draw(st.integers(1, 120))
        unit = draw(st.integers(1, units))
        holds.append(Hold(number + 1, 2, unit, BASE + start * MINUTE, BASE + end * MINUTE))
    start = draw(st.integers(30, 300))
    end = start + draw(st.integers(1, 120))
    seats = draw(st.integers(1, units + 1))
    return policy, holds, Request(BASE + start * MINUTE, BASE + end * MINUTE, seats)


@PROPERTY_SETTINGS
@given(unit_scenarios(), st.data())
def test_unit_counting_agrees_with_a_minute_by_minute_oracle(scenario, data):
    policy, holds, request = scenario
    start, end = occupied(request, policy)
    oracle_free = [u for u in range(1, policy.unit_count + 1) if not busy_minutes(holds, u, start, end)]

    assert free_units(holds, policy, start, end) == oracle_free
    conflicts = check_units(request, policy, holds)
    assert (conflicts == []) == (len(oracle_free) >= request.seats)
    if conflicts and policy.is_pooled:
        assert conflicts[0].params["free"] == len(oracle_free)

    picked = pick_units(request, policy, holds)
    if len(oracle_free) >= request.seats:
        assert picked is not None and len(set(picked)) == request.seats
        assert not any(busy_minutes(holds, u, start, end) for u in picked)
    else:
        assert picked is None

    wanted = data.draw(st.lists(st.integers(1, policy.unit_count), min_size=1, max_size=request.seats + 1))
    honoured = len(set(wanted)) == len(wanted) == request.seats and set(wanted) <= set(oracle_free)
    assert (pick_units(request, policy, holds, wanted) == wanted) == honoured
    assert (pick_units(request, policy, holds, wanted) is None) == (not honoured)


# --- quota hours against sliding windows ---------------------------------------------------


@st.composite
def own_weeks(draw: st.DrawFn) -> tuple[list[tuple[datetime, datetime]], tuple[datetime, datetime]]:
    """Disjoint own bookings over three weeks, on whole quarter hours, and one new one among them."""
    marks = sorted(draw(st.sets(st.integers(0, 21 * 96), min_size=2, max_size=14)))
    if len(marks) % 2:
        marks.pop()
    quarter = timedelta(minutes=15)
    intervals = [(BASE + a * quarter, BASE + b * quarter) for a, b in zip(marks[::2], marks[1::2], strict=True)]
    new = intervals.pop(draw(st.integers(0, len(intervals) - 1)))
    return intervals, new


@PROPERTY_SETTINGS
@given(own_weeks(), st.integers(1, 60))
def test_the_hours_quota_agrees_with_every_rolling_week_that_holds_the_new_booking(weeks, limit):
    intervals, new = weeks
    quarter, week = timedelta(minutes=15), timedelta(days=7)
    fullest = 0.0
    window = new[0] - week + quarter
    while window < new[1]:
        seconds = sum(
            max(0.0, (min(window + week, e) - max(window, s)).total_seconds()) for s, e in [*intervals, new]
        )
        fullest = max(fullest, seconds / 3600)
        window += quarter
    conflicts = check_quota(Request(*new), Policy(quota_hours_per_week=limit), Usage(tuple(intervals)), BASE)
    assert bool(conflicts) == (fullest > limit)
    if conflicts:
        assert conflicts[0].params["total"] == round(fullest * 60)


# --- overnight and multi-day stays against a quarter-hour oracle ------------------------------


@st.composite
def night_scenarios(draw: st.DrawFn) -> tuple[Policy, Request]:
    """At most one period a day (some past midnight or around the clock) and a request of up to three days."""
    opening = {}
    for weekday in range(7):
        if draw(st.booleans()):
            opens, closes = draw(st.integers(0, 95)), draw(st.integers(0, 95))
            opening[weekday] = ((time(opens // 4, opens % 4 * 15), time(closes // 4, closes % 4 * 15)),)
    policy = Policy(timezone=draw(st.sampled_from(ZONES)), slot_minutes=15, min_minutes=15, max_minutes=3 * 1440,
                    opening=opening, max_days_ahead=3650)
    first = datetime.combine(draw(st.sampled_from(MONDAYS)), time(0), ZoneInfo(policy.timezone)).astimezone(UTC)
    start = first + timedelta(minutes=15 * draw(st.integers(0, 7 * 96)))
    return policy, Request(start, start + timedelta(minutes=15 * draw(st.integers(1, 3 * 96))))


def is_open_at(instant: datetime, policy: Policy) -> bool:
    """Whether some period, of that local day or the one before, holds the instant (walked by wall time)."""
    zone = ZoneInfo(policy.timezone)
    local_day = instant.astimezone(zone).date()
    for day in (local_day - timedelta(days=1), local_day):
        for opens, closes in policy.opening.get(day.weekday(), ()):
            start = datetime.combine(day, opens, zone).astimezone(UTC)
            end_day = day + timedelta(days=1) if closes <= opens else day
            end = datetime.combine(end_day, closes, zone).astimezone(UTC)
            if start <= instant < end:
                return True
    return False


@PROPERTY_SETTINGS
@given(night_scenarios())
def test_an_overnight_or_multi_day_stay_passes_the_hours_rule_exactly_when_every_quarter_is_open(scenario):
    policy, request = scenario
    quarter = timedelta(minutes=15)
    instants = [request.start_dt + n * quarter for n in range(int(request.length / quarter))]
    assert (check_hours(request, policy) == []) == all(is_open_at(i, policy) for i in instants)


@PROPERTY_SETTINGS
@given(st.sampled_from(ZONES), st.sampled_from(MONDAYS), st.integers(0, 7 * 48), st.integers(1, 6 * 48))
def test_a_space_open_around_the_clock_takes_stays_of_any_length_up_to_its_maximum(zone, monday, offset, halves):
    policy = Policy(timezone=zone, opening=AROUND_THE_CLOCK, min_minutes=30, max_minutes=3 * 1440,
                    max_days_ahead=3650)
    first = datetime.combine(monday, time(0), ZoneInfo(zone)).astimezone(UTC) + timedelta(minutes=30 * offset)
    request = Request(first, first + timedelta(minutes=30 * halves))
    codes = {c.code for c in check_request(request, policy, [], [], first - timedelta(days=1), suggest=False)}
    assert "hours" not in codes
    assert ("duration" in codes) == (request.length > timedelta(minutes=policy.max_minutes))
