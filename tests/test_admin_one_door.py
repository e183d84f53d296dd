"""Admin writes what has rules only through the services (#11 item 7): agreements, registrations, meetings,
presentations and memberships are not added or edited in admin; an event's status and places are not fields; the
actions call the services (a cancelled place goes to the waiting list)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from events import services as event_services
from events.models import Registration
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):  # type: ignore[no-untyped-def]
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize(
    "model",
    ["matching_agreement", "events_registration", "events_meeting", "events_presentationapplication",
     "events_eventagreement", "events_event"],
)  # fmt: skip
def test_records_with_rules_are_not_added_in_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 403


def test_an_events_status_and_confirmed_places_are_not_edited_in_admin(admin_client, make_event):
    """The status moves by the actions and the places by registrations; the capacity is edited through
    ``event_update`` (tests/events/test_event_admin.py)."""
    event = make_event(capacity=2)
    page = admin_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert 'name="status"' not in page and 'name="confirmed_count"' not in page
    assert 'name="capacity"' in page


def test_cancelling_in_admin_gives_the_place_to_the_waiting_list(admin_client, make_event):
    event = make_event(capacity=1)
    member = MembershipFactory().user
    first, second = (
        event_services.registration_create(event=event, organization=member.organizations.get(),
                                           person_name=f"参会者{n}", person_email=f"p{n}@example.cn", by=member)
        for n in range(2)
    )  # fmt: skip
    assert second.status == "waiting"
    response = admin_client.post(
        reverse("admin:events_registration_changelist"),
        {"action": "cancel_selected", "_selected_action": [first.pk]},
    )
    assert response.status_code == 302
    assert Registration.objects.get(pk=first.pk).status == "cancelled"
    assert Registration.objects.get(pk=second.pk).status == "confirmed"


def test_memberships_are_added_through_the_service_and_not_edited(admin_client):
    organization = OrganizationFactory()
    user = UserFactory()
    response = admin_client.post(
        reverse("admin:accounts_membership_add"),
        {"user": user.pk, "organization": organization.pk, "role": Membership.Role.MEMBER},
    )
    assert response.status_code == 302, response.content[:2000]
    membership = Membership.objects.get(user=user, organization=organization)
    assert membership.role == Membership.Role.MEMBER
    page = admin_client.get(reverse("admin:accounts_membership_change", args=[membership.pk])).content.decode()
    assert 'name="role"' not in page  # shown, not editable
