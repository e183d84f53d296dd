"""Docking events' 1:1 meetings on the web and the API: the organiser's grid (slots, tables, moving), the
participant's page (whom to meet, requests, accepting and declining, the agenda), the agenda .ics with one VEVENT
per accepted meeting, and /api/v1/events/{id}/whom-to-meet|agenda|grid/ and /api/v1/meetings/.

Roles: ``anonymous``; ``organiser``; ``participant`` (an enterprise with a confirmed registration and an
achievement); ``rival`` (another enterprise with a confirmed registration and a need the achievement matches);
``third`` (a farm with a confirmed registration and an unrelated need); ``outsider`` (a member without a
registration); ``staff``. Other participants' e-mails are looked for where they must not be.
"""

from __future__ import annotations

import datetime
import json

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from events import meetings, services
from events.models import Event, Meeting, MeetingSlot, MeetingTable
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services as match_services
from matching.models import Match
from matching.runs import match_run_full
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db

PARTICIPANT_EMAIL = "zhang.san@participant.example.cn"
RIVAL_EMAIL = "li.si@rival.example.cn"
THIRD_EMAIL = "wang.wu@farm.example.cn"
ORGANISER_ONLY = [("anonymous", 302), ("organiser", 200), ("participant", 403), ("outsider", 403), ("staff", 200)]


def aligned_event(by, *, kind="docking", title="长三角新材料成果对接会", publish=True, capacity=10):
    """An event starting on the hour (so that times typed to the minute fall within it), four hours long."""
    start = (timezone.now() + datetime.timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    event = services.event_create(
        organizer=by.organizations.get(), by=by, kind=kind, title=title, starts_at=start,
        ends_at=start + datetime.timedelta(hours=4), capacity=capacity, city_id="310100", venue="松江G60科创云廊",
    )  # fmt: skip
    if publish:
        event = services.event_set_status(event=event, by=by, status="published")
    return event


def publish(posting):
    return posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)


def register(event, user, name, email):
    return services.registration_create(
        event=event, organization=user.organizations.get(), person_name=name, person_email=email, by=user
    )


def define_grid(event, by, slots=3, tables=("A1", "A2")):
    start = event.starts_at
    meetings.meeting_grid_define(
        event=event, by=by, tables=list(tables),
        slots=[(start + datetime.timedelta(minutes=20 * n), start + datetime.timedelta(minutes=20 * (n + 1)))
               for n in range(slots)],
    )  # fmt: skip


@pytest.fixture
def world(organiser_member, staff_user):
    participant = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="参会企业")).user
    rival = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="另一家企业")).user
    third = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="盐碱地农场")).user
    outsider = MembershipFactory(organization=OrganizationFactory(name="旁观高校")).user
    publish(achievement(participant.organizations.get(), title="钠离子电池硬碳负极材料", summary="硬碳负极。",
                        domains=("battery_materials",)))  # fmt: skip
    publish(need(rival.organizations.get(), title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
                 domains=("battery_materials",)))  # fmt: skip
    publish(need(third.organizations.get(), title="耐盐碱水稻品种", description="盐碱地水稻种植。",
                 domains=("seed_industry",)))  # fmt: skip
    match_run_full()
    for match in Match.objects.all():  # released by staff: "whom to meet" reads released matches by default
        match_services.match_approve(match=match, by=staff_user)
    event = aligned_event(organiser_member)
    draft = aligned_event(organiser_member, title="未发布的对接会", publish=False)
    roadshow = aligned_event(organiser_member, kind="roadshow", title="G60成果路演")
    return {
        "organiser": organiser_member, "participant": participant, "rival": rival, "third": third,
        "outsider": outsider, "staff": staff_user, "event": event, "draft": draft, "roadshow": roadshow,
        "mine": register(event, participant, "张三", PARTICIPANT_EMAIL),
        "theirs": register(event, rival, "李四", RIVAL_EMAIL),
        "farm": register(event, third, "王五", THIRD_EMAIL),
    }  # fmt: skip


def as_user(client, world, who):
    if who != "anonymous":
        client.force_login(world[who])
    return client


def api(world, who) -> APIClient:
    client = APIClient()
    if who != "anonymous":
        client.force_authenticate(world[who])
    return client


def url(name, event=None, **kwargs):
    if event is not None:
        kwargs["pk"] = event.pk
    return reverse(f"events:{name}", kwargs=kwargs)


def local(moment):
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


