"""Typed ORM rows and the invariants the database keeps."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

from booking.db import UTCDateTime, utcnow
from booking.domain.statuses import ACTIVE_STATUSES, BookingStatus, is_proposal_open, status_at
from booking.extensions import db

ROLES = ("member", "staff", "admin")
STAFF_ROLES = ("staff", "admin")
ORG_KINDS = ("company", "npo", "research", "public", "individual")
SPACE_KINDS = ("exclusive", "pooled")
STATUSES = tuple(s.value for s in BookingStatus)
# The approval queue's bookings (pending requests, proposed changes): the predicate of the
# partial index ix_bookings_waiting. Only a query that states it with the literal 'pending'
# (booking.services.staff._waiting_condition) can use that index.
WAITING_BOOKINGS = "status = 'pending' OR proposed_start_dt IS NOT NULL"


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(_in("org_kind", ORG_KINDS), name="org_kind"),
        CheckConstraint(_in("locale", ("ja", "en")), name="locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    org_kind: Mapped[str] = mapped_column(String(20), default="individual")
    role: Mapped[str] = mapped_column(String(10), default="member")
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="ja")
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Empty until the owner opens the link mailed at registration; only then may they book.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Admins' second factor (RFC 6238): the base32 secret, and the last time step accepted,
    # so one code never works twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Part of every session cookie's user id; raising it ends every session of the account
    # (booking.services.accounts.end_sessions).
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses log-in when False
        return self.is_enabled

    def get_id(self) -> str:
        """Flask-Login's alternative id "<id>:<session_version>", kept in session and remember cookies."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def needs_totp(self) -> bool:
        """Admins sign in with a one-time code as well as the password."""
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")


