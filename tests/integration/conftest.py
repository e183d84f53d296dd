"""The real services: PostgreSQL, Redis and Celery worker processes started by the tests.

On a machine without PostgreSQL (DATABASE_URL) or Redis the tests are skipped; in CI (CI set) they fail instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("INTEGRATION_REDIS_URL", "redis://127.0.0.1:6379/15")


def missing_service() -> str | None:
    """What these tests need and this machine lacks, or None."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "PostgreSQL (DATABASE_URL)"
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        return f"Redis at {REDIS_URL}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Off CI, mark the integration tests skipped when a service is missing; in CI they run and fail instead."""
    missing = missing_service()
    if missing and not os.environ.get("CI"):
        marker = pytest.mark.skipif(True, reason=f"{missing} is not available here")
        for item in items:
            if "integration" in item.keywords:
                item.add_marker(marker)


@pytest.fixture
def services(transactional_db) -> None:  # type: ignore[no-untyped-def]
    missing = missing_service()
    if missing:
        pytest.fail(f"{missing} is required for the integration tests")
    assert connection.vendor == "postgresql"
    # Celery marks "a task is running here" in one process-wide flag while it runs a task eagerly, and puts back what
    # it found when the task ends. Eager tasks in several threads at once (the concurrency tests' e-mails) can leave
    # it set; every later result.get() in this process would then refuse ("Never call result.get() within a task").
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture
def services_ready(services) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL and Redis are here (the name the concurrency tests read better with)."""


class Workers:
    """Celery worker processes on a queue of their own, against the test database."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.processes: list[subprocess.Popen[bytes]] = []
        from django.conf import settings

        db = connection.settings_dict
        database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": REDIS_URL,
            "CELERY_QUEUE": queue,
            "MATCHING_ON_PUBLISH": "true",
            "MATCHING_CHUNK_SIZE": os.environ.get("MATCHING_CHUNK_SIZE", "20"),
            # The workers keep the fitted matching state where this process does (the test settings' directory).
            "MATCHING_STATE_DIR": str(settings.MATCHING_STATE_DIR),
        }

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            name = f"w{len(self.processes)}-{self.queue}@%h"
            command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "1", "-n", name,
                       "-Q", self.queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
                       "--loglevel=WARNING"]  # fmt: skip
            process = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)  # noqa: S603
            self.processes.append(process)
        from config.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=1.0) or []
            names = {name for reply in replies for name in reply}
            if sum(1 for n in names if self.queue in n) >= len([p for p in self.processes if p.poll() is None]):
                return
        raise RuntimeError("the Celery workers did not come up within 60 s")

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.processes = []

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes = []


@pytest.fixture
def workers(services, settings, monkeypatch) -> Iterator[Workers]:  # type: ignore[no-untyped-def]
    """Point this process's Celery at Redis (not eager) and give the test worker processes to start."""
    from config.celery import app

    # Celery reads these variables before its configuration, so they must name the tests' Redis database too.
    monkeypatch.setenv("CELERY_BROKER_URL", REDIS_URL)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", REDIS_URL)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")}
    app.conf.update(task_always_eager=False, broker_url=REDIS_URL, result_backend=REDIS_URL, task_default_queue=queue)
    _reconnect(app)
    settings.MATCHING_ON_PUBLISH = True
    settings.MATCHING_CHUNK_SIZE = 20
    pool = Workers(queue)
    try:
        yield pool
    finally:
        pool.stop()
        app.conf.update(saved)
        _reconnect(app)


def _reconnect(app) -> None:  # type: ignore[no-untyped-def]
    """Drop the app's cached broker pool, producers and result backend so that the new settings apply."""
    app._pool = None  # kombu keeps one pool per broker URL; the next use picks the one for the new URL
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


def wait_for(condition: Callable[[], object], timeout: float = 90.0, what: str = "the condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
