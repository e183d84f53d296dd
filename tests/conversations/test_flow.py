"""The match's conversation: opened only once both sides accept, messages both ways with unread counts, plain text,
size and rate limits, e-mail notices and their throttle, agreement proposals to a deal, staff reading and hiding."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from conversations import services
from conversations.models import MESSAGE_MAX, Message, ReadMarker, Thread
from conversations.selectors import inbox, unread_count
from core.exceptions import ApplicationError, PermissionDenied
from matching.models import Agreement, Match

pytestmark = pytest.mark.django_db


def test_a_thread_before_both_accept_is_refused(world, client):
    users = world["users"]
    with pytest.raises(ApplicationError, match="both sides have accepted"):
        services.match_thread_open(match=world["match"], by=users["need"])
    from matching import services as match_services

    match_services.match_accept(match=world["match"], by=users["need"])  # one side is not enough
    client.force_login(users["need"])
    response = client.get(reverse("conversations:match", kwargs={"match_pk": world["match"].pk}), follow=True)
    assert response.redirect_chain[-1][0] == reverse("matching:detail", args=[world["match"].pk])
    assert "both sides have accepted" in response.content.decode()
    assert not Thread.objects.exists()


def test_the_whole_conversation(in_contact, client, django_capture_on_commit_callbacks):
    users, match = in_contact["users"], in_contact["match"]
    client.force_login(users["need"])
    response = client.get(reverse("conversations:match", kwargs={"match_pk": match.pk}))
    thread = Thread.objects.get(match=match)
    assert response.url == reverse("conversations:thread", args=[thread.pk])
    assert (thread.first_party, thread.second_party) == (in_contact["university"], in_contact["enterprise"])
    # the same thread whoever opens it
    assert services.match_thread_open(match=match, by=users["achievement"]) == thread

    User.objects.filter(pk=users["achievement"].pk).update(language="zh-hans")
    User.objects.filter(pk=users["colleague"].pk).update(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("conversations:thread", args=[thread.pk]), {"body": "您好，想了解样机参数。"})
    assert response.status_code == 302
    # the university's members (both of them) are told by e-mail, with a link to the thread, each in their language
    assert sorted(m.to[0] for m in mail.outbox) == sorted([users["achievement"].email, users["colleague"].email])
    assert f"/messages/{thread.pk}/" in mail.outbox[0].body
    assert "样机参数" not in mail.outbox[0].body  # the mail carries a link, not the message
    by_recipient = {m.to[0]: m for m in mail.outbox}
    chinese, english = by_recipient[users["achievement"].email], by_recipient[users["colleague"].email]
    assert chinese.subject.startswith("新消息") and "New message" not in chinese.subject + chinese.body
    assert english.subject.startswith("New message") and "新消息" not in english.subject + english.body

    assert unread_count(user=users["achievement"]) == 1
    assert unread_count(user=users["need"]) == 0  # one's own message is read
    [row] = inbox(user=users["achievement"])
    assert row.unread == 1
    uni = client.__class__()
    uni.force_login(users["achievement"])
    page = uni.get(reverse("conversations:inbox")).content.decode()
    assert "1 unread" in page and thread.subject in page
    header = uni.get(reverse("matching:list")).content.decode()
    assert 'class="nav-messages"' in header and ">1</span>" in header
    page = uni.get(reverse("conversations:thread", args=[thread.pk])).content.decode()
    assert "您好，想了解样机参数。" in page
    assert unread_count(user=users["achievement"]) == 0
    assert unread_count(user=users["colleague"]) == 1  # each member reads for themselves

    uni.post(reverse("conversations:thread", args=[thread.pk]), {"body": "参数见附件说明。"})
    assert unread_count(user=users["need"]) == 1


def test_the_match_page_offers_the_thread_once_in_contact(in_contact, client):
    client.force_login(in_contact["users"]["need"])
    page = client.get(reverse("matching:detail", args=[in_contact["match"].pk])).content.decode()
    assert reverse("conversations:match", kwargs={"match_pk": in_contact["match"].pk}) in page
    assert "Write to them" in page


def test_messages_are_plain_text(in_contact, client):
    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    body = '<script>alert("x")</script>\n见 https://evil.example.com/a?b=1 与 www.example.cn'
    services.message_post(thread=thread, by=users["need"], body=body)
    client.force_login(users["achievement"])
    page = client.get(reverse("conversations:thread", args=[thread.pk])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>" in page
    assert "https://evil.example.com/a?b=1" in page
    assert 'href="https://evil.example.com' not in page and 'href="http://www.example.cn' not in page


def test_size_limit(in_contact, client):
    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    with pytest.raises(ApplicationError, match=f"at most {MESSAGE_MAX} characters"):
        services.message_post(thread=thread, by=users["need"], body="字" * (MESSAGE_MAX + 1))
    with pytest.raises(ApplicationError, match="Write a message"):
        services.message_post(thread=thread, by=users["need"], body="   ")
    services.message_post(thread=thread, by=users["need"], body="字" * MESSAGE_MAX)
    client.force_login(users["need"])
    response = client.post(reverse("conversations:thread", args=[thread.pk]), {"body": "字" * (MESSAGE_MAX + 1)})
    assert response.status_code == 400
    assert Message.objects.count() == 1


def test_rate_limits_name_the_limit(in_contact, settings, client):
    settings.CONVERSATIONS_MESSAGES_PER_MINUTE = 3
    settings.CONVERSATIONS_MESSAGES_PER_DAY = 4
    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    for n in range(3):
        services.message_post(thread=thread, by=users["need"], body=f"第{n}条")
    with pytest.raises(ApplicationError, match="at most 3 messages a minute"):
        services.message_post(thread=thread, by=users["need"], body="太快了")
    services.message_post(thread=thread, by=users["achievement"], body="另一人不受影响")  # per user
    Message.objects.filter(author=users["need"]).update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    services.message_post(thread=thread, by=users["need"], body="第4条")
    with pytest.raises(ApplicationError, match="at most 4 messages a day"):
        services.message_post(thread=thread, by=users["need"], body="第5条")
    client.force_login(users["need"])
    response = client.post(reverse("conversations:thread", args=[thread.pk]), {"body": "第5条"})
    assert response.status_code == 400 and "at most 4 messages a day" in response.content.decode()


def test_the_mail_notice_is_throttled_while_unread(in_contact, settings, django_capture_on_commit_callbacks, client):
    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    recipient = users["achievement"].email

    def send(body):
        with django_capture_on_commit_callbacks(execute=True):
            services.message_post(thread=thread, by=users["need"], body=body)
        return [m for m in mail.outbox if m.to == [recipient]]

    assert len(send("一")) == 1
    assert len(send("二")) == 1  # unread, within the hour: no second mail
    client.force_login(users["achievement"])
    client.get(reverse("conversations:thread", args=[thread.pk]))  # read since the notice
    assert len(send("三")) == 2
    assert len(send("四")) == 2
    ReadMarker.objects.filter(user=users["achievement"]).update(
        notified_at=timezone.now() - datetime.timedelta(minutes=61)
    )
    assert len(send("五")) == 3  # an hour later, still unread: told again


def test_an_agreement_proposed_and_accepted_makes_a_deal(in_contact, client):
    users, match = in_contact["users"], in_contact["match"]
    thread = services.match_thread_open(match=match, by=users["need"])
    client.force_login(users["need"])
    response = client.post(
        reverse("conversations:propose", args=[thread.pk]),
        {"mode": "license", "signed_on": timezone.localdate().isoformat(), "amount_wan": "120.5", "note": "独占许可"},
    )
    assert response.status_code == 302
    proposal = Message.objects.get(kind=Message.Kind.PROPOSAL)
    assert proposal.proposal_state == "proposed"
    # the proposing side cannot accept its own proposal
    with pytest.raises(PermissionDenied):
        services.proposal_accept(message=proposal, by=users["need"])
    uni = client.__class__()
    uni.force_login(users["achievement"])
    page = uni.get(reverse("conversations:thread", args=[thread.pk])).content.decode()
    assert "Accept and record the agreement" in page
    uni.post(reverse("conversations:answer", args=[thread.pk, proposal.pk, "accept"]))
    proposal.refresh_from_db()
    agreement = Agreement.objects.get(match=match)
    assert proposal.proposal_state == "accepted" and proposal.agreement == agreement
    assert (agreement.mode, agreement.amount_wan, agreement.note) == ("license", Decimal("120.50"), "独占许可")
    assert Match.objects.get(pk=match.pk).status == Match.Status.DEAL
    with pytest.raises(ApplicationError, match="already accepted"):
        services.proposal_decline(message=proposal, by=users["achievement"])


def test_proposals_are_declined_or_withdrawn(in_contact):
    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    today = timezone.localdate()
    with pytest.raises(ApplicationError, match="in the future"):
        services.proposal_create(
            thread=thread, by=users["need"], mode="license", signed_on=today + datetime.timedelta(days=3)
        )
    first = services.proposal_create(thread=thread, by=users["need"], mode="license", signed_on=today)
    with pytest.raises(PermissionDenied):
        services.proposal_withdraw(message=first, by=users["achievement"])
    assert services.proposal_decline(message=first, by=users["achievement"]).proposal_state == "declined"
    second = services.proposal_create(thread=thread, by=users["achievement"], mode="transfer", signed_on=today)
    assert services.proposal_withdraw(message=second, by=users["colleague"]).proposal_state == "withdrawn"
    assert not Agreement.objects.exists()
    assert Match.objects.get(pk=in_contact["match"].pk).status == Match.Status.IN_CONTACT


def test_staff_read_without_marking_read_and_hide_messages(in_contact, client, admin_client):
    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    message = services.message_post(thread=thread, by=users["need"], body="争议内容：对方违约")
    client.force_login(users["staff"])
    page = client.get(reverse("conversations:thread", args=[thread.pk])).content.decode()
    assert "争议内容：对方违约" in page and "as platform staff" in page
    assert unread_count(user=users["achievement"]) == 1  # staff reading marks nothing read
    admin_page = admin_client.get(reverse("admin:conversations_thread_change", args=[thread.pk]))
    assert "争议内容" in admin_page.content.decode()
    response = admin_client.post(
        reverse("admin:conversations_message_changelist"),
        {"action": "hide_selected", "_selected_action": [message.pk]},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.hidden
    client.force_login(users["achievement"])
    page = client.get(reverse("conversations:thread", args=[thread.pk])).content.decode()
    assert "争议内容" not in page and "hidden by platform staff" in page
    with pytest.raises(PermissionDenied):
        services.message_hide(message=message, by=users["achievement"])


def test_outsiders_may_not_write(in_contact):
    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    with pytest.raises(PermissionDenied):
        services.message_post(thread=thread, by=users["outsider"], body="你好")
    with pytest.raises(PermissionDenied):
        services.match_thread_open(match=in_contact["match"], by=users["outsider"])


def test_recent_threads_tag(in_contact):
    from django.template import Context, Template

    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    services.message_post(thread=thread, by=users["need"], body="你好")
    html = Template("{% load conversations_tags %}{% recent_threads user 5 %}").render(
        Context({"user": users["achievement"]})
    )
    assert thread.subject in html and "1 unread" in html


def test_the_header_count_is_one_query(in_contact, django_assert_num_queries):
    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    services.message_post(thread=thread, by=users["need"], body="你好")
    with django_assert_num_queries(1):
        assert unread_count(user=users["achievement"]) == 1


def _badge(page: str) -> str | None:
    found = re.search(r'class="nav-messages">[^<]*<span class="badge warn"[^>]*>(\d+)</span>', page)
    return found.group(1) if found else None


def test_the_headers_unread_count_is_kept_and_follows_messages_and_reading(in_contact, client):
    """The header's count is kept per member (no count query on each page) and moves at a new message and at
    reading the thread."""
    users = in_contact["users"]
    thread = services.match_thread_open(match=in_contact["match"], by=users["need"])
    services.message_post(thread=thread, by=users["need"], body="您好，想了解样机参数。")
    client.force_login(users["achievement"])
    assert _badge(client.get(reverse("matching:list")).content.decode()) == "1"
    with CaptureQueriesContext(connection) as captured:
        assert _badge(client.get(reverse("matching:list")).content.decode()) == "1"
    assert not [q for q in captured if 'FROM "conversations_message"' in q["sql"]]
    client.get(reverse("conversations:thread", args=[thread.pk]))  # read
    assert _badge(client.get(reverse("matching:list")).content.decode()) is None
    services.message_post(thread=thread, by=users["need"], body="参数见附件说明。")
    assert _badge(client.get(reverse("matching:list")).content.decode()) == "1"
