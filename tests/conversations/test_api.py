"""The conversations API: the same flow as the pages, through /api/v1/threads/."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from conversations.models import Thread
from matching.models import Match

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_match_thread_is_refused_before_both_accept(world):
    response = api(world["users"]["need"]).post(reverse("api:thread-for-match"), {"match": world["match"].pk})
    assert response.status_code == 400 and "both sides have accepted" in response.json()["match"][0]


def test_the_flow_through_the_api(in_contact):
    users, match = in_contact["users"], in_contact["match"]
    need_side, uni = api(users["need"]), api(users["achievement"])
    opened = need_side.post(reverse("api:thread-for-match"), {"match": match.pk}, format="json")
    assert opened.status_code == 200, opened.content
    thread_id = opened.json()["id"]
    posted = need_side.post(reverse("api:thread-messages", args=[thread_id]), {"body": "<b>你好</b>"}, format="json")
    assert posted.status_code == 201 and posted.json()["body"] == "<b>你好</b>"  # stored and returned as text
    [row] = uni.get(reverse("api:thread-list")).json()["results"]
    assert (row["id"], row["unread"], row["kind"]) == (thread_id, 1, "match")
    messages = uni.get(reverse("api:thread-messages", args=[thread_id])).json()["results"]
    assert [m["body"] for m in messages] == ["<b>你好</b>"]
    assert uni.get(reverse("api:thread-list")).json()["results"][0]["unread"] == 0

    too_long = need_side.post(reverse("api:thread-messages", args=[thread_id]), {"body": "字" * 4001}, format="json")
    assert too_long.status_code == 400 and "body" in too_long.json()

    proposal = need_side.post(
        reverse("api:thread-proposals", args=[thread_id]),
        {"mode": "transfer", "signed_on": timezone.localdate().isoformat(), "amount_wan": "50"},
        format="json",
    )
    assert proposal.status_code == 201, proposal.content
    answer_url = reverse("api:thread-answer", args=[thread_id, proposal.json()["id"]])
    assert need_side.post(answer_url, {"answer": "accept"}, format="json").status_code == 403
    accepted = uni.post(answer_url, {"answer": "accept"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["proposal_state"] == "accepted"
    assert accepted.json()["agreement"] is not None
    assert Match.objects.get(pk=match.pk).status == Match.Status.DEAL


def test_enquiry_through_the_api(world, settings):
    settings.CONVERSATIONS_ENQUIRIES_PER_DAY = 1
    client = api(world["users"]["outsider"])
    data = {"kind": "need", "posting": world["need"].pk, "body": "请问预算是否含税？"}
    response = client.post(reverse("api:thread-enquiries"), data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "open"
    assert Thread.objects.get().second_party == world["enterprise"]
    again = client.post(
        reverse("api:thread-enquiries"), {**data, "kind": "achievement", "posting": world["achievement"].pk},
        format="json",
    )  # fmt: skip
    assert again.status_code == 400 and "at most 1 enquiries a day" in again.json()["body"][0]


def test_staff_read_hidden_messages_and_parties_do_not(in_contact, staff_user):
    from conversations import services

    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    message = services.message_post(thread=thread, by=users["need"], body="不当言论")
    services.message_hide(message=message, by=staff_user)
    url = reverse("api:thread-messages", args=[thread.pk])
    assert api(staff_user).get(url).json()["results"][0]["body"] == "不当言论"
    [seen] = api(users["achievement"]).get(url).json()["results"]
    assert (seen["body"], seen["hidden"]) == ("", True)


def test_reading_a_page_marks_only_that_page_read(in_contact):
    from conversations import services
    from conversations.selectors import unread_count

    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    for body in ("一", "二", "三"):
        services.message_post(thread=thread, by=users["need"], body=body)
    page = api(users["achievement"]).get(reverse("api:thread-messages", args=[thread.pk]), {"page_size": 1}).json()
    assert [m["body"] for m in page["results"]] == ["一"] and page["count"] == 3
    assert unread_count(user=users["achievement"]) == 2
