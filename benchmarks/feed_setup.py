"""The set-up the in-process feed profiles share: a database, a seeded feed of one kind, its address and ETag.

    URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> MIGRATE=1   # else SQLite in a temporary file
    KIND=space|member|staff                                            # which feed (default: space)

The space's bookings (benchmarks.feeds.seed) all belong to one member, whose member feed
(KIND=member) or, made staff, staff feed of every space (KIND=staff) is the other kinds' address.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any

from benchmarks import feeds as bf

KINDS = ("space", "member", "staff")


@dataclass(frozen=True)
class Prepared:
    app: Any
    path: str
    etag: str


def prepare(events: int) -> Prepared:
    """Migrate (SQLite, or MIGRATE=1), seed `events` bookings, and GET the KIND feed once for its ETag."""
    url = os.environ.get("URL") or f"sqlite:///{tempfile.mkdtemp()}/p.db"
    kind = os.environ.get("KIND", "space")
    if kind not in KINDS:
        raise SystemExit(f"KIND is one of {', '.join(KINDS)}")
    if "sqlite" in url or os.environ.get("MIGRATE"):
        bf.migrate(url)
    slug = bf.seed(url, events)
    app = bf._app(url)
    path = f"/spaces/{slug}/calendar.ics" if kind == "space" else _private_path(app, slug, kind)
    first = app.test_client().get(path)
    assert first.status_code == 200, first.status_code
    return Prepared(app, path, first.headers["ETag"])


def _private_path(app: Any, slug: str, kind: str) -> str:
    from booking.extensions import db
    from booking.models import User
    from booking.services.feed_tokens import renew_token

    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == f"{slug}@example.jp"))
        assert user is not None
        if kind == "staff":
            user.role = "staff"
            db.session.commit()
        token = renew_token(user, kind)
        db.session.remove()
    return f"/feeds/{token}/bookings.ics" if kind == "member" else f"/feeds/{token}/staff.ics"
