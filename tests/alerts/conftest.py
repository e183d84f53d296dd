"""Fixtures of the alerts' tests: two organisations, a reader with an organisation of their own, and postings made
and published through the marketplace services."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from marketplace import services as posting_services
from marketplace.models import Status
from reference.models import Province
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need


def publish(posting):  # type: ignore[no-untyped-def]
    return posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)


@pytest.fixture
def university(db):
    return OrganizationFactory(name="合肥工业技术研究院")


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="河南精密制造有限公司", kind="enterprise", province_id="410000", city_id="410100")


@pytest.fixture
def reader(db):
    """A member of an organisation that is neither side of the postings, reading in English."""
    return MembershipFactory(organization=OrganizationFactory(name="读者机构"), user__language="en").user


@pytest.fixture
def make_achievement(university):
    def make(publish_it: bool = True, **fields):  # type: ignore[no-untyped-def]
        posting = achievement(university, **fields)
        return publish(posting) if publish_it else posting

    return make


@pytest.fixture
def make_need(enterprise):
    def make(publish_it: bool = True, **fields):  # type: ignore[no-untyped-def]
        posting = need(enterprise, **fields)
        return publish(posting) if publish_it else posting

    return make


@pytest.fixture
def henan():
    return Province.objects.get(pk="410000")


def next_weekday(weekday: int, hour: int = 7, minute: int = 30) -> datetime.datetime:
    """The next given weekday (0: Monday) after today, at this local time, as an aware datetime."""
    today = timezone.localdate()
    days = (weekday - today.weekday()) % 7 or 7
    day = today + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
