"""Enquiries to a posting's owner: from another organisation only, rate-limited, held for staff when the enquirer is
not verified or writes contact details or links, seen by the owner only once passed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from conversations import services
from conversations.models import Thread
from conversations.selectors import thread_visible_to, unread_count
from core.exceptions import ApplicationError
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def enquire_url(posting, kind="achievements"):
    return reverse("conversations:enquire", kwargs={"kind": kind, "pk": posting.pk})


def test_a_verified_organisation_asks_the_owner(world, client, django_capture_on_commit_callbacks):
    users, offer = world["users"], world["achievement"]
    client.force_login(users["outsider"])
    detail = client.get(reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": offer.pk}))
    assert enquire_url(offer) in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(enquire_url(offer), {"body": "请问是否支持小批量试用？"})
    thread = Thread.objects.get(kind="enquiry")
    assert response.url == reverse("conversations:thread", args=[thread.pk])
    assert (thread.state, thread.first_party, thread.second_party) == ("open", world["third"], world["university"])
    assert unread_count(user=users["achievement"]) == 1
    assert users["achievement"].email in [m.to[0] for m in mail.outbox]
    # the owner answers in the thread
    services.message_post(thread=thread, by=users["achievement"], body="支持，欢迎来访。")
    assert unread_count(user=users["outsider"]) == 1
    # a second enquiry about the same posting continues the same thread
    client.post(enquire_url(offer), {"body": "还有一个问题。"})
    assert Thread.objects.filter(kind="enquiry").count() == 1
    assert thread.messages.count() == 3


def test_the_owner_sees_no_ask_button_and_cannot_enquire(world, client):
    client.force_login(world["users"]["achievement"])
    offer = world["achievement"]
    detail = client.get(reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": offer.pk}))
    assert enquire_url(offer) not in detail.content.decode()
    with pytest.raises(ApplicationError, match="own organisation"):
        services.enquiry_send(posting=offer, by=world["users"]["achievement"], body="自问自答")


@pytest.mark.parametrize(
    ("body", "verified", "why"),
    [
        ("请问价格？", False, "not verified"),
        ("请联系 13912345678 详谈", True, "contact details"),
        ("资料见 https://example.com/spec", True, "a link"),
    ],
)
def test_enquiries_are_held_for_staff(
    world, client, admin_client, body, verified, why, django_capture_on_commit_callbacks
):
    organization = OrganizationFactory(kind="enterprise", verified=False)
    if verified:
        organization = world["third"]
    asker = MembershipFactory(organization=organization).user
    owner = world["users"]["achievement"]
    thread = services.enquiry_send(posting=world["achievement"], by=asker, body=body)
    assert thread.state == Thread.State.HELD and why in thread.held_reason_text
    # the owner sees nothing of it, anywhere
    assert not thread_visible_to(user=owner).filter(pk=thread.pk).exists()
    assert unread_count(user=owner) == 0
    client.force_login(owner)
    assert client.get(reverse("conversations:thread", args=[thread.pk])).status_code == 404
    # the enquirer sees it waiting and may add nothing meanwhile
    with pytest.raises(ApplicationError, match="waiting for review"):
        services.message_post(thread=thread, by=asker, body="催一下")
    # staff pass it in admin: now the owner sees it
    assert owner.email not in [m.to[0] for m in mail.outbox]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:conversations_thread_changelist"),
            {"action": "approve_selected", "_selected_action": [thread.pk]},
        )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.state == Thread.State.OPEN
    assert unread_count(user=owner) == 1
    assert owner.email in [m.to[0] for m in mail.outbox]  # told once passed
    assert client.get(reverse("conversations:thread", args=[thread.pk])).status_code == 200


def test_a_rejected_enquiry_never_reaches_the_owner(world, staff_user):
    asker = MembershipFactory(organization=OrganizationFactory(verified=False)).user
    thread = services.enquiry_send(posting=world["need"], by=asker, body="推广：最低价设备")
    services.enquiry_reject(thread=thread, by=staff_user)
    assert not thread_visible_to(user=world["users"]["need"]).filter(pk=thread.pk).exists()
    assert thread_visible_to(user=asker).get(pk=thread.pk).state == Thread.State.REJECTED
    with pytest.raises(ApplicationError, match="did not pass"):
        services.message_post(thread=thread, by=asker, body="为什么？")


def test_enquiries_are_limited_per_user_per_day(world, settings):
    settings.CONVERSATIONS_ENQUIRIES_PER_DAY = 1
    asker = world["users"]["outsider"]
    services.enquiry_send(posting=world["achievement"], by=asker, body="第一个问题")
    with pytest.raises(ApplicationError, match="at most 1 enquiries a day"):
        services.enquiry_send(posting=world["need"], by=asker, body="第二个问题")


def test_only_published_postings_take_enquiries(world, client):
    from marketplace import services as posting_services

    posting_services.posting_transition(
        posting=world["achievement"], to="closed", by=world["users"]["achievement"], reason="done"
    )
    client.force_login(world["users"]["outsider"])
    assert client.get(enquire_url(world["achievement"])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    response = client.get(enquire_url(world["achievement"]))
    assert response.status_code == 302 and "/login" in response.url
