"""Whom to meet at a docking event leaves out the open matches of needs past their deadline, before and after the
daily task closes them; a match both sides accepted still counts."""

import datetime

import pytest
from django.utils import timezone

from events import meetings, services
from marketplace import services as posting_services
from marketplace.models import Need
from marketplace.models import Status as PostingStatus
from matching import services as matching_services
from matching.models import Match
from matching.runs import match_run_full
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db


@pytest.fixture
def docking(make_event):
    event = make_event(capacity=10, meeting_suggestions="all")  # unreviewed suggestions rank too
    university, enterprise = OrganizationFactory(), OrganizationFactory(kind="enterprise")
    members = {org.pk: MembershipFactory(organization=org).user for org in (university, enterprise)}
    offer = achievement(university, title="钠离子电池硬碳负极材料", summary="硬碳负极。",
                        domains=("battery_materials",))  # fmt: skip
    wanted = need(enterprise, title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
                  domains=("battery_materials",))  # fmt: skip
    for posting in (offer, wanted):
        posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)
    match_run_full()
    registration = {
        org.pk: services.registration_create(event=event, organization=org, person_name="代表",
                                             person_email=f"r{org.pk}@x.cn", by=members[org.pk])
        for org in (university, enterprise)
    }  # fmt: skip
    return {"mine": registration[university.pk], "need": wanted, "members": members, "university": university,
            "enterprise": enterprise, "match": Match.objects.get(achievement=offer, need=wanted)}  # fmt: skip


def best_score(docking) -> float:
    (suggestion,) = meetings.whom_to_meet(registration=docking["mine"])
    assert suggestion.registration.organization == docking["enterprise"]
    return suggestion.score


def expire(docking) -> None:
    Need.objects.filter(pk=docking["need"].pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))


def test_an_expired_needs_suggestion_no_longer_ranks_before_or_after_the_daily_task(docking):
    assert best_score(docking) > 0
    expire(docking)
    assert best_score(docking) == 0  # before the task: read as closed
    posting_services.need_expire_overdue()
    assert Match.objects.get(pk=docking["match"].pk).status == Match.Status.WITHDRAWN
    assert best_score(docking) == 0  # after: withdrawn


def test_a_match_in_contact_still_ranks_when_the_need_expires(docking, staff_user):
    match = matching_services.match_approve(match=docking["match"], by=staff_user)
    for organization in (docking["university"], docking["enterprise"]):
        match = matching_services.match_accept(match=match, by=docking["members"][organization.pk])
    assert match.status == Match.Status.IN_CONTACT
    before = best_score(docking)
    expire(docking)
    assert best_score(docking) == before
    posting_services.need_expire_overdue()
    assert best_score(docking) == before
