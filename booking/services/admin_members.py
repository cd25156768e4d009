"""Staff look after members: search them, see their bookings; admins change roles and deactivate.

A deactivated account cannot sign in (`User.is_active` follows `is_enabled`), and
every session of it ends at its next request, as after a role change. In the
same step the admin may cancel its future bookings with a message to the member;
those kept are listed (要対応) for staff to decide on later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, bindparam, func, or_, select
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.statuses import ACTIVE_STATUSES
from booking.domain.values import N_
from booking.extensions import db
from booking.models import ROLES, STAFF_ROLES, Booking, User
from booking.services import NotFound, ServiceError
from booking.services.accounts import end_sessions
from booking.services.admin_spaces import MESSAGE_MAX, InvalidInput
from booking.services.bookings import cancel_booking
from booking.services.feed_tokens import revoke_tokens
from booking.services.transactions import run_write

PER_PAGE = 25
QUERY_MAX = 100


class Forbidden(ServiceError):
    status_code = 403


class MemberRow(NamedTuple):
    """What the member list shows of an account."""

    id: int
    name: str
    email: str
    organisation: str
    role: str
    is_enabled: bool


@dataclass(frozen=True)
class MemberPage:
    """One page of a member search (hashable: a key for the rendered list)."""

    members: tuple[MemberRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _escaped(words: str) -> str:
    """`words` for a LIKE pattern with "/" as the escape character (as contains(autoescape=True) does)."""
    return words.replace("/", "//").replace("%", "/%").replace("_", "/_")


# Built once, the search words a parameter: composing the condition on every list, also when nothing
# was searched, was a fifth of the list's own time (profile line
# 'booking/services/admin_members.py:74(<genexpr>)').
_MATCHES = or_(*(func.lower(column).like(bindparam("pattern"), escape="/")
                 for column in (User.name, User.email, User.organisation)))
# The shown columns as plain rows, with the number of all matching accounts beside each row (one
# query, not a count and then the page): whole User objects were a fifth of the list's time
# (profile line 'booking/services/admin_members.py:59(search_members)').
_SHOWN = select(User.id, User.name, User.email, User.organisation, User.role, User.is_enabled, func.count().over())
_PAGE = (func.lower(User.name), User.id)
_LIST = _SHOWN.order_by(*_PAGE).offset(bindparam("skip")).limit(bindparam("size"))
_SEARCH = _SHOWN.where(_MATCHES).order_by(*_PAGE).offset(bindparam("skip")).limit(bindparam("size"))
_COUNT, _COUNT_MATCHES = select(func.count(User.id)), select(func.count(User.id)).where(_MATCHES)


def search_members(query: str = "", page: int = 1, per_page: int = PER_PAGE) -> MemberPage:
    """Accounts whose name, e-mail or organisation contains `query` (any case), by name: page `page`
    (from 1) of `per_page`, and the number of all of them. One query; two for a page past the last."""
    words = query.strip()[:QUERY_MAX].lower()
    page = max(1, page)
    params = {"pattern": f"%{_escaped(words)}%", "skip": (page - 1) * per_page, "size": per_page}
    connection = db.session.connection()
    rows = connection.execute(_SEARCH if words else _LIST, params).all()
    if rows:
        total = int(rows[0][-1])
    else:
        total = int(connection.execute(_COUNT_MATCHES if words else _COUNT, params).scalar() or 0)
    return MemberPage(tuple(MemberRow(*row[:-1]) for row in rows), total, page, per_page)


def get_member(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def _active_future(now: datetime) -> list[ColumnElement[bool]]:
    return [Booking.status.in_([s.value for s in ACTIVE_STATUSES]), Booking.end_dt > now]


def future_bookings(user_id: int, now: datetime | None = None) -> list[Booking]:
    """A member's pending and confirmed bookings that have not ended, soonest first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Booking).where(Booking.user_id == user_id, *_active_future(now)).order_by(Booking.start_dt)))


