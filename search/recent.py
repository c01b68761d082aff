"""A bounded map of recent results: naba's one cache helper."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class Recent:
    """Keeps the most recently used values up to ``limit`` in all, each counted as
    ``size(value)`` (1 by default), and drops the least recently used first. Thread-safe."""

    def __init__(self, limit: int, size: Callable[[Any], int] = lambda _value: 1) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._limit = limit
        self._size = size
        self._used = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value kept under ``key`` (now the most recent), or ``default``."""
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` under ``key``; the oldest go while over the limit (never the last)."""
        with self._lock:
            if key in self._items:
                self._used -= self._size(self._items.pop(key))
            self._items[key] = value
            self._used += self._size(value)
            while self._used > self._limit and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._used -= self._size(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._used = 0
