"""The history usage figures need: space versions and removed closures (booking.domain.history).

The services that change a space's opening hours, unit count, time zone, holiday rules
or closures call these inside their own write transaction, so the history and the
change are committed together or not at all. `keep_baseline` runs before a change
(it records the rules as they were, for a space that has no version yet, e.g. one
written straight into the database); `record_version` runs after it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from booking.domain.history import RemovedClosure, RulesVersion, opening_of
from booking.domain.values import ClosedRange, Policy
from booking.models import Closure, ClosureRemoval, HolidayOpening, OpeningPeriod, Space, SpaceVersion

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIELDS = ("timezone", "kind", "unit_count", "max_minutes", "close_on_holidays", "holiday_country")


def _close(period: OpeningPeriod) -> str:
    return f"{period.close_time:%H:%M}"


def snapshot(session: Session, space: Space) -> dict[str, Any]:
    """The space's rules as a version row stores them (reads the flushed state)."""
    session.flush()
    periods = sorted(space.opening_hours, key=lambda p: (p.weekday, p.open_time))
    days = session.scalars(select(HolidayOpening.day_date).where(HolidayOpening.space_id == space.id)
                           .order_by(HolidayOpening.day_date))
    values: dict[str, Any] = {name: getattr(space, name) for name in FIELDS}
    values["opening"] = [[p.weekday, f"{p.open_time:%H:%M}", _close(p)] for p in periods]
    values["holiday_openings"] = [day.isoformat() for day in days]
    return values


def _latest(session: Session, space_id: int) -> SpaceVersion | None:
    return session.scalar(select(SpaceVersion).where(SpaceVersion.space_id == space_id)
                          .order_by(SpaceVersion.valid_from.desc()).limit(1))


def keep_baseline(session: Session, space: Space) -> None:
    """Before a change: a space with no version gets its current rules as the version since the epoch."""
    if _latest(session, space.id) is None:
        session.add(SpaceVersion(space_id=space.id, valid_from=EPOCH, **snapshot(session, space)))
        session.flush()


def record_version(session: Session, space: Space, at: datetime) -> None:
    """After a change: the rules now in force, from `at` (taken inside the transaction) on.

    Nothing is written when the rules did not change (a new name or description).
    """
    values = snapshot(session, space)
    latest = _latest(session, space.id)
    if latest is not None and all(getattr(latest, name) == value for name, value in values.items()):
        return
    if latest is not None and latest.valid_from >= at:
        for name, value in values.items():
            setattr(latest, name, value)
    else:
        session.add(SpaceVersion(space_id=space.id, valid_from=at, **values))
    session.flush()


def record_removal(session: Session, closure: Closure, at: datetime) -> None:
    """Keep a closure that is being removed, so the time it closed stays closed in the figures."""
    session.add(ClosureRemoval(closure_id=closure.id, space_id=closure.space_id, start_dt=closure.start_dt,
                               end_dt=closure.end_dt, reason=closure.reason, removed_at=at))


def _as_version(row: SpaceVersion) -> RulesVersion:
    policy = Policy(timezone=row.timezone, kind=row.kind, unit_count=row.unit_count, max_minutes=row.max_minutes,
                    opening=opening_of(row.opening))
    return RulesVersion(row.valid_from, policy, row.close_on_holidays, row.holiday_country,
                        frozenset(date.fromisoformat(day) for day in row.holiday_openings))


def versions_of(session: Session, space: Space, policy: Policy) -> list[RulesVersion]:
    """The space's versions, oldest first; its current rules alone when none was recorded."""
    rows = session.scalars(select(SpaceVersion).where(SpaceVersion.space_id == space.id)
                           .order_by(SpaceVersion.valid_from))
    versions = [_as_version(row) for row in rows]
    if versions:
        return versions
    openings = frozenset(session.scalars(select(HolidayOpening.day_date)
                                         .where(HolidayOpening.space_id == space.id)))
    return [RulesVersion(EPOCH, policy, space.close_on_holidays, space.holiday_country, openings)]


def closures_of(session: Session, space: Space, start_dt: datetime,
                end_dt: datetime) -> tuple[list[ClosedRange], list[RemovedClosure]]:
    """Closures of this space or of every space overlapping the range: current ones, and removed ones."""
    current = session.scalars(select(Closure).where(
        or_(Closure.space_id == space.id, Closure.space_id.is_(None)),
        Closure.start_dt < end_dt, Closure.end_dt > start_dt))
    removed = session.scalars(select(ClosureRemoval).where(
        or_(ClosureRemoval.space_id == space.id, ClosureRemoval.space_id.is_(None)),
        ClosureRemoval.start_dt < end_dt, ClosureRemoval.end_dt > start_dt))
    return ([ClosedRange(c.start_dt, c.end_dt, c.reason) for c in current],
            [RemovedClosure(ClosedRange(r.start_dt, r.end_dt, r.reason), r.removed_at) for r in removed])
