"""Calls in admin: nothing with rules is added or edited there; the actions call the services (an award is the same
deal with an agreement as on the pages; a refusal changes nothing)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from calls.models import Call, CallNeed, Proposal
from matching.models import Agreement, Match

from .conftest import make_call, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("model", ["calls_call", "calls_callneed", "calls_proposal"])
def test_records_with_rules_are_not_added_in_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 403


def test_pages_list_and_show_read_only(admin_client, world):
    proposal = propose(world)
    for model, pk in (("call", world["call"].pk), ("callneed", world["entry"].pk), ("proposal", proposal.pk)):
        assert admin_client.get(reverse(f"admin:calls_{model}_changelist")).status_code == 200
        page = admin_client.get(reverse(f"admin:calls_{model}_change", args=[pk])).content.decode()
        assert 'name="status"' not in page and 'name="title"' not in page


def test_actions_call_the_services(admin_client, world):
    first = propose(world)
    second = propose(world, user=world["rival"], listing=world["rival_offer"])
    changelist = reverse("admin:calls_proposal_changelist")
    response = admin_client.post(changelist, {"action": "award_selected", "_selected_action": [first.pk]})
    assert response.status_code == 302
    assert Proposal.objects.get(pk=first.pk).status == "awarded"
    assert Match.objects.get().status == "deal" and Agreement.objects.count() == 1
    admin_client.post(changelist, {"action": "decline_selected", "_selected_action": [first.pk, second.pk]})
    assert Proposal.objects.get(pk=first.pk).status == "awarded"  # decided: the service refuses, nothing changes
    second.refresh_from_db()
    assert second.status == "declined" and second.decision_note == "Declined by platform staff."


def test_calls_are_published_and_closed_and_needs_removed_by_actions(admin_client, world):
    draft = make_call(world["organiser"], publish_it=False, title="草稿征集")
    changelist = reverse("admin:calls_call_changelist")
    admin_client.post(changelist, {"action": "publish_selected", "_selected_action": [draft.pk]})
    assert Call.objects.get(pk=draft.pk).status == "published"
    admin_client.post(changelist, {"action": "close_selected", "_selected_action": [draft.pk]})
    assert Call.objects.get(pk=draft.pk).status == "closed"
    admin_client.post(reverse("admin:calls_callneed_changelist"),
                      {"action": "remove_selected", "_selected_action": [world["entry"].pk]})  # fmt: skip
    assert not CallNeed.objects.exists()
