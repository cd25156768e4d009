"""Abuse limits (Flask-Limiter): sign-in, registration, password reset, second factor, anonymous forms, feeds.

Views declare which limits apply with `@limited("sign_in")`; `init_app` builds
one Limiter per app from the settings and wraps the marked views. Each limit is
a setting holding Flask-Limiter's notation ("5 per minute;20 per hour"), so
tests and benchmarks can raise them, and RATELIMIT_ENABLED=0 turns all off.

The client address is `request.remote_addr`: behind a trusted proxy that is
the address the proxy saw (ProxyFix, set up by the trusted-proxy setting), so a
forged X-Forwarded-For header never starts a fresh count. Counts live in
memory, or in Redis when RATELIMIT_STORAGE_URI names it, so that every worker
and host shares them; while Redis cannot be reached the app goes on counting in
its own memory and logs it (`FallbackRedisStorage`).

Feeds (RATELIMIT_FEED) count every GET and HEAD of one feed address from one client
address, 304s included. They are counted by `hit_feed_limit` in front of Flask
(booking.views.feeds.Revalidation), in this Limiter's storage (Redis: in batches, SharedWindows;
memory: LocalWindows), so a poll the fast path answers and one Flask answers use up the same
count, exactly once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request, session
from flask.wrappers import Response
from flask_limiter import Limiter
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
ATTR = "booking_rate_limits"


def client_address() -> str:
    """The client's address as the trusted proxies report it (see the module docstring)."""
    return request.remote_addr or "unknown"


def _form_email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def account_and_address() -> str:
    """The e-mail typed into the form and the client address: one count per account and client."""
    return f"{_form_email()}|{client_address()}"


def account() -> str:
    """The e-mail typed into the form: caps the mail one address can be sent."""
    return _form_email()


def pending_account() -> str:
    """The account waiting for its second factor (see booking.views.second_factor)."""
    return str(session.get("totp_user_id", "none"))


def signed_in_account() -> str:
    return str(current_user.get_id() or "none")


def registrant() -> str:
    """Who a public event registration mails: the address typed, or the signed-in member."""
    return _form_email() or f"member:{signed_in_account()}"


def _refused(response: Response) -> bool:
    """A refused attempt: a member who signs in at once uses up nothing."""
    return response.status_code in (401, 422)


def _done(response: Response) -> bool:
    """An accepted form (it redirects): typing errors never use up a limit that sends mail."""
    return response.status_code in (302, 303)


def _not_a_replay(counts: Callable[[Response], bool] | None) -> Callable[[Response], bool]:
    """Which answers a rule counts, a language switch's replay never among them (it is no attempt:
    booking.views.language); a limit already used up still refuses the replay before its view runs."""

    def counted(response: Response) -> bool:
        return not g.get("language_replay") and (counts is None or counts(response))

    return counted


@dataclass(frozen=True)
class Rule:
    setting: str
    key: Callable[[], str]
    counts: Callable[[Response], bool] | None = None  # which answers count; None: every POST


# Each named limit is one or more rules; every rule counts separately.
LIMITS: dict[str, tuple[Rule, ...]] = {
    "sign_in": (Rule("RATELIMIT_SIGN_IN_ACCOUNT", account_and_address, _refused),
                Rule("RATELIMIT_SIGN_IN_ADDRESS", client_address, _refused)),
    "register": (Rule("RATELIMIT_REGISTER", client_address, _done),
                 Rule("RATELIMIT_MAIL_PER_ACCOUNT", account, _done)),
    "password_reset": (Rule("RATELIMIT_PASSWORD_RESET", client_address, _done),
                       Rule("RATELIMIT_MAIL_PER_ACCOUNT", account, _done)),
    "second_factor": (Rule("RATELIMIT_SECOND_FACTOR", pending_account, _refused),),
    "account_mail": (Rule("RATELIMIT_MAIL_PER_ACCOUNT", signed_in_account, _done),),
    "anonymous_form": (Rule("RATELIMIT_ANONYMOUS_FORM", client_address),),
    # A registration mails its address (again, for one already registered): capped per address too.
    "event_registration": (Rule("RATELIMIT_ANONYMOUS_FORM", client_address),
                           Rule("RATELIMIT_MAIL_PER_ACCOUNT", registrant, _done)),
}