def deactivated_members_bookings(now: datetime | None = None) -> list[Booking]:
    """Future bookings of deactivated accounts: staff decide whether to keep or cancel them."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Booking).join(User, User.id == Booking.user_id)
        .where(User.is_enabled.is_(False), *_active_future(now))
        .order_by(Booking.start_dt)))


def _admin_changing_other(session: Session, admin: User, user_id: int) -> User:
    if admin.role != "admin":
        raise Forbidden(N_("Only admins can change roles and accounts."))
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    if user.id == admin.id:
        raise ServiceError(N_("You cannot change your own role or deactivate yourself; ask another admin."))
    return user


def change_role(admin: User, user_id: int, role: str) -> User:
    """Make an account a member, staff or admin (admins only, never their own account).

    A real change ends every session of the account (their pages change with the role);
    losing the staff role deletes the staff feed token for good. Raises Forbidden,
    NotFound or ServiceError (unknown role, own account).
    """
    if role not in ROLES:
        raise ServiceError(N_("Unknown role."))

    def work(session: Session) -> User:
        user = _admin_changing_other(session, admin, user_id)
        if user.role == role:
            return user
        if role not in STAFF_ROLES:
            revoke_tokens(session, user.id, ("staff",))
        user.role = role
        end_sessions(session, user)
        return user

    return run_write(None, work)


def set_enabled(admin: User, user_id: int, enabled: bool) -> User:
    """Deactivate or reactivate an account (admins only, never their own account).

    Either change ends every session of the account; deactivation deletes its feed
    tokens for good, so reactivating never brings an old feed address back. Raises
    Forbidden, NotFound or ServiceError (own account).
    """
    def work(session: Session) -> User:
        user = _admin_changing_other(session, admin, user_id)
        if user.is_enabled == enabled:
            return user
        if not enabled:
            revoke_tokens(session, user.id)
        user.is_enabled = enabled
        end_sessions(session, user)
        return user

    return run_write(None, work)


@dataclass(frozen=True)
class ExitReport:
    """What deactivating did: the account, the bookings cancelled, and those that changed meanwhile."""

    user: User
    cancelled: list[Booking]
    skipped: list[int]


def deactivate(admin: User, user_id: int, cancel_future: bool = False, message: str = "",
               now: datetime | None = None) -> ExitReport:
    """Deactivate an account and, when asked, cancel its future bookings with `message` to the member.

    The account is deactivated first (it can no longer sign in or book); each
    cancellation then runs in its own space's write transaction through
    `cancel_booking`, and one that started or was cancelled meanwhile is skipped
    and reported. Cancelling needs a message (at most MESSAGE_MAX characters):
    the member reads it in the cancellation e-mail. Admins only (Forbidden).
    """
    now = now or utcnow()
    if cancel_future:
        _checked_message(message)
    user = set_enabled(admin, user_id, False)
    if not cancel_future:
        return ExitReport(user, [], [])
    return cancel_future_bookings(admin, user_id, message, now)


def _checked_message(message: str) -> str:
    message = message.strip()
    if not message:
        raise InvalidInput({"message": (N_("Write a message to the member."), {})})
    if len(message) > MESSAGE_MAX:
        raise InvalidInput({"message": (N_("The message is too long (at most %(max)s characters)."),
                                        {"max": MESSAGE_MAX})})
    return message


def cancel_future_bookings(staff: User, user_id: int, message: str, now: datetime | None = None) -> ExitReport:
    """Cancel every future booking of a member with `message` (staff only; needs a message).

    What 要対応 offers for a deactivated account whose bookings were kept. Each
    cancellation runs in its own space's write transaction (`cancel_booking`);
    one that started or was cancelled meanwhile is skipped and reported.
    """
    now = now or utcnow()
    if not staff.is_staff:
        raise Forbidden(N_("Only staff can cancel a member's bookings."))
    message = _checked_message(message)
    user = get_member(user_id)
    cancelled, skipped = [], []
    for booking in future_bookings(user_id, now):
        try:
            cancelled.append(cancel_booking(staff, booking.id, now, note=message))
        except ServiceError:
            skipped.append(booking.id)
    return ExitReport(user, cancelled, skipped)
