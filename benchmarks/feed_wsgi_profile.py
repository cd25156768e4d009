"""CPU per feed 304 against the bare hello-world, both called as WSGI apps in process (no server, no test client).

    URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> MIGRATE=1 .venv/bin/python benchmarks/feed_wsgi_profile.py
    PROFILE=1 URL=... .venv/bin/python benchmarks/feed_wsgi_profile.py   # plus cProfile (CPU time) of 5,000 304s
    KIND=member|staff .venv/bin/python benchmarks/feed_wsgi_profile.py   # that feed instead of the space's

Prints microseconds of process CPU per request, three rounds of 5,000 each: what the fast
path in front of Flask (booking.views.feeds.Revalidation) costs beside benchmarks.baseline's hello app.
"""
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.baseline import hello_app  # noqa: E402
from benchmarks.feed_setup import prepare  # noqa: E402

prepared = prepare(50)
app, path, etag = prepared.app, prepared.path, prepared.etag


def environ(where, extra):
    return {"REQUEST_METHOD": "GET", "PATH_INFO": where, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
            "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:8000", "wsgi.input": None,
            "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
            "wsgi.run_once": False, **extra}


def start_response(_status, _headers, _exc_info=None):
    return None


def cpu_us(wsgi, where, extra, n=5000):
    """Mean process CPU microseconds of n requests, after 200 to warm up."""
    for _ in range(200):
        list(wsgi(environ(where, extra), start_response))
    started = time.process_time()
    for _ in range(n):
        answer = wsgi(environ(where, extra), start_response)
        list(answer)
        getattr(answer, "close", lambda: None)()
    return (time.process_time() - started) / n * 1e6


hello = hello_app()
revalidate = {"HTTP_IF_NONE_MATCH": etag}
for _ in range(3):
    print(f"hello {cpu_us(hello, '/', {}):.1f} us  feed 304 {cpu_us(app, path, revalidate):.1f} us")
if os.environ.get("PROFILE"):
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    cpu_us(app, path, revalidate)
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(30)
