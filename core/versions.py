"""Version numbers in the shared cache (Redis in production): what is kept under a key that holds the number is stale
once the number moves, in every process at once, without finding and deleting the kept entries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


class SharedVersion:
    """One number under ``key``; it starts at the current time (so that a cache emptied and filled again never
    meets an old number) and moves up by one at each change."""

    def __init__(self, key: str) -> None:
        self.key = key

    def get(self) -> int:
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, int(time.time()), None)
            version = cache.get(self.key) or 0
        return int(version)

    def bump(self) -> None:
        try:
            cache.incr(self.key)
        except ValueError:
            cache.set(self.key, int(time.time()), None)

    def changed(self, **kwargs: object) -> None:
        """A signal receiver: bumped now and once more when the transaction commits (a request that read the old
        rows in between must not keep what it built from them)."""
        self.bump()
        transaction.on_commit(self.bump)

    def kept(self, name: str, build: Callable[[], T], seconds: int = 300) -> T:
        """What ``build`` returns, kept under ``name`` at the current number (for at most ``seconds``): built again
        once the number moved."""
        key = f"{self.key}:{self.get()}:{name}"
        kept = cache.get(key)  # (value,): a value of None is kept too
        if kept is None:
            kept = (build(),)
            cache.set(key, kept, seconds)
        return kept[0]