def limited(*names: str) -> Callable[[F], F]:
    """Mark a view for the named limits of LIMITS; they count POST requests only."""
    unknown = set(names) - set(LIMITS)
    if unknown:
        raise ValueError(f"unknown rate limits: {sorted(unknown)}")

    def mark(view: F) -> F:
        setattr(view, ATTR, (*getattr(view, ATTR, ()), *names))
        return view

    return mark


anonymous_form = limited("anonymous_form")


def _storage_uri(uri: str) -> str:
    """Redis URLs go through FallbackRedisStorage, so an outage never stops the app."""
    for scheme in ("redis", "rediss"):
        if uri.startswith(f"{scheme}://"):
            return f"fallback+{uri}"
    return uri or "memory://"


def init_app(app: Flask) -> Limiter:
    """Build this app's Limiter and wrap every view marked with `limited`."""
    config = app.config
    limiter = Limiter(
        key_func=client_address,
        storage_uri=_storage_uri(str(config.get("RATELIMIT_STORAGE_URI") or "")),
        storage_options={"socket_connect_timeout": 0.5, "socket_timeout": 0.5},  # type: ignore[dict-item]
        headers_enabled=False,  # Retry-After goes on the 429 page only (booking.views.errors)
        key_prefix=str(config.get("RATELIMIT_KEY_PREFIX") or "booking"),
        strategy="fixed-window",
        enabled=bool(config.get("RATELIMIT_ENABLED", True)),
    )
    limiter.init_app(app)
    _check_posts_only(app, limiter)
    for endpoint, view in list(app.view_functions.items()):
        wrapped: Any = view
        for name in getattr(view, ATTR, ()):
            for rule in LIMITS[name]:
                wrapped = limiter.limit(
                    str(config[rule.setting]), key_func=rule.key, methods=["POST"],
                    deduct_when=_not_a_replay(rule.counts), scope=f"{name}:{rule.setting}",
                )(wrapped)
        app.view_functions[endpoint] = wrapped
    app.extensions["booking_limiter"] = limiter
    return limiter


FEED_SCOPE = "feed"


class LocalWindows:
    """Fixed windows counted in this process's memory, for RATELIMIT_STORAGE_URI=memory://.

    `limits`' MemoryStorage starts an expiry thread after nearly every count (every 10 ms
    under load), which cut a sync worker's 304s to a fraction; feeds are polled far more
    often than forms are posted, so they count here instead: an ordered dict and a lock.
    At most MAX_WINDOWS windows are kept, in the order they started; a new one beyond that
    drops the one that started first, so a flood of distinct feed addresses costs the same
    per request as ordinary polling (a copy of the dict per new window once it was full had
    taken 7 ms a request after 20,000 addresses: the break-it run of 2026-11-29).
    """

    MAX_WINDOWS = 10_000  # a window is about 200 bytes: 2 MB a worker at most

    def __init__(self) -> None:
        # key -> [window end (epoch s), count], oldest window first
        self.windows: OrderedDict[tuple[object, ...], list[float]] = OrderedDict()
        self.lock = threading.Lock()

    def hit(self, item: RateLimitItem, key: tuple[str, ...], now: float) -> float | None:
        """Count one hit within `item`; None while within it, else when its window ends (epoch seconds)."""
        name = (item.amount, item.get_expiry(), *key)
        with self.lock:
            window = self.windows.get(name)
            if window is None or now >= window[0]:
                window = self.windows[name] = [now + item.get_expiry(), 0]
                self.windows.move_to_end(name)
                while len(self.windows) > self.MAX_WINDOWS:
                    self.windows.popitem(last=False)
            if window[1] >= item.amount:
                return window[0]
            window[1] += 1
            return None