def request_and_accept(world, requester="mine", invitee="theirs", by=("participant", "rival"), slot=None):
    meeting = meetings.meeting_request(requester=world[requester], invitee=world[invitee], by=world[by[0]])
    return meetings.meeting_accept(meeting=meeting, by=world[by[1]], slot=slot)


# --- Who sees what -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), ORGANISER_ONLY)
def test_the_grid_is_for_the_organiser_and_staff(client, world, who, status):
    client = as_user(client, world, who)
    response = client.get(url("grid", world["event"]))
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("accounts:login"))
    assert client.post(url("move-meeting", world["event"]), {}).status_code == (status if status != 200 else 400)


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("organiser", 403), ("participant", 200), ("rival", 200), ("outsider", 403), ("staff", 403)],
)
def test_the_meet_page_is_for_members_with_a_confirmed_place(client, world, who, status):
    response = as_user(client, world, who).get(url("meet", world["event"]))
    assert response.status_code == status


@pytest.mark.parametrize(("who", "status"), [("participant", 404), ("outsider", 404), ("organiser", 200)])
def test_a_drafts_grid_is_hidden(client, world, who, status):
    assert as_user(client, world, who).get(url("grid", world["draft"])).status_code == status


@pytest.mark.parametrize("who", ["participant", "outsider"])
def test_a_drafts_meet_page_is_hidden(client, world, who):
    assert as_user(client, world, who).get(url("meet", world["draft"])).status_code == 404


def test_only_docking_events_have_grids_and_meet_pages(client, world):
    client.force_login(world["organiser"])
    assert client.get(url("grid", world["roadshow"])).status_code == 404
    assert client.get(url("meet", world["roadshow"])).status_code == 404


def test_the_event_page_links_to_the_grid_and_the_meet_page(client, world):
    client.force_login(world["organiser"])
    text = client.get(url("detail", world["event"])).content.decode()
    assert url("grid", world["event"]) in text and url("meet", world["event"]) not in text
    client.force_login(world["participant"])
    text = client.get(url("detail", world["event"])).content.decode()
    assert url("meet", world["event"]) in text and url("grid", world["event"]) not in text
    assert text.count(url("meet", world["event"])) == 1
    client.force_login(world["outsider"])
    assert url("meet", world["event"]) not in client.get(url("detail", world["event"])).content.decode()


# --- The organiser's grid ----------------------------------------------------------------------------------------


def test_the_organiser_adds_slots_and_tables_and_sees_the_grid(client, world):
    event = world["event"]
    client.force_login(world["organiser"])
    response = client.post(
        url("grid", event), {"starts_at": local(event.starts_at), "minutes": "20", "count": "3", "tables": "A1，A2\nB1"}
    )
    assert response.status_code == 302
    starts = list(MeetingSlot.objects.filter(event=event).values_list("starts_at", flat=True))
    assert starts == [event.starts_at + datetime.timedelta(minutes=20 * n) for n in range(3)]
    assert list(MeetingTable.objects.filter(event=event).values_list("name", flat=True)) == ["A1", "A2", "B1"]
    page = client.get(url("grid", event)).content.decode()
    assert "Added 3 slots and 3 tables" in page
    assert "<th>A1</th><th>A2</th><th>B1</th>" in page

    before = timezone.localtime(event.starts_at - datetime.timedelta(hours=1))
    response = client.post(url("grid", event), {"starts_at": f"{before:%Y-%m-%dT%H:%M}", "minutes": "20", "count": "1"})
    assert response.status_code == 400
    assert "Each slot lies within the event" in response.content.decode()
    response = client.post(url("grid", event), {"minutes": "20", "count": "1", "tables": ""})
    assert response.status_code == 400
    assert MeetingSlot.objects.filter(event=event).count() == 3


