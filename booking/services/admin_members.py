"""Staff look after members: search them, see their bookings; admins change roles and deactivate.

A deactivated account cannot sign in (`User.is_active` follows `is_enabled`), and
every session of it ends at its next request, as after a role change. Its
future bookings stay as they are and are listed for staff to decide on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from booking.db import utcnow
from booking.domain.statuses import ACTIVE_STATUSES
from booking.domain.values import N_
from booking.extensions import db
from booking.models import ROLES, STAFF_ROLES, Booking, User
from booking.services import NotFound, ServiceError
from booking.services.accounts import end_sessions
from booking.services.feed_tokens import revoke_tokens
from booking.services.transactions import run_write

PER_PAGE = 25
QUERY_MAX = 100


class Forbidden(ServiceError):
    status_code = 403


@dataclass(frozen=True)
class MemberPage:
    """One page of a member search."""

    members: list[User]
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


def search_members(query: str = "", page: int = 1, per_page: int = PER_PAGE) -> MemberPage:
    """Accounts whose name, e-mail or organisation contains `query` (any case), by name."""
    words = query.strip()[:QUERY_MAX].lower()
    condition = or_(*(func.lower(column).contains(words, autoescape=True)
                      for column in (User.name, User.email, User.organisation)))
    base = select(User).where(condition) if words else select(User)
    total = int(db.session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    page = max(1, page)
    members = list(db.session.scalars(
        base.order_by(func.lower(User.name), User.id).offset((page - 1) * per_page).limit(per_page)))
    return MemberPage(members, total, page, per_page)


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
