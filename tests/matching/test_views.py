"""The match pages: who sees which match, the answers and agreements through the forms, contacts, notifications.

The data is the API tests' world (``build_world``): ``battery`` approved between the university (``achievement``)
and the enterprise (``need``), ``vision`` still a suggestion, ``solar`` rejected, ``foreign`` the outsider's own.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notification
from matching import services
from matching.models import Agreement, Match
from tests.matching.test_api import ACHIEVEMENT_SECRETS, NEED_SECRETS, build_world

pytestmark = pytest.mark.django_db

TITLES = {
    "battery": "低成本硬碳负极材料",
    "vision": "汽车零部件表面缺陷检测",
    "solar": "钙钛矿光伏组件量产工艺",
    "foreign": "燃料电池低铂催化剂",
}
SECRETS = ACHIEVEMENT_SECRETS + NEED_SECRETS
VISIBLE = {
    "achievement": {"battery"},
    "need": {"battery"},
    "outsider": {"foreign"},
    "staff": {"battery", "vision", "solar", "foreign"},
}


@pytest.fixture
def world(staff_user):
    return build_world(staff_user)


@pytest.fixture
def as_role(client, world):
    def log_in(role):
        if role != "anonymous":
            client.force_login(world["users"][role])
        return client

    return log_in


def list_url():
    return reverse("matching:list")


def detail_url(match, action=None):
    return reverse(f"matching:{action or 'detail'}", kwargs={"pk": match.pk})


def page(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def both_accept(world):
    match = world["matches"]["battery"]
    services.match_accept(match=match, by=world["users"]["need"])
    return services.match_accept(match=match, by=world["users"]["achievement"])


# --- Who sees what ----------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client, world):
    match = world["matches"]["battery"]
    for response in (
        client.get(list_url()),
        client.get(detail_url(match)),
        client.post(detail_url(match, "accept")),
        client.post(detail_url(match, "decline"), {"reason": "x"}),
        client.post(detail_url(match, "agreement"), {"mode": "license", "signed_on": "2026-01-01"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    match.refresh_from_db()
    assert match.status == Match.Status.APPROVED


@pytest.mark.parametrize("role", ["achievement", "need", "outsider", "staff"])
def test_the_list_shows_each_role_only_its_matches(as_role, role):
    text = page(as_role(role).get(list_url()))
    for name, title in TITLES.items():
        assert (title in text) is (name in VISIBLE[role]), name


@pytest.mark.parametrize("role", ["achievement", "need", "outsider", "staff"])
@pytest.mark.parametrize("pair", ["battery", "vision", "solar", "foreign"])
def test_the_detail_page_is_a_404_for_matches_the_user_may_not_see(as_role, world, role, pair):
    response = as_role(role).get(detail_url(world["matches"][pair]))
    assert response.status_code == (200 if pair in VISIBLE[role] else 404)


def test_the_list_filters_by_status_and_side(as_role, world, staff_user):
    services.match_approve(match=world["matches"]["vision"], by=staff_user)
    services.match_decline(match=world["matches"]["vision"], by=world["users"]["need"], reason="不需要")
    client = as_role("achievement")
    client.get(list_url())  # reads the notifications, which name the matches too
    declined = page(client.get(list_url(), {"status": "declined"}))
    assert TITLES["vision"] in declined and TITLES["battery"] not in declined
    approved = page(client.get(list_url(), {"status": "approved"}))
    assert TITLES["battery"] in approved and TITLES["vision"] not in approved
    assert TITLES["battery"] not in page(client.get(list_url(), {"side": "need"}))
    assert TITLES["battery"] in page(client.get(list_url(), {"side": "achievement"}))
    assert TITLES["solar"] not in page(client.get(list_url(), {"status": "rejected"}))  # never widens the scope


def test_the_list_puts_the_best_match_first(as_role, world, staff_user):
    text = page(as_role("staff").get(list_url()))
    scores = [int(value) for value in re.findall(r'<span class="score">(\d+)%</span>', text)]
    assert len(scores) >= 4
    assert scores == sorted(scores, reverse=True)


# --- Component bars and language -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "reason", "other"),
    [
        ("zh-hans", "同一技术领域：电池材料", "Same domain: Battery materials"),
        ("en", "Same domain: Battery materials", "同一技术领域：电池材料"),
    ],
)
def test_bars_carry_the_reasons_in_the_active_language(as_role, world, language, reason, other):
    client = as_role("need")
    for url in (list_url(), detail_url(world["matches"]["battery"])):
        text = page(client.get(url, HTTP_ACCEPT_LANGUAGE=language))
        assert reason in text
        assert other not in text
        assert '<div class="bar"><span style="width: 100%"></span></div>' in text  # domain, region, ...
        assert '<div class="bar"><span style="width: 75%"></span></div>' in text  # price not given


# --- Contacts ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["achievement", "need"])
def test_contacts_stay_off_every_page_until_both_sides_accept(as_role, world, role):
    client, match = as_role(role), world["matches"]["battery"]

    def assert_hidden():
        for url in (list_url(), detail_url(match)):
            text = page(client.get(url))
            for secret in SECRETS:
                assert secret not in text, (url, secret)

    assert_hidden()
    services.match_accept(match=match, by=world["users"]["need"])
    assert_hidden()
    services.match_accept(match=match, by=world["users"]["achievement"])  # now both have
    counterpart = NEED_SECRETS if role == "achievement" else ACHIEVEMENT_SECRETS
    own = ACHIEVEMENT_SECRETS if role == "achievement" else NEED_SECRETS
    detail = page(client.get(detail_url(match)))
    assert all(secret in detail for secret in counterpart)
    assert not any(secret in detail for secret in own)
    listed = page(client.get(list_url()))
    assert not any(secret in listed for secret in SECRETS)  # the list never shows contacts


def test_outsiders_never_see_the_contacts_even_in_contact(as_role, world):
    both_accept(world)
    client = as_role("outsider")
    assert client.get(detail_url(world["matches"]["battery"])).status_code == 404
    assert not any(secret in page(client.get(list_url())) for secret in SECRETS)


# --- Answering --------------------------------------------------------------------------------------------------


def test_the_answer_buttons_show_while_the_users_side_is_pending(as_role, world):
    match = world["matches"]["battery"]
    client = as_role("need")
    text = page(client.get(detail_url(match)))
    assert detail_url(match, "accept") in text and detail_url(match, "decline") in text
    assert 'name="reason"' in text
    client.post(detail_url(match, "accept"))
    text = page(client.get(detail_url(match)))
    assert detail_url(match, "accept") not in text and detail_url(match, "decline") not in text
    assert detail_url(match, "accept") in page(as_role("achievement").get(detail_url(match)))


def test_staff_get_no_answer_buttons(as_role, world):
    text = page(as_role("staff").get(detail_url(world["matches"]["battery"])))
    assert detail_url(world["matches"]["battery"], "accept") not in text


def test_accepting_on_both_sides_reveals_contacts(as_role, world):
    match = world["matches"]["battery"]
    response = as_role("need").post(detail_url(match, "accept"))
    assert response.status_code == 302 and response["Location"] == detail_url(match)
    match.refresh_from_db()
    assert (match.status, match.need_decision) == (Match.Status.APPROVED, Match.Decision.ACCEPTED)
    as_role("achievement").post(detail_url(match, "accept"))
    match.refresh_from_db()
    assert match.status == Match.Status.IN_CONTACT
    text = page(as_role("achievement").get(detail_url(match)))
    assert NEED_SECRETS[0] in text


@pytest.mark.parametrize(("role", "status"), [("outsider", 404), ("staff", 302)])
def test_others_cannot_answer(as_role, world, role, status):
    match = world["matches"]["battery"]
    assert as_role(role).post(detail_url(match, "accept")).status_code == status
    assert as_role(role).post(detail_url(match, "decline"), {"reason": "x"}).status_code == status
    match.refresh_from_db()
    assert (match.status, match.achievement_decision, match.need_decision) == ("approved", "pending", "pending")


def test_the_pages_refuse_get_on_actions(as_role, world):
    assert as_role("need").get(detail_url(world["matches"]["battery"], "accept")).status_code == 405


@pytest.mark.parametrize("reason", ["", "   "])
def test_declining_without_a_reason_shows_the_error_and_changes_nothing(as_role, world, reason):
    match = world["matches"]["battery"]
    response = as_role("achievement").post(detail_url(match, "decline"), {"reason": reason})
    text = page(response)
    assert 'class="field has-error"' in text
    match.refresh_from_db()
    assert match.status == Match.Status.APPROVED


def test_declining_with_a_reason_tells_the_other_side(as_role, world):
    match = world["matches"]["battery"]
    response = as_role("achievement").post(detail_url(match, "decline"), {"reason": "预算太低"})
    assert response.status_code == 302
    match.refresh_from_db()
    assert (match.status, match.decline_reason) == (Match.Status.DECLINED, "预算太低")
    assert "预算太低" in page(as_role("need").get(detail_url(match)))


# --- Agreements -------------------------------------------------------------------------------------------------

AGREEMENT = {"mode": "license", "signed_on": "2026-01-15", "amount_wan": "120.5", "note": "首付30%"}


def test_the_agreement_form_shows_only_in_contact(as_role, world):
    match = world["matches"]["battery"]
    client = as_role("need")
    assert detail_url(match, "agreement") not in page(client.get(detail_url(match)))
    both_accept(world)
    assert detail_url(match, "agreement") in page(client.get(detail_url(match)))


def test_an_agreement_before_contact_is_refused(as_role, world):
    match = world["matches"]["battery"]
    response = as_role("need").post(detail_url(match, "agreement"), AGREEMENT, follow=True)
    assert "once both sides have accepted" in page(response)
    assert not Agreement.objects.exists()
    match.refresh_from_db()
    assert match.status == Match.Status.APPROVED


@pytest.mark.parametrize("role", ["achievement", "need", "staff"])
def test_recording_an_agreement_makes_a_deal(as_role, world, role):
    match = both_accept(world)
    response = as_role(role).post(detail_url(match, "agreement"), AGREEMENT)
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert (agreement.mode, str(agreement.signed_on), agreement.recorded_by) == (
        "license", "2026-01-15", world["users"][role],
    )  # fmt: skip
    match.refresh_from_db()
    assert match.status == Match.Status.DEAL
    text = page(as_role(role).get(detail_url(match)))
    assert "2026-01-15" in text and "首付30%" in text


def test_agreement_form_errors_are_shown(as_role, world):
    match = both_accept(world)
    text = page(as_role("need").post(detail_url(match, "agreement"), {**AGREEMENT, "signed_on": "2999-01-01"}))
    assert "The signing date is in the future." in text
    text = page(as_role("need").post(detail_url(match, "agreement"), {**AGREEMENT, "mode": "gift"}))
    assert 'class="field has-error"' in text
    assert not Agreement.objects.exists()


def test_outsiders_cannot_record_an_agreement(as_role, world):
    match = both_accept(world)
    assert as_role("outsider").post(detail_url(match, "agreement"), AGREEMENT).status_code == 404
    assert not Agreement.objects.exists()


# --- History and notifications ----------------------------------------------------------------------------------


def test_the_history_lists_the_events_without_staffs_notes(as_role, world, staff_user):
    vision = services.match_approve(match=world["matches"]["vision"], by=staff_user, note="内部备注")
    services.match_decline(match=vision, by=world["users"]["need"], reason="方向不符")
    text = page(as_role("achievement").get(detail_url(vision)))
    assert "approved by staff" in text and "方向不符" in text
    assert "内部备注" not in text
    assert "内部备注" in page(as_role("staff").get(detail_url(vision)))


def test_unread_notifications_show_once_on_the_list_and_are_marked_read(as_role, world):
    organization = world["users"]["achievement"].organizations.get()
    unread = Notification.objects.filter(organization=organization, read_at__isnull=True)
    assert unread.count() == 1  # the approval of "battery"
    client = as_role("achievement")
    with CaptureQueriesContext(connection) as queries:
        text = page(client.get(list_url()))
    assert "New suggested match" in text
    assert not unread.exists()
    updates = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "notification" in q["sql"]
    ]
    assert len(updates) == 1
    assert "New suggested match" not in page(client.get(list_url()))
    other = world["users"]["need"].organizations.get()
    assert Notification.objects.filter(organization=other, read_at__isnull=True).count() == 1  # not theirs to read


def test_the_navigation_links_to_matches_for_members(client, world):
    assert reverse("matching:list") not in page(client.get(reverse("home")))
    client.force_login(world["users"]["need"])
    assert reverse("matching:list") in page(client.get(reverse("home")))


# --- A member's list, kept -------------------------------------------------------------------------------------


def test_a_members_list_is_served_again_without_building_it_and_follows_a_change(as_role, world):
    client = as_role("need")
    first = page(client.get(list_url()))
    assert TITLES["battery"] in first and "we posted the need" in first
    with CaptureQueriesContext(connection) as queries:
        again = page(client.get(list_url()))
    assert not any("matching_match" in q["sql"] for q in queries.captured_queries)  # kept, not read again
    assert TITLES["battery"] in again
    services.match_decline(match=world["matches"]["battery"], by=world["users"]["need"], reason="方向不符")
    declined = page(client.get(list_url(), {"status": "declined"}))
    assert TITLES["battery"] in declined  # the decline moved the matches' version: built again
    assert TITLES["battery"] not in page(client.get(list_url(), {"status": "approved"}))


def test_a_members_kept_list_is_theirs_and_in_their_language(as_role, world, client):
    english = page(as_role("need").get(list_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert "we posted the need" in english
    client.logout()
    client.force_login(world["users"]["outsider"])
    text = page(client.get(list_url()))
    assert TITLES["battery"] not in text and TITLES["foreign"] in text
    client.force_login(world["users"]["need"])
    chinese = page(client.get(list_url(), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "我方发布需求" in chinese and "we posted the need" not in chinese
