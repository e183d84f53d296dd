"""The demo's scheduled docking event (called by ``demo/management/commands/load_demo.py``): the demo organiser's
"matchmaking session" of the G60 call, where the organiser schedules every accepted meeting with the solver. The
universities and institutes each ask their best-matched enterprises among the participants for a meeting, the
enterprises accept, and the accepted meetings wait for the organiser's schedule: more of them than the grid's places,
so that the plan the demo leaves for the organiser to preview shows both what the solver placed and why the rest
could not be (``events.scheduling``). Everything goes through the services, as every interface does.

Idempotent: the event (by its title) is made once; its meetings and plan once, when the matches to go by exist.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User

from .meetings import meeting_accept, meeting_grid_define, meeting_request, whom_to_meet
from .models import Event, SchedulingMode
from .scheduling.service import schedule_plan_start
from .services import event_create, event_set_status, registration_create

DEMO_TITLE = "G60科创走廊需求征集专场对接会（一对一洽谈排程）"
REQUESTS_EACH = 6  # meetings each university or institute asks for
SLOTS, TABLES = 5, 3  # 15 places: fewer than the requests, so the plan leaves some unplaced, with reasons


def _owner(organization: Organization) -> User | None:
    membership = (
        Membership.objects.filter(organization=organization).select_related("user").order_by("-role", "pk").first()
    )
    return membership.user if membership else None


@transaction.atomic
def load_demo_scheduled_event(*, organiser: Organization, by: User, participants: list[Organization]) -> Event | None:
    """The organiser-scheduled docking event with its registrations (once), then its accepted meetings and a proposed
    plan (once there are matches to go by: a later run adds them if the first found none)."""
    event = Event.objects.filter(organizer=organiser, title=DEMO_TITLE).first() or _create(organiser, by)
    if event.meetings.exists():
        return None
    owners = {registration.organization_id: _owner(registration.organization) for registration in
              event.registrations.filter(status="confirmed").select_related("organization")}  # fmt: skip
    for organization in participants:
        owner = _owner(organization)
        if owner is not None and organization.pk not in owners:
            owners[organization.pk] = owner
            registration_create(event=event, organization=organization, person_name=owner.full_name or owner.email,
                                person_email=owner.email, by=owner)  # fmt: skip
    offerers = event.registrations.filter(
        status="confirmed", organization__kind__in=["university", "research_institute"]
    ).order_by("pk")
    for registration in offerers:
        asked = 0
        for suggestion in whom_to_meet(registration=registration, limit=20):
            other = suggestion.registration
            if asked >= REQUESTS_EACH or suggestion.score <= 0 or other.organization.kind != "enterprise":
                continue
            meeting = meeting_request(requester=registration, invitee=other, by=owners[registration.organization_id])
            meeting_accept(meeting=meeting, by=owners[other.organization_id])
            asked += 1
    if event.meetings.exists():
        schedule_plan_start(event=event, by=by)  # solved after the commit, for the organiser to preview and apply
    return event


def _create(organiser: Organization, by: User) -> Event:
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(days=21)
    event = event_create(
        organizer=organiser, by=by, kind="docking", title=DEMO_TITLE, starts_at=start,
        ends_at=start + datetime.timedelta(hours=6), capacity=80, venue="嘉兴G60科创大走廊展示中心", city_id="330400",
        description="G60科创走廊企业技术需求征集的专场对接：企业与高校院所一对一洽谈，由主办方统一排程，先发布初步日程，"
                    "确认后发布最终日程。每人最多连续洽谈3场。",
        scheduling_mode=SchedulingMode.ORGANISER, max_consecutive_meetings=3,
    )  # fmt: skip
    event = event_set_status(event=event, by=by, status="published")
    step = datetime.timedelta(minutes=25)
    first = start + datetime.timedelta(hours=1)
    meeting_grid_define(event=event, by=by, slots=[(first + step * i, first + step * (i + 1)) for i in range(SLOTS)],
                        tables=[f"G{n}" for n in range(1, TABLES + 1)])  # fmt: skip
    return event
