"""A series preview's refused dates, grouped by refusal (templates/series/form.html).

All weekdays for a year, with bookings open 30 days ahead, refuse some 250 dates with the same
words: listed one row each that was a page of 97,000 px at 320 px wide. Dates whose refusals
read the same but for naming their own date (every Sunday past the horizon: closed, and too far
ahead) are one group instead, their date written "these days": a line in the error summary ("349 dates (… to …): …")
and, from FOLD_FROM dates, a closed disclosure holding their rows (each can still be ticked or
given another time). Fewer stay rows of the table in date order, the summary linking to the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from booking.domain.values import Conflict
from booking.views.helpers import conflict_message, local_day, message

FOLD_FROM = 5  # dates with the same refusal; fewer are read as easily in the table


@dataclass(frozen=True)
class RefusalGroup:
    """Refused dates of one preview whose refusals read the same, in date order."""

    reasons: tuple[str, ...]
    items: tuple[Any, ...]
    number: int

    @property
    def is_folded(self) -> bool:
        return len(self.items) >= FOLD_FROM

    @property
    def anchor(self) -> str:
        """The disclosure of a folded group, else the row of its first date."""
        return f"refused-{self.number}" if self.is_folded else f"day-{self.items[0].day.isoformat()}"

    @property
    def text(self) -> str:
        """"349 dates (Fri 1 Jan 2027 to Fri 31 Dec 2027): …", or for one date "Fri 1 Jan 2027: …"."""
        reasons = " ".join(self.reasons)
        first, last = local_day(self.items[0].day), local_day(self.items[-1].day)
        if len(self.items) == 1:
            return str(_("%(day)s: %(reasons)s", day=first, reasons=reasons))
        return str(ngettext("%(count)s date (%(first)s to %(last)s): %(reasons)s",
                        "%(count)s dates (%(first)s to %(last)s): %(reasons)s",
                        len(self.items), count=len(self.items), first=first, last=last, reasons=reasons))


def _same_but_the_day(conflict: Conflict, day: date) -> tuple[object, ...]:
    """What a refusal says apart from naming the date it refuses ("The space is not open on %(day)s.":
    every Sunday's reads the same but for its date)."""
    return conflict.code, conflict.message, tuple(sorted(
        (name, repr(value)) for name, value in conflict.params.items() if value != day))


def _reason(conflict: Conflict, day: date, is_group: bool) -> str:
    """The refusal's words; in a group of dates, its own date is "these days" (the line names them)."""
    if not is_group:
        return conflict_message(conflict)
    params = {name: (_("these days") if value == day else value) for name, value in conflict.params.items()}
    return message(conflict.message, params)


def refusal_groups(items: Iterable[Any] | None) -> list[RefusalGroup]:
    """The refused items of a preview grouped by what their refusals say apart from their own date,
    in the order of their first date."""
    grouped: dict[tuple[object, ...], list[Any]] = {}
    for item in items or ():
        if not item.is_free:
            grouped.setdefault(tuple(_same_but_the_day(c, item.day) for c in item.conflicts), []).append(item)
    groups = []
    for n, found in enumerate(grouped.values(), start=1):
        first = found[0]
        reasons = tuple(_reason(c, first.day, len(found) > 1) for c in first.conflicts)
        groups.append(RefusalGroup(reasons, tuple(found), n))
    return groups


def table_items(items: Sequence[Any] | None, groups: Sequence[RefusalGroup]) -> list[Any]:
    """The preview's rows in date order, but for the dates of folded groups."""
    folded = {id(item) for group in groups if group.is_folded for item in group.items}
    return [item for item in items or () if id(item) not in folded]
