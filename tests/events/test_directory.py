"""The participant directory (/events/<pk>/participants/): the organisations with a confirmed place, their kind,
region and published postings (linked), for confirmed registrants of that event, its organiser and staff only; no
contacts; searchable by organisation name or domain."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from events import services
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, achievement, need

from .test_meeting_pages import aligned_event, publish, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(organiser_member, staff_user):
    university = MembershipFactory(organization=OrganizationFactory(name="合肥某大学")).user
    enterprise = MembershipFactory(organization=OrganizationFactory(
        kind="enterprise", name="深圳某电池企业", province_id="440000", city_id="440300")).user  # fmt: skip
    waiting = MembershipFactory(organization=OrganizationFactory(name="候补高校")).user
    cancelled = MembershipFactory(organization=OrganizationFactory(name="已取消机构")).user
    event = aligned_event(organiser_member, capacity=2)
    register(event, university, "张三", "zhang@u.example.cn")
    register(event, enterprise, "李四", "li@e.example.cn")
    register(event, waiting, "王五", "wang@w.example.cn")
    gone = register(event, cancelled, "赵六", "zhao@c.example.cn")
    services.registration_cancel(registration=gone, by=cancelled)
    return {
        "event": event, "organiser": organiser_member, "staff": staff_user, "university": university,
        "enterprise": enterprise, "waiting": waiting, "outsider": MembershipFactory().user, "nobody": UserFactory(),
        "robot": publish(achievement(university.organizations.get(), title="协作机器人关节模组",
                                     domains=("robotics",))),
        "draft": achievement(university.organizations.get(), title="草稿成果"),
        "battery_need": publish(need(enterprise.organizations.get(), title="低成本负极材料",
                                     domains=("battery_materials",))),
        "draft_event": aligned_event(organiser_member, title="草稿对接会", publish=False),
    }  # fmt: skip


def url(event) -> str:  # type: ignore[no-untyped-def]
    return reverse("events:participants", kwargs={"pk": event.pk})


@pytest.mark.parametrize(
    ("who", "status"),
    [("university", 200), ("enterprise", 200), ("organiser", 200), ("staff", 200), ("waiting", 403),
     ("outsider", 403), ("nobody", 403)],
)  # fmt: skip
def test_only_confirmed_registrants_the_organiser_and_staff(client, world, who, status):
    client.force_login(world[who])
    assert client.get(url(world["event"])).status_code == status


def test_anonymous_users_log_in_and_drafts_are_hidden(client, world):
    response = client.get(url(world["event"]))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(world["university"])
    assert client.get(url(world["draft_event"])).status_code == 404


def test_the_confirmed_organisations_with_kind_region_and_published_postings(client, world):
    client.force_login(world["university"])
    page = client.get(url(world["event"])).content.decode()
    assert "合肥某大学" in page and "深圳某电池企业" in page
    assert "候补高校" not in page and "已取消机构" not in page and "G60科创走廊技术交易中心" not in page
    assert "enterprise" in page and "深圳" in page
    robot = reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": world["robot"].pk})
    battery = reverse("marketplace:detail", kwargs={"kind": "needs", "pk": world["battery_need"].pk})
    assert f'href="{robot}">协作机器人关节模组</a>' in page and f'href="{battery}">低成本负极材料</a>' in page
    assert "草稿成果" not in page


def test_no_contacts_on_the_page(client, world):
    client.force_login(world["enterprise"])
    page = client.get(url(world["event"])).content.decode()
    for secret in ("@example.cn", "secret.example.cn", "13800000000", "张三", "李四", "张工", "李经理"):
        assert secret not in page


def test_search_by_name_or_domain(client, world):
    client.force_login(world["organiser"])
    page = client.get(url(world["event"]), {"q": "电池企业"}).content.decode()
    assert "深圳某电池企业" in page and "合肥某大学" not in page
    page = client.get(url(world["event"]), {"q": "机器人"}).content.decode()  # the robotics domain's Chinese name
    assert "合肥某大学" in page and "深圳某电池企业" not in page
    page = client.get(url(world["event"]), {"q": "nothing like this"}).content.decode()
    assert "No participant matches this search." in page


def test_the_event_page_links_the_directory_for_participants_not_for_others(client, world):
    detail = reverse("events:detail", kwargs={"pk": world["event"].pk})
    client.force_login(world["university"])
    assert url(world["event"]) in client.get(detail).content.decode()
    client.force_login(world["waiting"])
    assert url(world["event"]) not in client.get(detail).content.decode()
    client.force_login(world["organiser"])
    assert url(world["event"]) in client.get(detail).content.decode()


@pytest.mark.parametrize(("language", "words"), [("en", ["Participants", "Organisation name or domain"]),
                                                 ("zh-hans", ["参会机构", "机构名称或领域"])])  # fmt: skip
def test_the_directory_in_both_languages(client, world, language, words):
    """zh-hans waits for the merged catalogue (new msgids)."""
    client.force_login(world["university"])
    client.cookies.load({"django_language": language})
    with translation.override(language):
        page = client.get(url(world["event"]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for word in words:
        assert word in page
