"""Notifications and their e-mails in the reader's language, one language at a time: a notification is stored as
written (msgid and parameters, ``core.i18n``) and read in whoever reads it; each member is e-mailed in their own
preferred language, whatever language the service ran in (a Celery task, a command: none)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.models import Notification
from accounts.services import organization_notify
from core import i18n
from marketplace import services as posting_services
from marketplace.models import CooperationMode, Status
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, need

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]+[ ,']+[A-Za-z]+[ ,']+[A-Za-z]+")


def _overdue_need(organization):
    overdue = need(organization, title="低成本硬碳负极材料", deadline=timezone.localdate() + datetime.timedelta(days=5))
    posting_services.posting_transition(posting=overdue, to=Status.PUBLISHED, by=None)
    type(overdue).objects.filter(pk=overdue.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    return overdue


@pytest.fixture
def organization_of_two():
    """One organisation, a member reading Chinese and one reading English."""
    organization = OrganizationFactory(kind="enterprise")
    chinese = MembershipFactory(organization=organization, user=UserFactory(language="zh-hans")).user
    english = MembershipFactory(organization=organization, user=UserFactory(language="en")).user
    return organization, chinese, english


def test_a_notification_written_by_a_service_is_read_in_each_readers_language(organization_of_two):
    organization, _chinese, _english = organization_of_two
    _overdue_need(organization)
    with translation.override("en"):  # the language the service ran in decides nothing
        posting_services.need_expire_overdue()
    notification = Notification.objects.get(organization=organization)
    with translation.override("zh-hans"):
        subject, body = notification.subject_text, notification.body_text
    assert subject == "需求已过截止日期并关闭：低成本硬碳负极材料"
    assert CJK.search(body) and not ENGLISH_SENTENCE.search(body), body
    with translation.override("en"):
        subject, body = notification.subject_text, notification.body_text
    assert subject == "Need closed, its deadline passed: 低成本硬碳负极材料"
    assert not CJK.search(body.replace("低成本硬碳负极材料", "")), body
    assert "/" not in subject  # one language, never "中文 / English"


def test_the_page_shows_a_notification_in_the_readers_language(client, organization_of_two):
    organization, chinese, english = organization_of_two
    organization_notify(
        organization=organization,
        subject=i18n.message(gettext_noop("New matches suggested by the platform: %(count)d"), count=3),
        mail=False,
    )
    client.force_login(english)
    page = client.get(reverse("matching:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "New matches suggested by the platform: 3" in page
    Notification.objects.update(read_at=None)
    client.force_login(chinese)
    page = client.get(reverse("matching:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "平台新推荐的对接：3 项" in page and "New matches suggested" not in page


def test_each_member_is_mailed_in_their_own_language(organization_of_two, django_capture_on_commit_callbacks):
    organization, chinese, english = organization_of_two
    _overdue_need(organization)
    with django_capture_on_commit_callbacks(execute=True):
        posting_services.need_expire_overdue()  # as the daily task runs it: no request, no language of its own
    by_recipient = {sent.to[0]: sent for sent in mail.outbox}
    assert set(by_recipient) == {chinese.email, english.email}  # one e-mail each, none with both languages
    to_chinese, to_english = by_recipient[chinese.email], by_recipient[english.email]
    assert to_chinese.subject == "需求已过截止日期并关闭：低成本硬碳负极材料"
    assert not ENGLISH_SENTENCE.search(to_chinese.body.split("\n\n")[0]), to_chinese.body
    assert to_english.subject == "Need closed, its deadline passed: 低成本硬碳负极材料"
    assert not CJK.search(to_english.body.replace("低成本硬碳负极材料", "")), to_english.body


def test_members_reading_the_same_language_share_one_email(django_capture_on_commit_callbacks):
    organization = OrganizationFactory()
    first, second = (MembershipFactory(organization=organization, user=UserFactory(language="en")).user
                     for _ in range(2))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        organization_notify(organization=organization, subject=i18n.message(gettext_noop("New matches suggested by "
                            "the platform: %(count)d"), count=2))  # fmt: skip
    (sent,) = mail.outbox
    assert sorted(sent.to) == sorted([first.email, second.email])
    assert sent.subject == "New matches suggested by the platform: 2"


def test_a_choice_and_an_amount_in_a_message_are_read_in_the_readers_language():
    stored = i18n.message(
        gettext_noop("%(mode)s · %(amount)s · signed on %(date)s"),
        mode=CooperationMode.LICENSE, amount=i18n.amount_wan(Decimal("120.50")), date=datetime.date(2026, 5, 1),
    )  # fmt: skip
    with translation.override("en"):
        english_label = str(CooperationMode.LICENSE.label)
    with translation.override("zh-hans"):
        chinese_label = str(CooperationMode.LICENSE.label)
    assert i18n.render_in("en", stored) == f"{english_label} · 120.5 × 10k CNY · signed on 2026-05-01"
    # Waits for the catalogue with this change's translations:
    assert i18n.render_in("zh-hans", stored) == f"{chinese_label} · 120.5 万元 · 签署于 2026-05-01"


def test_a_notification_stored_as_text_before_keeps_its_text():
    organization = OrganizationFactory()
    old = Notification.objects.create(
        organization=organization, subject="新的推荐对接 / New suggested match", body="正文"
    )
    with translation.override("en"):
        assert (old.subject_text, old.body_text) == ("新的推荐对接 / New suggested match", "正文")
    with translation.override("zh-hans"):
        assert str(old) == "新的推荐对接 / New suggested match"


def test_text_typed_by_a_person_is_shown_as_typed():
    organization = OrganizationFactory()
    notification = organization_notify(
        organization=organization,
        subject=i18n.message(gettext_noop("Your edit was not published: %(title)s"), title="钠电池"),
        body="价格写错了",
        mail=False,
    )
    with translation.override("en"):
        assert notification.subject_text == "Your edit was not published: 钠电池"
        assert notification.body_text == "价格写错了"