def test_the_grid_shows_each_meeting_in_its_cell_and_the_organiser_moves_it(client, world):
    event = world["event"]
    define_grid(event, world["organiser"], slots=2, tables=("A1", "A2"))
    meeting = request_and_accept(world)
    client.force_login(world["organiser"])
    page = client.get(url("grid", event)).content.decode()
    row = page[page.index("<tbody>") :]
    assert "张三" in row and "李四" in row and "参会企业" in row and "另一家企业" in row
    assert PARTICIPANT_EMAIL not in page and RIVAL_EMAIL not in page
    assert "1 meeting placed" in page

    later = MeetingSlot.objects.filter(event=event).order_by("starts_at")[1]
    a2 = MeetingTable.objects.get(event=event, name="A2")
    response = client.post(url("move-meeting", event), {"meeting": meeting.pk, "slot": later.pk, "table": a2.pk})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.slot, meeting.table) == (later, a2)
    assert "The meeting is moved to" in client.get(url("grid", event)).content.decode()

    # Both people are busy in the later slot now: another meeting of theirs cannot move there.
    other = request_and_accept(world, requester="farm", invitee="mine", by=("third", "participant"))
    assert other.slot != later
    response = client.post(
        url("move-meeting", event),
        {"meeting": other.pk, "slot": later.pk, "table": MeetingTable.objects.get(name="A1").pk},
    )
    assert response.status_code == 400
    assert "One of the two already meets someone in that slot." in response.content.decode()


def test_participants_cannot_move_meetings(client, world):
    define_grid(world["event"], world["organiser"])
    meeting = request_and_accept(world)
    slot = MeetingSlot.objects.order_by("starts_at").last()
    client.force_login(world["participant"])
    response = client.post(
        url("move-meeting", world["event"]), {"meeting": meeting.pk, "slot": slot.pk, "table": meeting.table_id}
    )
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.slot != slot


# --- The participant's page ----------------------------------------------------------------------------------


def test_whom_to_meet_ranks_the_matching_organisation_first_without_e_mails(client, world):
    client.force_login(world["participant"])
    page = client.get(url("meet", world["event"])).content.decode()
    suggestions = page[page.index("Whom to meet") :]
    assert suggestions.index("另一家企业") < suggestions.index("盐碱地农场")
    for email in (RIVAL_EMAIL, THIRD_EMAIL, PARTICIPANT_EMAIL, world["rival"].email, world["third"].email):
        assert email not in page
    assert "@" not in suggestions  # no address of any kind among the suggestions
    match = Match.objects.filter(need__organization=world["rival"].organizations.get()).order_by("-score").first()
    assert match.reasons
    english = [reason["en"] for reason in match.reasons if reason.get("en")]
    assert english and all(text in page for text in english)


