"""Shared fixtures. Data is built through the real services where a rule applies (see tests/factories.py)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from events import services as event_services
from events.models import Event

from .factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a page requested in Chinese leaves Chinese active in its thread
    (LocaleMiddleware activates a language per request, nothing deactivates it), and with the tests spread over
    processes the next one in that thread would read the services' messages in Chinese."""
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_read_caches():
    """What a process keeps of reference data, the postings' cached counts, the pages kept for visitors and what is
    kept per user start fresh in every test (a test's rows are rolled back; the caches are not)."""
    from accounts.selectors import MEMBERSHIPS_VERSION
    from conversations.selectors import UNREAD_VERSION
    from core.page_cache import PAGES_VERSION
    from marketplace.selectors import _bump_postings_version
    from matching.selectors import MATCHES_VERSION
    from reference import cache as reference_cache

    reference_cache.reference_changed()
    _bump_postings_version()
    PAGES_VERSION.bump()  # and the pages kept for visitors
    # and what is kept per user (the header's): ids come back after a rollback, other users' with them
    MEMBERSHIPS_VERSION.bump()
    UNREAD_VERSION.bump()
    MATCHES_VERSION.bump()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def staff_user(db) -> User:
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def organization(db):
    return OrganizationFactory()


@pytest.fixture
def member(db, organization) -> User:
    return MembershipFactory(organization=organization).user


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def organiser_member(db):
    organiser = OrganizationFactory(  # verified: only verified organisers' events reach the public
        kind="organiser", name="G60科创走廊技术交易中心", province_id="310000", city_id="310100", verified=True,
        verified_at=timezone.now(),
    )
    return MembershipFactory(organization=organiser).user


@pytest.fixture
def make_event(organiser_member):
    def make(capacity: int = 3, publish: bool = True, **fields) -> Event:
        start = timezone.now() + datetime.timedelta(days=10)
        event = event_services.event_create(
            organizer=organiser_member.organizations.get(), by=organiser_member, kind="docking",
            title="长三角新材料成果对接会", starts_at=start, ends_at=start + datetime.timedelta(hours=4),
            capacity=capacity, city_id="310100", venue="松江G60科创云廊", **fields,
        )  # fmt: skip
        if publish:
            event = event_services.event_set_status(event=event, by=organiser_member, status="published")
        return event

    return make
