"""The preferred language applies at sign-in, whatever the browser's cookie or Accept-Language said; the language
switcher, signed in, keeps the choice as the preferred language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, user: User):
    return client.post(reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD})


@pytest.mark.parametrize(("preferred", "browser", "lang"), [("en", "zh-hans", "en"), ("zh-hans", "en", "zh-hans")])
def test_signing_in_switches_the_pages_to_the_preferred_language(client, preferred, browser, lang):
    user = MembershipFactory(user=UserFactory(language=preferred)).user
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = browser
    before = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE=browser)
    assert f'<html lang="{browser}"' in before.content.decode()

    signed_in = _sign_in(client, user)
    assert signed_in.status_code == 302
    assert signed_in.cookies[settings.LANGUAGE_COOKIE_NAME].value == preferred

    home = client.get(signed_in["Location"], HTTP_ACCEPT_LANGUAGE=browser)
    assert home.status_code == 200
    assert f'<html lang="{lang}"' in home.content.decode()
    assert home["Content-Language"] == lang


def test_an_english_reader_signing_in_reads_english_pages(client):
    user = MembershipFactory(user=UserFactory(language="en")).user
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    _sign_in(client, user)
    page = client.get(reverse("matching:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Matches" in page and "对接" not in page.split("<main", 1)[-1]


def test_a_failed_sign_in_leaves_the_language_alone(client):
    user = UserFactory(language="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    refused = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong-Password-1"})
    assert settings.LANGUAGE_COOKIE_NAME not in refused.cookies
    assert '<html lang="zh-hans"' in refused.content.decode()


def test_switching_language_signed_in_keeps_it_as_the_preferred_language(client):
    user = UserFactory(language="zh-hans")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/home/"})
    assert response.status_code == 302 and response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    user.refresh_from_db()
    assert user.language == "en"


def test_switching_to_an_unknown_language_changes_nothing(client):
    user = UserFactory(language="zh-hans")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/home/"})
    user.refresh_from_db()
    assert user.language == "zh-hans"


def test_switching_language_signed_out_only_sets_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
