"""What the registration tests share: the secret key their personal links are signed with, a visitor's
form, and a person's registration and link as the database has them now."""

from __future__ import annotations

from sqlalchemy import select

from booking.extensions import db
from booking.models import Registration
from booking.services import registrations as service

KEY = "test-secret"


def visitor(email, companions=0, locale="ja"):
    """A visitor's registration form, named after the address, consenting."""
    return service.RegistrationInput(name=email, email=email, companions=companions, consent=True, locale=locale)


def row(email):
    """The registration of `email`, read afresh (what other sessions committed)."""
    db.session.rollback()
    return db.session.scalar(select(Registration).where(Registration.email == email))


def secret(email):
    """The secret of `email`'s personal link."""
    return service.secret_of(KEY, row(email))
