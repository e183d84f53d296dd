"""The shared cache on a real Redis (production's): the product's backend (one client per pool), version numbers seen
across processes, members' sessions read from it and written through to the database."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core.versions import SharedVersion
from tests.factories import MembershipFactory

from .conftest import REDIS_URL

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_cache(services, settings):  # type: ignore[no-untyped-def]
    settings.CACHES = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    cache.clear()
    yield cache
    cache.clear()


def test_the_backend_keeps_one_client_and_works_as_a_cache(redis_cache):
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client() is client
    assert redis_cache._cache.get_client(write=True) is client  # one server: one pool, one client
    redis_cache.set("a", {"b": [1, "二"]}, 30)
    redis_cache.set_many({"c": 3, "d": None}, 30)
    assert redis_cache.get("a") == {"b": [1, "二"]}
    assert redis_cache.get_many(["a", "c", "d", "missing"]) == {"a": {"b": [1, "二"]}, "c": 3, "d": None}
    assert redis_cache.incr("c") == 4
    redis_cache.delete("a")
    assert redis_cache.get("a") is None
    assert client.ping()


def test_a_version_moved_by_another_process_shows_within_its_memo(redis_cache):
    here, there = SharedVersion("test:version", memo_seconds=0.3), SharedVersion("test:version", memo_seconds=0.3)
    start = here.get()
    assert there.get() == start
    there.bump()
    assert there.get() == start + 1  # its own change: at once
    assert here.get() == start  # another process's: not before its memo runs out ...
    time.sleep(0.35)
    assert here.get() == start + 1  # ... and then
    assert here.kept("x", lambda: "built") == "built"
    assert here.kept("x", lambda: "again") == "built"
    there.bump()
    time.sleep(0.35)
    assert here.kept("x", lambda: "again") == "again"


def test_a_members_session_is_read_from_redis_and_ends_everywhere(redis_cache):
    user = MembershipFactory().user
    client = Client()
    client.force_login(user)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()  # written through to the database
    assert redis_cache.get(f"django.contrib.sessions.cached_db{key}") is not None
    assert client.get(reverse("dashboard:home")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert redis_cache.get(f"django.contrib.sessions.cached_db{key}") is None
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get(reverse("dashboard:home")).status_code == 302  # signed out for every process
