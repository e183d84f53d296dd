"""Saving a search from the list page keeps its filters; the alerts page lists, renames, re-times, pauses and deletes
one's own alerts and follows domains, provinces and clusters; another user's alert is a 404."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from alerts import services
from alerts.models import Follow, Frequency, SavedSearch
from core.exceptions import ApplicationError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILTERS = {"q": "缺陷检测", "domain": "ai", "province": "340000", "mode": "license", "readiness_min": "5"}


def test_the_list_page_offers_to_save_the_search_with_its_filters(client, reader):
    client.force_login(reader)
    page = client.get(reverse("marketplace:list", kwargs={"kind": "achievements"}), FILTERS | {"page": "1"})
    html = page.content.decode()
    assert reverse("alerts:search-save") in html
    assert 'name="query" value="' in html and "domain=ai" in html and "readiness_min=5" in html


def test_the_list_page_asks_visitors_to_log_in_to_save(client, db):
    html = client.get(reverse("marketplace:list", kwargs={"kind": "needs"})).content.decode()
    assert reverse("alerts:search-save") not in html and "Log in to save this search" in html


def test_saving_from_the_list_page_keeps_its_filters(client, reader):
    client.force_login(reader)
    query = urlencode(FILTERS | {"sort": "newest", "status": "closed", "page": "2"})
    response = client.post(
        reverse("alerts:search-save"), {"kind": "achievements", "query": query, "name": "", "frequency": "weekly"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("marketplace:list", kwargs={"kind": "achievements"}))
    search = SavedSearch.objects.get(user=reader)
    assert search.params == FILTERS  # status, sort and page are not what chooses the postings
    assert search.kind == "achievements" and search.frequency == Frequency.WEEKLY
    assert "Artificial intelligence" in search.name  # named by its filters, in the reader's language


def test_invalid_filters_are_not_saved(reader):
    with pytest.raises(ApplicationError):
        services.saved_search_create(user=reader, kind="needs", data={"domain": "no-such-domain"})
    assert not SavedSearch.objects.exists()


def test_the_same_search_twice_and_too_many_searches_are_refused(reader, monkeypatch):
    services.saved_search_create(user=reader, kind="needs", data={"province": "410000", "q": ""})
    with pytest.raises(ApplicationError, match="already"):
        services.saved_search_create(user=reader, kind="needs", data={"province": "410000"})
    monkeypatch.setattr(services, "MAX_SAVED_SEARCHES", 2)
    services.saved_search_create(user=reader, kind="needs", data={"province": "340000"})
    with pytest.raises(ApplicationError, match="most"):
        services.saved_search_create(user=reader, kind="needs", data={"province": "320000"})


def test_the_alerts_page_renames_retimes_pauses_and_deletes(client, reader):
    search = services.saved_search_create(user=reader, kind="needs", data={"domain": "ai"}, name="AI needs")
    client.force_login(reader)
    page = client.get(reverse("alerts:index")).content.decode()
    assert "AI needs" in page and "Artificial intelligence" in page
    prefix = f"search-{search.pk}"
    client.post(
        reverse("alerts:search-update", kwargs={"pk": search.pk}),
        {f"{prefix}-name": "视觉检测需求", f"{prefix}-frequency": "paused"},
    )
    search.refresh_from_db()
    assert search.name == "视觉检测需求" and search.frequency == Frequency.PAUSED
    client.post(
        reverse("alerts:search-update", kwargs={"pk": search.pk}),
        {f"{prefix}-name": "视觉检测需求", f"{prefix}-frequency": "daily"},
    )
    search.refresh_from_db()
    assert search.frequency == Frequency.DAILY and search.last_digest_at is not None  # resumed from now on
    client.post(reverse("alerts:search-delete", kwargs={"pk": search.pk}))
    assert not SavedSearch.objects.exists()


def test_following_a_domain_a_province_and_a_cluster(client, reader):
    client.force_login(reader)
    page = client.get(reverse("alerts:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Yangtze River Delta" in page and "Artificial intelligence" in page
    for target, value in (("domain", "next_gen_it"), ("province", "410000"), ("cluster", "yrd")):
        response = client.post(reverse("alerts:follow-create"), {"target": target, target: value, "frequency": "daily"})
        assert response.status_code == 302
    follows = {follow.target_field: follow for follow in Follow.objects.filter(user=reader)}
    assert follows["domain"].domain_id == "next_gen_it" and follows["cluster"].cluster_id == "yrd"
    client.post(reverse("alerts:follow-create"), {"target": "cluster", "cluster": "yrd", "frequency": "daily"})
    assert Follow.objects.filter(user=reader).count() == 3  # following twice is refused
    follow = follows["province"]
    client.post(reverse("alerts:follow-update", kwargs={"pk": follow.pk}), {f"follow-{follow.pk}-frequency": "weekly"})
    follow.refresh_from_db()
    assert follow.frequency == Frequency.WEEKLY
    client.post(reverse("alerts:follow-delete", kwargs={"pk": follow.pk}))
    assert Follow.objects.filter(user=reader).count() == 2


def test_the_follow_choices_read_in_chinese_for_a_chinese_reader(client, reader):
    client.force_login(reader)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("alerts:index")).content.decode()
    assert "长三角" in page and "人工智能" in page and "Yangtze River Delta" not in page


def test_another_users_alert_cannot_be_touched(client, reader):
    search = services.saved_search_create(user=reader, kind="needs", data={"domain": "ai"}, name="读者的检测需求")
    follow = services.follow_create(user=reader, target="cluster", value="yrd")
    client.force_login(UserFactory())
    prefix = f"search-{search.pk}"
    urls = [
        (reverse("alerts:search-update", kwargs={"pk": search.pk}),
         {f"{prefix}-name": "x", f"{prefix}-frequency": "paused"}),
        (reverse("alerts:search-delete", kwargs={"pk": search.pk}), {}),
        (reverse("alerts:follow-update", kwargs={"pk": follow.pk}), {f"follow-{follow.pk}-frequency": "paused"}),
        (reverse("alerts:follow-delete", kwargs={"pk": follow.pk}), {}),
    ]  # fmt: skip
    for url, data in urls:
        assert client.post(url, data).status_code == 404
    search.refresh_from_db()
    follow.refresh_from_db()
    assert search.frequency == follow.frequency == Frequency.DAILY and search.name != "x"
    assert "读者的检测需求" not in client.get(reverse("alerts:index")).content.decode()


def test_the_alerts_page_needs_a_login(client, db):
    assert client.get(reverse("alerts:index")).status_code == 302
