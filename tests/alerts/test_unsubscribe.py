"""The digest's one-click unsubscribe: no login needed (GET confirms, POST pauses; the List-Unsubscribe one-click POST
too), a tampered token is refused, and a link pauses its own alert only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alerts import services, tokens
from alerts.models import Follow, Frequency, SavedSearch

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(reader):  # type: ignore[no-untyped-def]
    search = services.saved_search_create(user=reader, kind="needs", data={"domain": "ai"}, name="视觉检测需求")
    follow = services.follow_create(user=reader, target="cluster", value="yrd")
    return search, follow


def link(user_id: int, what: str, alert_id: int | None = None) -> str:
    return reverse("alerts:unsubscribe", kwargs={"token": tokens.make(user_id=user_id, what=what, alert_id=alert_id)})


def test_unsubscribing_works_without_login(client, reader, alerts):
    search, follow = alerts
    url = link(reader.pk, tokens.SEARCH, search.pk)
    page = client.get(url)
    assert page.status_code == 200 and "视觉检测需求" in page.content.decode()
    assert SavedSearch.objects.get(pk=search.pk).frequency == Frequency.DAILY  # a GET changes nothing
    client.handler.enforce_csrf_checks = True  # the one-click POST comes without a form of ours
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert SavedSearch.objects.get(pk=search.pk).frequency == Frequency.PAUSED
    assert Follow.objects.get(pk=follow.pk).frequency == Frequency.DAILY  # the other alert goes on


def test_the_all_link_pauses_every_alert_of_its_user(client, reader, alerts):
    client.post(link(reader.pk, tokens.ALL))
    assert set(SavedSearch.objects.values_list("frequency", flat=True)) == {Frequency.PAUSED}
    assert set(Follow.objects.values_list("frequency", flat=True)) == {Frequency.PAUSED}


def test_a_tampered_token_is_refused(client, reader, alerts):
    search, _follow = alerts
    token = tokens.make(user_id=reader.pk, what=tokens.SEARCH, alert_id=search.pk)
    forged = token.replace(token.split(":")[0], tokens.make(user_id=reader.pk, what=tokens.ALL).split(":")[0])
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage"):
        url = reverse("alerts:unsubscribe", kwargs={"token": bad})
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert SavedSearch.objects.get(pk=search.pk).frequency == Frequency.DAILY


def test_a_link_names_its_users_alert_only(client, reader, alerts):
    from tests.factories import UserFactory

    search, _follow = alerts
    other = UserFactory()
    client.post(link(other.pk, tokens.SEARCH, search.pk))  # a valid token of another user for this alert's id
    assert SavedSearch.objects.get(pk=search.pk).frequency == Frequency.DAILY
