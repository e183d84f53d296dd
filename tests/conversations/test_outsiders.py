"""Every conversations URL and API endpoint, walked as a member of a third organisation, as the owner of a held
enquiry and anonymously: a 404 or a login redirect (the API: 403 not logged in / 404), never a message."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from conversations import api_urls, services, urls
from tests.factories import MembershipFactory, OrganizationFactory, achievement

pytestmark = pytest.mark.django_db

SECRET = "机密报价：每套80万元"
HELD_SECRET = "待审核的询问内容"


@pytest.fixture
def threads(in_contact):
    users = in_contact["users"]
    match_thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    services.message_post(thread=match_thread, by=users["need"], body=SECRET)
    proposal = services.proposal_create(
        thread=match_thread, by=users["need"], mode="license", signed_on=timezone.localdate(), note=SECRET
    )
    asker = MembershipFactory(organization=OrganizationFactory(verified=False)).user
    held = services.enquiry_send(posting=in_contact["achievement"], by=asker, body=HELD_SECRET)
    draft = achievement(in_contact["university"], title="未发布的成果")
    return {"match": match_thread, "proposal": proposal, "held": held, "draft": draft, "world": in_contact}


def page_urls(threads):
    thread, proposal, held = threads["match"], threads["proposal"], threads["held"]
    match = threads["world"]["match"]
    return {
        "thread": [reverse("conversations:thread", args=[thread.pk]), reverse("conversations:thread", args=[held.pk])],
        "propose": [reverse("conversations:propose", args=[thread.pk])],
        "answer": [
            reverse("conversations:answer", kwargs={"pk": thread.pk, "message_pk": proposal.pk, "answer": answer})
            for answer in ("accept", "decline", "withdraw")
        ],
        "match": [reverse("conversations:match", kwargs={"match_pk": match.pk})],
        "enquire": [reverse("conversations:enquire", kwargs={"kind": "achievements", "pk": threads["draft"].pk})],
    }


def api_calls(threads):
    thread, proposal = threads["match"], threads["proposal"]
    match = threads["world"]["match"]
    return {
        "thread-detail": [("get", reverse("api:thread-detail", args=[thread.pk]), None)],
        "thread-messages": [
            ("get", reverse("api:thread-messages", args=[thread.pk]), None),
            ("post", reverse("api:thread-messages", args=[thread.pk]), {"body": "你好"}),
            ("get", reverse("api:thread-messages", args=[threads["held"].pk]), None),
        ],
        "thread-proposals": [
            (
                "post",
                reverse("api:thread-proposals", args=[thread.pk]),
                {"mode": "license", "signed_on": timezone.localdate().isoformat()},
            ),
        ],
        "thread-answer": [
            ("post", reverse("api:thread-answer", args=[thread.pk, proposal.pk]), {"answer": answer})
            for answer in ("accept", "decline", "withdraw")
        ],
        "thread-for-match": [("post", reverse("api:thread-for-match"), {"match": match.pk})],
        "thread-enquiries": [
            (
                "post",
                reverse("api:thread-enquiries"),
                {"kind": "achievement", "posting": threads["draft"].pk, "body": "你好"},
            ),
        ],
    }


def test_every_url_name_is_walked(threads):
    named = {pattern.name for pattern in urls.urlpatterns}
    assert named - {"inbox"} == set(page_urls(threads))
    api_named = {f"{pattern.name}" for pattern in api_urls.urlpatterns}
    assert api_named - {"thread-list"} == set(api_calls(threads))


def assert_no_content(response):
    text = response.content.decode()
    assert SECRET not in text and HELD_SECRET not in text


@pytest.mark.parametrize("who", ["outsider", "owner_of_held", "anonymous"])
def test_pages_refuse_outsiders(threads, client, who):
    world = threads["world"]
    if who == "outsider":
        client.force_login(world["users"]["outsider"])
    elif who == "owner_of_held":
        client.force_login(world["users"]["achievement"])
    before = world["match"].thread.messages.count()
    for name, addresses in page_urls(threads).items():
        if who == "owner_of_held" and name != "thread":
            continue  # a party of the match: only the held enquiry's page is foreign to them
        for address in addresses:
            if who == "owner_of_held" and address.endswith(f"/{threads['match'].pk}/"):
                continue
            for method in ("get", "post"):
                response = getattr(client, method)(address)
                assert_no_content(response)
                if who == "anonymous":
                    assert response.status_code == 302 and "/login" in response.url, (name, method)
                else:
                    assert response.status_code in (404, 405), (name, method, response.status_code)
                    if method == "get" and name in ("propose", "answer"):
                        assert response.status_code == 405  # POST only, and the POST is a 404
    inbox = client.get(reverse("conversations:inbox"))
    assert_no_content(inbox)
    assert world["match"].thread.messages.count() == before


@pytest.mark.parametrize("who", ["outsider", "owner_of_held", "anonymous"])
def test_the_api_refuses_outsiders(threads, who):
    world = threads["world"]
    client = APIClient()
    if who == "outsider":
        client.force_authenticate(world["users"]["outsider"])
    elif who == "owner_of_held":
        client.force_authenticate(world["users"]["achievement"])
    before = world["match"].thread.messages.count()
    walk = api_calls(threads)
    if who == "owner_of_held":  # a party of the match: only the held enquiry is foreign to them
        held = threads["held"].pk
        walk = {
            "thread-detail": [("get", reverse("api:thread-detail", args=[held]), None)],
            "thread-messages": [
                ("get", reverse("api:thread-messages", args=[held]), None),
                ("post", reverse("api:thread-messages", args=[held]), {"body": "你好"}),
            ],
        }
    for name, calls in walk.items():
        for method, address, data in calls:
            response = getattr(client, method)(address, data, format="json")
            assert_no_content(response)
            expected = (403,) if who == "anonymous" else (404,)
            assert response.status_code in expected, (name, method, address, response.status_code)
    listed = client.get(reverse("api:thread-list"))
    assert_no_content(listed)
    if who != "anonymous":
        ids = {row["id"] for row in listed.json()["results"]}
        assert threads["held"].pk not in ids
        if who == "outsider":
            assert ids == set()
    assert world["match"].thread.messages.count() == before
