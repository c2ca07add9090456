"""A tiny time-bounded cache in process memory, for what a crowd reads over and over."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class ShortLivedCache(Generic[T]):
    """Values kept for `seconds`, then loaded again: a crowd refreshing a page costs the
    database one query per key per interval, per process, instead of one per visitor."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, T]] = {}

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self.seconds:
            return entry[1]
        value = load()
        with self._lock:
            if len(self._entries) > 10_000:  # bounded, whatever keys arrive
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
