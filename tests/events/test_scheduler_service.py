"""The scheduler through its services (events/scheduling/service.py, events/meetings.py): organiser mode leaves
accepted meetings unplaced until a plan is applied; plans are solved by the task on commit, applied all or nothing,
refused when stale; pins; the published agenda (times hidden until then, everyone told); repairs after late changes
tell only the people whose meetings changed; automatic acceptance; the request cap, the deadline's expiry and the
reminders (an idempotent task); breaks, limits and the break rule when participants pick slots; cancelling."""

from __future__ import annotations

import datetime

import icalendar
import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.models import Notification
from core.exceptions import ApplicationError, PermissionDenied
from core.i18n import render_in
from events import meetings, services
from events.models import Event, Meeting, MeetingSeat, MeetingSlot, MeetingTable, Registration, SchedulePlan
from events.scheduling import service as scheduling
from events.tasks import meeting_requests_sweep_task, schedule_plan_solve_task
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_solver(settings):
    settings.EVENTS_SCHEDULER_SECONDS = 3.0


def person(event: Event, n: int) -> tuple:
    member = MembershipFactory().user
    registration = services.registration_create(
        event=event, organization=member.organizations.get(), person_name=f"参会者{n}",
        person_email=f"s{n}@example.cn", by=member,
    )  # fmt: skip
    return member, registration


def docking(make_event, organiser_member, *, slots=2, tables=("A1",), mode="organiser", people=4, **fields):
    event = make_event(capacity=20)
    start = event.starts_at
    meetings.meeting_grid_define(
        event=event, by=organiser_member, tables=list(tables),
        slots=[(start + datetime.timedelta(minutes=20 * i), start + datetime.timedelta(minutes=20 * (i + 1)))
               for i in range(slots)],
    )  # fmt: skip
    event = services.event_update(event=event, by=organiser_member, scheduling_mode=mode, **fields)
    return event, [person(event, n) for n in range(people)]


def meet(a, b) -> Meeting:  # type: ignore[no-untyped-def]
    """``a`` asks ``b`` ((member, registration) each), ``b`` accepts."""
    return meetings.meeting_accept(meeting=meetings.meeting_request(requester=a[1], invitee=b[1], by=a[0]), by=b[0])


def solved_plan(event, by, capture, kind="full") -> SchedulePlan:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        plan = scheduling.schedule_plan_start(event=event, by=by, kind=kind)
    plan.refresh_from_db()
    assert plan.solved_at is not None
    return plan


def slots(event) -> list[MeetingSlot]:  # type: ignore[no-untyped-def]
    return list(event.meeting_slots.order_by("starts_at"))


def test_organiser_mode_accepts_without_placing_and_the_applied_plan_places_everyone(
    make_event, organiser_member, django_capture_on_commit_callbacks
):
    event, (a, b, c, d) = docking(make_event, organiser_member, slots=2, tables=("A1",))
    first, second, third = meet(a, b), meet(c, d), meet(a, c)
    assert all(m.status == "accepted" and m.slot is None and m.table is None for m in (first, second, third))
    assert not MeetingSeat.objects.exists()
    plan = solved_plan(event, organiser_member, django_capture_on_commit_callbacks)
    assert (plan.status, plan.placed_count, plan.requests_count, plan.bound) == ("proposed", 2, 3, 2)
    assert plan.unplaced[0]["reason"] in ("busy", "table_shortage")
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.schedule_plan_apply(plan=plan, by=organiser_member)
    placed = Meeting.objects.filter(event=event, slot__isnull=False)
    assert placed.count() == 2 and MeetingSeat.objects.count() == 4
    assert SchedulePlan.objects.get(pk=plan.pk).status == "applied"
    assert not Notification.objects.filter(text__subject__msgid__startswith="Your meetings").exists()  # not public
    schedule_plan_solve_task.apply(args=[plan.pk])  # the task again: nothing changes
    assert SchedulePlan.objects.get(pk=plan.pk).status == "applied"