class SharedWindows:
    """Fixed windows counted in Redis, shared by every worker and host, each process sending its hits in batches.

    Counting each poll in Redis (Flask-Limiter's strategy) cost a round trip per poll: it doubled
    the CPU of a 304 on PostgreSQL (profile line 'booking/limits.py(hit_feed_limit)' with
    'redis/commands/core.py(__call__)' under it: 263 us a 304 against 128 us counting in memory).
    Here each process counts in its own memory and sends what it counted in one pipelined round
    trip (INCRBY per window), once a window holds a batch of unsent hits (1/BATCH_SHARE of its
    limit, at least one: limits under BATCH_SHARE hits are sent at every hit, so they stay exact)
    or once the oldest unsent hit is FLUSH_SECONDS old. Each round trip brings back the shared
    counts and when their windows end (a window starts at its first hit that reaches Redis, as
    Flask-Limiter's fixed window does); a window is refused once the shared count last heard plus
    this process's unsent hits reach the limit.

    Tolerance: before it hears of other processes' hits, a process lets through at most one batch
    more than the limit, so across P processes (every worker of every host) one client gets at
    most limit + P x batch polls of a feed in a window (60 a minute, 4 workers: 72 at most); the
    counts in Redis lag at most a batch or FLUSH_SECONDS per process. While Redis cannot be reached
    the counts stay in this process (FallbackRedisStorage logs it and tries again every 30 s).
    """

    MAX_WINDOWS = LocalWindows.MAX_WINDOWS
    BATCH_SHARE = 20
    FLUSH_SECONDS = 1.0
    # a window: [end (epoch s), shared count last heard, hits not sent yet, key, seconds it lasts]
    END, KNOWN, UNSENT, KEY, EXPIRY = 0, 1, 2, 3, 4

    def __init__(self, storage: FallbackRedisStorage, prefix: str) -> None:
        self.storage = storage
        self.prefix = prefix
        self.windows: OrderedDict[tuple[object, ...], list[Any]] = OrderedDict()
        self.unsent: dict[tuple[object, ...], list[Any]] = {}
        self.oldest: float | None = None  # when the oldest unsent hit came
        self.lock = threading.Lock()

    def _window(self, item: RateLimitItem, key: tuple[str, ...], now: float) -> list[Any]:
        name = (item.amount, item.get_expiry(), *key)
        window = self.windows.get(name)
        if window is None or now >= window[self.END]:
            self.unsent.pop(name, None)  # hits of the window that ended: dropped
            window = self.windows[name] = [now + item.get_expiry(), 0, 0, item.key_for(self.prefix, FEED_SCOPE, *key),
                                           item.get_expiry()]
            self.windows.move_to_end(name)
            while len(self.windows) > self.MAX_WINDOWS:
                self.unsent.pop(self.windows.popitem(last=False)[0], None)
        return window

    def hit(self, items: list[RateLimitItem], key: tuple[str, ...], now: float) -> float | None:
        """Count one hit within every item; None while within all, else when the first broken window ends."""
        with self.lock:
            windows = [(item, self._window(item, key, now)) for item in items]
            for item, window in windows:
                if window[self.KNOWN] + window[self.UNSENT] >= item.amount:
                    return float(window[self.END])
            due = False
            for item, window in windows:
                window[self.UNSENT] += 1
                self.unsent[(item.amount, item.get_expiry(), *key)] = window
                due = due or window[self.UNSENT] >= max(1, item.amount // self.BATCH_SHARE)
            if self.oldest is None:
                self.oldest = now
            due = due or now - self.oldest >= self.FLUSH_SECONDS
        if not due:
            return None
        self.flush()
        with self.lock:
            for item, window in windows:
                if window[self.KNOWN] > item.amount:
                    return float(window[self.END])
        return None

    def flush(self) -> None:
        """Send every unsent hit in one pipelined round trip and take back the shared counts."""
        with self.lock:
            sending = list(self.unsent.values())
            counts = [window[self.UNSENT] for window in sending]
            for window in sending:  # counted here at once, whatever Redis answers
                window[self.KNOWN] += window[self.UNSENT]
                window[self.UNSENT] = 0
            self.unsent.clear()
            self.oldest = None
        if not sending:
            return
        sent_at = time.time()
        shared = self.storage.send_counts([(window[self.KEY], count, window[self.EXPIRY])
                                           for window, count in zip(sending, counts, strict=True)])
        if shared is not None:
            with self.lock:
                for window, (total, lasts_ms) in zip(sending, shared, strict=True):
                    window[self.KNOWN] = max(window[self.KNOWN], total)
                    if lasts_ms > 0:
                        window[self.END] = sent_at + lasts_ms / 1000


def _feed_state(app: Flask, limiter: Limiter) -> tuple[list[RateLimitItem], LocalWindows | SharedWindows | None]:
    """The feed limit's items and where this process counts them (None: the Limiter's own strategy)."""
    found = app.extensions.get("booking_feed_limits")
    if found is None:
        storage = limiter.storage
        counter: LocalWindows | SharedWindows | None = (
            LocalWindows() if isinstance(storage, MemoryStorage)
            else SharedWindows(storage, str(app.config.get("RATELIMIT_KEY_PREFIX") or "booking"))
            if isinstance(storage, FallbackRedisStorage) else None)
        found = app.extensions["booking_feed_limits"] = (list(parse_many(str(app.config["RATELIMIT_FEED"]))),
                                                         counter)
    return cast(tuple[list[RateLimitItem], LocalWindows | SharedWindows | None], found)


def hit_feed_limit(app: Flask, address: str, path: str) -> int | None:
    """Count one request of the feed at `path` from client `address` against RATELIMIT_FEED.

    Returns None while it is within every limit of the setting, else the seconds until
    the first broken one lets the client in again (at least 1). Counted in Redis in
    batches (SharedWindows: shared by every worker and host, within its stated tolerance),
    or in this process (LocalWindows) when the Limiter's storage is memory. Limits off
    (RATELIMIT_ENABLED=0, or before init_app): always None, nothing counted.
    """
    limiter: Limiter | None = app.extensions.get("booking_limiter")
    if limiter is None or not limiter.enabled:
        return None
    items, counter = _feed_state(app, limiter)
    now = time.time()
    if isinstance(counter, SharedWindows):
        ends = counter.hit(items, (address, path), now)
        return None if ends is None else max(1, int(ends - now))
    if isinstance(counter, LocalWindows):
        for item in items:
            ends = counter.hit(item, (address, path), now)
            if ends is not None:
                return max(1, int(ends - now))
        return None
    prefix = str(app.config.get("RATELIMIT_KEY_PREFIX") or "booking")
    strategy = limiter.limiter
    for item in items:
        if not strategy.hit(item, prefix, FEED_SCOPE, address, path):
            reset_at = strategy.get_window_stats(item, prefix, FEED_SCOPE, address, path).reset_time
            return max(1, int(reset_at - now))
    return None


def _check_posts_only(app: Flask, limiter: Limiter) -> None:
    """Run Flask-Limiter's before-request check on POST requests to the views `limited` marked only.

    Every limit here counts POSTs (`limited` marks views with methods=["POST"]) and there
    are no default or application-wide limits, so on any other method the check finds
    nothing to count; skipping it saves its limit filtering on every page (profile line
    'flask_limiter/_extension.py:1142(_check_request_limit)', 6 % of a signed-in page).
    Nor does it find anything on a POST to a view without limits (the booking form: the same
    profile line, about 0.6 ms of a booking POST under cProfile, no storage call), unless
    default, application or meta limits were configured after all: then every POST is checked.
    """
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check not in hooks:
        return
    marked = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, ATTR, ())}
    manager = limiter.limit_manager
    every_post = bool(getattr(manager, "_default_limits", True) or getattr(manager, "_application_limits", True)
                      or any(getattr(limiter, "_meta_limits", [True])))

    def check_posts() -> None:
        if request.method == "POST" and (every_post or request.endpoint in marked):
            check()

    hooks[hooks.index(check)] = check_posts


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets the client try again (at least 1)."""
    limiter: Limiter | None = current_app.extensions.get("booking_limiter")
    breached = limiter.current_limit if limiter is not None else None
    if breached is None:
        return 60
    return max(1, int(breached.reset_at - time.time()))


class FallbackRedisStorage(Storage):
    """Redis, and the process's memory while Redis cannot be reached.

    After a failure, Redis is tried again every RETRY_SECONDS; each switch is
    logged. Counts made in memory stay there (a short outage forgets little).
    """

    STORAGE_SCHEME = ["fallback+redis", "fallback+rediss"]
    RETRY_SECONDS = 30.0

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.uri = uri.removeprefix("fallback+")
        self.redis = RedisStorage(self.uri, **options)
        self.memory = MemoryStorage()
        self.down_until = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ()  # nothing escapes: every Redis error falls back to memory

    def _call(self, method: str, *args: Any) -> Any:
        if time.monotonic() >= self.down_until:
            try:
                result = getattr(self.redis, method)(*args)
            except self.redis.base_exceptions as error:
                self._unreachable(error)
            else:
                self._reachable()
                return result
        return getattr(self.memory, method)(*args)

    def _unreachable(self, error: Exception) -> None:
        log.error("rate-limit storage %s unreachable (%s): counting in memory, retrying in %.0f s",
                  self.uri, type(error).__name__, self.RETRY_SECONDS)
        self.down_until = time.monotonic() + self.RETRY_SECONDS

    def _reachable(self) -> None:
        if self.down_until:
            log.warning("rate-limit storage %s reachable again", self.uri)
            self.down_until = 0.0

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return int(self._call("incr", key, expiry, amount))

    def get(self, key: str) -> int:
        return int(self._call("get", key))

    def get_expiry(self, key: str) -> float:
        return float(self._call("get_expiry", key))

    def check(self) -> bool:
        return bool(self._call("check"))

    def reset(self) -> int | None:
        self.memory.reset()
        result = self._call("reset")
        return None if result is None else int(result)

    def clear(self, key: str) -> None:
        self._call("clear", key)

    # Adds hits to a window's count, starting the window (its expiry) with its first hit; returns the
    # count and the milliseconds the window has left.
    ADD_HITS = """
        local count = redis.call('INCRBY', KEYS[1], ARGV[1])
        local left = redis.call('PTTL', KEYS[1])
        if left < 0 then
            redis.call('EXPIRE', KEYS[1], ARGV[2])
            left = ARGV[2] * 1000
        end
        return {count, left}
    """

    def send_counts(self, counts: list[tuple[str, int, int]]) -> list[tuple[int, int]] | None:
        """Add each (key, hits, seconds a new window lasts) in one pipelined round trip: the new counts and
        the milliseconds their windows have left, or None while Redis cannot be reached (SharedWindows
        then keeps its counts in memory)."""
        if time.monotonic() < self.down_until:
            return None
        try:
            client: Any = self.redis.get_connection()  # redis.Redis (limits types it as a narrow protocol)
            script = self.__dict__.get("_add_hits") or self.__dict__.setdefault(
                "_add_hits", client.register_script(self.ADD_HITS))
            pipeline = client.pipeline(transaction=False)
            for key, hits, expiry in counts:
                script(keys=[self.redis.prefixed_key(key)], args=[hits, expiry], client=pipeline)
            answers = pipeline.execute()
        except self.redis.base_exceptions as error:
            self._unreachable(error)
            return None
        self._reachable()
        return [(int(count), int(left)) for count, left in answers]
