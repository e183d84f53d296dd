"""The project's settings and set-up commands, run as a user would run them."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    # As a deployment would run it: none of the test session's own variables (the browser tests set one).
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = _run(["manage.py", "check"], DEBUG="false", DJANGO_SETTINGS_MODULE="config.settings")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_starts_with_a_secret_key_and_check_is_clean():
    result = _run(
        ["manage.py", "check"],
        DEBUG="false",
        SECRET_KEY="a-long-random-production-secret-for-the-test-only",
        ALLOWED_HOSTS="techmatch.example.cn",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_nothing_set_means_production_mode_which_needs_a_secret_key():
    result = _run(["manage.py", "check"], DJANGO_SETTINGS_MODULE="config.settings")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_mode_check_is_clean():
    result = _run(
        ["manage.py", "check", "--fail-level", "WARNING"], DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings"
    )
    assert result.returncode == 0, result.stderr


def test_the_deployment_check_is_clean_in_production_mode():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY="Zq8-" + "x7Kp2_vN9rT4mW1sY6bD3fH5jL0cG8eA" * 2,
        ALLOWED_HOSTS="techmatch.example.cn",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_every_response_carries_the_security_headers(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "onchange=" not in response.content.decode()  # no inline handler for the policy to block


@pytest.mark.django_db
def test_the_api_documentation_loads_nothing_from_another_host(client):
    import re

    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
    assert "<script>" not in page.replace(" ", "")  # the set-up script is a file, as the policy wants


@pytest.mark.django_db
def test_demo_loader_creates_logins_and_a_staff_account_and_is_idempotent(settings, django_capture_on_commit_callbacks):
    from django.core.management import CommandError, call_command

    settings.MATCHING_ON_PUBLISH = True  # as in ``make run``: the demo's meetings follow its matches

    from accounts.models import Membership, Organization, User

    with pytest.raises(CommandError, match="development"):
        call_command("load_demo")  # the test runner runs with DEBUG off, like production
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # matching runs once the postings' transaction commits
        call_command("load_demo", "--force", stdout=out)
    call_command("load_demo", "--force", stdout=out)
    assert "admin@demo.techmatch.cn" in out.getvalue()
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert {"university", "research_institute", "enterprise", "organiser"} <= kinds
    assert Membership.objects.filter(role="owner").count() == Organization.objects.count() >= 6
    assert User.objects.filter(is_staff=True, email="admin@demo.techmatch.cn").count() == 1
    from events.demo import DEMO_TITLE
    from events.models import Event, SchedulePlan
    from events.scheduling.service import schedule_plan_solve

    # Two demo events, however often the loader runs: the docking event whose participants pick their slots, and the
    # one the organiser schedules, whose accepted meetings outnumber its places and wait for the proposed plan.
    scheduled = Event.objects.get(title=DEMO_TITLE)
    assert scheduled.scheduling_mode == "organiser" and scheduled.agenda_status == "none"
    waiting = scheduled.meetings.filter(status="accepted", slot__isnull=True)
    places = scheduled.meeting_slots.count() * scheduled.meeting_tables.count()
    assert waiting.count() > places
    plan = SchedulePlan.objects.get(event=scheduled)  # solved by a task after the commit: here, by hand
    plan = schedule_plan_solve(plan_id=plan.pk)
    assert (plan.status, plan.placed_count, plan.bound) == ("proposed", places, places)
    assert len(plan.unplaced) == waiting.count() - places
    event = Event.objects.exclude(pk=scheduled.pk).get()
    assert (event.status, event.meeting_slots.count(), event.meeting_tables.count()) == ("published", 6, 4)
    # Every organisation but the organiser has its owner registered, and the universities and institutes meet their
    # best-matched enterprises on the grid (once, however often the loader runs).
    participants = Organization.objects.exclude(kind="organiser").count()
    assert event.registrations.filter(status="confirmed").count() == participants
    placed = event.meetings.filter(status="accepted", slot__isnull=False, table__isnull=False)
    assert placed.count() >= 2
    assert all(meeting.requester.organization.kind in ("university", "research_institute") for meeting in placed)
    # The demo's owners are their organisations' contacts: their first step is done and login lands on /home/.
    assert not Organization.objects.filter(contact_name="").exists()
