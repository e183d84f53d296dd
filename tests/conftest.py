"""Shared fixtures. Data is built through the real services where a rule applies (see tests/factories.py)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User

from .factories import MembershipFactory, OrganizationFactory, UserFactory


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
