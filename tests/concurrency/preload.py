"""Imported once by the forkserver, so that each racer forked from it starts warm.

Building a throwaway app pulls in every module `create_app` needs (views, forms,
feeds, the database drivers). It never connects to a database: the racers must not
inherit a connection, and they don't, because there is none.
"""

from __future__ import annotations

import contextlib
import sqlite3  # noqa: F401  (imported for its cost, not its names)

from booking import create_app
from booking.services import bookings  # noqa: F401

with contextlib.suppress(ImportError):
    import psycopg  # noqa: F401

create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "preload"})
