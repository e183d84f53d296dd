import pytest
from django.urls import reverse

from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services
from matching.models import Match, MatchRun
from matching.runs import match_run_full
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db


@pytest.fixture
def suggested():
    university = OrganizationFactory()
    enterprise = OrganizationFactory(kind="enterprise", province_id="370000", city_id="370100")
    MembershipFactory(organization=enterprise)
    fit = achievement(university, title="钠离子电池硬碳负极材料", summary="硬碳负极。", domains=("battery_materials",))
    wanted = need(enterprise, title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
                  domains=("battery_materials",))  # fmt: skip
    for posting in (fit, wanted):
        posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)
    match_run_full()
    return Match.objects.get(achievement=fit, need=wanted)


def test_review_queue_lists_filters_and_shows_the_breakdown(client, staff_user, suggested):
    client.force_login(staff_user)
    url = reverse("admin:matching_match_changelist")
    page = client.get(url, {"status__exact": "suggested"}).content.decode()
    assert "低成本硬碳负极材料" in page
    for query in ({"cross_region": "yes"}, {"domain": "new_materials"}, {"score": "high"}, {"cluster": "yrd"},
                  {"province": "370000"}):  # fmt: skip
        assert client.get(url, query).status_code == 200
    assert "低成本硬碳负极材料" in client.get(url, {"cross_region": "yes"}).content.decode()
    assert "低成本硬碳负极材料" not in client.get(url, {"cross_region": "no"}).content.decode()
    detail = client.get(reverse("admin:matching_match_change", args=[suggested.pk])).content.decode()
    assert "钠离子电池需要硬碳负极" in detail  # both postings side by side
    assert "hard carbon" in detail.lower() or "硬碳" in detail  # the text component's reason


def test_bulk_approve_and_reject_with_a_reason_go_through_the_services(client, staff_user, suggested):
    client.force_login(staff_user)
    url = reverse("admin:matching_match_changelist")
    client.post(url, {"action": "reject_selected", "_selected_action": [suggested.pk]})
    suggested.refresh_from_db()
    assert suggested.status == Match.Status.SUGGESTED  # the reason form is shown first
    client.post(url, {"action": "reject_selected", "_selected_action": [suggested.pk], "reason": "方向不符"})
    suggested.refresh_from_db()
    assert (suggested.status, suggested.review_reason) == (Match.Status.REJECTED, "方向不符")
    assert suggested.events.get().by == staff_user


def test_runs_show_progress_and_staff_start_a_rebuild(
    client, staff_user, suggested, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    page = client.get(reverse("admin:matching_matchrun_changelist")).content.decode()
    assert "Start a full rebuild" in page or "rebuild" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:matching_matchrun_rebuild"))
    run = MatchRun.objects.filter(trigger="admin").get()
    assert run.status == MatchRun.Status.DONE
    assert run.triggered_by == staff_user


def test_statistics_compare_components_by_outcome(client, staff_user, suggested):
    services.match_approve(match=suggested, by=staff_user)
    member = suggested.need.organization.memberships.first().user
    services.match_decline(match=suggested, by=member, reason="预算不够")
    client.force_login(staff_user)
    page = client.get(reverse("admin:matching_match_statistics")).content.decode()
    assert "预算不够" in page
    assert "declined (1)" in page


def test_members_cannot_reach_the_review_queue(client, suggested):
    client.force_login(suggested.need.organization.memberships.first().user)
    assert client.get(reverse("admin:matching_match_changelist")).status_code == 302
    assert client.get(reverse("admin:matching_match_statistics")).status_code == 302
