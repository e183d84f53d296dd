"""The digest: what it lists (exactly what the list page shows for a saved search's filters, published since the
alert's last digest; follows by domain with its subdomains, province and cluster; released matches, not suggestions),
when (daily; weekly on Mondays), once per period, in the reader's language, and the same as a notification for that
member alone."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import notifications_for
from alerts import services
from alerts.digests import ALERT_ITEMS
from alerts.models import Digest, Frequency, SavedSearch
from alerts.tasks import digests_send_task
from matching import services as match_services
from matching.models import Match
from tests.factories import MembershipFactory, UserFactory

from .conftest import next_weekday

pytestmark = pytest.mark.django_db


def run(now: datetime.datetime | None = None) -> int:
    return services.digests_send_due(now=now or timezone.now())


def test_a_saved_search_lists_what_the_list_page_shows_published_since_the_last_digest(
    client, reader, make_achievement, university, django_capture_on_commit_callbacks
):
    old = make_achievement(title="旧的视觉检测成果 Old vision inspection")
    search = services.saved_search_create(
        user=reader, kind="achievements", data={"q": "缺陷检测", "domain": "next_gen_it", "mode": "license"}
    )
    fits = [make_achievement(title=f"工业视觉缺陷检测系统{n}", external_ref=f"F{n}") for n in range(2)]
    other_domain = make_achievement(title="锂电池极片缺陷检测", domains=("battery_materials",), external_ref="D")
    other_mode = make_achievement(title="焊缝缺陷检测装备", modes=["equity"], external_ref="M")
    other_words = make_achievement(title="钠离子电池硬碳负极材料", summary="低成本硬碳。", external_ref="W")
    draft = make_achievement(publish_it=False, title="视觉缺陷检测草稿", external_ref="R")
    closed = make_achievement(title="已关闭的缺陷检测成果", external_ref="C")
    from marketplace import services as posting_services

    posting_services.posting_transition(posting=closed, to="closed", by=None)
    page = client.get(reverse("marketplace:list", kwargs={"kind": "achievements"}), {"q": "缺陷检测",
                      "domain": "next_gen_it", "mode": "license"})  # fmt: skip
    on_page = {posting.pk for posting in page.context["page"]}
    assert {p.pk for p in fits} | {old.pk} == on_page  # the list page, for the same filters

    with django_capture_on_commit_callbacks(execute=True):
        assert run() == 1
    (message,) = mail.outbox
    for posting in fits:
        assert posting.title in message.body
        assert reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": posting.pk}) in message.body
    for posting in (old, other_domain, other_mode, other_words, draft, closed):
        assert posting.title not in message.body
    digest = Digest.objects.get(user=reader)
    listed_ids = {pk for _kind, pk in digest.items["alerts"][0]["postings"]}
    assert listed_ids == {p.pk for p in fits} and digest.posting_count == 2
    search.refresh_from_db()
    assert search.last_digest_at == digest.sent_at


def test_follows_by_domain_with_subdomains_province_and_cluster(
    reader, make_achievement, make_need, henan, django_capture_on_commit_callbacks
):
    services.follow_create(user=reader, target="domain", value="next_gen_it")  # "ai" is a subdomain
    services.follow_create(user=reader, target="province", value="410000")
    services.follow_create(user=reader, target="cluster", value="jjj")
    # In Anhui, in a subdomain of the followed domain:
    ai = make_achievement(title="人工智能质检成果", domains=("ai",), external_ref="A")
    henan_need = make_need(title="河南的电池需求", domains=("battery_materials",), external_ref="N")  # Henan
    beijing = make_need(title="北京的电池需求", domains=("battery_materials",), province_id="110000", city_id=None,
                        external_ref="B")  # fmt: skip
    elsewhere = make_need(title="广东的电池需求", domains=("battery_materials",), province_id="440000", city_id=None,
                          external_ref="G")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        run()
    body = mail.outbox[0].body
    assert ai.title in body and henan_need.title in body and beijing.title in body
    assert elsewhere.title not in body
    assert "Domain: Next-generation information technology" in body  # each follow's section, in English
    assert "Province: Henan" in body and "Beijing-Tianjin-Hebei" in body


def test_released_matches_are_listed_and_suggestions_are_not(
    reader, university, enterprise, staff_user, make_achievement, make_need, django_capture_on_commit_callbacks
):
    member = MembershipFactory(organization=enterprise, user__language="en").user
    services.saved_search_create(user=member, kind="needs", data={"province": "320000"})  # finds nothing
    offer = make_achievement(title="视觉检测成果", external_ref="A1")
    other = make_achievement(title="激光焊接成果", external_ref="A2")
    wanted = make_need(title="零部件缺陷检测需求", external_ref="N1")
    released = Match.objects.create(achievement=offer, need=wanted, score=0.8, components={}, reasons=[])
    suggested = Match.objects.create(achievement=other, need=wanted, score=0.7, components={}, reasons=[])
    match_services.match_approve(match=released, by=staff_user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert run() == 1
    (message,) = mail.outbox
    assert "视觉检测成果" in message.body and "激光焊接成果" not in message.body
    assert reverse("matching:detail", kwargs={"pk": released.pk}) in message.body
    assert Digest.objects.get(user=member).items["matches"] == [released.pk]
    # A match released before the last digest is not listed again; one released since is.
    match_services.match_approve(match=suggested, by=staff_user)
    Digest.objects.all().delete()  # another period
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run(timezone.now() + datetime.timedelta(days=1))
    (message,) = mail.outbox
    assert "激光焊接成果" in message.body and "视觉检测成果" not in message.body


def test_nothing_new_sends_nothing(reader, django_capture_on_commit_callbacks):
    search = services.saved_search_create(user=reader, kind="needs", data={})
    with django_capture_on_commit_callbacks(execute=True):
        assert run() == 0
    assert not mail.outbox and not Digest.objects.exists()
    search.refresh_from_db()
    assert search.last_digest_at is not None  # checked up to the run


def test_daily_every_day_weekly_on_mondays(reader, make_need, django_capture_on_commit_callbacks):
    daily_user = MembershipFactory(user__language="en").user
    services.saved_search_create(user=reader, kind="needs", data={}, frequency=Frequency.WEEKLY)
    services.saved_search_create(user=daily_user, kind="needs", data={}, frequency=Frequency.DAILY)
    paused = MembershipFactory().user
    services.saved_search_create(user=paused, kind="needs", data={}, frequency=Frequency.PAUSED)
    posting = make_need(title="新发布的需求")
    tuesday, monday = next_weekday(1), next_weekday(0)
    with django_capture_on_commit_callbacks(execute=True):
        run(tuesday)
    assert [m.to for m in mail.outbox] == [[daily_user.email]]
    assert not Digest.objects.filter(user=reader).exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run(monday)
    weekly = [m for m in mail.outbox if m.to == [reader.email]]
    assert len(weekly) == 1 and posting.title in weekly[0].body
    assert not any(m.to == [paused.email] for m in mail.outbox)


def test_running_twice_in_a_period_sends_once(reader, make_need, django_capture_on_commit_callbacks):
    services.saved_search_create(user=reader, kind="needs", data={})
    make_need(title="第一条需求", external_ref="1")
    now = timezone.now() + datetime.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digests_send_due(now=now) == 1
    make_need(title="第二条需求", external_ref="2")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digests_send_due(now=now + datetime.timedelta(minutes=5)) == 0
        digests_send_task.delay()  # the beat's task, the same day
    assert len(mail.outbox) == 1 and Digest.objects.count() == 1
    assert "第二条需求" not in mail.outbox[0].body  # left for the next period


def test_the_email_is_in_each_users_language(make_need, django_capture_on_commit_callbacks):
    zh = MembershipFactory(user__language="zh-hans").user
    en = MembershipFactory(user__language="en").user
    for user in (zh, en):
        services.follow_create(user=user, target="province", value="410000")
    make_need(title="河南的检测需求")
    with django_capture_on_commit_callbacks(execute=True):
        run()
    by_user = {tuple(m.to): m for m in mail.outbox}
    chinese, english = by_user[(zh.email,)], by_user[(en.email,)]
    assert "[技术需求]" in chinese.body and "河南省" in chinese.body and "Henan" not in chinese.body
    assert "[Need]" in english.body and "Henan" in english.body and "河南省" not in english.body
    html = chinese.alternatives[0][0]
    assert 'lang="zh-hans"' in html and "河南的检测需求" in html


def test_each_item_bounded_with_a_link_to_the_rest(reader, make_need, django_capture_on_commit_callbacks):
    services.saved_search_create(user=reader, kind="needs", data={"province": "410000"})
    for n in range(ALERT_ITEMS + 3):
        make_need(title=f"需求{n:02d}", external_ref=f"N{n}")
    with django_capture_on_commit_callbacks(execute=True):
        run()
    body = mail.outbox[0].body
    assert "and 3 more" in body and "province=410000" in body
    assert Digest.objects.get().posting_count == ALERT_ITEMS + 3


def test_the_notification_is_for_that_member_alone(reader, make_need, django_capture_on_commit_callbacks):
    colleague = MembershipFactory(organization=reader.organizations.get()).user
    services.saved_search_create(user=reader, kind="needs", data={})
    posting = make_need(title="只给读者的提醒")
    with django_capture_on_commit_callbacks(execute=True):
        run()
    (note,) = notifications_for(user=reader)
    assert posting.title in note.body and note.link == reverse("alerts:index") and note.user == reader
    assert not notifications_for(user=colleague).exists()
    assert len(mail.outbox) == 1  # the digest itself; the notification sends no second e-mail


def test_the_email_has_unsubscribe_links_and_header(reader, make_need, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://tech.example.cn"
    search = services.saved_search_create(user=reader, kind="needs", data={})
    make_need()
    with django_capture_on_commit_callbacks(execute=True):
        run()
    (message,) = mail.outbox
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://tech.example.cn/alerts/unsubscribe/") and header.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://tech.example.cn/alerts/unsubscribe/" in message.body
    assert "https://tech.example.cn/needs/" in message.alternatives[0][0]
    assert SavedSearch.objects.get(pk=search.pk).frequency == Frequency.DAILY


def test_a_user_without_alerts_gets_nothing(make_need, django_capture_on_commit_callbacks):
    UserFactory()
    make_need()
    with django_capture_on_commit_callbacks(execute=True):
        assert run() == 0
    assert not mail.outbox
