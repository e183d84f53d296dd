"""Fixtures of the events' tests."""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.fixture
def postgres(transactional_db) -> None:  # type: ignore[no-untyped-def]
    """The locking tests' database: PostgreSQL with real threads and connections. Without it a test is skipped,
    except in CI (CI set), where it fails."""
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL (DATABASE_URL) is required for the locking tests")
        pytest.skip("PostgreSQL (DATABASE_URL) is not available here")
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)  # eager e-mail tasks in several threads (see tests/integration/conftest.py)
