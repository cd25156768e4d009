"""Rows of an event's day (issue 19): check-in passes, walk-ins, and the counts kept afterwards.

Kept apart from booking/models.py (the public events and registrations of issue 18)
because they describe the running of an event, not its announcement.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import UTCDateTime, utcnow
from booking.extensions import db
from booking.models import PublicEvent, Registration, User


class AttendeePass(db.Model):
    """A registration's check-in code, and whether (and when, by whom) its party came in.

    One per registration, made with it. `checked_in_at` is set by one conditional
    UPDATE (… WHERE checked_in_at IS NULL), so two phones scanning the same code at
    once give exactly one check-in; undo clears it. `reminded_at` marks the reminder
    of the day before as sent.
    """

    __tablename__ = "attendee_passes"
    __table_args__ = (
        CheckConstraint("length(code) = 8", name="code_length"),
        Index("ix_attendee_passes_event_checked_in", "event_id", "checked_in_at"),
    )

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("public_events.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(8), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    registration: Mapped[Registration] = relationship()
    event: Mapped[PublicEvent] = relationship()
    checked_in_by: Mapped[User | None] = relationship()


class WalkIn(db.Model):
    """One person let in at the door without a registration (name and organisation optional)."""

    __tablename__ = "walk_ins"
    __table_args__ = (Index("ix_walk_ins_event_at", "event_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("public_events.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    name: Mapped[str] = mapped_column(String(100), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class EventRecord(db.Model):
    """What an event's attendance came to, kept once its personal data is removed (usage figures).

    Written when the retention job (or staff) anonymises the event: the counts in
    persons, frozen, and when the personal data went.
    """

    __tablename__ = "event_records"
    __table_args__ = (
        CheckConstraint(
            "registered >= 0 AND companions >= 0 AND waiting >= 0 AND checked_in >= 0 AND walk_ins >= 0",
            name="counts_non_negative"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("public_events.id", ondelete="CASCADE"), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    companions: Mapped[int] = mapped_column(Integer, default=0)
    waiting: Mapped[int] = mapped_column(Integer, default=0)
    checked_in: Mapped[int] = mapped_column(Integer, default=0)
    walk_ins: Mapped[int] = mapped_column(Integer, default=0)
    anonymised_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AttendeeListChange(db.Model):
    """One write to an event's registrations or check-in passes, appended by database triggers
    (migration 0025): how many there are and the newest id say whether the attendee list changed.

    The staff's attendee list and door are kept per this pair (booking/views/attendance.py)
    instead of per the 150 rows read on every view. Appended, never updated, so no two
    writers wait on one row; the count only grows while the event exists (a change committed
    late with a lower id still raises it), and ids are never reused (AUTOINCREMENT on SQLite).
    """

    __tablename__ = "attendee_list_changes"
    __table_args__ = (Index("ix_attendee_list_changes_event_id", "event_id", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("public_events.id", ondelete="CASCADE"))