def test_whom_to_meet_gives_the_reasons_in_the_active_language(client, world):
    client.force_login(world["participant"])
    page = client.get(url("meet", world["event"]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    match = Match.objects.filter(need__organization=world["rival"].organizations.get()).order_by("-score").first()
    chinese = [reason["zh"] for reason in match.reasons if reason.get("zh") and reason.get("zh") != reason.get("en")]
    assert chinese and all(text in page for text in chinese)
    english_only = [reason["en"] for reason in match.reasons if reason.get("en") and reason.get("zh")]
    assert not any(text in page for text in english_only if text not in chinese)


def test_request_accept_and_agenda_through_the_pages(client, world):
    event = world["event"]
    define_grid(event, world["organiser"], slots=2, tables=("A1",))
    client.force_login(world["participant"])
    response = client.post(
        url("request-meeting", event),
        {"requester": world["mine"].pk, "invitee": world["theirs"].pk, "note": "想了解硬碳负极"},
    )
    assert response.status_code == 302
    assert response.url == f"{url('meet', event)}?registration={world['mine'].pk}"
    meeting = Meeting.objects.get()
    assert (meeting.requester, meeting.invitee, meeting.status) == (world["mine"], world["theirs"], "requested")
    page = client.get(response.url).content.decode()
    assert "Your request to meet 李四 (另一家企业) is sent." in page
    assert "requested" in page

    # Asking twice is refused with a message.
    client.post(url("request-meeting", event), {"requester": world["mine"].pk, "invitee": world["theirs"].pk})
    assert Meeting.objects.count() == 1
    assert "These two already have a meeting or a request." in client.get(url("meet", event)).content.decode()

    client.force_login(world["rival"])
    page = client.get(url("meet", event)).content.decode()
    assert "Requests to you" in page and "想了解硬碳负极" in page
    assert url("accept-meeting", event, meeting_pk=meeting.pk) in page
    assert PARTICIPANT_EMAIL not in page
    response = client.post(url("accept-meeting", event, meeting_pk=meeting.pk), {"slot": ""})
    assert response.status_code == 302
    meeting.refresh_from_db()
    first = MeetingSlot.objects.order_by("starts_at").first()
    assert (meeting.status, meeting.slot, meeting.table.name) == ("accepted", first, "A1")

    for who, other in (("rival", "参会企业"), ("participant", "另一家企业")):
        client.force_login(world[who])
        page = client.get(url("meet", event)).content.decode()
        agenda = page[page.index("Your agenda") : page.index("Requests to you")]
        assert (
            f"{timezone.localtime(first.starts_at):%Y-%m-%d %H:%M}–{timezone.localtime(first.ends_at):%H:%M}" in agenda
        )
        assert "A1" in agenda and other in agenda


def test_the_invitee_chooses_a_slot_or_declines(client, world):
    event = world["event"]
    define_grid(event, world["organiser"], slots=3, tables=("A1",))
    last = MeetingSlot.objects.order_by("starts_at").last()
    chosen = meetings.meeting_request(requester=world["mine"], invitee=world["theirs"], by=world["participant"])
    declined = meetings.meeting_request(requester=world["farm"], invitee=world["theirs"], by=world["third"])
    client.force_login(world["rival"])
    client.post(url("accept-meeting", event, meeting_pk=chosen.pk), {"slot": last.pk})
    client.post(url("decline-meeting", event, meeting_pk=declined.pk))
    chosen.refresh_from_db()
    declined.refresh_from_db()
    assert (chosen.status, chosen.slot) == ("accepted", last)
    assert declined.status == "declined"
    # Answering twice is a message, not an error page.
    response = client.post(url("decline-meeting", event, meeting_pk=declined.pk), follow=True)
    assert "This meeting is declined." in response.content.decode()


def test_only_the_invitee_answers_and_others_do_not_see_the_meeting(client, world):
    event = world["event"]
    define_grid(event, world["organiser"])
    meeting = meetings.meeting_request(requester=world["mine"], invitee=world["theirs"], by=world["participant"])
    client.force_login(world["participant"])  # the requester
    assert client.post(url("accept-meeting", event, meeting_pk=meeting.pk)).status_code == 403
    client.force_login(world["third"])  # a participant the meeting is not theirs
    assert client.post(url("accept-meeting", event, meeting_pk=meeting.pk)).status_code == 404
    assert client.post(url("decline-meeting", event, meeting_pk=meeting.pk)).status_code == 404
    client.force_login(world["outsider"])
    assert client.post(url("decline-meeting", event, meeting_pk=meeting.pk)).status_code == 404
    meeting.refresh_from_db()
    assert meeting.status == "requested"


def test_requests_only_for_the_own_organisation_and_confirmed_people(client, world):
    event = world["event"]
    client.force_login(world["outsider"])  # no registration: may not ask
    assert client.post(url("request-meeting", event), {"invitee": world["theirs"].pk}).status_code == 403
    client.force_login(world["participant"])
    # Acting for another organisation's participant is not a choice.
    client.post(url("request-meeting", event), {"requester": world["farm"].pk, "invitee": world["theirs"].pk})
    # Nor is a participant of another event.
    elsewhere = aligned_event(world["organiser"], title="另一场对接会")
    stranger = register(elsewhere, world["rival"], "李四", RIVAL_EMAIL)
    client.post(url("request-meeting", event), {"requester": world["mine"].pk, "invitee": stranger.pk})
    assert not Meeting.objects.exists()
    assert client.get(url("meet", event) + "?registration=" + str(world["farm"].pk)).status_code == 404


def test_an_organisation_with_two_people_acts_for_either(client, world):
    event = world["event"]
    colleague = register(event, world["participant"], "张三的同事", "colleague@participant.example.cn")
    client.force_login(world["participant"])
    page = client.get(url("meet", event)).content.decode()
    assert "For 张三 (参会企业)." in page and f'href="?registration={colleague.pk}"' in page
    page = client.get(url("meet", event), {"registration": colleague.pk}).content.decode()
    assert "For 张三的同事 (参会企业)." in page
    assert "colleague@participant.example.cn" not in page
    response = client.post(url("request-meeting", event), {"requester": colleague.pk, "invitee": world["theirs"].pk})
    assert response.url == f"{url('meet', event)}?registration={colleague.pk}"
    assert Meeting.objects.get().requester == colleague


# --- The agenda .ics -----------------------------------------------------------------------------------------


def test_the_agenda_has_one_vevent_per_accepted_meeting_with_its_slot_and_table(client, world):
    event = world["event"]
    define_grid(event, world["organiser"], slots=3, tables=("A1", "A2"))
    slots = list(MeetingSlot.objects.filter(event=event).order_by("starts_at"))
    with_rival = request_and_accept(world)
    with_farm = request_and_accept(world, requester="farm", invitee="mine", by=("third", "participant"), slot=slots[2])
    meetings.meeting_request(requester=world["theirs"], invitee=world["farm"], by=world["rival"])  # not accepted

    client.force_login(world["participant"])
    calendar = icalendar.Calendar.from_ical(client.get(url("my-agenda")).content)
    vevents = {str(v["uid"]): v for v in calendar.walk("VEVENT")}
    assert set(vevents) == {
        f"event-{event.pk}@techmatch",
        f"meeting-{with_rival.pk}@techmatch",
        f"meeting-{with_farm.pk}@techmatch",
    }
    first, second = vevents[f"meeting-{with_rival.pk}@techmatch"], vevents[f"meeting-{with_farm.pk}@techmatch"]
    assert (first.decoded("dtstart"), first.decoded("dtend")) == (slots[0].starts_at, slots[0].ends_at)
    assert (second.decoded("dtstart"), second.decoded("dtend")) == (slots[2].starts_at, slots[2].ends_at)
    assert first.decoded("dtstart").utcoffset() == datetime.timedelta(0)
    assert "另一家企业" in str(first["summary"]) and "盐碱地农场" in str(second["summary"])
    assert "A1" in str(first["location"]) and "松江G60科创云廊" in str(first["location"])
    assert str(first["url"]) == f"http://testserver{url('meet', event)}"
    assert RIVAL_EMAIL not in client.get(url("my-agenda")).content.decode()

    client.force_login(world["rival"])  # registered 李四: the meeting, seen from the other side
    calendar = icalendar.Calendar.from_ical(client.get(url("my-agenda")).content)
    summaries = {str(v["uid"]): str(v["summary"]) for v in calendar.walk("VEVENT")}
    assert "参会企业" in summaries[f"meeting-{with_rival.pk}@techmatch"]
    assert f"meeting-{with_farm.pk}@techmatch" not in summaries

    client.force_login(world["outsider"])
    calendar = icalendar.Calendar.from_ical(client.get(url("my-agenda")).content)
    assert calendar.walk("VEVENT") == []


def test_a_cancelled_registrations_meetings_leave_the_agenda(client, world):
    define_grid(world["event"], world["organiser"])
    request_and_accept(world)
    services.registration_cancel(registration=world["mine"], by=world["participant"])
    client.force_login(world["participant"])
    calendar = icalendar.Calendar.from_ical(client.get(url("my-agenda")).content)
    assert not [v for v in calendar.walk("VEVENT") if str(v["uid"]).startswith("meeting-")]


# --- The API -----------------------------------------------------------------------------------------------------


def event_api(name, event):
    return reverse(f"api:event-{name}", kwargs={"pk": event.pk})


def meeting_api(name, meeting=None):
    return reverse(f"api:meeting-{name}", kwargs={"pk": meeting.pk} if meeting is not None else {})


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 403), ("organiser", 403), ("participant", 200), ("outsider", 403), ("staff", 403)],
)
def test_api_whom_to_meet_and_agenda_are_for_participants(world, who, status):
    client = api(world, who)
    assert client.get(event_api("whom-to-meet", world["event"])).status_code == status
    assert client.get(event_api("agenda", world["event"])).status_code == status


