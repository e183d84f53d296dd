"""Staff rights outside admin follow admin's permissions (#11 item 6): an ``is_staff`` account without Django
permissions is an ordinary user in the API (no other organisation's drafts, contacts or matches; no approving),
and a reviewer given exactly the permissions admin asks for may do what admin lets them do."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from rest_framework.test import APIClient

from core.exceptions import PermissionDenied
from marketplace import services as posting_services
from matching.models import Match
from tests.factories import UserFactory, achievement
from tests.matching.test_api import NEED_SECRETS, build_world

pytestmark = pytest.mark.django_db


def client_for(user):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world(staff_user):  # type: ignore[no-untyped-def]
    return build_world(staff_user)


def reviewer(*codenames: str):  # type: ignore[no-untyped-def]
    user = UserFactory(is_staff=True)
    group = Group.objects.create(name=f"reviewers {'-'.join(codenames)}")
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    user.groups.add(group)
    return user


def test_staff_without_permissions_see_what_any_user_sees(world):
    bare = client_for(UserFactory(is_staff=True))
    university = world["users"]["achievement"].organizations.get()
    draft = achievement(university, title="尚未提交的草稿")
    assert bare.get(reverse("api:achievement-detail", args=[draft.pk])).status_code == 404
    listed = bare.get(reverse("api:need-list")).content.decode()
    assert not any(secret in listed for secret in NEED_SECRETS)
    assert bare.get(reverse("api:match-list")).json()["count"] == 0
    vision = world["matches"]["vision"]
    assert bare.post(reverse("api:match-approve", args=[vision.pk]), {"note": ""}).status_code == 404
    assert Match.objects.get(pk=vision.pk).status == "suggested"


def test_staff_with_admins_permissions_act_as_admin_lets_them(world):
    viewer = client_for(reviewer("view_match"))
    vision = world["matches"]["vision"]
    assert viewer.get(reverse("api:match-list")).json()["count"] == Match.objects.count()
    assert viewer.post(reverse("api:match-approve", args=[vision.pk]), {"note": ""}).status_code == 403
    assert Match.objects.get(pk=vision.pk).status == "suggested"

    approver = client_for(reviewer("view_match", "change_match"))
    response = approver.post(reverse("api:match-approve", args=[vision.pk]), {"note": "方向一致"})
    assert response.status_code == 200, response.content
    assert Match.objects.get(pk=vision.pk).status == "approved"


def test_approving_postings_takes_the_change_permission(world):
    university = world["users"]["achievement"].organizations.get()
    submitted = posting_services.posting_submit(
        posting=achievement(university, title="待审核的成果"), by=world["users"]["achievement"]
    )
    with pytest.raises(PermissionDenied):
        posting_services.posting_approve(posting=submitted, by=reviewer("view_achievement"))
    allowed = reviewer("view_achievement", "change_achievement")
    approved = posting_services.posting_approve(posting=submitted, by=allowed)
    assert approved.status == "published"


def test_a_refusal_is_read_in_the_users_language(world):
    battery = world["matches"]["battery"]  # approved: both sides see it, neither may review it
    client = client_for(world["users"]["need"])
    url = reverse("api:match-approve", args=[battery.pk])
    chinese = client.post(url, {"note": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    english = client.post(url, {"note": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert chinese.status_code == english.status_code == 403
    assert chinese.json()["detail"] == "只有平台工作人员可以审核推荐对接。"
    assert english.json()["detail"] == "Only platform staff review suggested matches."
