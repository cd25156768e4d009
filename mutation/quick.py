"""What mutation/run.py sets up in the mutmut process before mutmut starts: less work per mutant, same verdicts,
and every test starting with the product's process-wide caches empty.

mutmut forks one child per mutant from this process; each child runs a pytest session of the
tests that reached the mutated function, and every test builds an app with an engine of its own.
Profiled (one services mutant, 0.25–0.5 CPU-s when the first test kills it; a survivor runs
120–170 tests at 30–70 CPU-ms each), the work that was not the tests' own was:

- SQLAlchemy compiling the same statements again for every test: an engine keeps its compiled
  SQL in its own cache, keyed by its own dialect object, so a new engine compiles everything
  anew (a fifth to a third of a service test's CPU time). `share_compiled_sql` gives every engine
  one cache keyed by the dialect's class and the settings that change the SQL it writes, so a
  statement compiled by one test's engine is reused by the next; a statement's cache key is
  SQLAlchemy's own (its structure, not its values), so a mutated statement is compiled anew;
- pytest's end-of-session `gc.collect()` (the unraisable-exception plugin's gc_collect_harder, at
  unconfigure): the child exits right after it, and an exception raised in a `__del__` during a
  test is still reported at that test's teardown;
- (not a saving: a correction) the product's caches that live as long as the process (BoundedCache
  instances and functools caches at module level in booking/: the kept mail bodies, the feed event
  values, the week facts, …) were filled by the stats run in the mutmut process, and every mutant's
  session is a fork of it: a mutated function behind such a cache was never called in the fork
  (notifications._template_body behind _kept_bodies survived tests that kill it), and the stats
  tied it only to the test that first filled each entry. `fresh_caches` empties them before every
  test, in the stats run and in each mutant's session, as a test of its own process would find them;
  so are the plain dicts that keep a statement compiled once per process (`_MEMO_DICTS`: not
  found by type, since other module-level dicts are registries that must stay): with them kept,
  a mutant of what fills them (queue_version's compile, report_cache._compiled and the version
  query it builds) was never run in a mutant's session and survived whatever the tests checked;
- the cyclic collector's young collections of every app, engine and statement the tests build
  (threshold 700 -> 20,000). Nothing in the code under test depends on when a collection happens.
"""

from __future__ import annotations

import gc
import sys
from typing import Any


class _SharedCompiledSQL:
    """An engine's compiled cache whose keys name the dialect by class and settings, not by instance."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    @staticmethod
    def _key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        dialect = key[0]
        settings = (type(dialect), dialect.paramstyle, dialect.server_version_info, dialect.label_length,
                    dialect.max_identifier_length, getattr(dialect, "use_insertmanyvalues", None))
        return (settings, *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return self.cache.get(self._key(key), default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self.cache[self._key(key)] = value

    def clear(self) -> None:
        self.cache.clear()


def share_compiled_sql() -> None:
    """Every engine made from now on (Flask-SQLAlchemy calls engine_from_config) shares one compiled cache."""
    import sqlalchemy.engine.create as create
    from sqlalchemy.util import LRUCache

    shared: LRUCache[Any, Any] = LRUCache(5000)
    make_engine = create.create_engine

    def create_engine(*args: Any, **kwargs: Any) -> Any:
        engine = make_engine(*args, **kwargs)
        if engine._compiled_cache is not None:  # None: the caller asked for no cache
            engine._compiled_cache = _SharedCompiledSQL(shared)  # type: ignore[assignment]
        return engine

    create.create_engine = create_engine


# Module-level dicts that memoise a statement per dialect (or per shape) for the life of the process.
_MEMO_DICTS = (
    ("booking.services.queue_version", "_SQL"),
    ("booking.services.report_cache", "_COMPILED"),
    ("booking.services.new_booking", "_statements"),
)


def _product_caches() -> list[Any]:
    from booking.caches import BoundedCache

    found = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "booking" or name.startswith("booking.")):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, BoundedCache) or callable(getattr(type(value), "cache_clear", None)):
                found.append(value)
    for module_name, attribute in _MEMO_DICTS:
        module = sys.modules.get(module_name)
        if module is not None:
            found.append(getattr(module, attribute))  # an AttributeError here: the list is out of date
    return found


class _FreshCaches:
    """A pytest plugin: the product's caches emptied before each test."""

    def pytest_runtest_setup(self, item: Any) -> None:
        for cache in _product_caches():
            if callable(getattr(type(cache), "cache_clear", None)):
                cache.cache_clear()
            else:
                cache.clear()


def fresh_caches() -> None:
    """Every pytest session mutmut runs (stats, mutants, listing) gets the _FreshCaches plugin."""
    from mutmut.runners.harness import PytestRunner

    execute_pytest = PytestRunner.execute_pytest

    def with_fresh_caches(self: Any, params: list[str], **kwargs: Any) -> int:
        kwargs["plugins"] = [*kwargs.get("plugins", []), _FreshCaches()]
        return int(execute_pytest(self, params, **kwargs))

    PytestRunner.execute_pytest = with_fresh_caches  # type: ignore[method-assign]


def without_last_gc() -> None:
    import _pytest.unraisableexception as unraisable

    unraisable.gc_collect_harder = lambda iterations: None


def without_clean_run() -> None:
    """mutmut without its "clean tests" run (every selected test once more, unmutated), which the
    stats run has just done when it ran."""
    from mutmut.workers import isolation

    def skipped(self: Any, tests: Any) -> int:
        return 0

    isolation.ForkServerRunner.run_clean_tests = isolation.ForkRunner.run_clean_tests = skipped  # type: ignore[method-assign]


def main(clean_run: bool) -> None:
    share_compiled_sql()
    fresh_caches()
    without_last_gc()
    gc.set_threshold(20_000, 10, 10)
    if not clean_run:
        without_clean_run()

    from mutmut.__main__ import cli

    sys.argv[0] = "mutmut"
    cli()