def test_api_whom_to_meet_ranks_with_reasons_in_the_language_and_no_e_mails(world):
    client = api(world, "participant")
    response = client.get(event_api("whom-to-meet", world["event"]))
    body = response.content.decode()
    data = response.json()
    assert [s["participant"]["organization"]["name"] for s in data][:1] == ["另一家企业"]
    assert data[0]["score"] > data[-1]["score"]
    assert set(data[0]["participant"]) == {"id", "person_name", "organization"}
    assert "@" not in body
    match = Match.objects.filter(need__organization=world["rival"].organizations.get()).order_by("-score").first()
    assert [r["text"] for r in data[0]["reasons"]] == [r["en"] for r in match.reasons]
    chinese = client.get(event_api("whom-to-meet", world["event"]), HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert [r["text"] for r in chinese[0]["reasons"]] == [r["zh"] for r in match.reasons]
    assert {"component", "value", "text", "broken"} == set(chinese[0]["reasons"][0])


def test_api_refuses_meetings_at_drafts_and_roadshows(world):
    client = api(world, "participant")
    assert client.get(event_api("whom-to-meet", world["draft"])).status_code == 404
    response = client.get(event_api("whom-to-meet", world["roadshow"]))
    assert response.status_code == 400 and "event" in response.json()
    response = client.get(event_api("agenda", world["event"]), {"registration": world["farm"].pk})
    assert response.status_code == 400 and "registration" in response.json()


def test_api_request_accept_decline_agenda_and_move(world):
    event = world["event"]
    define_grid(event, world["organiser"], slots=2, tables=("A1", "A2"))
    participant, rival = api(world, "participant"), api(world, "rival")
    response = participant.post(meeting_api("list"), {"invitee": world["theirs"].pk, "note": "你好"}, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["requester"]["id"], created["invitee"]["id"], created["status"]) == (
        world["mine"].pk,
        world["theirs"].pk,
        "requested",
    )
    assert "@" not in json.dumps(created)
    meeting = Meeting.objects.get(pk=created["id"])
    again = participant.post(meeting_api("list"), {"invitee": world["theirs"].pk}, format="json")
    assert again.status_code == 400 and "invitee" in again.json()

    assert participant.post(meeting_api("accept", meeting), {}, format="json").status_code == 403  # the requester
    assert api(world, "third").post(meeting_api("accept", meeting), {}, format="json").status_code == 404
    response = rival.post(meeting_api("accept", meeting), {}, format="json")
    assert response.status_code == 200
    accepted = response.json()
    first = MeetingSlot.objects.order_by("starts_at").first()
    assert accepted["status"] == "accepted" and accepted["slot"]["id"] == first.pk and accepted["table"]["name"] == "A1"

    agenda = participant.get(event_api("agenda", event)).json()
    assert [m["id"] for m in agenda] == [meeting.pk]
    assert rival.get(event_api("agenda", event)).json()[0]["slot"]["id"] == first.pk

    grid = api(world, "organiser").get(event_api("grid", event))
    assert grid.status_code == 200
    assert [t["name"] for t in grid.json()["tables"]] == ["A1", "A2"]
    assert [m["id"] for m in grid.json()["meetings"]] == [meeting.pk]
    assert participant.get(event_api("grid", event)).status_code == 403

    later = MeetingSlot.objects.order_by("starts_at").last()
    a2 = MeetingTable.objects.get(name="A2")
    move = {"slot": later.pk, "table": a2.pk}
    assert participant.post(meeting_api("move", meeting), move, format="json").status_code == 403
    response = api(world, "organiser").post(meeting_api("move", meeting), move, format="json")
    assert response.status_code == 200
    assert (response.json()["slot"]["id"], response.json()["table"]["name"]) == (later.pk, "A2")

    declined = api(world, "third").post(meeting_api("list"), {"invitee": world["mine"].pk}, format="json").json()
    response = participant.post(reverse("api:meeting-decline", kwargs={"pk": declined["id"]}))
    assert response.status_code == 200 and response.json()["status"] == "declined"


def test_api_meetings_are_scoped(world):
    define_grid(world["event"], world["organiser"])
    meeting = request_and_accept(world)

    def ids(who):
        return [m["id"] for m in api(world, who).get(meeting_api("list")).json()["results"]]

    assert ids("participant") == ids("rival") == ids("organiser") == ids("staff") == [meeting.pk]
    assert ids("third") == ids("outsider") == []
    assert api(world, "outsider").get(meeting_api("detail", meeting)).status_code == 404
    assert api(world, "anonymous").get(meeting_api("list")).status_code == 403
    assert api(world, "outsider").post(meeting_api("list"), {"invitee": world["theirs"].pk}).status_code == 403


def test_api_organiser_defines_the_grid(world):
    event = world["event"]
    start = event.starts_at
    body = {
        "slots": [{"starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(minutes=30)).isoformat()}],
        "tables": ["T1", "T2"],
    }
    assert api(world, "participant").post(event_api("grid", event), body, format="json").status_code == 403
    response = api(world, "organiser").post(event_api("grid", event), body, format="json")
    assert response.status_code == 200
    assert len(response.json()["slots"]) == 1 and [t["name"] for t in response.json()["tables"]] == ["T1", "T2"]
    outside = {
        "slots": [{"starts_at": (start - datetime.timedelta(hours=2)).isoformat(), "ends_at": start.isoformat()}]
    }
    response = api(world, "organiser").post(event_api("grid", event), outside, format="json")
    assert response.status_code == 400 and "slots" in response.json()
    assert Event.objects.get(pk=event.pk).meeting_slots.count() == 1
