"""The scheduler on the web and the API: the grid's settings, scheduler, plans, pins and agenda buttons; the plan's
preview ("solving…" until the task ran, then placed, left out with reasons, the bound) with apply and discard; the
participant's breaks, cancel and printable agenda (scoped: another organisation's member gets a 404); and
/api/v1/events/{id}/schedule/, /publish-agenda/, /api/v1/schedule-plans/ and /api/v1/meetings/{id}/pin|cancel/."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from events import meetings, services
from events.models import Meeting, SchedulePlan
from events.scheduling import service as scheduling
from tests.factories import MembershipFactory, OrganizationFactory

from .test_meeting_pages import aligned_event, define_grid, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_solver(settings):
    settings.EVENTS_SCHEDULER_SECONDS = 3.0


@pytest.fixture
def world(organiser_member, staff_user):
    users = {
        name: MembershipFactory(organization=OrganizationFactory(kind="enterprise", name=org)).user
        for name, org in (("participant", "参会企业"), ("rival", "另一家企业"), ("third", "盐碱地农场"))
    }
    outsider = MembershipFactory(organization=OrganizationFactory(name="旁观高校")).user
    event = aligned_event(organiser_member)
    define_grid(event, organiser_member, slots=2, tables=("A1",))
    event = services.event_update(event=event, by=organiser_member, scheduling_mode="organiser")
    places = {name: register(event, user, f"人{n}", f"x{n}@example.cn") for n, (name, user) in enumerate(users.items())}
    meeting = meetings.meeting_accept(
        meeting=meetings.meeting_request(requester=places["participant"], invitee=places["rival"],
                                         by=users["participant"]), by=users["rival"],
    )  # fmt: skip
    return {"organiser": organiser_member, "staff": staff_user, "outsider": outsider, "event": event,
            "meeting": meeting, "places": places, **users}  # fmt: skip


def login(client, world, who):  # type: ignore[no-untyped-def]
    if who != "anonymous":
        client.force_login(world[who])
    return client


def url(name, world, **kwargs):  # type: ignore[no-untyped-def]
    return reverse(f"events:{name}", kwargs={"pk": world["event"].pk, **kwargs})


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("participant", 403), ("outsider", 403),
                                             ("organiser", 302), ("staff", 302)])  # fmt: skip
def test_only_the_organiser_runs_the_scheduler(client, world, who, status):
    response = login(client, world, who).post(url("schedule", world), {"full": "1"})
    assert response.status_code == status
    assert SchedulePlan.objects.exists() == (status == 302 and who != "anonymous")


def test_run_preview_and_apply_from_the_grid(client, world, django_capture_on_commit_callbacks):
    client = login(client, world, "organiser")
    grid = client.get(url("grid", world)).content.decode()
    assert "Run the scheduler" in grid and "Waiting for the schedule" in grid and "Meeting settings" in grid
    response = client.post(url("schedule", world), {"full": "1"})  # the task waits for the commit: not run here
    plan = SchedulePlan.objects.get()
    assert response["Location"] == url("schedule-plan", world, plan_pk=plan.pk)
    page = client.get(response["Location"]).content.decode()
    assert "solving…" in page and 'http-equiv="refresh"' in page
    scheduling.schedule_plan_solve(plan_id=plan.pk)
    page = client.get(response["Location"]).content.decode()
    assert "Meetings placed" in page and "Upper bound" in page and "refresh" not in page and "人0" in page
    assert re.search(r"Newly placed</dt><dd>1<", page)
    assert client.post(url("apply-plan", world, plan_pk=plan.pk))["Location"] == url("grid", world)
    world["meeting"].refresh_from_db()
    assert world["meeting"].slot is not None
    # Once applied, the plan says what it placed, not what it would newly place (nothing, against what it wrote).
    page = client.get(response["Location"]).content.decode()
    assert "Meetings placed" in page and "Newly placed" not in page
    # Applied: applying or discarding again is refused with a message.
    client.post(url("discard-plan", world, plan_pk=plan.pk))
    assert "This plan is applied." in client.get(url("grid", world)).content.decode()


def test_the_preview_explains_what_is_left_out_and_discarding(client, world):
    meetings.registration_breaks_set(registration=world["places"]["third"], by=world["third"],
                                     slots=list(world["event"].meeting_slots.all()))  # fmt: skip
    meetings.meeting_accept(meeting=meetings.meeting_request(
        requester=world["places"]["third"], invitee=world["places"]["participant"], by=world["third"]),
        by=world["participant"])  # fmt: skip
    plan = scheduling.schedule_plan_start(event=world["event"], by=world["organiser"])
    scheduling.schedule_plan_solve(plan_id=plan.pk)
    client = login(client, world, "organiser")
    page = client.get(url("schedule-plan", world, plan_pk=plan.pk)).content.decode()
    assert "Left out, and why" in page and "have no slot in which both are available" in page
    client.post(url("discard-plan", world, plan_pk=plan.pk))
    assert SchedulePlan.objects.get(pk=plan.pk).status == "discarded"
    other = MembershipFactory(organization=OrganizationFactory(kind="organiser")).user
    assert login(client, {"x": other}, "x").get(url("schedule-plan", world, plan_pk=plan.pk)).status_code == 403


def test_settings_pins_and_publishing_from_the_grid(client, world):
    client = login(client, world, "organiser")
    response = client.post(url("scheduling-settings", world), {
        "scheduling_mode": "organiser", "request_mode": "automatic", "max_open_requests": "3",
        "max_meetings_per_participant": "", "max_consecutive_meetings": "4", "request_deadline": "",
    })  # fmt: skip
    assert response.status_code == 302
    world["event"].refresh_from_db()
    assert (world["event"].request_mode, world["event"].max_open_requests) == ("automatic", 3)
    back = client.post(url("scheduling-settings", world), {"scheduling_mode": "participants", "request_mode":
                                                           "approval"})  # fmt: skip
    assert back.status_code == 400 and "wait for the organiser" in back.content.decode()
    meeting = world["meeting"]
    client.post(url("pin-meeting", world, meeting_pk=meeting.pk), {"pinned": "1"})
    assert "Only a placed meeting is pinned." in client.get(url("grid", world)).content.decode()
    meetings.meeting_move(meeting=meeting, by=world["organiser"], slot=world["event"].meeting_slots.first(),
                          table=world["event"].meeting_tables.first())  # fmt: skip
    client.post(url("pin-meeting", world, meeting_pk=meeting.pk), {"pinned": "1"})
    assert Meeting.objects.get(pk=meeting.pk).pinned
    client.post(url("publish-agenda", world), {"final": "1"})
    world["event"].refresh_from_db()
    assert world["event"].agenda_status == "final"
    assert "Publish the final agenda" not in client.get(url("grid", world)).content.decode()


def test_the_participant_sets_breaks_cancels_and_prints_the_agenda(client, world):
    client = login(client, world, "participant")
    mine = world["places"]["participant"]
    page = client.get(url("meet", world)).content.decode()
    assert "Your breaks" in page and "to be scheduled" in page and "Printable agenda" in page
    first = world["event"].meeting_slots.order_by("starts_at").first()
    client.post(url("breaks", world) + f"?registration={mine.pk}", {"slots": [first.pk]})
    assert list(mine.unavailable_slots.all()) == [first]
    printed = client.get(url("agenda-print", world, registration_pk=mine.pk)).content.decode()
    assert "人1" in printed and "另一家企业" in printed and "to be scheduled" in printed
    client.post(url("cancel-meeting", world, meeting_pk=world["meeting"].pk))
    assert Meeting.objects.get(pk=world["meeting"].pk).status == "cancelled"


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("participant", 200), ("rival", 404),
                                             ("outsider", 404), ("organiser", 200), ("staff", 200)])  # fmt: skip
def test_a_printable_agenda_is_for_its_organisation_and_the_organiser(client, world, who, status):
    page = login(client, world, who).get(url("agenda-print", world, registration_pk=world["places"]["participant"].pk))
    assert page.status_code == status


def test_the_api(world, django_capture_on_commit_callbacks):
    organiser, participant = APIClient(), APIClient()
    organiser.force_authenticate(world["organiser"])
    participant.force_authenticate(world["participant"])
    event = world["event"]
    data = organiser.get(f"/api/v1/events/{event.pk}/").json()
    assert (data["scheduling_mode"], data["request_mode"], data["agenda_status"]) == ("organiser", "approval", "none")
    assert participant.post(f"/api/v1/events/{event.pk}/schedule/", {"kind": "full"}).status_code == 403
    assert organiser.post(f"/api/v1/events/{event.pk}/schedule/", {"kind": "nonsense"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        started = organiser.post(f"/api/v1/events/{event.pk}/schedule/", {"kind": "full"}, format="json")
    assert started.status_code == 202 and started.json()["solved_at"] is None
    plan_url = f"/api/v1/schedule-plans/{started.json()['id']}/"
    assert participant.get(plan_url).status_code == 404
    preview = organiser.get(plan_url).json()
    assert (preview["placed_count"], preview["bound"], preview["status"]) == (1, 1, "proposed")
    assert preview["placements"][0]["meeting"] == world["meeting"].pk
    assert participant.post(plan_url + "apply/").status_code == 404
    assert organiser.post(plan_url + "apply/").json()["status"] == "applied"
    assert organiser.post(plan_url + "discard/").status_code == 400
    meeting_url = f"/api/v1/meetings/{world['meeting'].pk}/"
    assert participant.get(meeting_url).json()["slot"] is None  # the agenda is not published
    assert participant.post(meeting_url + "pin/", {"pinned": True}).status_code == 403
    assert organiser.post(meeting_url + "pin/", {"pinned": True}, format="json").json()["pinned"] is True
    assert participant.post(f"/api/v1/events/{event.pk}/publish-agenda/", {"status": "final"}).status_code == 403
    published = organiser.post(f"/api/v1/events/{event.pk}/publish-agenda/", {"status": "preliminary"})
    assert published.json()["agenda_status"] == "preliminary"
    assert participant.get(meeting_url).json()["slot"] is not None
    assert organiser.patch(f"/api/v1/events/{event.pk}/", {"max_open_requests": 2}, format="json").status_code == 200
    assert participant.post(meeting_url + "cancel/").json()["status"] == "cancelled"
    assert [p["id"] for p in organiser.get(f"/api/v1/schedule-plans/?event={event.pk}").json()["results"]][-1] == (
        started.json()["id"]
    )


def test_the_organiser_sets_a_participant_s_breaks_and_maximum_on_the_grid(client, world):
    place = world["places"]["third"]
    first_slot = world["event"].meeting_slots.order_by("starts_at").first()
    form = {"registration": place.pk, "slots": [first_slot.pk], "max_meetings": "1"}
    assert login(client, world, "participant").post(url("participant-limits", world), form).status_code == 403
    response = login(client, world, "organiser").post(url("participant-limits", world), form)
    assert response.status_code == 302
    place.refresh_from_db()
    assert list(place.unavailable_slots.all()) == [first_slot] and place.max_meetings == 1
    bad = client.post(url("participant-limits", world), {**form, "max_meetings": "-3"})
    assert bad.status_code == 400
    place.refresh_from_db()
    assert place.max_meetings == 1


def test_the_api_sets_breaks_and_a_participant_s_maximum(world):
    organiser, participant, outsider = APIClient(), APIClient(), APIClient()
    organiser.force_authenticate(world["organiser"])
    participant.force_authenticate(world["participant"])
    outsider.force_authenticate(world["outsider"])
    own = world["places"]["participant"]
    slot = world["event"].meeting_slots.order_by("starts_at").last()
    breaks = f"/api/v1/registrations/{own.pk}/breaks/"
    assert outsider.post(breaks, {"slots": [slot.pk]}, format="json").status_code == 404
    assert participant.post(breaks, {"slots": [999999]}, format="json").status_code == 400
    done = participant.post(breaks, {"slots": [slot.pk]}, format="json")
    assert done.status_code == 200 and done.json()["unavailable_slots"] == [slot.pk]
    limit = f"/api/v1/registrations/{own.pk}/limit/"
    assert participant.post(limit, {"max_meetings": 3}, format="json").status_code == 403
    assert organiser.post(limit, {"max_meetings": 3}, format="json").json()["max_meetings"] == 3
    assert organiser.post(limit, {"max_meetings": None}, format="json").json()["max_meetings"] is None