def test_only_the_organiser_runs_applies_and_pins(make_event, organiser_member, django_capture_on_commit_callbacks):
    event, (a, b, *_rest) = docking(make_event, organiser_member)
    meet(a, b)
    with pytest.raises(PermissionDenied):
        scheduling.schedule_plan_start(event=event, by=a[0])
    plan = solved_plan(event, organiser_member, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        scheduling.schedule_plan_apply(plan=plan, by=a[0])
    with pytest.raises(PermissionDenied):
        scheduling.schedule_plan_discard(plan=plan, by=b[0])
    scheduling.schedule_plan_discard(plan=plan, by=organiser_member)
    with pytest.raises(ApplicationError, match="discarded"):
        scheduling.schedule_plan_apply(plan=plan, by=organiser_member)


def test_the_scheduler_needs_organiser_mode(make_event, organiser_member):
    event, _people = docking(make_event, organiser_member, mode="participants")
    with pytest.raises(ApplicationError, match="switch"):
        scheduling.schedule_plan_start(event=event, by=organiser_member)


def test_a_stale_plan_is_refused_and_marked(make_event, organiser_member, django_capture_on_commit_callbacks):
    event, (a, b, c, d) = docking(make_event, organiser_member)
    meet(a, b)
    plan = solved_plan(event, organiser_member, django_capture_on_commit_callbacks)
    meet(c, d)  # accepted after the preview
    with pytest.raises(scheduling.StalePlan, match="changed since"):
        scheduling.schedule_plan_apply(plan=plan, by=organiser_member)
    assert SchedulePlan.objects.get(pk=plan.pk).status == "stale"
    assert not Meeting.objects.filter(slot__isnull=False).exists()
    # A break taken since the preview makes it stale too.
    plan = solved_plan(event, organiser_member, django_capture_on_commit_callbacks)
    meetings.registration_breaks_set(registration=a[1], by=a[0], slots=slots(event)[:1])
    with pytest.raises(scheduling.StalePlan):
        scheduling.schedule_plan_apply(plan=plan, by=organiser_member)


def test_applying_is_all_or_nothing(make_event, organiser_member, django_capture_on_commit_callbacks, monkeypatch):
    event, (a, b, c, d) = docking(make_event, organiser_member, tables=("A1", "A2"))
    meet(a, b), meet(c, d)
    plan = solved_plan(event, organiser_member, django_capture_on_commit_callbacks)

    def fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise IntegrityError("seat_one_meeting_per_slot")

    monkeypatch.setattr(MeetingSeat.objects, "bulk_create", fails)
    with pytest.raises(ApplicationError, match="could not be written"):
        scheduling.schedule_plan_apply(plan=plan, by=organiser_member)
    assert not Meeting.objects.filter(slot__isnull=False).exists() and not MeetingSeat.objects.exists()
    assert SchedulePlan.objects.get(pk=plan.pk).status == "proposed"


def test_pinned_meetings_keep_their_place(make_event, organiser_member, django_capture_on_commit_callbacks):
    """A-B pinned in the second slot stays there though the first is free; pinning needs a placed meeting."""
    event, (a, b, c, d) = docking(make_event, organiser_member, slots=2, tables=("A1",))
    ab = meet(a, b)
    with pytest.raises(ApplicationError, match="placed"):
        scheduling.meeting_pin(meeting=ab, by=organiser_member)
    later, table = slots(event)[1], MeetingTable.objects.get(event=event)
    meetings.meeting_move(meeting=ab, by=organiser_member, slot=later, table=table)
    with pytest.raises(PermissionDenied):
        scheduling.meeting_pin(meeting=ab, by=a[0])
    scheduling.meeting_pin(meeting=ab, by=organiser_member)
    meet(c, d)
    plan = solved_plan(event, organiser_member, django_capture_on_commit_callbacks)
    assert {"meeting": ab.pk, "slot": later.pk, "table": table.pk} in plan.placements
    scheduling.schedule_plan_apply(plan=plan, by=organiser_member)
    ab.refresh_from_db()
    assert (ab.slot, ab.pinned) == (later, True)
    assert Meeting.objects.get(requester=c[1]).slot == slots(event)[0]


def test_times_are_hidden_until_the_agenda_is_published_and_everyone_is_told(
    make_event, organiser_member, django_capture_on_commit_callbacks, client
):
    event, (a, b, c, _d) = docking(make_event, organiser_member)
    meeting = meet(a, b)
    scheduling.schedule_plan_apply(
        plan=solved_plan(event, organiser_member, django_capture_on_commit_callbacks), by=organiser_member
    )
    meeting.refresh_from_db()
    assert meeting.slot is not None
    client.force_login(a[0])
    assert "to be scheduled" in client.get(f"/events/{event.pk}/meet/").content.decode()
    assert meeting_vevents(client) == []
    assert client.get(f"/api/v1/meetings/{meeting.pk}/").json()["slot"] is None
    with pytest.raises(PermissionDenied):
        scheduling.agenda_publish(event=event, by=a[0], status="final")
    scheduling.agenda_publish(event=event, by=organiser_member, status="preliminary")
    assert client.get(f"/api/v1/meetings/{meeting.pk}/").json()["slot"]["id"] == meeting.slot_id
    (vevent,) = meeting_vevents(client)
    assert str(vevent["status"]) == "TENTATIVE"
    told = {n.organization_id for n in Notification.objects.filter(text__subject__msgid__startswith="Preliminary")}
    assert told == {a[1].organization_id, b[1].organization_id, c[1].organization_id, _d[1].organization_id}
    scheduling.agenda_publish(event=event, by=organiser_member, status="final")
    with pytest.raises(ApplicationError, match="already published"):
        scheduling.agenda_publish(event=event, by=organiser_member, status="final")
    assert Notification.objects.filter(text__subject__msgid__startswith="Final agenda").count() == 4


def meeting_vevents(client) -> list:  # type: ignore[no-untyped-def]
    calendar = icalendar.Calendar.from_ical(client.get("/events/my/agenda.ics").content)
    return [component for component in calendar.walk("VEVENT") if str(component["uid"]).startswith("meeting-")]


def test_a_late_change_offers_a_repair_that_tells_only_those_whose_meetings_changed(
    make_event, organiser_member, django_capture_on_commit_callbacks
):
    """After the final agenda, C-D is cancelled and E-F accepted: the repair plan (offered and solved on commit)
    places E-F in the freed place and moves nobody; only E's and F's organisations are told of a change. The
    meeting's calendar entry keeps its UID and raises its SEQUENCE when it moves."""
    event, (a, b, c, d, e, f) = docking(make_event, organiser_member, slots=2, tables=("A1",), people=6)
    ab, cd = meet(a, b), meet(c, d)
    scheduling.schedule_plan_apply(
        plan=solved_plan(event, organiser_member, django_capture_on_commit_callbacks), by=organiser_member
    )
    scheduling.agenda_publish(event=event, by=organiser_member, status="final")
    ab.refresh_from_db()
    before = (ab.slot_id, ab.table_id, ab.sequence)
    with django_capture_on_commit_callbacks(execute=True):
        meetings.meeting_cancel(meeting=cd, by=c[0])
    assert SchedulePlan.objects.filter(event=event, kind="repair").exists()
    told_of_cancel = Notification.objects.filter(text__subject__msgid="A meeting at %(event)s is cancelled")
    assert [n.organization_id for n in told_of_cancel] == [d[1].organization_id]
    with django_capture_on_commit_callbacks(execute=True):
        ef = meet(e, f)
    repair = SchedulePlan.objects.filter(event=event, kind="repair", status="proposed").get()
    assert repair.solved_at is not None and repair.moved_count == 0 and repair.placed_count == 2
    assert SchedulePlan.objects.filter(event=event, kind="repair", status="stale").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.schedule_plan_apply(plan=repair, by=organiser_member)
    ab.refresh_from_db(), ef.refresh_from_db()
    assert (ab.slot_id, ab.table_id, ab.sequence) == before
    assert ef.slot is not None and ef.sequence == 1
    changed = Notification.objects.filter(text__subject__msgid="Your meetings at %(event)s changed")
    assert {n.organization_id for n in changed} == {e[1].organization_id, f[1].organization_id}
    assert "new times and tables" in render_in("en", changed[0].text["body"])


def test_a_moved_meeting_keeps_its_uid_and_raises_its_sequence(make_event, organiser_member, client):
    event, (a, b, *_rest) = docking(make_event, organiser_member, mode="participants", slots=2, tables=("A1",))
    meeting = meet(a, b)
    client.force_login(a[0])

    (first,) = meeting_vevents(client)
    meetings.meeting_move(meeting=meeting, by=organiser_member, slot=slots(event)[1],
                          table=MeetingTable.objects.get(event=event))  # fmt: skip
    (second,) = meeting_vevents(client)
    assert str(first["uid"]) == str(second["uid"]) == f"meeting-{meeting.pk}@techmatch"
    assert int(second["sequence"]) == int(first["sequence"]) + 1
    assert second["dtstart"].dt > first["dtstart"].dt


def test_automatic_acceptance_places_at_once_or_waits_for_the_organiser(make_event, organiser_member):
    event, (a, b, c, d) = docking(make_event, organiser_member, mode="participants", request_mode="automatic")
    meeting = meetings.meeting_request(requester=a[1], invitee=b[1], by=a[0])
    assert meeting.status == "accepted" and meeting.slot == slots(event)[0] and meeting.seats.count() == 2
    event = services.event_update(event=event, by=organiser_member, scheduling_mode="organiser")
    waiting = meetings.meeting_request(requester=c[1], invitee=d[1], by=c[0])
    assert (waiting.status, waiting.slot) == ("accepted", None)
    with pytest.raises(ApplicationError, match="wait for the organiser"):
        services.event_update(event=event, by=organiser_member, scheduling_mode="participants")


def test_the_cap_on_open_requests(make_event, organiser_member):
    _event, (a, b, c, _d) = docking(make_event, organiser_member, max_open_requests=1)
    meetings.meeting_request(requester=a[1], invitee=b[1], by=a[0])
    with pytest.raises(ApplicationError, match="1 unanswered requests, the most"):
        meetings.meeting_request(requester=a[1], invitee=c[1], by=a[0])
    meetings.meeting_request(requester=c[1], invitee=a[1], by=c[0])  # the cap is per requester


def test_requests_expire_after_the_deadline_and_both_sides_are_told_once(make_event, organiser_member):
    event, (a, b, c, _d) = docking(make_event, organiser_member)
    waiting = meetings.meeting_request(requester=a[1], invitee=b[1], by=a[0])
    accepted = meet(c, a)
    Event.objects.filter(pk=event.pk).update(request_deadline=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(ApplicationError, match="closed"):
        meetings.meeting_request(requester=b[1], invitee=c[1], by=b[0])
    with pytest.raises(ApplicationError, match="closed"):
        meetings.meeting_accept(meeting=waiting, by=b[0])
    assert meeting_requests_sweep_task.apply().get()["expired"] == 1
    assert meeting_requests_sweep_task.apply().get()["expired"] == 0
    waiting.refresh_from_db(), accepted.refresh_from_db()
    assert (waiting.status, accepted.status) == ("expired", "accepted")
    told = Notification.objects.filter(text__subject__msgid="A meeting request at %(event)s expired")
    assert sorted(n.organization_id for n in told) == sorted([a[1].organization_id, b[1].organization_id])
    with pytest.raises(ApplicationError, match="Meeting requests must close"):
        services.event_update(event=event, by=organiser_member, request_deadline=event.ends_at
                              + datetime.timedelta(hours=1))  # fmt: skip


def test_one_reminder_to_those_who_booked_nothing(make_event, organiser_member):
    event, (a, b, c, d) = docking(make_event, organiser_member)
    meetings.meeting_request(requester=a[1], invitee=b[1], by=a[0])  # a asked; b has a request waiting: b is reminded
    meet(c, d)  # c and d have a meeting
    services.event_update(event=event, by=organiser_member,
                          request_deadline=timezone.now() + datetime.timedelta(hours=20))  # fmt: skip
    assert meeting_requests_sweep_task.apply().get() == {"expired": 0, "reminded": 1}
    assert meeting_requests_sweep_task.apply().get() == {"expired": 0, "reminded": 0}
    (reminder,) = Notification.objects.filter(text__subject__msgid="Book your 1:1 meetings at %(event)s")
    assert reminder.organization_id == b[1].organization_id
    assert Registration.objects.get(pk=b[1].pk).meeting_reminder_sent_at is not None
    assert "参会者1" in render_in("en", reminder.text["body"])


def test_participants_pick_slots_within_breaks_limits_and_the_rule_of_breaks(make_event, organiser_member):
    event, people = docking(make_event, organiser_member, mode="participants", slots=3, tables=("A1", "A2"),
                            people=6, max_consecutive_meetings=2)  # fmt: skip
    a, b, c, d, e, f = people
    first, second, third = slots(event)
    meetings.registration_breaks_set(registration=b[1], by=b[0], slots=[first])
    assert meet(a, b).slot == second  # b takes the first slot off
    assert meet(a, c).slot == first
    with pytest.raises(ApplicationError, match="No slot"):  # a: two in a row already, the third would break the rule
        meet(a, d)
    with pytest.raises(ApplicationError, match="cancel it"):  # b meets a in the second slot
        meetings.registration_breaks_set(registration=b[1], by=b[0], slots=[second])
    with pytest.raises(PermissionDenied):
        meetings.registration_breaks_set(registration=b[1], by=a[0], slots=[third])
    Registration.objects.filter(pk=e[1].pk).update(max_meetings=1)
    e = (e[0], Registration.objects.get(pk=e[1].pk))
    meet(e, f)
    with pytest.raises(ApplicationError, match="most meetings allowed"):
        meet(e, d)


def test_cancelling_frees_the_seat_and_tells_the_other_side(make_event, organiser_member):
    _event, (a, b, c, d) = docking(make_event, organiser_member, mode="participants", slots=1, tables=("A1",))
    meeting = meet(a, b)
    with pytest.raises(PermissionDenied):
        meetings.meeting_cancel(meeting=meeting, by=c[0])
    meetings.meeting_cancel(meeting=meeting, by=b[0])
    meeting.refresh_from_db()
    assert meeting.status == "cancelled" and not meeting.seats.exists()
    (told,) = Notification.objects.filter(text__subject__msgid="A meeting at %(event)s is cancelled")
    assert told.organization_id == a[1].organization_id
    assert meet(c, d).slot is not None  # the place is free again
    with pytest.raises(ApplicationError, match="cancelled"):
        meetings.meeting_cancel(meeting=meeting, by=a[0])
    request = meetings.meeting_request(requester=a[1], invitee=b[1], by=a[0])
    with pytest.raises(PermissionDenied):  # only the requester withdraws a request
        meetings.meeting_cancel(meeting=request, by=b[0])
    assert meetings.meeting_cancel(meeting=request, by=a[0]).status == "cancelled"


def test_a_meeting_left_out_is_explained_with_the_names(make_event, organiser_member,
                                                       django_capture_on_commit_callbacks):  # fmt: skip
    event, (a, b, *_rest) = docking(make_event, organiser_member, slots=2)
    meetings.registration_breaks_set(registration=a[1], by=a[0], slots=slots(event)[:1])
    meetings.registration_breaks_set(registration=b[1], by=b[0], slots=slots(event)[1:])
    meeting = meet(a, b)
    plan = solved_plan(event, organiser_member, django_capture_on_commit_callbacks)
    preview = scheduling.plan_preview(plan)
    (row,) = preview.unplaced
    assert row.meeting == meeting and row.reason == "no_common_slot"
    assert "参会者0" in row.text and "参会者1" in row.text and "no slot" in row.text
