"""Reference data read once per process: domains, provinces and clusters, as every list page, filter form and the home
page show them.

Reference data changes only through migrations (``reference.loaders``) and the admin. Each process keeps the rows
it read, tagged with a version number held in the shared cache (``django.core.cache``: Redis in production, so every
web worker sees the same number); saving or deleting a reference row bumps the version (``signals`` below, connected
in ``ReferenceConfig.ready``), and every process reads the rows again on its next request. A process asks the shared
cache for the version at most once every ``VERSION_CHECK_SECONDS``; the process that made the change forgets its
rows at once.

The rows are model instances shared by every request of the process: read them, never change them. Their ``name``
follows the active language when read (``BilingualName``), so one list serves both languages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

from .models import City, Cluster, Domain, Province

VERSION_KEY = "reference:version"
VERSION_CHECK_SECONDS = 5.0

T = TypeVar("T")

_lock = threading.Lock()
_rows: dict[str, Any] = {}
_state = {"version": None, "checked": 0.0}


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY) or 1
    return int(version)


def _fresh() -> None:
    """Forget this process's rows when another process changed reference data (checked every few seconds)."""
    now = time.monotonic()
    if now - _state["checked"] < VERSION_CHECK_SECONDS:
        return
    version = _version()
    with _lock:
        if version != _state["version"]:
            _rows.clear()
            _state["version"] = version
        _state["checked"] = now


def _memo(name: str, compute: Callable[[], T]) -> T:
    _fresh()
    try:
        return _rows[name]
    except KeyError:
        value = compute()
        with _lock:
            _rows[name] = value
        return value


def reference_changed(**kwargs: Any) -> None:
    """A reference row was saved or deleted (admin, migrations): every process reads reference data again."""
    with _lock:
        _rows.clear()
        _state["checked"] = 0.0
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or the cache was emptied): start one past any a process may hold
        cache.set(VERSION_KEY, int(time.time()), None)


def domains() -> list[Domain]:
    """Every domain, in taxonomy order (top-level and subdomains)."""
    return _memo("domains", lambda: list(Domain.objects.order_by("position", "code")))


def top_domains() -> list[tuple[Domain, list[Domain]]]:
    """The top-level domains, each with its subdomains, in taxonomy order."""

    def compute() -> list[tuple[Domain, list[Domain]]]:
        every = domains()
        return [(top, [d for d in every if d.parent_id == top.code]) for top in every if top.parent_id is None]

    return _memo("top_domains", compute)


def domain_codes_with_descendants(codes: list[str] | set[str] | tuple[str, ...]) -> set[str]:
    """The given domain codes plus every subdomain of those that are top-level (as
    ``reference.selectors.domain_codes_with_descendants``, without a query)."""
    wanted = set(codes)
    return wanted | {d.code for d in domains() if d.parent_id in wanted}


def provinces() -> list[Province]:
    return _memo("provinces", lambda: list(Province.objects.order_by("code")))


def clusters() -> list[Cluster]:
    return _memo("clusters", lambda: list(Cluster.objects.order_by("code")))


def cities() -> list[City]:
    """Every city with its province (its label names the province)."""
    return _memo("cities", lambda: list(City.objects.select_related("province").order_by("code")))


REFERENCE_MODELS = (Domain, Province, City, Cluster)
