"""Local hours cut by the domain (what the heatmap SQL groups by) agree with a minute-by-minute walk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain.usage import local_hours
from booking.domain.values import Policy

MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(("zone", "start"), [
    ("Europe/Berlin", datetime(2026, 3, 28, 12, tzinfo=UTC)),      # clocks forward an hour
    ("Europe/Berlin", datetime(2026, 10, 24, 12, tzinfo=UTC)),     # back an hour: 02:00 twice
    ("Australia/Lord_Howe", datetime(2026, 4, 4, 6, tzinfo=UTC)),  # back half an hour
    ("Australia/Lord_Howe", datetime(2026, 10, 3, 6, tzinfo=UTC)),  # forward half an hour
    ("Asia/Kathmandu", datetime(2026, 6, 1, 0, 7, tzinfo=UTC)),    # +05:45, starting off the hour
])
def test_every_minute_lies_in_the_piece_of_its_local_weekday_and_hour(zone, start):
    end = start + timedelta(days=1, minutes=13)
    pieces = local_hours(Policy(timezone=zone), start, end)
    assert pieces[0][2][0] == start and pieces[-1][2][1] == end
    assert all(a[2][1] == b[2][0] for a, b in zip(pieces, pieces[1:], strict=False))
    tz = ZoneInfo(zone)
    for day, hour, (a, z) in pieces:
        at = a
        while at < z:
            local = at.astimezone(tz)
            assert (local.weekday(), local.hour) == (day, hour), (at, zone)
            at += MINUTE
