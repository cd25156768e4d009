"""The one overlap predicate: half-open intervals [start, end)."""

from __future__ import annotations

import pytest

from booking.domain.intervals import overlap_length_seconds, overlaps
from tests.domain.builders import at

# The booked interval is 10:00–12:00; each row is another interval against it.
BOOKED = (at(10), at(12))
OVERLAP_TABLE = [
    ("before", at(8), at(9), False),
    ("touching before", at(9), at(10), False),
    ("overlapping start", at(9), at(11), True),
    ("inside", at(10, 30), at(11, 30), True),
    ("equal", at(10), at(12), True),
    ("containing", at(9), at(13), True),
    ("overlapping end", at(11), at(13), True),
    ("touching after", at(12), at(13), False),
    ("after", at(13), at(14), False),
]


@pytest.mark.parametrize(
    ("case", "start", "end", "expected"), OVERLAP_TABLE, ids=[row[0] for row in OVERLAP_TABLE]
)
def test_an_interval_overlaps_the_booking_only_when_they_share_an_instant(case, start, end, expected):
    assert overlaps(start, end, *BOOKED) is expected


@pytest.mark.parametrize(
    ("case", "start", "end", "expected"), OVERLAP_TABLE, ids=[row[0] for row in OVERLAP_TABLE]
)
def test_overlap_does_not_depend_on_which_interval_comes_first(case, start, end, expected):
    assert overlaps(*BOOKED, start, end) is expected


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        (at(8), at(9), 0),
        (at(9), at(10), 0),
        (at(9), at(11), 3600),
        (at(10, 30), at(11, 30), 3600),
        (at(9), at(13), 7200),
        (at(11, 30), at(13), 1800),
    ],
)
def test_shared_length_counts_only_the_common_part(start, end, seconds):
    assert overlap_length_seconds(start, end, *BOOKED) == seconds
