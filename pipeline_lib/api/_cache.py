"""A small thread-safe in-memory cache whose entries expire after a fixed time."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Any, Callable, Optional

Clock = Callable[[], float]


class TTLCache:
    """Values kept for ``ttl_seconds`` of ``clock`` time; at most ``max_entries`` of them.

    The clock is injectable so that tests can move time forward. A TTL of 0 disables
    caching. When full, expired entries go first, then the oldest.
    """

    def __init__(
        self, ttl_seconds: float, *, clock: Optional[Clock] = None, max_entries: int = 512
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.clock: Clock = clock or time.monotonic
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Optional[Any]:
        """The live value of ``key``, or None (missing or expired)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if self.clock() >= expires:
                del self._entries[key]
                return None
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` under ``key`` for the TTL (no-op when the TTL is 0)."""
        if self.ttl_seconds <= 0:
            return
        with self._lock:
            now = self.clock()
            if key not in self._entries and len(self._entries) >= self.max_entries:
                self._evict(now)
            self._entries[key] = (now + self.ttl_seconds, value)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _evict(self, now: float) -> None:
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
