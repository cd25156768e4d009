"""Benchmark: the first feed GETs after a space with 5,000 events is renamed.

    .venv/bin/python -m benchmarks.feed_rename                      # SQLite, temporary file
    .venv/bin/python -m benchmarks.feed_rename --database-url postgresql+psycopg://postgres@127.0.0.1/x

Seeds one space with `--events` bookings (benchmarks/feeds.py), then measures, in this
process (no HTTP): the warm body build; the rename itself (the write transaction that
raises the counter, without the rebuild); the first body build after it, while every
stored event is stale and rendered in memory (a GET never writes); `rebuild_events`
storing the new renderings in short write transactions; and the build after that.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import fields

from benchmarks import feeds as feed_bench
from benchmarks.fresh_db import fresh_database


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def measure(url: str, events: int) -> dict[str, float]:
    from booking.extensions import db
    from booking.models import Space
    from booking.services import feeds
    from booking.services.admin_spaces import SpaceInput
    from booking.services.transactions import run_write

    slug = feed_bench.seed(url, events)
    results: dict[str, float] = {}
    with feed_bench._app(url).app_context():
        warm = []
        for _ in range(5):
            db.session.remove()
            started = time.perf_counter()
            body = feeds.space_feed(slug).build()
            warm.append(_ms(started))
        results["warm build ms"] = statistics.median(warm)
        results["body bytes"] = len(body)
        space = db.session.scalar(db.select(Space).where(Space.slug == slug))
        data = SpaceInput(**{f.name: getattr(space, f.name) for f in fields(SpaceInput)})
        space_id = space.id

        def rename(session: object) -> None:
            locked = db.session.get(Space, space_id)
            locked.name_ja = data.name_ja + " (改)"

        started = time.perf_counter()
        run_write(space_id, rename)  # what update_space commits before it rebuilds
        results["rename commit ms"] = _ms(started)
        db.session.remove()
        started = time.perf_counter()
        renamed = feeds.space_feed(slug).build()
        results["first build after rename ms"] = _ms(started)
        assert (data.name_ja + " (改)").encode() in renamed
        started = time.perf_counter()
        rebuilt = feeds.rebuild_events(space_id)
        results["rebuild_events ms"] = _ms(started)
        results["events rebuilt"] = rebuilt
        db.session.remove()
        started = time.perf_counter()
        feeds.space_feed(slug).build()
        results["build after rebuild ms"] = _ms(started)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    with fresh_database("rename") as (url, instance):
        os.environ["BOOKING_INSTANCE_PATH"] = str(instance)
        feed_bench.migrate(url)
        for name, value in measure(url, args.events).items():
            print(f"{name:32} {value:12,.1f}")


if __name__ == "__main__":
    main()
