import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError, PermissionDenied
from events import meetings, outcomes, programme, services
from events.models import Meeting, MeetingSlot, MeetingTable, PresentationApplication
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services as match_services
from matching.models import Match
from matching.runs import match_run_full
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

from .clock import run_today

pytestmark = pytest.mark.django_db


def participants(event, count):  # type: ignore[no-untyped-def]
    people = []
    for n in range(count):
        member = MembershipFactory().user
        registration = services.registration_create(
            event=event, organization=member.organizations.get(), person_name=f"人{n}",
            person_email=f"m{n}@example.cn", by=member,
        )  # fmt: skip
        people.append((member, registration))
    return people


def publish(posting):  # type: ignore[no-untyped-def]
    return posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)


def grid(event, organiser_member, slots=2, tables=("A1", "A2")):  # type: ignore[no-untyped-def]
    start = event.starts_at
    meetings.meeting_grid_define(
        event=event, by=organiser_member, tables=list(tables),
        slots=[(start + datetime.timedelta(minutes=20 * i), start + datetime.timedelta(minutes=20 * (i + 1)))
               for i in range(slots)],
    )  # fmt: skip


def test_requests_are_placed_without_double_booking_people_or_tables(make_event, organiser_member):
    event = make_event(capacity=10)
    grid(event, organiser_member, slots=2, tables=("A1",))
    (a, ra), (b, rb), (c, rc) = participants(event, 3)
    first = meetings.meeting_accept(meeting=meetings.meeting_request(requester=ra, invitee=rb, by=a), by=b)
    second = meetings.meeting_accept(meeting=meetings.meeting_request(requester=rc, invitee=rb, by=c), by=b)
    assert (first.slot, first.table.name) == (MeetingSlot.objects.order_by("starts_at")[0], "A1")
    assert second.slot == MeetingSlot.objects.order_by("starts_at")[1]  # B is busy in the first slot
    third = meetings.meeting_request(requester=rc, invitee=ra, by=c)
    with pytest.raises(ApplicationError, match="No slot"):
        meetings.meeting_accept(meeting=third, by=a)  # one table: both slots are full
    assert [m.pk for m in meetings.agenda(registration=rb)] == [first.pk, second.pk]
    with pytest.raises(PermissionDenied):
        meetings.meeting_accept(meeting=third, by=c)  # only the invitee answers


def test_organiser_moves_meetings_only_to_free_places(make_event, organiser_member):
    event = make_event(capacity=10)
    grid(event, organiser_member, slots=2, tables=("A1", "A2"))
    (a, ra), (b, rb), (c, rc), (d, rd) = participants(event, 4)
    m1 = meetings.meeting_accept(meeting=meetings.meeting_request(requester=ra, invitee=rb, by=a), by=b)
    m2 = meetings.meeting_accept(meeting=meetings.meeting_request(requester=rc, invitee=rd, by=c), by=d)
    assert m1.slot == m2.slot and m1.table != m2.table
    later = MeetingSlot.objects.order_by("starts_at")[1]
    moved = meetings.meeting_move(
        meeting=m1, by=organiser_member, slot=later, table=MeetingTable.objects.get(name="A2")
    )
    assert (moved.slot, moved.table.name) == (later, "A2")
    with pytest.raises(ApplicationError, match="taken"):
        meetings.meeting_move(meeting=m2, by=organiser_member, slot=later, table=MeetingTable.objects.get(name="A2"))
    with pytest.raises(PermissionDenied):
        meetings.meeting_move(meeting=m2, by=a, slot=later, table=MeetingTable.objects.get(name="A1"))


def test_whom_to_meet_ranks_by_matching_scores(make_event, organiser_member, staff_user):
    event = make_event(capacity=10)
    university, enterprise, farm = (OrganizationFactory(), OrganizationFactory(kind="enterprise"),
                                    OrganizationFactory(kind="enterprise"))  # fmt: skip
    for posting in (
        achievement(university, title="钠离子电池硬碳负极材料", summary="硬碳负极。", domains=("battery_materials",)),
        need(enterprise, title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
             domains=("battery_materials",)),
        need(farm, title="耐盐碱水稻品种", description="盐碱地水稻种植。", domains=("seed_industry",)),
    ):  # fmt: skip
        posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)
    match_run_full()
    for match in Match.objects.all():  # released by staff: "whom to meet" reads released matches by default
        match_services.match_approve(match=match, by=staff_user)
    registrations = {}
    for organization in (university, enterprise, farm):
        member = MembershipFactory(organization=organization).user
        registrations[organization.pk] = services.registration_create(
            event=event, organization=organization, person_name="代表", person_email=f"r{organization.pk}@x.cn",
            by=member,
        )  # fmt: skip
    ranked = meetings.whom_to_meet(registration=registrations[university.pk])
    assert ranked[0].registration.organization == enterprise
    assert ranked[0].score > ranked[-1].score
    assert any(reason["component"] == "text" for reason in ranked[0].reasons)
    assert Match.objects.exists()


