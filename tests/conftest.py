"""Shared fixtures: a migrated database per test (SQLite file or PostgreSQL), app, client, factories.

The suite runs on SQLite by default. With TEST_DATABASE_URL set (PostgreSQL), the
same tests run there: the schema is migrated once, and every table is emptied after
each test. With CI set, a skipped test fails the run.

Under pytest-xdist (`-n 3`, as `make test` runs) every worker is a process of its own
with a database of its own: PostgreSQL `<TEST_DATABASE_URL's database>_gw0`, `_gw1`…,
created at the start of the worker's session and dropped at its end; SQLite files and
every server port were per test already (tmp_path, port 0).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time as clock
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
import vobject.icalendar
from argon2 import PasswordHasher
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from sqlalchemy import Engine, Integer, create_engine, make_url, select, text
from sqlalchemy.pool import NullPool
from werkzeug.routing.rules import Rule

from booking import create_app
from booking.demo import DEADLINE_MARGIN
from booking.domain.totp import time_step
from booking.extensions import db
from booking.models import Booking, BookingHold, OpeningPeriod, Space, User
from booking.services import accounts
from booking.services.accounts import hash_password

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"… in a pytest-xdist worker, else ""
BASE_PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def worker_database_url(url: str, worker: str) -> str:
    """The PostgreSQL database of one xdist worker: `<name>_<worker>` next to `<name>`."""
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


PG_URL = worker_database_url(BASE_PG_URL, WORKER)
PASSWORD = "correct horse battery"

_CSRF_VALUE = re.compile(r'name="csrf_token"([^>]*?) value="[^"]*"')  # any attributes between (type="hidden")


def without_csrf_tokens(page: str) -> str:
    """`page` with its forms' CSRF token values set aside: Flask-WTF signs each with the second it
    was made in, so two renderings of one page a second apart differ only there."""
    return _CSRF_VALUE.sub(r'name="csrf_token"\1 value="TOKEN"', page)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')



_compile_builder = Rule._compile_builder
_BUILDERS: dict[tuple[Any, ...], Any] = {}


def _same_builder(rule: Rule, append_unknown: bool = True) -> Any:
    """Werkzeug's URL builder of a rule, compiled once per run instead of once per app.

    Every test makes its own app (create_app), and compiling the builders of its ~300
    rules (Python code generated through `ast` and `compile`) was 80 % of create_app:
    0.1–0.5 s a test. The builder is plain code made from the rule's text, defaults and
    converters, bound to its rule at each call; equal inputs give equal code, so the same
    code is reused for the equal rule of the next app. Test-only: the product is untouched.
    """
    key = (rule.rule, rule.host, rule.subdomain, append_unknown, tuple(rule._trace),
           repr(sorted((rule.defaults or {}).items())),
           tuple((name, type(conv), conv.regex) for name, conv in rule._converters.items()))
    builder = _BUILDERS.get(key)
    if builder is None:
        builder = _BUILDERS[key] = _compile_builder(rule, append_unknown)
    return builder


Rule._compile_builder = _same_builder  # type: ignore[method-assign]


class _SharedTemplateCode(BytecodeCache):
    """Jinja's compiled templates, kept in memory for every app of the run.

    Each app has its own Jinja environment, so each test compiled again every template
    it rendered (lexing, parsing, code generation: a third of the CPU time of page tests).
    Jinja's own bytecode cache checks the template's source checksum on every load; the
    key also holds the environment's settings that change the generated code.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        settings = (sorted(environment.extensions), environment.trim_blocks, environment.lstrip_blocks,
                    environment.optimized, getattr(environment, "newstyle_gettext", None),
                    environment.block_start_string, environment.variable_start_string)
        bucket = Bucket(environment, repr((self.get_cache_key(name, filename), settings)),
                        self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _SharedTemplateCode()
_create_jinja_environment = Flask.create_jinja_environment


def _jinja_environment_sharing_code(app: Flask) -> Any:
    environment = _create_jinja_environment(app)
    environment.bytecode_cache = _TEMPLATE_CODE
    return environment


Flask.create_jinja_environment = _jinja_environment_sharing_code  # type: ignore[method-assign]

# Argon2 at the production cost (19 MiB, 2 passes) is 60–250 ms a hash or check here, and
# the suite signs in some hundreds of times. Tests of this process hash and check with the
# cheapest parameters instead: the same code paths (argon2id, verify, needs-rehash) at a
# cost of below a millisecond. Real server processes (tests/faults) keep the production
# cost; what they check is hashed with PRODUCTION_HASHER.
PRODUCTION_HASHER = accounts.hasher
accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
accounts._DUMMY_HASH = accounts.hasher.hash("not a password of anyone")


def engine_name() -> str:
    return "postgresql" if PG_URL else "sqlite"


def migrate_to_head(url: str, instance: Path) -> None:
    """Upgrade an empty database to the newest migration, as `flask db upgrade` does."""
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
    app.instance_path = str(instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _on_server(url: str, statement: str) -> None:
    """Run CREATE/DROP DATABASE on the server of `url` (connected to that URL's database)."""
    import psycopg

    admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


@pytest.fixture(scope="session", autouse=True)
def worker_database() -> Iterator[None]:
    """This xdist worker's own PostgreSQL database, fresh for the session and dropped after it.

    Autouse: tests/test_migrations.py reaches the server through PG_URL without a database_url.
    """
    if PG_URL == BASE_PG_URL:
        yield
        return
    name = make_url(PG_URL).database
    _on_server(BASE_PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _on_server(BASE_PG_URL, f'CREATE DATABASE "{name}"')
    yield
    _on_server(BASE_PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def cleaning_engine(worker_database: None) -> Iterator[Engine | None]:
    """One engine for emptying the PostgreSQL tables after each test (None on SQLite)."""
    if not PG_URL:
        yield None
        return
    # No pool: some fault tests end every connection to the database (as a restart does).
    engine = create_engine(PG_URL, poolclass=NullPool)
    yield engine
    engine.dispose()


def empty_every_table(engine: Engine) -> None:
    """What TRUNCATE … RESTART IDENTITY did, in a tenth of its time on tables of a few rows.

    TRUNCATE gives every table new files, 0.1–0.7 s per test here; DELETE of the few rows
    a test wrote, children first, and every sequence back to 1 leave the same empty state.
    """
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        for name in tables:
            conn.execute(text(f'DELETE FROM "{name}"'))
        conn.execute(text(
            "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = current_schema()"))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory, worker_database: None) -> str:
    """A database at head: a SQLite template file to copy, or the PostgreSQL URL.

    The SQLite template is migrated once per process (see sqlite_template), not once per session.
    """
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        migrate_to_head(PG_URL, tmp_path_factory.mktemp("pg-instance"))
        return PG_URL
    return sqlite_template(tmp_path_factory)


_SQLITE_TEMPLATE: list[bytes] = []


def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The SQLite file at head that every test copies, migrated once per process.

    mutmut (mutation/run.py) runs one pytest session per mutant, in a fork of the process that
    ran its stats and forced-fail sessions: migrating anew in each was 0.2 s of CPU per mutant
    (half of it, for one that one quick test kills). The first session keeps the migrated file's
    bytes; a later session of the process, or of a fork of it, writes them into its own folder.
    The file is only ever copied, never opened, and migrations/ calls nothing in booking/ that
    mutmut mutates, so the bytes are what a fresh migration gives.
    """
    path = sqlite_folder() / "template.sqlite"
    if _SQLITE_TEMPLATE:
        path.write_bytes(_SQLITE_TEMPLATE[0])
        return str(path)
    migrate_to_head(f"sqlite:///{path}", tmp_path_factory.mktemp("template"))
    _SQLITE_TEMPLATE.append(path.read_bytes())
    return str(path)


_SQLITE_FOLDER: list[Path] = []


def sqlite_folder() -> Path:
    """Where this process keeps its SQLite test databases: in memory-backed /dev/shm when it has room.

    A SQLite commit and a close in WAL mode wait for fsync: on the shared disk that was
    20–40 ms each, seconds per test file. The databases are the same files with the same
    WAL and locks, only in tmpfs (Linux). Removed at the end of the session.
    """
    if not _SQLITE_FOLDER:
        shm = Path("/dev/shm")
        roomy = shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 1 << 30
        _SQLITE_FOLDER.append(Path(tempfile.mkdtemp(prefix="booking-tests-", dir=shm if roomy else None)))
    return _SQLITE_FOLDER[0]


@pytest.fixture(scope="session", autouse=True)
def _remove_sqlite_folder() -> Iterator[None]:
    yield
    for folder in _SQLITE_FOLDER:
        shutil.rmtree(folder, ignore_errors=True)
    # A second session in this process (mutmut runs its stats, then forks one per mutant)
    # makes a folder of its own instead of reusing the one just removed.
    _SQLITE_FOLDER.clear()


@pytest.fixture
def database_url(migrated_template: str, cleaning_engine: Engine | None, tmp_path: Path) -> Iterator[str]:
    """A fresh database at head for one test."""
    if cleaning_engine is not None:
        yield PG_URL
        empty_every_table(cleaning_engine)
        return
    folder = Path(tempfile.mkdtemp(dir=sqlite_folder()))
    path = folder / "test.sqlite"
    shutil.copyfile(migrated_template, path)
    yield f"sqlite:///{path}"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra settings for the test app; a folder's conftest overrides this to add its own."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": "localhost",
        "BASE_URL": "http://localhost",
        **app_config,
    })
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class Client(FlaskClient):
    """A test client that knows the CSRF token of its session."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Start every request with an empty `g`, as a real server does.

        The `app` fixture keeps one app context for the whole test, so without this
        Flask-Login's user, Flask-Babel's locale and Flask-WTF's token would leak
        from one request into the next and hide a broken cookie or language switch.
        """
        if has_app_context():
            vars(g._get_current_object()).clear()
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        page = self.get("/login").get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, "no CSRF token on the login page"
        return match.group(1)

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form the way a browser would: with this session's CSRF token."""
        payload = {"csrf_token": self.csrf_token(), **(data or {})}
        return self.post(url, data=payload, **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> Any:
        """Sign in; an admin is asked for a code, which the test authenticator gives."""
        response = self.submit("/login", {"email": email, "password": password})
        if response.status_code == 302 and response.headers["Location"].endswith("/login/code"):
            response = self.submit("/login/code", {"code": totp_code(email)})
        return response


@pytest.fixture
def locked_spaces(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The space ids of the write transactions begun from here on (None: a transaction under no space's
    lock); clear it after a test's setup to see only what the step under test locks."""
    from contextlib import contextmanager

    from booking.services import transactions

    locked: list[int | None] = []
    original = transactions.write_transaction

    @contextmanager
    def watched(space_id: int | None, **options: Any) -> Any:
        locked.append(space_id)
        with original(space_id, **options) as session:
            yield session

    monkeypatch.setattr(transactions, "write_transaction", watched)
    return locked


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


_HASH: dict[str, str] = {}
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the test admins' authenticator app


def totp_code(email: str) -> str:
    """A code the app accepts now and for the next half minute at least.

    The step is the current one (or the one after the last this admin used, waiting
    for it to come round); never the previous one, which the server stops accepting
    if a 30-second boundary passes between making the code and checking it. The
    last step is read on a connection of its own, so a session snapshot taken
    before another sign-in cannot hide it.
    """
    with db.engine.connect() as connection:
        row = connection.execute(
            select(User.totp_secret, User.totp_last_step).where(User.email == email)).one()
    secret, last_step = row
    assert secret
    step = max(time_step(clock.time()), (last_step or 0) + 1)
    while step > time_step(clock.time()) + 1:
        clock.sleep(0.2)
    return pyotp.TOTP(secret).generate_otp(step)


@pytest.fixture
def create_user(app: Flask) -> Callable[..., User]:
    """Factory: create_user(role="staff", email=...) with the password PASSWORD."""
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> User:
        n = next(counter)
        if "hash" not in _HASH:
            _HASH["hash"] = hash_password(PASSWORD)
        values: dict[str, Any] = dict(
            email=f"member{n}@example.jp", name=f"Member {n}", organisation="Test Org",
            org_kind="company", role="member", locale="ja", password_hash=_HASH["hash"],
            email_verified_at=datetime.now(UTC),
        )
        if values["role"] == "admin" or overrides.get("role") == "admin":
            values["totp_secret"] = TOTP_SECRET
        values.update(overrides)
        user = User(**values)
        db.session.add(user)
        db.session.commit()
        return user

    return make


OPEN_ALL_WEEK = {day: ((time(9), time(21)),) for day in range(7)}


@pytest.fixture
def create_space(app: Flask) -> Callable[..., Space]:
    """Factory: create_space(kind="pooled", unit_count=24, hours={weekday: ((open, close),)})."""
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> Space:
        n = next(counter)
        hours = overrides.pop("hours", OPEN_ALL_WEEK)
        values: dict[str, Any] = dict(
            slug=f"space-{n}", name_ja=f"スペース{n}", name_en=f"Space {n}", kind="exclusive",
            unit_count=1, timezone="Asia/Tokyo", slot_minutes=30, min_minutes=30,
            max_minutes=480, setup_minutes=0, teardown_minutes=0, close_on_holidays=False,
            min_notice_minutes=0, max_days_ahead=365, requires_approval=False,
        )
        values.update(overrides)
        space = Space(**values)
        for weekday, periods in hours.items():
            for open_time, close_time in periods:
                space.opening_hours.append(
                    OpeningPeriod(weekday=weekday, open_time=open_time, close_time=close_time,
                                  close_next_day=close_time <= open_time)
                )
        db.session.add(space)
        db.session.commit()
        return space

    return make


def future_day(days: int = 7) -> datetime:
    """Midnight UTC some days from now: a base for times that are never in the past."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


@pytest.fixture
def create_booking(app: Flask) -> Callable[..., Booking]:
    """Factory writing a booking and its holds directly (bypassing the rules)."""

    def make(space: Space, user: User, start_dt: datetime, end_dt: datetime, **overrides: Any) -> Booking:
        units = overrides.pop("units", (1,))
        status = overrides.pop("status", "confirmed")
        booking = Booking(space=space, user=user, start_dt=start_dt, end_dt=end_dt,
                          title=overrides.pop("title", "Test booking"), status=status,
                          seats=len(units), **overrides)
        for unit in units:
            booking.holds.append(BookingHold(
                space_id=space.id, unit_no=unit,
                occupied_start=start_dt - timedelta(minutes=space.setup_minutes),
                occupied_end=end_dt + timedelta(minutes=space.teardown_minutes),
                is_active=status in ("confirmed", "pending"),
            ))
        db.session.add(booking)
        db.session.commit()
        return booking

    return make


_DEMO_ROWS: dict[str, Any] = {}
# A copy older than this is seeded afresh: the demo is laid out around "now". Half of the demo's
# DEADLINE_MARGIN (1 h): a request it left waiting still has 30 minutes before its deadline.
DEMO_ROWS_KEPT_S = DEADLINE_MARGIN.total_seconds() / 2


@pytest.fixture
def seeded_demo(app: Flask) -> None:
    """This test's database holds the demo data of `booking.demo.seed_demo`, as just seeded.

    seed_demo books some 140 requests through the booking service: 4–10 s, on every test
    that reads the demo. The first such test of a process seeds; the rows of every table
    are kept, and the next tests (on the same Tokyo day, within DEMO_ROWS_KEPT_S) get a copy
    of them inserted table by table (and PostgreSQL's sequences moved past them), which is
    the state the seeding left. Tests of the seeding itself (twice, no mail, the setup
    command) call seed_demo, not this.
    """
    from zoneinfo import ZoneInfo

    from booking.demo import seed_demo

    tables = db.metadata.sorted_tables
    day = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    kept = _DEMO_ROWS.get("rows")
    if kept is None or _DEMO_ROWS["day"] != day or clock.monotonic() - _DEMO_ROWS["at"] > DEMO_ROWS_KEPT_S:
        assert seed_demo()["bookings"] > 0
        db.session.commit()
        rows = {table.name: [dict(row._mapping) for row in db.session.execute(select(table))] for table in tables}
        db.session.rollback()
        # Rows whose insert fires a counting trigger (registrations) would be counted twice: seed those afresh.
        if not rows["registrations"]:
            _DEMO_ROWS.update(rows=rows, day=day, at=clock.monotonic())
        return
    for table in tables:
        if kept[table.name]:
            db.session.execute(table.insert(), kept[table.name])
    if engine_name() == "postgresql":
        for table in tables:
            key = list(table.primary_key.columns)
            if len(key) == 1 and isinstance(key[0].type, Integer) and kept[table.name]:
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{key[0].name}'), "
                    f"(SELECT max(\"{key[0].name}\") FROM \"{table.name}\"))"))
    db.session.commit()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: PostgreSQL and browser tests must really run."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) skipped; failing the run.", red=True)
        session.exitstatus = 1


def shown_day(day: date, locale: str = "ja") -> str:
    """A day as pages and mail show it: 2026年12月2日(水) / Wed 2 Dec 2026 (then ", 15:00")."""
    if locale == "ja":
        return f"{day.year}年{day.month}月{day.day}日({'月火水木金土日'[day.weekday()]})"
    return f"{day:%a} {day.day} {day:%b %Y}"


# Under pytest-xdist (`make test` runs three workers): the tests that start many OS processes
# (race tests, real gunicorn and PostgreSQL fault tests: the modules marked slow) run one at
# a time on one worker, so two of them never compete for the two cores and miss their
# timeouts. That group is handed out first, being the biggest unit of work; the workers'
# collection puts the longest single tests next, so no worker ends the run alone with a
# long one. (xdist's own --dist loadgroup cannot do it with pytest 9.2: it renames the node
# ids through an attribute pytest no longer reads, so its groups come out empty.)
PROCESS_GROUP = "real-processes"
PROCESS_TESTS = ("tests/concurrency/test_racing_", "tests/concurrency/test_feed_validator_race.py",
                 "tests/staff/test_racing_approvals.py", "tests/faults/test_real_processes.py",
                 "tests/events/running/test_racing_checkins.py")
LONGEST_FIRST = ("tests/hostile/test_requests.py", "tests/services/test_demo.py", "tests/security/test_demo_data.py",
                 "tests/mail/test_delivery.py", "tests/feeds/test_validator_properties.py", "tests/jobs/test_runner.py",
                 "tests/accounts/test_verification.py", "tests/feeds/test_robustness_and_size.py",
                 "tests/hostile/test_stored.py", "tests/services/test_series.py", "tests/e2e/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    strays = [item.nodeid for item in items
              if item.get_closest_marker("slow") and not item.nodeid.startswith(PROCESS_TESTS)]
    if strays:
        raise pytest.UsageError(f"marked slow but not in PROCESS_TESTS of tests/conftest.py: {strays[:5]}")
    if WORKER:  # the workers collect; the order they report is the order work is handed out
        items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown with -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With --dist loadgroup: one unit of work for PROCESS_TESTS, one for every other test."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ProcessesTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return PROCESS_GROUP if nodeid.startswith(PROCESS_TESTS) else nodeid

    return ProcessesTogether(config, log)


_VOBJECT_ZONES = vars(vobject.icalendar)["__tzidMap"]  # vobject's process-wide TZID -> tzinfo registry
_VOBJECT_ZONES_AT_IMPORT = dict(_VOBJECT_ZONES)


@pytest.fixture(autouse=True)
def vobject_reads_each_calendars_own_zones() -> Iterator[None]:
    """Empty vobject's TZID registry after each test, as a calendar app starts with none.

    vobject keeps the first VTIMEZONE it reads for a TZID for the rest of the process and reads
    every later calendar's times with it, whatever VTIMEZONE that calendar carries. A one-booking
    .ics (this year's rules only) read first by one test made vobject read another test's feed of
    next year's bookings an hour off, depending on which tests an xdist worker ran before.
    """
    yield
    _VOBJECT_ZONES.clear()
    _VOBJECT_ZONES.update(_VOBJECT_ZONES_AT_IMPORT)
