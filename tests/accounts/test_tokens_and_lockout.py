"""API tokens and sign-in lockout (#11 item 6): tokens are kept as hashes, expire, are few per user and die with
the password; repeated wrong passwords lock that e-mail from that address out of the site, admin and the token
endpoint alike, for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.services import api_token_issue
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def me(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(reverse("api:me")).status_code


def test_a_token_is_kept_as_a_hash_and_expires(settings):
    user = UserFactory()
    response = APIClient().post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    key = response.json()["token"]
    assert response.status_code == 200 and me(key) == 200
    record = AuthToken.objects.get(user=user)
    assert key not in (record.digest, record.token_key) and len(record.token_key) < len(key)
    days = (record.expiry - timezone.now()).days
    assert days == settings.REST_KNOX["TOKEN_TTL"].days - 1
    AuthToken.objects.filter(pk=record.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert me(key) == 403


def test_a_password_change_revokes_every_token(client):
    user = UserFactory()
    keys = [api_token_issue(user=user)[1] for _ in range(2)]
    assert [me(key) for key in keys] == [200, 200]
    client.force_login(user)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": DEFAULT_PASSWORD, "new_password1": "An0ther-Strong-pass", "new_password2": "An0ther-Strong-pass"
    })  # fmt: skip
    assert response.status_code == 302
    assert [me(key) for key in keys] == [403, 403]
    assert me(api_token_issue(user=user)[1]) == 200


def test_a_user_holds_a_few_tokens_at_most(settings):
    settings.API_TOKENS_PER_USER = 3
    user = UserFactory()
    keys = [api_token_issue(user=user)[1] for _ in range(5)]
    assert [me(key) for key in keys] == [403, 403, 200, 200, 200]  # the oldest went first


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_wrong_passwords_lock_that_email_from_that_address_everywhere(client):
    user, other = UserFactory(), UserFactory()
    login = reverse("accounts:login")
    for _ in range(2):
        assert client.post(login, {"username": user.email, "password": "wrong"}).status_code == 200  # the form again
    assert client.post(login, {"username": user.email, "password": "wrong"}).status_code == 429  # the third
    locked = client.post(login, {"username": user.email, "password": DEFAULT_PASSWORD})  # right, but locked
    assert locked.status_code == 429 and "try again in 15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    api = APIClient().post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert api.status_code == 429 and "try again" in api.json()["detail"]
    admin = client.post(reverse("admin:login"), {"username": user.email, "password": DEFAULT_PASSWORD})
    assert admin.status_code == 429
    # Another account from the same address, and the same account from elsewhere, still sign in.
    assert client.post(login, {"username": other.email, "password": DEFAULT_PASSWORD}).status_code == 302
    elsewhere = APIClient(REMOTE_ADDR="10.1.2.3")
    response = elsewhere.post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_a_forged_forwarded_address_does_not_escape_the_lockout():
    user = UserFactory()
    for i in range(3):
        APIClient(HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").post(
            TOKEN_URL, {"email": user.email, "password": "wrong"}, format="json"
        )
    response = APIClient(HTTP_X_FORWARDED_FOR="203.0.113.99").post(
        TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 429
