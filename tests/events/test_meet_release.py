"""Whom to meet follows the platform's release rule (``matching.selectors.released_q``), unless the organiser chose
to show every suggestion among the registered participants."""

from __future__ import annotations

import pytest
from django.urls import reverse

from events import meetings, services
from events.models import Event, MeetingSuggestions
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services as match_services
from matching.models import Match, MatchingConfig, ReleaseRule
from matching.runs import match_run_full
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db


@pytest.fixture
def docking(make_event):  # type: ignore[no-untyped-def]
    """A university and two enterprises registered at a docking event; the university's achievement fits the first
    enterprise's need well, the second's less; matching ran under the product's default rule (staff review)."""
    university, battery, recycler = (OrganizationFactory(kind="university"), OrganizationFactory(kind="enterprise"),
                                     OrganizationFactory(kind="enterprise"))  # fmt: skip
    for posting in (
        achievement(university, title="钠离子电池硬碳负极材料", summary="硬碳负极，钠离子电池。",
                    domains=("battery_materials",)),
        need(battery, title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
             domains=("battery_materials",)),
        need(recycler, title="磷酸铁锂正极材料回收", description="废旧锂电池正极材料回收再利用。",
             domains=("battery_materials",)),
    ):  # fmt: skip
        posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)
    match_run_full()

    def registered(event: Event) -> dict:
        return {
            org.pk: services.registration_create(
                event=event, organization=org, person_name="代表", person_email=f"r{org.pk}@x.cn",
                by=MembershipFactory(organization=org).user,
            )
            for org in (university, battery, recycler)
        }  # fmt: skip

    return {"university": university, "battery": battery, "recycler": recycler, "registered": registered,
            "make_event": make_event}  # fmt: skip


def scores_seen(docking, event: Event) -> dict[int, float]:  # type: ignore[no-untyped-def]
    registrations = docking["registered"](event)
    ranked = meetings.whom_to_meet(registration=registrations[docking["university"].pk])
    return {s.registration.organization_id: s.score for s in ranked}


def test_by_default_only_released_matches_rank_the_participants(docking, staff_user):
    event = docking["make_event"](capacity=10)
    assert event.meeting_suggestions == MeetingSuggestions.RELEASED
    battery, recycler = docking["battery"].pk, docking["recycler"].pk
    assert scores_seen(docking, event) == {battery: 0.0, recycler: 0.0}  # suggestions wait for staff: not shown
    good = Match.objects.get(need__organization_id=battery)
    match_services.match_approve(match=good, by=staff_user)
    seen = meetings.whom_to_meet(registration=event.registrations.get(organization=docking["university"]))
    assert [(s.registration.organization_id, s.score) for s in seen] == [(battery, good.score), (recycler, 0.0)]
    assert seen[0].reasons


def test_released_by_the_rule_counts_as_released(docking, staff_user):
    config = MatchingConfig.get_solo()
    config.release_rule = ReleaseRule.ALL
    match_services.matching_config_save(config=config, by=staff_user, changed=["release_rule"])
    match_services.matches_release(by=staff_user)
    event = docking["make_event"](capacity=10)
    seen = scores_seen(docking, event)
    assert all(seen.values()) and len(seen) == 2


def test_the_organiser_may_show_every_suggestion_among_participants(docking, staff_user):
    event = docking["make_event"](capacity=10, meeting_suggestions=MeetingSuggestions.ALL)
    seen = scores_seen(docking, event)
    good = Match.objects.get(need__organization=docking["battery"])
    assert good.status == Match.Status.SUGGESTED
    assert seen[docking["battery"].pk] == good.score > seen[docking["recycler"].pk] > 0
    # Rejected, declined or withdrawn matches never count, whichever the choice.
    match_services.match_reject(match=good, by=staff_user, reason="方向不符")
    again = meetings.whom_to_meet(registration=event.registrations.get(organization=docking["university"]))
    assert {s.registration.organization_id: s.score for s in again}[docking["battery"].pk] == 0.0


def test_the_event_form_sets_the_choice(client, organiser_member):
    client.force_login(organiser_member)
    page = client.get(reverse("events:create")).content.decode()
    assert 'name="meeting_suggestions"' in page
    organiser = organiser_member.organizations.get()
    response = client.post(reverse("events:create"), {
        "organizer": organiser.pk, "kind": "docking", "title": "新材料对接会", "venue": "松江G60科创云廊",
        "starts_at": "2027-03-01T09:00", "ends_at": "2027-03-01T17:00", "capacity": 30,
        "meeting_suggestions": "all",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Event.objects.get(title="新材料对接会").meeting_suggestions == MeetingSuggestions.ALL
