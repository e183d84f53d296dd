"""The matches API: who sees which match, who may answer, review and record agreements, when contacts show.

Roles: ``anonymous``; ``achievement``, a member of the university offering the achievements; ``need``, a member of
the enterprise posting the needs; ``outsider``, a member of a third organisation (which has a match of its own);
``staff``. Data is built as the product builds it: postings published through the marketplace services, matches
suggested by ``match_run_full()`` and reviewed through ``matching.services``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services
from matching.models import Agreement, Match
from matching.runs import match_run_full
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "achievement", "need", "outsider", "staff")
# The confidential contacts of the main pair's postings: the achievement's (factory default) and the need's.
ACHIEVEMENT_SECRETS = ("zhang@secret.example.cn", "13800000000")
NEED_SECRETS = ("li@secret.example.cn", "13911112222")
CONTACT_KEYS = {"counterpart_contact", "contacts", "contact_name", "contact_phone", "contact_email"}


def build_world(staff):
    """Three pairs between a university and an enterprise, and one inside a third organisation.

    ``battery`` is approved (both sides see it), ``vision`` stays a suggestion, ``solar`` is rejected by staff,
    ``foreign`` (the outsider's own pair) is approved.
    """
    university_member = MembershipFactory().user
    enterprise_member = MembershipFactory(organization=OrganizationFactory(kind="enterprise")).user
    outsider = MembershipFactory(organization=OrganizationFactory(kind="enterprise")).user
    university = university_member.organizations.get()
    enterprise = enterprise_member.organizations.get()
    third = outsider.organizations.get()
    pairs = {
        "battery": (
            achievement(university, title="钠离子电池硬碳负极材料", summary="硬碳负极。",
                        domains=("battery_materials",)),
            need(enterprise, title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
                 domains=("battery_materials",), contact_phone=NEED_SECRETS[1]),
        ),
        "vision": (
            achievement(university, title="工业视觉缺陷检测系统"),
            need(enterprise, title="汽车零部件表面缺陷检测"),
        ),
        "solar": (
            achievement(university, title="钙钛矿叠层光伏组件", summary="钙钛矿晶硅叠层电池，效率26%。",
                        domains=("photovoltaic",)),
            need(enterprise, title="钙钛矿光伏组件量产工艺", description="寻求钙钛矿光伏组件量产技术。",
                 domains=("photovoltaic",)),
        ),
        "foreign": (
            achievement(third, title="质子交换膜燃料电池催化剂", summary="低铂催化剂。", domains=("hydrogen",),
                        contact_phone="13700000000", contact_email="third@secret.example.cn"),
            need(third, title="燃料电池低铂催化剂", description="需要低铂燃料电池催化剂。", domains=("hydrogen",),
                 contact_email="third-need@secret.example.cn"),
        ),
    }  # fmt: skip
    for pair in pairs.values():
        for posting in pair:
            posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)
    match_run_full()
    matches = {name: Match.objects.get(achievement=a, need=n) for name, (a, n) in pairs.items()}
    matches["battery"] = services.match_approve(match=matches["battery"], by=staff)
    matches["foreign"] = services.match_approve(match=matches["foreign"], by=staff)
    matches["solar"] = services.match_reject(match=matches["solar"], by=staff, reason="技术路线不符")
    return {
        "users": {"achievement": university_member, "need": enterprise_member, "outsider": outsider, "staff": staff},
        "matches": matches,
    }


@pytest.fixture
def world(staff_user):
    return build_world(staff_user)


@pytest.fixture
def clients(world):
    def client_for(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return {"anonymous": client_for(None), **{role: client_for(user) for role, user in world["users"].items()}}


def url(match=None, action=None):
    if match is None:
        return reverse("api:match-list")
    return reverse(f"api:match-{action or 'detail'}", args=[match.pk])


def names(world, response):
    assert response.status_code == 200, response.content
    by_pk = {match.pk: name for name, match in world["matches"].items()}
    return [by_pk.get(item["id"], item["id"]) for item in response.json()["results"]]


def both_accept(world):
    match = world["matches"]["battery"]
    services.match_accept(match=match, by=world["users"]["need"])
    return services.match_accept(match=match, by=world["users"]["achievement"])


# --- Reading: who sees which match ------------------------------------------------------------------------------


def test_anonymous_users_are_refused_every_path(world, clients):
    client, match = clients["anonymous"], world["matches"]["battery"]
    assert client.get(url()).status_code in (401, 403)
    assert client.get(url(match)).status_code in (401, 403)
    for action in ("accept", "decline", "agreement", "approve", "reject"):
        assert client.post(url(match, action), {"reason": "x"}).status_code in (401, 403), action
    match.refresh_from_db()
    assert match.status == Match.Status.APPROVED


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("achievement", {"battery"}),
        ("need", {"battery"}),
        ("outsider", {"foreign"}),
        ("staff", {"battery", "vision", "solar", "foreign"}),
    ],
)
def test_list_shows_sides_their_reviewed_matches_and_staff_everything(world, clients, role, expected):
    seen = set(names(world, clients[role].get(url())))
    if role == "staff":
        assert expected <= seen  # staff also see the engine's weaker cross suggestions
    else:
        assert seen == expected


@pytest.mark.parametrize("role", ["achievement", "need", "outsider", "staff"])
@pytest.mark.parametrize("pair", ["battery", "vision", "solar", "foreign"])
def test_detail_is_a_404_for_matches_the_user_may_not_see(world, clients, role, pair):
    visible = {
        "achievement": {"battery"},
        "need": {"battery"},
        "outsider": {"foreign"},
        "staff": {"battery", "vision", "solar", "foreign"},
    }[role]
    response = clients[role].get(url(world["matches"][pair]))
    assert response.status_code == (200 if pair in visible else 404)


def test_declined_matches_stay_visible_to_both_sides(world, clients):
    services.match_decline(match=world["matches"]["battery"], by=world["users"]["need"], reason="预算不足")
    for role in ("achievement", "need"):
        assert names(world, clients[role].get(url())) == ["battery"]
        assert clients[role].get(url(world["matches"]["battery"])).json()["decline_reason"] == "预算不足"


def test_filters_by_status_and_by_the_users_side(world, clients, staff_user):
    services.match_approve(match=world["matches"]["vision"], by=staff_user)
    client = clients["achievement"]
    assert set(names(world, client.get(url(), {"side": "achievement"}))) == {"battery", "vision"}
    assert names(world, client.get(url(), {"side": "need"})) == []
    assert set(names(world, clients["need"].get(url(), {"side": "need"}))) == {"battery", "vision"}
    services.match_decline(match=world["matches"]["vision"], by=world["users"]["need"], reason="不需要")
    assert names(world, client.get(url(), {"status": "declined"})) == ["vision"]
    assert names(world, client.get(url(), {"status": "approved"})) == ["battery"]
    assert names(world, client.get(url(), {"status": "suggested"})) == []  # the filter never widens the scope
    assert client.get(url(), {"status": "nonsense"}).status_code == 400


def test_list_is_ordered_best_first(world, clients):
    scores = [item["score"] for item in clients["staff"].get(url(), {"page_size": 100}).json()["results"]]
    assert len(scores) >= 4
    assert scores == sorted(scores, reverse=True)


def test_output_has_the_public_fields_of_both_postings_and_the_users_side(world, clients):
    match = world["matches"]["battery"]
    data = clients["need"].get(url(match)).json()
    assert data["status"] == "approved"
    assert data["my_side"] == "need"
    assert (data["achievement_decision"], data["need_decision"]) == ("pending", "pending")
    assert set(data["components"]) == {"text", "domain", "region", "readiness", "price", "mode"}
    assert {reason["component"] for reason in data["reasons"]} == set(data["components"])
    assert set(data["reasons"][0]) == {"component", "value", "text", "broken"}
    assert data["broken"] == []
    assert data["achievement"]["title"] == "钠离子电池硬碳负极材料"
    assert data["achievement"]["summary"] == "硬碳负极。"
    assert data["achievement"]["organization"]["name"] == match.achievement.organization.name
    assert data["achievement"]["province"]["name_zh"] == "安徽省"
    assert data["achievement"]["trl"] == 6
    assert data["achievement"]["modes"] == ["license", "transfer"]
    assert data["need"]["description"] == "钠离子电池需要硬碳负极。"
    assert data["need"]["min_trl"] == 5
    assert data["need"]["budget_wan"] == "100.00"
    assert data["agreements"] == []
    assert [event["action"] for event in data["events"]] == ["approve"]
    assert clients["achievement"].get(url(match)).json()["my_side"] == "achievement"
    assert clients["staff"].get(url(match)).json()["my_side"] is None


# --- Contacts -----------------------------------------------------------------------------------------------------


def assert_no_contacts(response, secrets):
    assert response.status_code == 200
    text = response.content.decode()
    for secret in secrets:
        assert secret not in text
    items = response.json().get("results", [response.json()])
    for item in items:
        assert not CONTACT_KEYS & set(item)
        assert not CONTACT_KEYS & set(item["achievement"]) and not CONTACT_KEYS & set(item["need"])


@pytest.mark.parametrize("role", ["achievement", "need"])
def test_contacts_stay_hidden_from_both_sides_until_both_accept(world, clients, role):
    client, match = clients[role], world["matches"]["battery"]
    secrets = ACHIEVEMENT_SECRETS + NEED_SECRETS
    assert_no_contacts(client.get(url()), secrets)
    assert_no_contacts(client.get(url(match)), secrets)
    assert_no_contacts(clients["need"].post(url(match, "accept")), secrets)  # one side is not enough
    assert_no_contacts(client.get(url()), secrets)
    assert_no_contacts(client.get(url(match)), secrets)
    assert_no_contacts(client.get(url(), {"status": "approved", "side": role}), secrets)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("achievement", {"name": "李经理", "phone": NEED_SECRETS[1], "email": NEED_SECRETS[0], "source": "posting"}),
        (
            "need",
            {"name": "张工", "phone": ACHIEVEMENT_SECRETS[1], "email": ACHIEVEMENT_SECRETS[0], "source": "posting"},
        ),
    ],
)
def test_each_side_sees_the_others_contact_once_both_accepted(world, clients, role, expected):
    match = both_accept(world)
    assert match.status == Match.Status.IN_CONTACT
    client = clients[role]
    detail = client.get(url(match)).json()
    assert detail["counterpart_contact"] == expected
    assert "contacts" not in detail
    [listed] = client.get(url()).json()["results"]
    assert listed["counterpart_contact"] == expected
    own = ACHIEVEMENT_SECRETS if role == "achievement" else NEED_SECRETS
    assert own[0] not in client.get(url(match)).content.decode()  # only the other side's contact is added


def test_staff_see_both_contacts_and_outsiders_never_reach_them(world, clients):
    match = world["matches"]["battery"]
    contacts = clients["staff"].get(url(match)).json()["contacts"]
    assert (contacts["achievement"]["email"], contacts["need"]["email"]) == (ACHIEVEMENT_SECRETS[0], NEED_SECRETS[0])
    both_accept(world)
    assert clients["outsider"].get(url(match)).status_code == 404
    text = clients["outsider"].get(url()).content.decode()
    assert ACHIEVEMENT_SECRETS[0] not in text and NEED_SECRETS[0] not in text


# --- Answering: accept and decline ----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("achievement", 200), ("need", 200), ("outsider", 404), ("staff", 403)])
def test_who_may_accept(world, clients, role, status):
    match = world["matches"]["battery"]
    response = clients[role].post(url(match, "accept"))
    assert response.status_code == status, response.content
    match.refresh_from_db()
    if status == 200:
        assert response.json()[f"{role}_decision"] == "accepted"
        assert response.json()["status"] == "approved"
        assert getattr(match, f"{role}_decision") == Match.Decision.ACCEPTED
    else:
        assert (match.achievement_decision, match.need_decision) == ("pending", "pending")


def test_the_second_acceptance_puts_the_match_in_contact(world, clients):
    match = world["matches"]["battery"]
    assert clients["need"].post(url(match, "accept")).json()["status"] == "approved"
    data = clients["achievement"].post(url(match, "accept")).json()
    assert data["status"] == "in_contact"
    assert data["counterpart_contact"]["email"] == NEED_SECRETS[0]
    assert clients["achievement"].post(url(match, "accept")).status_code == 400  # answered already


@pytest.mark.parametrize(("role", "status"), [("achievement", 200), ("need", 200), ("outsider", 404), ("staff", 403)])
def test_who_may_decline(world, clients, role, status):
    match = world["matches"]["battery"]
    response = clients[role].post(url(match, "decline"), {"reason": "预算不足"}, format="json")
    assert response.status_code == status, response.content
    match.refresh_from_db()
    assert match.status == (Match.Status.DECLINED if status == 200 else Match.Status.APPROVED)
    if status == 200:
        assert response.json()["decline_reason"] == "预算不足"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": {"not": "text"}}])
def test_declining_without_a_reason_is_a_400_naming_reason(world, clients, body):
    match = world["matches"]["battery"]
    response = clients["need"].post(url(match, "decline"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    match.refresh_from_db()
    assert match.status == Match.Status.APPROVED


def test_suggested_and_rejected_matches_cannot_be_answered_by_the_sides(world, clients):
    for pair in ("vision", "solar"):
        assert clients["need"].post(url(world["matches"][pair], "accept")).status_code == 404
        response = clients["need"].post(url(world["matches"][pair], "decline"), {"reason": "x"})
        assert response.status_code == 404


# --- Agreements -----------------------------------------------------------------------------------------------


AGREEMENT = {"mode": "license", "signed_on": "2026-01-15", "amount_wan": "120.50", "note": "首付30%"}


@pytest.mark.parametrize("role", ["achievement", "need", "staff"])
def test_an_agreement_before_both_sides_accepted_is_a_400(world, clients, role):
    match = world["matches"]["battery"]
    services.match_accept(match=match, by=world["users"]["need"])
    response = clients[role].post(url(match, "agreement"), AGREEMENT, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("achievement", 201), ("need", 201), ("outsider", 404), ("staff", 201)])
def test_who_may_record_an_agreement_once_in_contact(world, clients, role, status):
    match = both_accept(world)
    response = clients[role].post(url(match, "agreement"), AGREEMENT, format="json")
    assert response.status_code == status, response.content
    match.refresh_from_db()
    if status == 201:
        data = response.json()
        assert (data["mode"], data["signed_on"], data["amount_wan"], data["note"]) == (
            "license", "2026-01-15", "120.50", "首付30%",
        )  # fmt: skip
        assert match.status == Match.Status.DEAL
        agreement = Agreement.objects.get()
        assert (agreement.amount_wan, agreement.recorded_by) == (Decimal("120.50"), world["users"][role])
        listed = clients[role].get(url(match)).json()
        assert listed["status"] == "deal"
        assert [item["id"] for item in listed["agreements"]] == [agreement.pk]
    else:
        assert match.status == Match.Status.IN_CONTACT
        assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**AGREEMENT, "mode": "gift"}, "mode"),
        ({"mode": "license"}, "signed_on"),
        ({**AGREEMENT, "amount_wan": "-1"}, "amount_wan"),
        ({**AGREEMENT, "signed_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat()}, "signed_on"),
    ],
)
def test_agreement_input_errors_name_the_field(world, clients, body, field):
    match = both_accept(world)
    response = clients["need"].post(url(match, "agreement"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Agreement.objects.exists()


# --- Staff review ---------------------------------------------------------------------------------------------


def test_staff_approve_a_suggestion_and_then_both_sides_see_it(world, clients):
    vision = world["matches"]["vision"]
    response = clients["staff"].post(url(vision, "approve"), {"note": "匹配度高"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert set(names(world, clients["need"].get(url()))) == {"battery", "vision"}
    events = clients["need"].get(url(vision)).json()["events"]
    assert [(e["action"], e["note"]) for e in events] == [("approve", "")]  # staff's notes stay with staff
    assert clients["staff"].get(url(vision)).json()["events"][0]["note"] == "匹配度高"


@pytest.mark.parametrize(
    ("role", "suggested_status", "approved_status"),
    [("achievement", 404, 403), ("need", 404, 403), ("outsider", 404, 404), ("staff", 200, 400)],
)
def test_only_staff_approve(world, clients, role, suggested_status, approved_status):
    assert clients[role].post(url(world["matches"]["vision"], "approve")).status_code == suggested_status
    assert clients[role].post(url(world["matches"]["battery"], "approve")).status_code == approved_status


@pytest.mark.parametrize(("role", "status"), [("achievement", 403), ("need", 403), ("outsider", 404), ("staff", 200)])
def test_only_staff_reject_and_they_say_why(world, clients, role, status):
    match = world["matches"]["battery"]
    response = clients[role].post(url(match, "reject"), {"reason": "重复推荐"}, format="json")
    assert response.status_code == status, response.content
    match.refresh_from_db()
    assert match.status == (Match.Status.REJECTED if status == 200 else Match.Status.APPROVED)
    if status == 200:
        assert clients["need"].get(url(match)).status_code == 404  # rejected: gone from the sides


def test_rejecting_without_a_reason_is_a_400_naming_reason(world, clients):
    response = clients["staff"].post(url(world["matches"]["vision"], "reject"), {}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]


# --- Language, schema ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("accept_language", "key"), [("zh-hans", "zh"), ("zh-CN,zh;q=0.9", "zh"), ("en", "en")])
def test_reasons_follow_the_requests_language(world, clients, accept_language, key):
    match = world["matches"]["battery"]
    expected = [reason[key] for reason in match.reasons]
    detail = clients["need"].get(url(match), HTTP_ACCEPT_LANGUAGE=accept_language).json()
    assert [reason["text"] for reason in detail["reasons"]] == expected
    listed = clients["need"].get(url(), HTTP_ACCEPT_LANGUAGE=accept_language).json()["results"][0]
    assert [reason["text"] for reason in listed["reasons"]] == expected
    domain = next(reason["text"] for reason in detail["reasons"] if reason["component"] == "domain")
    assert domain == ("同一技术领域：电池材料" if key == "zh" else "Same domain: Battery materials")


def test_the_schema_documents_the_match_endpoints_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text(encoding="utf-8")
    for path in ("/api/v1/matches/", "/api/v1/matches/{id}/accept/", "/api/v1/matches/{id}/agreement/"):
        assert f"{path}:" in schema