def test_roadshow_programme_one_presenter_per_slot(organiser_member):
    start = timezone.now() + datetime.timedelta(days=3)
    event = services.event_set_status(
        event=services.event_create(organizer=organiser_member.organizations.get(), by=organiser_member,
                                    kind="roadshow", title="G60成果路演", starts_at=start,
                                    ends_at=start + datetime.timedelta(hours=3), capacity=100),
        by=organiser_member, status="published",
    )  # fmt: skip
    member = MembershipFactory().user
    listing = achievement(member.organizations.get(), title="钙钛矿叠层电池")
    with pytest.raises(ApplicationError, match="published listings"):
        programme.presentation_apply(event=event, organization=member.organizations.get(), by=member, listing=listing)
    listing = posting_services.posting_transition(posting=listing, to=PostingStatus.PUBLISHED, by=None)
    first = programme.presentation_apply(event=event, organization=member.organizations.get(), by=member,
                                         listing=listing)  # fmt: skip
    other_member = MembershipFactory().user
    other = achievement(other_member.organizations.get(), title="固态电池")
    other = posting_services.posting_transition(posting=other, to=PostingStatus.PUBLISHED, by=None)
    second = programme.presentation_apply(event=event, organization=other_member.organizations.get(),
                                          by=other_member, listing=other)  # fmt: skip
    slot = (start + datetime.timedelta(minutes=30), start + datetime.timedelta(minutes=45))
    programme.presentation_schedule(application=first, by=organiser_member, starts_at=slot[0], ends_at=slot[1])
    with pytest.raises(ApplicationError, match="holds that time"):
        programme.presentation_schedule(application=second, by=organiser_member,
                                        starts_at=slot[0] + datetime.timedelta(minutes=5), ends_at=slot[1])  # fmt: skip
    with pytest.raises(PermissionDenied):
        programme.presentation_schedule(application=second, by=member, starts_at=slot[1],
                                        ends_at=slot[1] + datetime.timedelta(minutes=15))  # fmt: skip
    assert [a.pk for a in programme.programme(event=event)] == [first.pk]
    assert PresentationApplication.objects.get(pk=second.pk).status == "applied"


def test_outcomes_and_report(make_event, organiser_member):
    event = make_event(capacity=2)
    people = participants(event, 3)
    grid(event, organiser_member, slots=1, tables=("A1",))
    event = run_today(event)  # check-in opens on the event's day
    services.registration_check_in(event=event, code=people[0][1].check_in_code, by=organiser_member)
    meetings.meeting_accept(meeting=meetings.meeting_request(requester=people[0][1], invitee=people[1][1],
                                                             by=people[0][0]), by=people[1][0])  # fmt: skip
    listing = publish(achievement(people[0][0].organizations.get()))
    outcomes.event_agreement_record(event=event, by=organiser_member, achievement=listing, need=None, mode="license",
                                    signed_on=datetime.date(2026, 11, 20), amount_wan=Decimal("80"))  # fmt: skip
    with pytest.raises(PermissionDenied):
        outcomes.event_agreement_record(event=event, by=people[0][0], achievement=listing, need=None, mode="license",
                                        signed_on=datetime.date(2026, 11, 20))  # fmt: skip
    report = outcomes.event_report(event=event)
    assert (report.registrations, report.confirmed, report.waiting, report.attended) == (3, 2, 1, 1)
    assert (report.meetings_held, report.agreements, report.agreements_total_wan) == (1, 1, Decimal("80"))
    assert Meeting.objects.count() == 1


@pytest.mark.parametrize("model", ["event", "registration", "presentationapplication", "meeting", "eventagreement"])
def test_event_admin_pages_open_for_staff(client, staff_user, make_event, model):
    make_event()
    client.force_login(staff_user)
    assert client.get(reverse(f"admin:events_{model}_changelist")).status_code == 200


def test_agreements_at_events_follow_the_same_rules_as_on_matches(make_event, organiser_member):
    event = make_event()
    participant = participants(event, 1)[0][0]
    listing = publish(achievement(participant.organizations.get()))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ApplicationError) as error:
        outcomes.event_agreement_record(event=event, by=organiser_member, achievement=listing, need=None,
                                        mode="license", signed_on=tomorrow)  # fmt: skip
    assert error.value.field == "signed_on"


def test_a_cancelled_registration_cancels_its_meetings_and_frees_their_places(make_event, organiser_member,
                                                                             django_capture_on_commit_callbacks):
    """Whoever no longer comes meets nobody: the accepted meeting and the open request go, the seats are freed for
    others and the other side of the accepted meeting is told (in their own language)."""
    from accounts.models import Notification
    from core.i18n import render_in

    event = make_event(capacity=10)
    grid(event, organiser_member, slots=1, tables=("A1",))
    (a, ra), (b, rb), (c, rc), (d, rd) = participants(event, 4)
    placed = meetings.meeting_accept(meeting=meetings.meeting_request(requester=ra, invitee=rb, by=a), by=b)
    waiting = meetings.meeting_request(requester=rc, invitee=ra, by=c)
    with pytest.raises(ApplicationError, match="No slot"):  # the one table of the one slot is taken
        meetings.meeting_accept(meeting=meetings.meeting_request(requester=rd, invitee=rb, by=d), by=b)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=ra, by=a)
    placed.refresh_from_db(), waiting.refresh_from_db()
    assert (placed.status, waiting.status) == ("cancelled", "cancelled")
    assert not placed.seats.exists()
    told = Notification.objects.get(organization=rb.organization)
    assert "人0" in render_in("en", told.text["body"]) and "A1" in render_in("en", told.text["body"])
    assert "取消" in render_in("zh-hans", told.text["subject"])
    assert not Notification.objects.filter(organization=rc.organization).exists()  # only a request: nothing to tell
    again = meetings.meeting_accept(meeting=Meeting.objects.get(requester=rd, invitee=rb), by=b)
    assert (again.status, again.table.name) == ("accepted", "A1")  # the freed slot and table serve others
