"""CPU per full feed GET and per 304, in-process (1,000 events), optionally with a cProfile.

    .venv/bin/python benchmarks/feed_profile.py                       # SQLite in a temporary file
    URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> MIGRATE=1 .venv/bin/python benchmarks/feed_profile.py
    PROFILE=1 .venv/bin/python benchmarks/feed_profile.py             # plus cProfile of 100 full GETs
    PROFILE=304 .venv/bin/python benchmarks/feed_profile.py           # plus cProfile of 1,000 304s
    KIND=member|staff .venv/bin/python benchmarks/feed_profile.py     # that feed instead of the space's

Prints the median process CPU milliseconds of 200 GETs through Flask's test client
(no HTTP server, so no socket noise): what one request costs the worker.
"""
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.feed_setup import prepare  # noqa: E402

prepared = prepare(1000)
client = prepared.app.test_client()
path, etag = prepared.path, prepared.etag


def run(n, headers=None):
    """Median CPU ms of n GETs and the last status."""
    spent = []
    for _ in range(n):
        started = time.process_time()
        response = client.get(path, headers=headers or {})
        spent.append((time.process_time() - started) * 1000)
    return statistics.median(spent), response.status_code


for _ in range(3):
    run(20)
print("full GET cpu ms median", run(200))
print("304 cpu ms median", run(200, {"If-None-Match": etag}))
if os.environ.get("PROFILE"):
    revalidate = os.environ["PROFILE"] == "304"
    profile = cProfile.Profile()
    profile.enable()
    run(1000, {"If-None-Match": etag}) if revalidate else run(100)
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime" if revalidate else "cumulative").print_stats(35)
