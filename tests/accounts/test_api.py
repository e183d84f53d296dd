"""API throttling: anonymous callers, users and password guesses at the token endpoint each have a rate."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    from django.core.cache import cache
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {"anon": "5/minute", "user": "8/minute", "auth": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # read when DRF's settings reload
    cache.clear()
    yield rates
    SimpleRateThrottle.THROTTLE_RATES = original
    cache.clear()


def test_the_api_throttles_anonymous_callers_users_and_password_guesses(low_rates, user):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    codes = [anonymous.get("/api/v1/achievements/").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    signed_in = APIClient()
    signed_in.force_authenticate(user)
    codes = [signed_in.get("/api/v1/achievements/").status_code for _ in range(10)]
    assert codes[:8] == [200] * 8 and codes[8:] == [429, 429]  # counted per account, not with the anonymous ones
    guesses = [
        APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": f"wrong-{i}"}, format="json")
        for i in range(4)
    ]
    assert [g.status_code for g in guesses] == [400, 400, 400, 429]
    assert "Retry-After" in guesses[-1]
