"""The achievements and needs API: who sees and does what, the confidential contact, filters, errors.

Roles: ``anonymous``; ``owner``, a member of the posting organisation; ``outsider``, a member of another
organisation; ``staff``. Postings are made and moved through the services, as every interface does.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.services import api_token_issue, organization_set_verified
from core.api import exception_handler
from core.exceptions import ApplicationError, PermissionDenied
from marketplace import services
from marketplace.models import Achievement, Need, Status
from reference.models import City, Province
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, achievement, need

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "outsider", "staff")
SECRET_EMAIL = "zhang@secret.example.cn"  # the factories' contact
SECRET_PHONE = "13800000000"
CONTACT_KEYS = {"contact_name", "contact_phone", "contact_email"}
SEES_CONTACT = [("anonymous", False), ("owner", True), ("outsider", False), ("staff", True)]


@pytest.fixture
def owner(member):
    return member


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(kind="enterprise")


@pytest.fixture
def outsider(other_organization):
    return MembershipFactory(organization=other_organization).user


@pytest.fixture
def clients(owner, outsider, staff_user):
    def client_for(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return {
        "anonymous": client_for(None),
        "owner": client_for(owner),
        "outsider": client_for(outsider),
        "staff": client_for(staff_user),
    }


def publish(posting, *, by, staff):
    return services.posting_approve(posting=services.posting_submit(posting=posting, by=by), by=staff)


@pytest.fixture
def postings(organization, owner, other_organization, outsider, staff_user):
    """One posting of each status for the owner's organisation, and a draft of the outsider's."""
    draft = achievement(organization, by=owner, title="硫化物固态电池电解质", external_ref="DRAFT-1")
    submitted = services.posting_submit(posting=achievement(organization, by=owner, title="氢燃料电池催化剂"), by=owner)
    published = publish(achievement(organization, by=owner, title="工业视觉缺陷检测"), by=owner, staff=staff_user)
    closed = services.posting_close(
        posting=publish(achievement(organization, by=owner, title="旧的成果"), by=owner, staff=staff_user), by=owner
    )
    rejected = services.posting_reject(
        posting=services.posting_submit(posting=achievement(organization, by=owner, title="被退回的成果"), by=owner),
        by=staff_user,
        reason="请补充专利号",
    )
    foreign_draft = achievement(
        other_organization,
        by=outsider,
        title="外单位草稿",
        contact_name="赵工",
        contact_phone="13700000000",
        contact_email="zhao@other.example.cn",
    )
    return {
        "draft": draft,
        "submitted": submitted,
        "published": published,
        "closed": closed,
        "rejected": rejected,
        "foreign_draft": foreign_draft,
    }


def list_url(kind="achievement"):
    return reverse(f"api:{kind}-list")


def detail_url(posting, action=None):
    kind = "achievement" if isinstance(posting, Achievement) else "need"
    name = f"api:{kind}-{action or 'detail'}"
    return reverse(name, args=[posting.pk])


def titles(response):
    assert response.status_code == 200, response.content
    return {item["title"] for item in response.json()["results"]}


def new_achievement(**overrides):
    return {
        "title": "钙钛矿光伏组件",
        "summary": "高效叠层太阳能电池，转换效率 26%。",
        "province": "安徽省",
        "city": "合肥",
        "domains": ["photovoltaic"],
        "keywords": ["钙钛矿", "光伏"],
        "modes": ["license"],
        "trl": 6,
        "ip_status": "granted_patent",
        "patent_numbers": ["ZL202310000000.1"],
        "price_min_wan": "50.00",
        "price_max_wan": "80.00",
        "contact_name": "王老师",
        "contact_phone": "13900000000",
        "contact_email": "wang@secret.example.cn",
        **overrides,
    }


# --- Reading: who sees what -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", {"published"}),
        ("owner", {"draft", "submitted", "published", "closed", "rejected"}),
        ("outsider", {"published", "foreign_draft"}),
        ("staff", {"draft", "submitted", "published", "closed", "rejected", "foreign_draft"}),
    ],
)
def test_list_shows_published_postings_to_all_and_the_others_to_their_owner_and_staff(
    clients, postings, role, expected
):
    assert titles(clients[role].get(list_url())) == {postings[name].title for name in expected}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("anonymous", {"published"}),
        ("owner", {"draft", "submitted", "published", "closed", "rejected"}),
        ("outsider", {"published"}),
        ("staff", {"draft", "submitted", "published", "closed", "rejected"}),
    ],
)
def test_detail_is_404_for_postings_the_user_may_not_see(clients, postings, role, visible):
    for name in ("draft", "submitted", "published", "closed", "rejected"):
        response = clients[role].get(detail_url(postings[name]))
        assert response.status_code == (200 if name in visible else 404), (name, response.content)
        if name in visible:
            assert response.json()["status"] == postings[name].status


@pytest.mark.parametrize("role", ["anonymous", "outsider"])
@pytest.mark.parametrize(
    "query",
    [
        {"status": "draft"},
        {"status": "submitted"},
        {"q": "固态电池"},
        {"q": "燃料电池"},
        {"domain": "ai"},
        {"domain": "next_gen_it"},
        {"province": "340000"},
        {"cluster": "yrd"},
        {"mode": "license"},
        {"language": "zh"},
        {"readiness_min": "1"},
        {"organization": "ORG"},
        {"page_size": "100"},
    ],
)
def test_no_filter_or_search_reveals_a_posting_the_user_may_not_see(clients, postings, organization, role, query):
    query = {key: str(organization.pk) if value == "ORG" else value for key, value in query.items()}
    found = titles(clients[role].get(list_url(), query))
    hidden = {postings[name].title for name in ("draft", "submitted", "closed", "rejected")}
    assert not found & hidden


def test_the_owner_finds_its_drafts_by_search_and_status(clients, postings):
    results = clients["owner"].get(list_url(), {"q": "固态电池"}).json()["results"]
    assert [item["title"] for item in results] == ["硫化物固态电池电解质", "氢燃料电池催化剂"]  # best match first
    assert titles(clients["owner"].get(list_url(), {"status": "draft"})) == {"硫化物固态电池电解质"}
    assert titles(clients["outsider"].get(list_url(), {"status": "draft"})) == {"外单位草稿"}


def test_output_shape(clients, postings, organization):
    data = clients["owner"].get(detail_url(postings["published"])).json()
    assert data["province"] == {"code": "340000", "name_zh": "安徽省", "name_en": "Anhui"}
    assert data["city"] == {"code": "340100", "name_zh": "合肥市", "name_en": "Hefei"}
    assert data["organization"] == {
        "id": organization.pk,
        "name": organization.name,
        "kind": "university",
        "verified": False,
    }
    assert data["domains"] == ["ai"]
    assert data["modes"] == ["license", "transfer"]
    assert data["trl"] == 6
    assert data["status"] == "published"
    assert data["published_at"]
    expected = {
        "id",
        "external_ref",
        "title",
        "summary",
        "domains",
        "keywords",
        "modes",
        "province",
        "city",
        "organization",
        "language",
        "status",
        "rejection_reason",
        "held_edit",
        "published_at",
        "created_at",
        "updated_at",
        "trl",
        "ip_status",
        "patent_numbers",
        "price_min_wan",
        "price_max_wan",
        *CONTACT_KEYS,
    }
    assert set(data) == expected
    assert data["held_edit"] is None  # no edit waits for review


def test_a_posting_without_city_shows_null(clients, organization, owner):
    posting = achievement(organization, by=owner, city=None)
    assert clients["owner"].get(detail_url(posting)).json()["city"] is None


# --- The confidential contact -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "sees"), SEES_CONTACT)
def test_contact_is_serialized_only_for_the_owner_and_staff(clients, postings, role, sees):
    posting = postings["published"]
    for response in (clients[role].get(detail_url(posting)), clients[role].get(list_url())):
        assert response.status_code == 200
        text = response.content.decode()
        data = response.json()
        item = data if "results" not in data else next(i for i in data["results"] if i["id"] == posting.pk)
        if sees:
            assert item["contact_email"] == SECRET_EMAIL
            assert item["contact_phone"] == SECRET_PHONE
            assert item["contact_name"] == "张工"
            assert "rejection_reason" in item
        else:
            assert not CONTACT_KEYS & set(item)
            assert "rejection_reason" not in item
            assert SECRET_EMAIL not in text
            assert SECRET_PHONE not in text
            assert "张工" not in text


@pytest.mark.parametrize(("role", "sees"), SEES_CONTACT)
def test_need_contact_is_serialized_only_for_the_owner_and_staff(clients, organization, owner, staff_user, role, sees):
    posting = publish(need(organization, by=owner), by=owner, staff=staff_user)
    text = clients[role].get(detail_url(posting)).content.decode()
    assert ("li@secret.example.cn" in text) is sees
    assert ("李经理" in text) is sees


def test_contact_is_absent_from_filtered_and_searched_lists(clients, postings):
    for query in ({"q": "缺陷检测"}, {"domain": "ai"}, {"province": "340000"}, {"page_size": "1"}):
        text = clients["outsider"].get(list_url(), query).content.decode()
        assert "工业视觉缺陷检测" in text or query == {"page_size": "1"}
        assert SECRET_EMAIL not in text
        assert SECRET_PHONE not in text


def test_the_owner_reads_the_reason_for_a_rejection(clients, postings):
    assert clients["owner"].get(detail_url(postings["rejected"])).json()["rejection_reason"] == "请补充专利号"


# --- Creating ---------------------------------------------------------------------------------------------------


def test_anonymous_users_may_not_create(clients):
    response = clients["anonymous"].post(list_url(), new_achievement(), format="json")
    assert response.status_code == 403
    assert not Achievement.objects.exists()


def test_a_member_creates_a_draft_for_its_organisation(clients, owner, organization):
    response = clients["owner"].post(list_url(), new_achievement(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft"
    assert data["organization"]["id"] == organization.pk
    assert data["province"]["code"] == "340000"
    assert data["city"]["code"] == "340100"
    assert data["domains"] == ["photovoltaic"]
    assert data["price_min_wan"] == "50.00"
    assert data["contact_email"] == "wang@secret.example.cn"
    posting = Achievement.objects.get(pk=data["id"])
    assert posting.created_by == owner
    assert [t.to_status for t in posting.transitions.all()] == ["draft"]
    # A draft: the outsider and the public do not see it.
    assert clients["outsider"].get(detail_url(posting)).status_code == 404
    assert clients["anonymous"].get(detail_url(posting)).status_code == 404


@pytest.mark.parametrize(
    ("province", "city", "codes"),
    [
        ("安徽省", "合肥市", ("340000", "340100")),
        ("安徽", "合肥", ("340000", "340100")),
        ("Anhui", "Hefei", ("340000", "340100")),
        ("合肥", None, ("340000", "340100")),
        ("江苏", "Suzhou", ("320000", "320500")),
        ("上海", "", ("310000", "310100")),
        ("Guangdong Province", None, ("440000", None)),
    ],
)
def test_places_are_accepted_in_any_spelling(clients, province, city, codes):
    response = clients["owner"].post(list_url(), new_achievement(province=province, city=city), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["province"]["code"], data["city"] and data["city"]["code"]) == codes


def test_the_organisation_defaults_to_the_primary_membership(clients, owner, organization):
    second = OrganizationFactory()
    MembershipFactory(user=owner, organization=second, role=Membership.Role.MEMBER)
    response = clients["owner"].post(list_url(), new_achievement(), format="json")
    assert response.json()["organization"]["id"] == organization.pk
    response = clients["owner"].post(list_url(), new_achievement(organization=second.pk), format="json")
    assert response.status_code == 201
    assert response.json()["organization"]["id"] == second.pk


def test_nobody_posts_for_an_organisation_they_do_not_belong_to(clients, organization):
    response = clients["outsider"].post(list_url(), new_achievement(organization=organization.pk), format="json")
    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Achievement.objects.exists()


def test_staff_post_for_any_organisation_but_must_name_it(clients, organization):
    response = clients["staff"].post(list_url(), new_achievement(), format="json")
    assert response.status_code == 400
    assert "organization" in response.json()
    response = clients["staff"].post(list_url(), new_achievement(organization=organization.pk), format="json")
    assert response.status_code == 201
    assert response.json()["organization"]["id"] == organization.pk


def test_a_user_without_organisation_is_told_to_name_one(db):
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.post(list_url(), new_achievement(), format="json")
    assert response.status_code == 400
    assert "organization" in response.json()


def test_a_member_creates_a_need(clients, organization):
    payload = {
        "title": "汽车零部件表面缺陷自动检测",
        "description": "冲压件表面划痕人工目检漏检率高。",
        "province": "Anhui",
        "city": "Wuhu",
        "domains": ["ai"],
        "min_trl": 5,
        "budget_wan": "120.50",
        "region_scope": "cluster",
        "deadline": "2030-06-30",
        "contact_email": "li@secret.example.cn",
    }
    response = clients["owner"].post(list_url("need"), payload, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["budget_wan"], data["deadline"]) == ("draft", "120.50", "2030-06-30")
    assert data["city"]["name_en"] == "Wuhu"
    assert Need.objects.get().organization == organization


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"trl": 12}, "trl"),
        ({"province": "火星省"}, "province"),
        ({"province": "安徽", "city": "不存在市"}, "city"),
        ({"province": "安徽", "city": "深圳"}, "city"),
        ({"domains": ["quantum_gravity"]}, "domains"),
        ({"price_min_wan": "100", "price_max_wan": "50"}, "price_max_wan"),
        ({"price_min_wan": "-1"}, "price_min_wan"),
        ({"keywords": ["词"] * 9}, "keywords"),
        ({"modes": ["barter"]}, "modes"),
        ({"title": ""}, "title"),
        ({"summary": None}, "summary"),
        ({"ip_status": "secret"}, "ip_status"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"language": "fr"}, "language"),
        ({"organization": 999999}, "organization"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(clients, overrides, field):
    response = clients["owner"].post(list_url(), new_achievement(**overrides), format="json")
    assert response.status_code == 400
    errors = response.json()
    named = [name for name in errors if name == field or name.startswith(f"{field}.")]  # list items: "modes.0"
    assert named, errors
    assert all(isinstance(errors[name], list) and errors[name] for name in named)  # each a list of messages
    assert not Achievement.objects.exists()


def test_the_unknown_place_is_named_in_the_message(clients):
    response = clients["owner"].post(list_url(), new_achievement(province="火星省"), format="json")
    assert "火星省" in response.json()["province"][0]


def test_required_fields(clients):
    response = clients["owner"].post(list_url(), {}, format="json")
    assert response.status_code == 400
    assert {"title", "summary", "province"} <= set(response.json())


def test_a_reference_is_unique_within_the_organisation(clients, postings, outsider):
    response = clients["owner"].post(list_url(), new_achievement(external_ref="DRAFT-1"), format="json")
    assert response.status_code == 400
    assert "external_ref" in response.json()
    # Another organisation may use the same reference.
    response = clients["outsider"].post(list_url(), new_achievement(external_ref="DRAFT-1"), format="json")
    assert response.status_code == 201


def test_need_errors_name_the_field(clients):
    payload = {"title": "需求", "description": "说明", "province": "安徽", "min_trl": 0, "budget_wan": "-5"}
    errors = clients["owner"].post(list_url("need"), payload, format="json").json()
    assert {"min_trl", "budget_wan"} <= set(errors)
    payload = {"title": "需求", "description": "说明", "province": "安徽", "region_scope": "moon"}
    assert "region_scope" in clients["owner"].post(list_url("need"), payload, format="json").json()


# --- Updating ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "draft_status", "published_status"),
    [("anonymous", 403, 403), ("owner", 200, 200), ("outsider", 404, 403), ("staff", 200, 200)],
)
def test_who_may_edit(clients, postings, role, draft_status, published_status):
    for name, expected in (("draft", draft_status), ("published", published_status)):
        posting = postings[name]
        response = clients[role].patch(detail_url(posting), {"title": "改过的标题"}, format="json")
        assert response.status_code == expected, (name, response.content)
        posting.refresh_from_db()
        # The owner's organisation is not verified: its edit of the published posting waits for staff review.
        held = role == "owner" and name == "published"
        assert (posting.title == "改过的标题") is (expected == 200 and not held)
        assert (posting.held_edit or {}).get("fields") == ({"title": "改过的标题"} if held else None)
        if held:  # the owner is shown the edit waiting, and why
            assert response.json()["held_edit"]["fields"] == {"title": "改过的标题"}
            assert "verified" in response.json()["held_edit"]["reason"]
            assert "held_edit" not in clients["outsider"].get(detail_url(posting)).json()
        assert posting.status == postings[name].status  # editing never moves the status


def test_an_outsider_is_refused_before_the_input_is_judged(clients, postings):
    response = clients["outsider"].patch(detail_url(postings["published"]), {"trl": 12}, format="json")
    assert response.status_code == 403


def test_editing_reindexes_and_keeps_what_is_not_sent(clients, postings):
    posting = postings["draft"]
    response = clients["owner"].patch(
        detail_url(posting), {"title": "钠离子电池正极材料", "domains": ["energy_storage"]}, format="json"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["domains"] == ["energy_storage"]
    assert data["trl"] == 6  # untouched
    assert titles(clients["owner"].get(list_url(), {"q": "钠离子"})) == {"钠离子电池正极材料"}
    assert titles(clients["owner"].get(list_url(), {"domain": "new_energy"})) == {"钠离子电池正极材料"}


def test_editing_the_place(clients, postings):
    url = detail_url(postings["draft"])
    data = clients["owner"].patch(url, {"city": "芜湖"}, format="json").json()
    assert (data["province"]["code"], data["city"]["name_en"]) == ("340000", "Wuhu")
    data = clients["owner"].patch(url, {"province": "浙江"}, format="json").json()
    assert (data["province"]["code"], data["city"]) == ("330000", None)
    data = clients["owner"].patch(url, {"province": "Zhejiang", "city": "Hangzhou"}, format="json").json()
    assert data["city"]["code"] == "330100"
    response = clients["owner"].patch(url, {"city": "深圳"}, format="json")
    assert response.status_code == 400
    assert "city" in response.json()


def test_a_full_update_needs_the_required_fields(clients, postings):
    url = detail_url(postings["draft"])
    response = clients["owner"].put(url, {"title": "只有标题"}, format="json")
    assert response.status_code == 400
    assert {"summary", "province"} <= set(response.json())
    response = clients["owner"].put(url, new_achievement(title="全部重写", trl=None), format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["trl"]) == ("全部重写", None)


def test_an_update_does_not_move_the_posting_to_another_organisation(clients, postings, organization, outsider):
    other = outsider.organizations.get()
    response = clients["staff"].patch(detail_url(postings["draft"]), {"organization": other.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["organization"]["id"] == organization.pk


def test_update_errors_name_the_field(clients, postings):
    url = detail_url(postings["draft"])
    assert "trl" in clients["owner"].patch(url, {"trl": 12}, format="json").json()
    prices = {"price_min_wan": 9, "price_max_wan": 1}
    assert "price_max_wan" in clients["owner"].patch(url, prices, format="json").json()
    response = clients["owner"].patch(url, {"external_ref": "DRAFT-1"}, format="json")  # its own reference
    assert response.status_code == 200


def test_status_is_not_editable(clients, postings):
    response = clients["owner"].patch(detail_url(postings["draft"]), {"status": "published"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


@pytest.mark.parametrize("role", ROLES)
def test_there_is_no_delete(clients, postings, role):
    response = clients[role].delete(detail_url(postings["published"]))
    assert response.status_code == (403 if role == "anonymous" else 405)
    assert Achievement.objects.filter(pk=postings["published"].pk).exists()


# --- Moving through the life cycle --------------------------------------------------------------------------------


def post_action(client, posting, action, data=None):
    return client.post(detail_url(posting, action), data or {}, format="json")


@pytest.mark.parametrize(
    ("role", "expected", "status"),
    [("anonymous", 403, "draft"), ("owner", 200, "submitted"), ("outsider", 404, "draft"), ("staff", 200, "submitted")],
)
def test_submit(clients, postings, role, expected, status):
    response = post_action(clients[role], postings["draft"], "submit")
    assert response.status_code == expected, response.content
    postings["draft"].refresh_from_db()
    assert postings["draft"].status == status
    if expected == 200:
        assert response.json()["status"] == status


def test_submit_refusals(clients, postings):
    # The outsider sees the published posting but is not of its organisation.
    assert post_action(clients["outsider"], postings["published"], "submit").status_code == 403
    response = post_action(clients["owner"], postings["published"], "submit")
    assert response.status_code == 400
    assert "status" in response.json()


def test_a_verified_organisation_publishes_at_once(clients, organization, owner, staff_user, settings):
    settings.MARKETPLACE_VERIFIED_AUTO_PUBLISH = True
    organization_set_verified(organization=organization, verified=True, by=staff_user)
    posting = achievement(organization, by=owner)
    assert post_action(clients["owner"], posting, "submit").json()["status"] == "published"
    assert clients["anonymous"].get(detail_url(posting)).status_code == 200


@pytest.mark.parametrize(
    ("role", "expected", "status"),
    [
        ("anonymous", 403, "submitted"),
        ("owner", 403, "submitted"),
        ("outsider", 404, "submitted"),
        ("staff", 200, "published"),
    ],
)
def test_approve(clients, postings, role, expected, status):
    posting = postings["submitted"]
    response = post_action(clients[role], posting, "approve")
    assert response.status_code == expected, response.content
    posting.refresh_from_db()
    assert posting.status == status
    if role == "staff":
        assert response.json()["published_at"]
        assert clients["anonymous"].get(detail_url(posting)).status_code == 200


def test_approve_refusals(clients, postings):
    assert post_action(clients["outsider"], postings["published"], "approve").status_code == 403
    response = post_action(clients["staff"], postings["draft"], "approve")
    assert response.status_code == 400
    assert "status" in response.json()


@pytest.mark.parametrize(
    ("role", "expected", "status"),
    [
        ("anonymous", 403, "submitted"),
        ("owner", 403, "submitted"),
        ("outsider", 404, "submitted"),
        ("staff", 200, "rejected"),
    ],
)
def test_reject(clients, postings, role, expected, status):
    posting = postings["submitted"]
    response = post_action(clients[role], posting, "reject", {"reason": "缺少技术指标"})
    assert response.status_code == expected, response.content
    posting.refresh_from_db()
    assert posting.status == status
    if role == "staff":
        assert response.json()["rejection_reason"] == "缺少技术指标"
        assert clients["owner"].get(detail_url(posting)).json()["rejection_reason"] == "缺少技术指标"


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_rejection_needs_a_reason(clients, postings, data):
    response = post_action(clients["staff"], postings["submitted"], "reject", data)
    assert response.status_code == 400
    assert "reason" in response.json()
    # Non-staff are refused for who they are, whatever they send.
    assert post_action(clients["owner"], postings["submitted"], "reject", data).status_code == 403


@pytest.mark.parametrize(
    ("role", "expected", "status"),
    [
        ("anonymous", 403, "published"),
        ("owner", 200, "closed"),
        ("outsider", 403, "published"),
        ("staff", 200, "closed"),
    ],
)
def test_close(clients, postings, role, expected, status):
    posting = postings["published"]
    response = post_action(clients[role], posting, "close", {"reason": "已转让"})
    assert response.status_code == expected, response.content
    posting.refresh_from_db()
    assert posting.status == status
    if expected == 200:
        assert posting.transitions.last().reason == "已转让"
        assert clients["anonymous"].get(detail_url(posting)).status_code == 404


def test_close_without_reason_and_close_a_draft(clients, postings):
    assert post_action(clients["owner"], postings["draft"], "close").json()["status"] == "closed"
    assert post_action(clients["outsider"], postings["submitted"], "close").status_code == 404


@pytest.mark.parametrize(
    ("role", "expected", "status"),
    [("anonymous", 403, "closed"), ("owner", 200, "draft"), ("outsider", 404, "closed"), ("staff", 200, "draft")],
)
def test_reopen(clients, postings, role, expected, status):
    posting = postings["closed"]
    response = post_action(clients[role], posting, "reopen")
    assert response.status_code == expected, response.content
    posting.refresh_from_db()
    assert posting.status == status


def test_reopen_refusals(clients, postings):
    assert post_action(clients["outsider"], postings["published"], "reopen").status_code == 403
    response = post_action(clients["owner"], postings["published"], "reopen")
    assert response.status_code == 400
    assert "status" in response.json()


def test_the_whole_life_cycle_of_a_need(clients, organization):
    payload = {
        "title": "储能系统热管理",
        "description": "需要液冷方案。",
        "province": "安徽",
        "domains": ["energy_storage"],
    }
    created = clients["owner"].post(list_url("need"), payload, format="json").json()
    posting = Need.objects.get(pk=created["id"])
    assert post_action(clients["owner"], posting, "submit").json()["status"] == "submitted"
    assert post_action(clients["owner"], posting, "approve").status_code == 403
    assert post_action(clients["staff"], posting, "reject", {"reason": "预算未填"}).json()["status"] == "rejected"
    assert post_action(clients["owner"], posting, "reopen").json()["status"] == "draft"
    clients["owner"].patch(detail_url(posting), {"budget_wan": 30}, format="json")
    assert post_action(clients["owner"], posting, "submit").json()["status"] == "submitted"
    assert post_action(clients["staff"], posting, "approve").json()["status"] == "published"
    assert clients["anonymous"].get(detail_url(posting)).json()["budget_wan"] == "30.00"
    assert post_action(clients["owner"], posting, "close").json()["status"] == "closed"
    assert [t.to_status for t in posting.transitions.all()] == [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.REJECTED,
        Status.DRAFT,
        Status.SUBMITTED,
        Status.PUBLISHED,
        Status.CLOSED,
    ]


def test_actions_on_invisible_or_missing_postings_are_404(clients, postings):
    for action in ("submit", "close", "reopen", "approve", "reject"):
        response = clients["outsider"].post(reverse(f"api:achievement-{action}", args=[postings["draft"].pk]))
        assert response.status_code == 404, action
        response = clients["staff"].post(reverse(f"api:achievement-{action}", args=[999999]))
        assert response.status_code == 404, action


def test_actions_are_post_only(clients, postings):
    assert clients["owner"].get(detail_url(postings["draft"], "submit")).status_code == 405


# --- Filters and pagination -------------------------------------------------------------------------------------


@pytest.fixture
def market(owner, organization, staff_user):
    """Published achievements and needs in Anhui (Yangtze River Delta) and Shenzhen (Greater Bay Area)."""
    shenzhen = {"province": Province.objects.get(pk="440000"), "city": City.objects.get(pk="440300")}
    items = {
        "pv": achievement(
            organization,
            by=owner,
            domains=("photovoltaic",),
            title="钙钛矿光伏组件",
            summary="高效叠层太阳能电池。",
            modes=["equity"],
            trl=7,
            price_min_wan=50,
            price_max_wan=80,
        ),
        "electrolyte": achievement(
            organization,
            by=owner,
            domains=("ai",),
            title="Solid-state electrolyte for lithium batteries",
            summary="A sulfide electrolyte with high ionic conductivity.",
            language="en",
            modes=["license"],
            trl=4,
            price_min_wan=200,
            price_max_wan=300,
            **shenzhen,
        ),
        "unpriced": achievement(
            organization, by=owner, domains=("hydrogen",), title="氢燃料电池催化剂", trl=None, modes=["service"]
        ),
        "storage_need": need(
            organization,
            by=owner,
            domains=("energy_storage",),
            title="储能电站热管理",
            min_trl=7,
            budget_wan=500,
            region_scope="cluster",
            modes=["co_development"],
        ),
        "vision_need": need(
            organization,
            by=owner,
            title="Machine vision inspection of stamped parts",
            description="Scratches and dents on stamped steel parts.",
            language="en",
            min_trl=4,
            budget_wan=50,
            **shenzhen,
        ),
    }
    return {name: publish(posting, by=owner, staff=staff_user) for name, posting in items.items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"pv", "electrolyte", "unpriced"}),
        ({"domain": "new_energy"}, {"pv", "unpriced"}),  # photovoltaic and hydrogen are under new_energy
        ({"domain": "photovoltaic"}, {"pv"}),
        ({"domain": "next_gen_it"}, {"electrolyte"}),
        ({"province": "340000"}, {"pv", "unpriced"}),
        ({"province": "440000"}, {"electrolyte"}),
        ({"cluster": "yrd"}, {"pv", "unpriced"}),
        ({"cluster": "gba"}, {"electrolyte"}),
        ({"mode": "equity"}, {"pv"}),
        ({"mode": "license"}, {"electrolyte"}),
        ({"readiness_min": "6"}, {"pv"}),
        ({"readiness_max": "5"}, {"electrolyte"}),
        ({"price_min": "100"}, {"electrolyte"}),
        ({"price_max": "100"}, {"pv"}),
        ({"price_min": "60", "price_max": "250"}, {"pv", "electrolyte"}),
        ({"q": "光伏"}, {"pv"}),
        ({"q": "燃料电池"}, {"unpriced"}),
        ({"q": "electrolyte"}, {"electrolyte"}),
        ({"q": "Lithium Batteries"}, {"electrolyte"}),
        ({"q": "量子计算"}, set()),
        ({"language": "en"}, {"electrolyte"}),
        ({"language": "zh"}, {"pv", "unpriced"}),
        ({"ip_status": "none"}, {"pv", "electrolyte", "unpriced"}),
        ({"q": "光伏", "cluster": "yrd", "domain": "new_energy"}, {"pv"}),
    ],
)
def test_achievement_filters(clients, market, query, expected):
    assert titles(clients["anonymous"].get(list_url(), query)) == {market[name].title for name in expected}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"storage_need", "vision_need"}),
        ({"domain": "new_energy"}, {"storage_need"}),
        ({"budget_min": "100"}, {"storage_need"}),
        ({"budget_max": "100"}, {"vision_need"}),
        ({"readiness_min": "5"}, {"storage_need"}),
        ({"readiness_max": "5"}, {"vision_need"}),
        ({"region_scope": "cluster"}, {"storage_need"}),
        ({"cluster": "gba"}, {"vision_need"}),
        ({"mode": "co_development"}, {"storage_need"}),
        ({"q": "储能"}, {"storage_need"}),
        ({"q": "vision"}, {"vision_need", "storage_need"}),  # the latter's description asks for 机器视觉
        ({"language": "en"}, {"vision_need"}),
    ],
)
def test_need_filters(clients, market, query, expected):
    assert titles(clients["anonymous"].get(list_url("need"), query)) == {market[name].title for name in expected}


@pytest.mark.parametrize("query", [{"domain": "no_such_domain"}, {"mode": "barter"}, {"province": "999999"}])
def test_unknown_filter_values_are_400(clients, query):
    response = clients["anonymous"].get(list_url(), query)
    assert response.status_code == 400
    assert set(query) <= set(response.json())


def test_pagination(clients, market):
    first = clients["anonymous"].get(list_url(), {"page_size": 2}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"]
    second = clients["anonymous"].get(list_url(), {"page_size": 2, "page": 2}).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert {i["id"] for i in first["results"]} | {i["id"] for i in second["results"]} == {
        p.pk for p in market.values() if isinstance(p, Achievement)
    }
    assert clients["anonymous"].get(list_url(), {"page": 9}).status_code == 404


def test_newest_published_first(clients, market):
    results = clients["anonymous"].get(list_url()).json()["results"]
    dates = [item["published_at"] for item in results]
    assert dates == sorted(dates, reverse=True)


def test_page_size_defaults_to_20_and_stops_at_100(clients, organization):
    for index in range(101):
        achievement(organization, title=f"成果 {index}")
    default = clients["owner"].get(list_url()).json()
    assert (default["count"], len(default["results"])) == (101, 20)
    assert len(clients["owner"].get(list_url(), {"page_size": 500}).json()["results"]) == 100


def test_lists_do_not_query_per_posting_for_anonymous_users(clients, market, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        clients["anonymous"].get(list_url())


# --- Authentication and errors ----------------------------------------------------------------------------------


def test_token_authentication(postings, owner):
    _record, key = api_token_issue(user=owner)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert "硫化物固态电池电解质" in titles(client.get(list_url()))
    assert client.get(detail_url(postings["draft"])).json()["contact_email"] == SECRET_EMAIL
    response = client.post(list_url(), new_achievement(), format="json")
    assert response.status_code == 201
    assert post_action(client, Achievement.objects.get(pk=response.json()["id"]), "submit").status_code == 200


def test_a_wrong_token_is_refused(postings):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    # 403 rather than 401: the project lists session authentication first, which sends no WWW-Authenticate.
    response = client.get(list_url())
    assert (response.status_code, response.json()) == (403, {"detail": "Invalid token."})
    assert client.post(list_url(), new_achievement(), format="json").status_code == 403


def test_the_token_obtained_from_the_api_works(postings, owner):
    client = APIClient()
    response = client.post(
        reverse("api:token-obtain"), {"email": owner.email, "password": "a-Strong-pass-2026"}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get(detail_url(postings["draft"])).status_code == 200


def test_the_exception_handler_turns_service_errors_into_responses():
    response = exception_handler(ApplicationError("Bad readiness.", field="trl"), {})
    assert (response.status_code, response.data) == (400, {"trl": ["Bad readiness."]})
    response = exception_handler(ApplicationError("Inconsistent."), {})
    assert (response.status_code, response.data) == (400, {"non_field_errors": ["Inconsistent."]})
    response = exception_handler(PermissionDenied("Members only."), {})
    assert (response.status_code, response.data) == (403, {"detail": "Members only."})
    assert exception_handler(ValueError("not ours"), {}) is None


def test_service_errors_reach_the_client_as_json(clients, postings):
    response = post_action(clients["owner"], postings["published"], "reopen")
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body == {"status": [body["status"][0]]}
    assert "published" in body["status"][0]


def test_decimal_output_is_exact(clients, organization, owner):
    posting = achievement(organization, by=owner, price_min_wan=Decimal("0.10"), price_max_wan=Decimal("12345.67"))
    data = clients["owner"].get(detail_url(posting)).json()
    assert (data["price_min_wan"], data["price_max_wan"]) == ("0.10", "12345.67")


def test_the_schema_documents_the_contact_as_optional(clients):
    schema = clients["anonymous"].get(reverse("api-schema"), {"format": "json"}).json()
    component = schema["components"]["schemas"]["Achievement"]
    assert set(component["properties"]) >= CONTACT_KEYS
    assert not CONTACT_KEYS & set(component["required"])
    assert "rejection_reason" not in component["required"]
    assert {"id", "title", "province", "organization", "status"} <= set(component["required"])
    operation = schema["paths"]["/api/v1/achievements/{id}/reject/"]["post"]
    assert operation["tags"] == ["achievements"]
    assert {"200", "400", "403", "404"} <= set(operation["responses"])


def test_list_queries_do_not_grow_with_the_page(api_client, django_assert_max_num_queries):
    from marketplace import services as posting_services
    from marketplace.models import Status as PostingStatus

    organization = OrganizationFactory()
    for index in range(20):
        posting = achievement(organization, title=f"成果{index}")
        posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)
    api_client.force_authenticate(MembershipFactory().user)
    with django_assert_max_num_queries(8):
        response = api_client.get(reverse("api:achievement-list"))
    assert len(response.json()["results"]) == 20


def test_a_two_megabyte_summary_is_refused_at_once_naming_the_field(clients):
    """Refused by validation, before anything is tokenised (which would take half a minute) or written."""
    import time

    started = time.perf_counter()
    response = clients["owner"].post(list_url(), new_achievement(summary="x" * 2_000_000), format="json")
    assert time.perf_counter() - started < 5
    assert response.status_code == 400
    assert list(response.json()) == ["summary"]
    assert not Achievement.objects.exists()


# --- A member's reads, kept for them ---------------------------------------------------------------------------


def test_a_members_list_is_kept_for_them_alone_and_follows_their_postings_and_memberships(
    clients, postings, organization, outsider
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owners = {postings[name].title for name in ("draft", "submitted", "published", "closed", "rejected")}
    assert titles(clients["owner"].get(list_url())) == owners
    with CaptureQueriesContext(connection) as queries:
        again = clients["owner"].get(list_url())
    assert titles(again) == owners
    assert not any("marketplace_achievement" in q["sql"] for q in queries.captured_queries)  # kept
    assert any(item.get("contact_email") == SECRET_EMAIL for item in again.json()["results"])
    # the same address read by another member: their own list, without the owner's drafts or contacts
    foreign = clients["outsider"].get(list_url())
    assert titles(foreign) == {postings["published"].title, postings["foreign_draft"].title}
    assert not any(CONTACT_KEYS & set(item) for item in foreign.json()["results"] if item["title"] in owners)
    # a change to a posting shows at once
    services.posting_update(posting=postings["draft"], by=postings["draft"].created_by, title="钠离子电池正极材料")
    assert "钠离子电池正极材料" in titles(clients["owner"].get(list_url()))
    # so does a new membership: the outsider now sees the organisation's drafts
    MembershipFactory(organization=organization, user=outsider)
    fresh = APIClient()  # a new request loads the user anew (the user object caches its organisations for a request)
    fresh.force_authenticate(type(outsider).objects.get(pk=outsider.pk))
    assert "钠离子电池正极材料" in titles(fresh.get(list_url()))