class Space(db.Model):
    __tablename__ = "spaces"
    __table_args__ = (
        CheckConstraint(_in("kind", SPACE_KINDS), name="kind"),
        CheckConstraint("unit_count >= 1", name="unit_count_positive"),
        CheckConstraint("kind = 'pooled' OR unit_count = 1", name="exclusive_has_one_unit"),
        CheckConstraint("slot_minutes > 0", name="slot_positive"),
        CheckConstraint("min_minutes > 0 AND max_minutes >= min_minutes", name="duration_range"),
        CheckConstraint("setup_minutes >= 0 AND teardown_minutes >= 0", name="buffers"),
        CheckConstraint("min_notice_minutes >= 0", name="notice"),
        CheckConstraint("max_days_ahead >= 1", name="horizon"),
        CheckConstraint("request_deadline_hours >= 0", name="request_deadline"),
        CheckConstraint("max_people IS NULL OR max_people >= 1", name="max_people_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_ja: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description_ja: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="exclusive")
    unit_count: Mapped[int] = mapped_column(Integer, default=1)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    min_minutes: Mapped[int] = mapped_column(Integer, default=30)
    max_minutes: Mapped[int] = mapped_column(Integer, default=480)
    setup_minutes: Mapped[int] = mapped_column(Integer, default=0)
    teardown_minutes: Mapped[int] = mapped_column(Integer, default=0)
    close_on_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    holiday_country: Mapped[str] = mapped_column(String(2), default="JP")
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_days_ahead: Mapped[int] = mapped_column(Integer, default=90)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    quota_active_bookings: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quota_hours_per_week: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pending_holds: Mapped[bool] = mapped_column(Boolean, default=True)
    # A request still pending this many hours before its start expires (domain.statuses.request_deadline).
    request_deadline_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    # Public events (SPEC §9): the most people the space may admit (an event's capacity is
    # bounded by it; empty: no event here takes registrations), and whether members may
    # propose an event on their own booking (staff approve it before it is published).
    max_people: Mapped[int | None] = mapped_column(Integer, nullable=True)
    members_may_host_events: Mapped[bool] = mapped_column(Boolean, default=False, server_default=expression.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The feeds' change counter: raised in the same write transaction as every change a
    # feed of this space shows (booking.services.feed_events); feed_changed_at is the
    # time of the last raise, taken under the space's lock, and never goes backwards.
    feed_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    feed_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A high-water mark: no active hold of this space has ever been longer (occupied, with its
    # buffers) than this, so reads bound their index ranges by it (services.spaces.longest_hold).
    # Raised with every write of the policy (`_raise_hold_bound` below) and by any hold written
    # longer (policy_changes keeps bookings a lowered limit breaks); never lowered, as holds
    # written under an older, longer policy may still be active.
    hold_bound_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    opening_hours: Mapped[list[OpeningPeriod]] = relationship(
        back_populates="space", cascade="all, delete-orphan", order_by="OpeningPeriod.weekday"
    )

    def cover_hold_minutes(self, minutes: int) -> None:
        """Raise the hold bound to `minutes` if it is lower (call it under the space's lock)."""
        if minutes > (self.hold_bound_minutes or 0):
            self.hold_bound_minutes = minutes

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ja

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" and self.description_en else self.description_ja

    @property
    def is_pooled(self) -> bool:
        return self.kind == "pooled"


def _policy_minutes(space: Space, key: str) -> int:
    value = getattr(space, key)
    if value is None:  # not set yet: the column's default, which the INSERT is about to write
        value = Space.__table__.c[key].default.arg
    return int(value)


@event.listens_for(Space, "before_insert")
@event.listens_for(Space, "before_update")
def _raise_hold_bound(_mapper: object, _connection: object, space: Space) -> None:
    """Keep the hold bound at least the current policy's longest hold, in the flush that writes the policy."""
    space.cover_hold_minutes(sum(_policy_minutes(space, key)
                                 for key in ("max_minutes", "setup_minutes", "teardown_minutes")))


class OpeningPeriod(db.Model):
    """One opening period of a weekday (0 = Monday); a day may have several.

    With `close_next_day` it closes on the following day, at or before its opening
    time of day: 09:00-24:00 closes at 00:00 next day, 22:00-02:00 runs overnight.
    """

    __tablename__ = "opening_periods"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            "(close_next_day AND close_time <= open_time) OR (NOT close_next_day AND close_time > open_time)",
            name="close_after_open",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    open_time: Mapped[time] = mapped_column(Time)
    close_time: Mapped[time] = mapped_column(Time)
    close_next_day: Mapped[bool] = mapped_column(Boolean, default=False)

    space: Mapped[Space] = relationship(back_populates="opening_hours")


class Closure(db.Model):
    """A closed range for one space, or for every space when space_id is empty."""

    __tablename__ = "closures"
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="end_after_start"),
        Index("uq_closures_submit_token", "submit_token", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), index=True, nullable=True
    )
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submit_token: Mapped[str | None] = mapped_column(String(64), nullable=True)


class HolidayOpening(db.Model):
    """A national holiday on which a space opens anyway."""

    __tablename__ = "holiday_openings"
    __table_args__ = (UniqueConstraint("space_id", "day_date", name="uq_holiday_openings_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    day_date: Mapped[date] = mapped_column(Date)


class SpaceVersion(db.Model):
    """What made a space open, in force from `valid_from` until the next version of the space.

    Written in the transaction of every change of opening hours, unit count, time zone
    or holiday rules (booking.services.space_history), so usage figures of a past
    period use the rules of that time, not today's. `opening` is [[weekday, "HH:MM",
    "HH:MM"], ...]; `holiday_openings` the ISO days of holidays it opened on anyway.
    """

    __tablename__ = "space_versions"
    __table_args__ = (
        CheckConstraint("unit_count >= 1", name="unit_count_positive"),
        CheckConstraint("max_minutes > 0", name="max_minutes_positive"),
        UniqueConstraint("space_id", "valid_from", name="uq_space_versions_space_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    unit_count: Mapped[int] = mapped_column(Integer)
    max_minutes: Mapped[int] = mapped_column(Integer)
    close_on_holidays: Mapped[bool] = mapped_column(Boolean)
    holiday_country: Mapped[str] = mapped_column(String(2))
    opening: Mapped[list[list[Any]]] = mapped_column(JSON)
    holiday_openings: Mapped[list[str]] = mapped_column(JSON)


class ClosureRemoval(db.Model):
    """A closure staff removed: it stays in force for usage figures up to `removed_at`."""

    __tablename__ = "closure_removals"
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="end_after_start"),
        Index("ix_closure_removals_space_start", "space_id", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    closure_id: Mapped[int] = mapped_column(Integer)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), nullable=True)
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def new_uid() -> str:
    return f"{uuid.uuid4()}@floor-booking"


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="end_after_start"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("attendees >= 0", name="attendees_non_negative"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
        CheckConstraint("proposed_end_dt > proposed_start_dt", name="proposal_end_after_start"),
        Index("ix_bookings_space_start", "space_id", "start_dt"),
        Index("ix_bookings_user_start", "user_id", "start_dt"),
        # Feed validators: max(updated_at) and max(id) per space, per member, and overall.
        Index("ix_bookings_space_updated", "space_id", "updated_at"),
        Index("ix_bookings_user_updated", "user_id", "updated_at"),
        Index("ix_bookings_updated", "updated_at"),
        Index("ix_bookings_space_newest", "space_id", "id"),
        Index("ix_bookings_user_newest", "user_id", "id"),
        # Usage figures: cancellations of a space by when they happened; and every column the
        # figures read of a space's bookings over a period, so their scans never visit the table.
        Index("ix_bookings_space_cancelled", "space_id", "cancelled_at"),
        Index("ix_bookings_usage", "space_id", "start_dt", "end_dt", "status", "seats", "user_id"),
        # The approval queue: pending requests and proposed changes, found without reading the history.
        Index("ix_bookings_waiting", "created_at", sqlite_where=text(WAITING_BOOKINGS),
              postgresql_where=text(WAITING_BOOKINGS)),
        # One booking per rendered form (booking.fields.SubmitTokenField); NULLs never clash.
        Index("uq_bookings_user_submit_token", "user_id", "submit_token", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(120), unique=True, default=new_uid)
    # active_history: a booking moved to another space after its row was expired (by any commit) still knows
    # the space it left, whose feeds must drop it (feed_events._space_ids reads the old value from the history).
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"), active_history=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    seats: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    attendees: Mapped[int] = mapped_column(Integer, default=0)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A change of time waiting for staff (spaces that need approval); the booking keeps
    # its confirmed time and units until staff approve it (booking.services.changes).
    proposed_start_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    proposed_end_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    proposed_seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Serialized VEVENT per feed audience, rebuilt on every change (booking.services.feeds);
    # ics_stamp names what they were built from, so a stale copy is never served.
    ics_public: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    ics_member: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    ics_staff: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    ics_stamp: Mapped[str | None] = mapped_column(String(120), nullable=True, deferred=True)
    # The token of the form that created it (booking.fields.SubmitTokenField).
    submit_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The recurring series this booking is one occurrence of (booking.services.series).
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking_series.id", ondelete="RESTRICT"), nullable=True, index=True
    )

    space: Mapped[Space] = relationship()
    user: Mapped[User] = relationship()
    series: Mapped[BookingSeries | None] = relationship(back_populates="bookings")
    holds: Mapped[list[BookingHold]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", order_by="BookingHold.unit_no"
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def has_proposal(self) -> bool:
        return self.proposed_start_dt is not None

    @property
    def unit_numbers(self) -> list[int]:
        return [hold.unit_no for hold in self.holds]

    def status_at(self, now: datetime) -> str:
        """The status at `now`: a pending request past its deadline is expired (domain.statuses.status_at)."""
        return status_at(self.status, self.start_dt, self.created_at, self.space.request_deadline_hours, now)

    def is_active_at(self, now: datetime) -> bool:
        """Whether the booking holds its slot at `now` (pending or confirmed, by status_at)."""
        return self.status_at(now) in ACTIVE_STATUSES

    def has_proposal_at(self, now: datetime) -> bool:
        """Whether a proposed change still waits for staff at `now` (not past its deadline)."""
        return self.status == BookingStatus.CONFIRMED and is_proposal_open(
            self.proposed_start_dt, self.proposed_at, self.space.request_deadline_hours, now)


class BookingSeries(db.Model):
    """A recurring series (SPEC §4): the rule a member chose; each occurrence is an ordinary Booking."""

    __tablename__ = "booking_series"
    __table_args__ = (Index("uq_booking_series_user_submit_token", "user_id", "submit_token", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    # RFC 5545 RRULE value with local times (booking.domain.recurrence.RecurrenceRule.as_rrule)
    rrule: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submit_token: Mapped[str | None] = mapped_column(String(64), nullable=True)

    space: Mapped[Space] = relationship()
    user: Mapped[User] = relationship()
    bookings: Mapped[list[Booking]] = relationship(back_populates="series", order_by="Booking.start_dt")


class BookingHold(db.Model):
    """One unit (the room, or one desk) a booking holds, over its occupied interval.

    The occupied interval is the booking plus its setup and teardown buffers,
    half-open [occupied_start, occupied_end). `is_active` is true while the booking
    holds the unit. The database refuses two active holds of one unit whose
    intervals overlap: an exclusion constraint on PostgreSQL, triggers on SQLite
    (created by the migration).
    """

    __tablename__ = "booking_holds"
    __table_args__ = (
        CheckConstraint("occupied_end > occupied_start", name="end_after_start"),
        CheckConstraint("unit_no >= 1", name="unit_positive"),
        UniqueConstraint("booking_id", "unit_no", name="uq_booking_holds_booking_unit"),
        Index("ix_booking_holds_space_start", "space_id", "occupied_start"),
        # SQLite's overlap trigger reads a unit's hold just before a new one's end (migration 0018).
        Index("ix_booking_holds_unit_start", "space_id", "unit_no", "occupied_start"),
        ExcludeConstraint(
            ("space_id", "="),
            ("unit_no", "="),
            (func.tstzrange(text("occupied_start"), text("occupied_end"), text("'[)'")), "&&"),
            name="ex_booking_holds_no_overlap",
            using="gist",
            where=text("is_active"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="RESTRICT"))
    unit_no: Mapped[int] = mapped_column(Integer)
    occupied_start: Mapped[datetime] = mapped_column(UTCDateTime)
    occupied_end: Mapped[datetime] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    booking: Mapped[Booking] = relationship(back_populates="holds")


FEED_KINDS = ("member", "staff")


class FeedToken(db.Model):
    """A secret feed address of one user; only the token's SHA-256 is stored.

    The token is derived from `nonce` with the application's secret key, so the
    account page can show the address again, while the database alone reveals no
    working token. A new nonce replaces the hash and the old address stops working.
    """

    __tablename__ = "feed_tokens"
    __table_args__ = (
        CheckConstraint(_in("kind", FEED_KINDS), name="kind"),
        UniqueConstraint("user_id", "kind", name="uq_feed_tokens_user_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


EVENT_ACTIONS = ("requested", "approved", "rejected", "cancelled", "overridden", "edited",
                 "proposed", "declined", "expired", "restored",
                 # the public event on the booking (issue 19): its attendees exported, mailed, or it withdrawn
                 "exported", "mailed", "withdrawn",
                 # a member's proposed public event approved (published) or rejected by staff
                 "published", "turned_down")


class BookingEvent(db.Model):
    """One entry of a booking's audit trail: who did what, when, and why.

    Written in the same transaction as the change it records. `actor_id` is empty
    for changes nobody made by hand; `from_status` is empty for the request itself.
    """

    __tablename__ = "booking_events"
    __table_args__ = (
        CheckConstraint(_in("action", EVENT_ACTIONS), name="action"),
        CheckConstraint(_in("from_status", STATUSES), name="from_status"),
        CheckConstraint(_in("to_status", STATUSES), name="to_status"),
        Index("ix_booking_events_booking_at", "booking_id", "at"),
        # Usage figures: decisions of a period.
        Index("ix_booking_events_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")

    booking: Mapped[Booking] = relationship()
    actor: Mapped[User | None] = relationship()


TOKEN_PURPOSES = ("verify", "reset", "recovery")


class AccountToken(db.Model):
    """A secret sent to or shown to one user; only its SHA-256 is stored.

    `verify`: the e-mail verification link; `reset`: a password reset link (a newer
    one or a password change deletes the older ones); `recovery`: an admin's
    one-time recovery code for a lost authenticator. Each works once (`used_at`)
    and, where `expires_at` is set, only until then.
    """

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(_in("purpose", TOKEN_PURPOSES), name="purpose"),
        Index("ix_account_tokens_user_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()


OUTBOX_STATUSES = ("pending", "sent", "failed")


class OutboxMessage(db.Model):
    """One e-mail to send, written in the same transaction as the change that calls for it.

    `payload` is what the renderer of `kind` needs to build the mail in `locale`;
    `attachments` are [{"filename", "content_type", "params", "data" (base64)}].
    A pending message is due at `due_at` (UTC); a claimed one is leased by moving
    `due_at` forward, so a worker that dies leaves it to be claimed again.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_outbox_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    message_uuid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid.uuid4().hex)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobSchedule(db.Model):
    """When a scheduled job (booking/jobs.py) is next due; claiming a due time moves it on."""

    __tablename__ = "job_schedule"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


EXPORT_KINDS = ("bookings", "figures", "members", "attendees")
EXPORT_FORMATS = ("csv", "xlsx")


class ExportLog(db.Model):
    """One export a staff member downloaded: who, what (with its filters), when (SPEC §2 privacy)."""

    __tablename__ = "export_log"
    __table_args__ = (
        CheckConstraint(_in("kind", EXPORT_KINDS), name="kind"),
        CheckConstraint(_in("file_format", EXPORT_FORMATS), name="file_format"),
        Index("ix_export_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(10))
    file_format: Mapped[str] = mapped_column(String(5))
    filters: Mapped[str] = mapped_column(Text, default="")
    row_count: Mapped[int] = mapped_column(Integer, default=0)


EVENT_STATUSES = ("pending", "published", "withdrawn", "rejected")
REGISTRATION_STATUSES = ("registered", "offered", "waiting", "cancelled", "expired")
# Registrations in these statuses hold seats: public_events.seats_taken counts exactly their
# party sizes (kept by database triggers), and a CHECK keeps it within the capacity.
SEAT_HOLDING_STATUSES = ("registered", "offered")


class PublicEvent(db.Model):
    """The public face of one booking (SPEC §9): what visitors see and register for.

    Not the audit trail's BookingEvent. The event takes place at its booking's time
    and space; `status` says whether visitors see it (a member's proposal waits for
    staff as `pending`; staff publish it or reject it, `rejected`, services.event_review).
    `seats_taken` is kept by triggers on `registrations`
    (migration 0012) and can never pass `capacity`: the database has the last word,
    as for desks. `sequence` is the calendar SEQUENCE of the event's own VEVENT,
    raised on every change registrants are told about.
    """

    __tablename__ = "public_events"
    __table_args__ = (
        CheckConstraint(_in("status", EVENT_STATUSES), name="status"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"),
        CheckConstraint("registration_closes_at > registration_opens_at", name="registration_window"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(120), unique=True, default=new_uid)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="RESTRICT"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="published")
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    organiser: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    fee_ja: Mapped[str] = mapped_column(String(100), default="無料")
    fee_en: Mapped[str] = mapped_column(String(100), default="Free")
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepts_walk_ins: Mapped[bool] = mapped_column(Boolean, default=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped[Booking] = relationship()
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="AgendaItem.start_dt"
    )

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_ja

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" and self.description_en else self.description_ja

    def fee(self, locale: str) -> str:
        return self.fee_en if locale == "en" and self.fee_en else self.fee_ja

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)

    @property
    def is_cancelled(self) -> bool:
        """Withdrawn by staff, or its booking no longer on: shown (and fed) as cancelled."""
        return self.status == "withdrawn" or self.booking.status != "confirmed"


class AgendaItem(db.Model):
    """One item of an event's agenda: it starts at `start_dt` and lasts `minutes`, inside the booking."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        CheckConstraint("minutes >= 1", name="minutes_positive"),
        Index("ix_agenda_items_event_start", "event_id", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("public_events.id", ondelete="CASCADE"))
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    speakers: Mapped[str] = mapped_column(String(300), default="")

    event: Mapped[PublicEvent] = relationship(back_populates="agenda_items")

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_ja


class Registration(db.Model):
    """One person's registration for a public event, for themselves and `party_size - 1` companions.

    One per address per event. `registered` and `offered` hold seats (see
    SEAT_HOLDING_STATUSES); `waiting` is on the waiting list in `queued_at` order;
    `offered` is a promotion that must be confirmed by `offer_expires_at`;
    `expired` an offer nobody confirmed. Only the SHA-256 of the personal link's
    token is stored. `sequence` is added to the event's for this person's calendar
    object, so a cancellation and a later re-registration each raise it.
    """

    __tablename__ = "registrations"
    __table_args__ = (
        CheckConstraint(_in("status", REGISTRATION_STATUSES), name="status"),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(_in("org_kind", ORG_KINDS), name="org_kind"),
        CheckConstraint(_in("locale", ("ja", "en")), name="locale"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
        UniqueConstraint("event_id", "email", name="uq_registrations_event_email"),
        Index("ix_registrations_event_status_queued", "event_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("public_events.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    org_kind: Mapped[str] = mapped_column(String(20), default="individual")
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(5), default="ja")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the person was last told that the freed seats were too few for their party.
    passed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    event: Mapped[PublicEvent] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def companions(self) -> int:
        return self.party_size - 1

    @property
    def holds_seats(self) -> bool:
        return self.status in SEAT_HOLDING_STATUSES
