"""A bounded least-recently-used cache for values that are pure functions of their key.

Used where a page's costly part depends only on values the request loads anyway
(the week grid's facts, its rendered HTML): the key holds all of them, so an entry is
never stale and nothing expires by the clock. Each worker process has its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar, cast

from flask import current_app

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """At most `max_size` worth of values (each measured by `size`, 1 by default), least recently used out first."""

    def __init__(self, max_size: int, size: Callable[[V], int] = lambda _value: 1) -> None:
        self.max_size = max_size
        self.size = size
        self.used = 0
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V) -> None:
        weight = self.size(value)
        if weight > self.max_size:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.used -= previous[1]
            self._entries[key] = (value, weight)
            self.used += weight
            while self.used > self.max_size:
                _key, (_value, dropped) = self._entries.popitem(last=False)
                self.used -= dropped

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.used = 0


def app_cache(name: str, max_size: int, size: Callable[[V], int] | None = None) -> BoundedCache[V]:
    """The current app's cache `name`, made on first use and kept in `app.extensions[name]`.

    One per app and worker process, as the data its keys count on belongs to the app's database.
    `max_size` and `size` are BoundedCache's (1 per value when `size` is None).
    """
    extensions = current_app.extensions
    found = extensions.get(name)
    if found is None:
        found = extensions.setdefault(name, BoundedCache(max_size) if size is None else BoundedCache(max_size, size))
    return cast(BoundedCache[V], found)
