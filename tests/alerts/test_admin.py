"""Alerts in admin are read-mostly: saved searches, follows and digests are listed and shown, not added or edited;
staff pause alerts by an action that calls the service."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alerts import services
from alerts.models import Follow, Frequency, SavedSearch

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):  # type: ignore[no-untyped-def]
    client.force_login(staff_user)
    return client


def test_alerts_are_listed_and_not_added_or_edited(admin_client, reader):
    search = services.saved_search_create(user=reader, kind="needs", data={"domain": "ai"}, name="视觉检测需求")
    follow = services.follow_create(user=reader, target="cluster", value="yrd")
    for model in ("savedsearch", "follow", "digest"):
        assert admin_client.get(reverse(f"admin:alerts_{model}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:alerts_{model}_add")).status_code == 403
    page = admin_client.get(reverse("admin:alerts_savedsearch_change", args=[search.pk])).content.decode()
    assert "视觉检测需求" in page and 'name="name"' not in page
    assert admin_client.get(reverse("admin:alerts_follow_change", args=[follow.pk])).status_code == 200


def test_staff_pause_alerts_by_the_action(admin_client, reader):
    search = services.saved_search_create(user=reader, kind="needs", data={})
    follow = services.follow_create(user=reader, target="province", value="410000")
    for model, pk in (("savedsearch", search.pk), ("follow", follow.pk)):
        response = admin_client.post(
            reverse(f"admin:alerts_{model}_changelist"), {"action": "pause_selected", "_selected_action": [pk]}
        )
        assert response.status_code == 302
    assert SavedSearch.objects.get().frequency == Follow.objects.get().frequency == Frequency.PAUSED
