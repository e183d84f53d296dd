"""Version numbers in the shared cache (Redis in production): what is kept under a key that holds the number is stale
once the number moves, in every process at once, without finding and deleting the kept entries."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


MEMO_SECONDS = 1.0


class SharedVersion:
    """One number under ``key``; it starts at the current time (so that a cache emptied and filled again never
    meets an old number) and moves up by one at each change. A process reads it from the shared cache at most once
    every ``memo_seconds`` (pages ask for it several times a request): a change made by another process shows there
    within that time, one made by this process at once."""

    def __init__(self, key: str, memo_seconds: float = MEMO_SECONDS) -> None:
        self.key = key
        self.memo_seconds = memo_seconds
        self._memo: tuple[float, int] | None = None  # (when read, the number): this process's

    def get(self) -> int:
        memo = self._memo
        now = time.monotonic()
        if memo is not None and now - memo[0] < self.memo_seconds:
            return memo[1]
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, int(time.time()), None)
            version = cache.get(self.key) or 0
        self._memo = (now, int(version))
        return int(version)

    def bump(self) -> None:
        try:
            version = int(cache.incr(self.key))
        except ValueError:
            version = int(time.time())
            cache.set(self.key, version, None)
        self._memo = (time.monotonic(), version)

    def changed(self, **kwargs: object) -> None:
        """A signal receiver: bumped now and once more when the transaction commits (a request that read the old
        rows in between must not keep what it built from them)."""
        self.bump()
        transaction.on_commit(self.bump)

    def kept(self, name: str, build: Callable[[], T], seconds: int = 300) -> T:
        """What ``build`` returns, kept under ``name`` at the current number (for at most ``seconds``): built again
        once the number moved."""
        return kept_at([self], f"{self.key}:{name}", build, seconds)


def kept_at(
    versions: Sequence[SharedVersion],
    name: str,
    build: Callable[[], T],
    seconds: int = 60,
    keep_if: Callable[[T], bool] | None = None,
) -> T:
    """What ``build`` returns, kept under ``name`` while none of ``versions`` moves (for at most ``seconds``); with
    ``keep_if``, only what it accepts is kept (the rest is built again at the next call)."""
    key = "kept:" + ":".join(str(version.get()) for version in versions) + f":{name}"
    kept = cache.get(key)  # (value,): a value of None is kept too
    if kept is None:
        kept = (build(),)
        if keep_if is None or keep_if(kept[0]):
            cache.set(key, kept, seconds)
    return kept[0]
