"""The event pages: who sees and does what, registering (waiting list included), cancelling, check-in, exports,
calendars and the calendar page's filters.

Roles: ``anonymous``; ``organiser``, a member of the organising organisation; ``participant``, a member of an
organisation with a registration; ``outsider``, a member of an organisation without one; ``staff``. A second
participating organisation (``rival``) is there so that its people's e-mails can be looked for where they must
not be. Everything is made through the services, as every interface does.
"""

from __future__ import annotations

import csv
import datetime
import io

import icalendar
import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Event, Registration
from tests.factories import MembershipFactory, OrganizationFactory

from .clock import run_today

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "organiser", "participant", "outsider", "staff")
PARTICIPANT_EMAIL = "zhang.san@participant.example.cn"
RIVAL_EMAIL = "li.si@rival.example.cn"


def new_event(by, *, title="长三角新材料成果对接会", kind="docking", days=10, capacity=2, publish=True, **fields):
    start = timezone.now() + datetime.timedelta(days=days)
    fields.setdefault("city_id", "310100")
    fields.setdefault("venue", "松江G60科创云廊")
    event = services.event_create(
        organizer=by.organizations.get(), by=by, kind=kind, title=title, starts_at=start,
        ends_at=start + datetime.timedelta(hours=4), capacity=capacity, **fields,
    )  # fmt: skip
    if publish:
        event = services.event_set_status(event=event, by=by, status="published")
    return event


def register(event, user, name, email):
    return services.registration_create(
        event=event, organization=user.organizations.get(), person_name=name, person_email=email, by=user
    )


@pytest.fixture
def world(organiser_member, staff_user):
    participant = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="参会企业")).user
    rival = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="另一家企业")).user
    outsider = MembershipFactory(organization=OrganizationFactory(name="旁观高校")).user
    event = new_event(organiser_member, capacity=2, domain_codes=["battery_materials"])
    draft = new_event(organiser_member, title="未发布的路演", kind="roadshow", publish=False)
    mine = register(event, participant, "张三", PARTICIPANT_EMAIL)
    theirs = register(event, rival, "李四", RIVAL_EMAIL)
    return {
        "organiser": organiser_member, "participant": participant, "rival": rival, "outsider": outsider,
        "staff": staff_user, "event": event, "draft": draft, "mine": mine, "theirs": theirs,
    }  # fmt: skip


def as_user(client, world, who):
    if who != "anonymous":
        client.force_login(world[who])
    return client


def url(name, event=None, **kwargs):
    if event is not None:
        kwargs["pk"] = event.pk
    return reverse(f"events:{name}", kwargs=kwargs)


# --- Visibility ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees_draft"),
    [("anonymous", False), ("organiser", True), ("participant", False), ("outsider", False), ("staff", True)],
)
def test_calendar_and_event_pages_hide_drafts_from_everyone_but_the_organiser_and_staff(client, world, who, sees_draft):
    client = as_user(client, world, who)
    listing = client.get(url("list")).content.decode()
    assert "长三角新材料成果对接会" in listing
    assert ("未发布的路演" in listing) is sees_draft
    assert client.get(url("detail", world["event"])).status_code == 200
    assert client.get(url("detail", world["draft"])).status_code == (200 if sees_draft else 404)
    assert client.get(url("ics", world["draft"])).status_code == (200 if sees_draft else 404)


@pytest.mark.parametrize(
    ("who", "own_email", "manages"),
    [
        ("anonymous", None, False),
        ("organiser", None, True),
        ("participant", PARTICIPANT_EMAIL, False),
        ("outsider", None, False),
        ("staff", None, True),
    ],
)
def test_event_page_shows_only_the_own_organisations_registrations(client, world, who, own_email, manages):
    page = as_user(client, world, who).get(url("detail", world["event"]))
    text = page.content.decode()
    assert "松江G60科创云廊" in text and "0 of 2 left" in text
    assert RIVAL_EMAIL not in text  # another organisation's participant, never on this page
    assert (PARTICIPANT_EMAIL in text) is (own_email == PARTICIPANT_EMAIL)
    assert (world["mine"].check_in_code in text) is (own_email == PARTICIPANT_EMAIL)
    assert ('href="{}"'.format(url("registrations", world["event"])) in text) is manages
    assert ('href="{}"'.format(url("attendance", world["event"], fmt="csv")) in text) is manages


def test_the_nav_links_to_the_events_for_everyone(client):
    assert url("list") in client.get(reverse("home")).content.decode()


# --- Registering, the waiting list, cancelling -----------------------------------------------------------------


def test_registering_beyond_capacity_joins_the_waiting_list_and_a_cancellation_promotes(client, world):
    event = new_event(world["organiser"], title="融资路演", kind="financing", capacity=1)
    client.force_login(world["participant"])
    detail = url("detail", event)
    assert 'action="{}"'.format(url("register", event)) in client.get(detail).content.decode()

    response = client.post(url("register", event), {"person_name": "王五", "person_email": "wang@p.example.cn"})
    assert response.status_code == 302
    first = Registration.objects.get(person_email="wang@p.example.cn")
    page = client.get(detail).content.decode()
    assert "王五 has a place" in page and first.check_in_code in page

    client.force_login(world["outsider"])
    assert "Join the waiting list" in client.get(detail).content.decode()
    client.post(url("register", event), {"person_name": "赵六", "person_email": "zhao@o.example.cn"})
    second = Registration.objects.get(person_email="zhao@o.example.cn")
    assert second.status == Registration.Status.WAITING
    page = client.get(detail).content.decode()
    assert "赵六 is number 1 on the waiting list" in page
    assert "waiting list · number 1" in page
    assert "wang@p.example.cn" not in page

    client.force_login(world["participant"])
    response = client.post(url("cancel-registration", event, registration_pk=first.pk))
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    event.refresh_from_db()
    assert (first.status, second.status, event.confirmed_count) == ("cancelled", "confirmed", 1)


def test_registration_errors_are_shown_on_the_form(client, world):
    client.force_login(world["participant"])
    event = world["event"]
    response = client.post(url("register", event), {"person_name": "张三", "person_email": PARTICIPANT_EMAIL.upper()})
    assert response.status_code == 400
    assert "is already registered for this event" in response.content.decode()
    # Another organisation is not a choice.
    rival_org = world["rival"].organizations.get()
    response = client.post(
        url("register", event), {"organization": rival_org.pk, "person_name": "冒名", "person_email": "x@x.cn"}
    )
    assert response.status_code == 400
    assert not Registration.objects.filter(person_email="x@x.cn").exists()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("outsider", 404), ("participant", 404)])
def test_nobody_else_registers_for_a_draft(client, world, who, status):
    response = as_user(client, world, who).post(
        url("register", world["draft"]), {"person_name": "某人", "person_email": "someone@example.cn"}
    )
    assert response.status_code == status
    assert not world["draft"].registrations.exists()


@pytest.mark.parametrize("who", ["outsider", "participant"])
def test_another_organisations_registration_cannot_be_cancelled(client, world, who):
    response = as_user(client, world, who).post(
        url("cancel-registration", world["event"], registration_pk=world["theirs"].pk)
    )
    assert response.status_code == 404
    world["theirs"].refresh_from_db()
    assert world["theirs"].status == Registration.Status.CONFIRMED


def test_the_organiser_cancels_any_registration_from_the_registrations_page(client, world):
    client.force_login(world["organiser"])
    response = client.post(
        url("cancel-registration", world["event"], registration_pk=world["theirs"].pk), {"next": "registrations"}
    )
    assert response.url == url("registrations", world["event"])
    world["theirs"].refresh_from_db()
    assert world["theirs"].status == Registration.Status.CANCELLED


def test_anonymous_visitors_are_asked_to_log_in_to_register(client, world):
    text = client.get(url("detail", world["event"])).content.decode()
    assert "Log in to register" in text
    assert url("register", world["event"]) not in text


# --- The organiser's pages -------------------------------------------------------------------------------------

ORGANISER_ONLY = [("anonymous", 302), ("organiser", 200), ("participant", 403), ("outsider", 403), ("staff", 200)]


@pytest.mark.parametrize(("who", "status"), ORGANISER_ONLY)
def test_registrations_page_and_exports_are_for_the_organiser_and_staff(client, world, who, status):
    client = as_user(client, world, who)
    for target in (
        url("registrations", world["event"]),
        url("attendance", world["event"], fmt="csv"),
        url("attendance", world["event"], fmt="xlsx"),
    ):
        response = client.get(target)
        assert response.status_code == status, target
        if status == 302:
            assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("who", "status"), [("participant", 404), ("outsider", 404), ("organiser", 200)])
def test_a_drafts_registrations_and_exports_are_hidden(client, world, who, status):
    client = as_user(client, world, who)
    assert client.get(url("registrations", world["draft"])).status_code == status
    assert client.get(url("attendance", world["draft"], fmt="csv")).status_code == status


def test_registrations_page_lists_everyone_with_contacts_for_the_organiser(client, world):
    client.force_login(world["organiser"])
    text = client.get(url("registrations", world["event"])).content.decode()
    assert PARTICIPANT_EMAIL in text and RIVAL_EMAIL in text
    assert world["theirs"].check_in_code in text
    assert "2 of 2 places taken, 0 waiting, 0 checked in." in text


def test_check_in_by_code(client, world):
    world["event"] = run_today(world["event"])  # check-in opens on the event's day
    client.force_login(world["organiser"])
    target = url("registrations", world["event"])
    response = client.post(target, {"code": f" {world['mine'].check_in_code.lower()} "})
    assert response.status_code == 302
    world["mine"].refresh_from_db()
    assert world["mine"].checked_in_at is not None
    page = client.get(target).content.decode()
    assert "张三 (参会企业) is checked in." in page
    assert "1 checked in." in page

    response = client.post(target, {"code": "NOPE1234"})
    assert response.status_code == 400
    assert "No registration of this event has the code" in response.content.decode()

    waiting = register(world["event"], world["outsider"], "候补", "waiting@o.example.cn")
    assert waiting.status == Registration.Status.WAITING
    response = client.post(target, {"code": waiting.check_in_code})
    assert response.status_code == 400
    assert "only confirmed places check in" in response.content.decode()


@pytest.mark.parametrize("who", ["participant", "outsider"])
def test_only_the_organiser_checks_in(client, world, who):
    response = as_user(client, world, who).post(
        url("registrations", world["event"]), {"code": world["mine"].check_in_code}
    )
    assert response.status_code == 403
    world["mine"].refresh_from_db()
    assert world["mine"].checked_in_at is None


def _attendance_world(world):
    world["event"] = run_today(world["event"])
    services.registration_check_in(event=world["event"], code=world["mine"].check_in_code, by=world["organiser"])
    register(world["event"], world["outsider"], "候补者", "waiting@o.example.cn")
    world["mine"].refresh_from_db()
    return timezone.localtime(world["mine"].checked_in_at).replace(tzinfo=None, second=0, microsecond=0)


def test_csv_export_parses_back_with_the_right_rows(client, world):
    checked_in = _attendance_world(world)
    client.force_login(world["organiser"])
    response = client.get(url("attendance", world["event"], fmt="csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="event-{world["event"].pk}-attendance.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Name", "Organisation", "E-mail", "Status", "Checked in at"],
        ["张三", "参会企业", PARTICIPANT_EMAIL, "confirmed", f"{checked_in:%Y-%m-%d %H:%M}"],
        ["李四", "另一家企业", RIVAL_EMAIL, "confirmed", ""],
        ["候补者", "旁观高校", "waiting@o.example.cn", "waiting list", ""],
    ]


def test_xlsx_export_parses_back_with_the_right_rows(client, world):
    _attendance_world(world)
    client.force_login(world["staff"])
    response = client.get(url("attendance", world["event"], fmt="xlsx"))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Name", "Organisation", "E-mail", "Status", "Checked in at"]
    assert [row[:4] for row in rows[1:]] == [
        ["张三", "参会企业", PARTICIPANT_EMAIL, "confirmed"],
        ["李四", "另一家企业", RIVAL_EMAIL, "confirmed"],
        ["候补者", "旁观高校", "waiting@o.example.cn", "waiting list"],
    ]
    expected = timezone.localtime(world["mine"].checked_in_at).replace(tzinfo=None)
    assert isinstance(rows[1][4], datetime.datetime)
    assert abs(rows[1][4] - expected) < datetime.timedelta(seconds=1)
    assert rows[2][4] is None and rows[3][4] is None


def test_exports_keep_formulas_out_of_spreadsheets(client, world):
    register(world["event"], world["outsider"], '=HYPERLINK("http://evil")', "formula@o.example.cn")
    client.force_login(world["organiser"])
    rows = list(
        csv.reader(io.StringIO(client.get(url("attendance", world["event"], fmt="csv")).content.decode("utf-8-sig")))
    )
    assert rows[-1][0] == '\'=HYPERLINK("http://evil")'
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(url("attendance", world["event"], fmt="xlsx")).content)).active
    cell = sheet.cell(row=sheet.max_row, column=1)
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://evil")')  # text as typed, never a formula


# --- Creating and publishing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), ORGANISER_ONLY)
def test_the_new_event_page_is_for_organiser_members_and_staff(client, world, who, status):
    assert as_user(client, world, who).get(url("create")).status_code == status


def _event_form(**overrides):
    start = timezone.localtime() + datetime.timedelta(days=30)
    data = {
        "kind": "roadshow",
        "title": "G60新能源成果路演",
        "description": "光伏与储能成果发布。",
        "domains": ["photovoltaic"],
        "venue": "松江会展中心",
        "city": "310100",
        "starts_at": f"{start:%Y-%m-%dT09:00}",
        "ends_at": f"{start:%Y-%m-%dT17:00}",
        "capacity": "50",
    }
    data.update(overrides)
    return data


def test_the_organiser_creates_a_draft_then_publishes_it(client, world):
    client.force_login(world["organiser"])
    response = client.post(url("create"), _event_form())
    event = Event.objects.get(title="G60新能源成果路演")
    assert response.url == url("detail", event)
    assert (event.status, event.organizer, event.created_by) == (
        "draft",
        world["organiser"].organizations.get(),
        world["organiser"],
    )
    assert list(event.domains.values_list("code", flat=True)) == ["photovoltaic"]
    assert timezone.localtime(event.starts_at).hour == 9  # typed in China's time
    page = client.get(url("detail", event)).content.decode()
    assert "Publish" in page

    client.post(url("status", event), {"status": "published"})
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    assert "G60新能源成果路演" in client.get(url("list")).content.decode()


def test_the_event_form_reports_the_services_errors_on_their_field(client, world):
    client.force_login(world["organiser"])
    start = timezone.localtime() + datetime.timedelta(days=30)
    response = client.post(url("create"), _event_form(ends_at=f"{start:%Y-%m-%dT08:00}"))
    assert response.status_code == 200
    assert response.context["form"].errors["ends_at"] == ["The event must end after it starts."]
    response = client.post(url("create"), _event_form(venue="", city="", online_url=""))
    assert "Give a venue or city, or an online link." in response.content.decode()
    assert not Event.objects.filter(title="G60新能源成果路演").exists()


def test_staff_create_events_for_any_organiser(client, world):
    client.force_login(world["staff"])
    organiser = world["organiser"].organizations.get()
    response = client.post(url("create"), _event_form(organizer=str(organiser.pk)))
    assert response.status_code == 302
    assert Event.objects.get(title="G60新能源成果路演").organizer == organiser


@pytest.mark.parametrize(("who", "event_key", "status"), [
    ("participant", "event", 403), ("outsider", "draft", 404), ("anonymous", "event", 302),
])  # fmt: skip
def test_only_the_organiser_changes_an_events_status(client, world, who, event_key, status):
    response = as_user(client, world, who).post(url("status", world[event_key]), {"status": "cancelled"})
    assert response.status_code == status
    world[event_key].refresh_from_db()
    assert world[event_key].status != Event.Status.CANCELLED


def test_a_refused_status_change_is_a_message(client, world):
    client.force_login(world["organiser"])
    client.post(url("status", world["event"]), {"status": "finished"})
    response = client.post(url("status", world["event"]), {"status": "published"}, follow=True)
    assert "A finished event cannot become published." in response.content.decode()


# --- Calendars -------------------------------------------------------------------------------------------------


def test_the_event_ics_parses_with_the_right_uid_times_and_summary(client, world):
    event = world["event"]
    response = client.get(url("ics", event))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["uid"]) == f"event-{event.pk}@techmatch"
    assert vevent.decoded("dtstart") == event.starts_at.replace(microsecond=0)
    assert vevent.decoded("dtend") == event.ends_at.replace(microsecond=0)
    assert vevent.decoded("dtstart").utcoffset() == datetime.timedelta(0)
    assert str(vevent["summary"]) == "长三角新材料成果对接会"
    assert "松江G60科创云廊" in str(vevent["location"])
    assert str(vevent["url"]) == f"http://testserver/events/{event.pk}/"


def test_my_agenda_holds_the_users_confirmed_places(client, world):
    colleague = MembershipFactory(organization=world["participant"].organizations.get()).user
    waiting_event = new_event(world["organiser"], title="满员的对接会", capacity=1)
    register(waiting_event, world["rival"], "先到者", "first@rival.example.cn")
    register(waiting_event, world["participant"], "同事", colleague.email)  # waiting: not in the agenda
    registered_for_me = new_event(world["organiser"], title="同事替我报名的活动")
    register(registered_for_me, world["participant"], "同事", colleague.email)

    client.force_login(colleague)
    calendar = icalendar.Calendar.from_ical(client.get(url("my-agenda")).content)
    assert [str(v["summary"]) for v in calendar.walk("VEVENT")] == ["同事替我报名的活动"]

    client.force_login(world["participant"])  # registered the people, so has both confirmed events
    calendar = icalendar.Calendar.from_ical(client.get(url("my-agenda")).content)
    assert sorted(str(v["uid"]) for v in calendar.walk("VEVENT")) == sorted(
        [f"event-{world['event'].pk}@techmatch", f"event-{registered_for_me.pk}@techmatch"]
    )

    client.logout()
    assert client.get(url("my-agenda")).status_code == 302


# --- Filters, order and pages ----------------------------------------------------------------------------------


def test_calendar_filters_by_kind_parent_domain_city_and_dates(client, world):
    organiser = world["organiser"]
    new_event(organiser, title="合肥量子路演", kind="roadshow", days=40, city_id="340100", domain_codes=["quantum"])
    listing = url("list")

    def titles(**query):
        return [e.title for e in client.get(listing, query).context["page"]]

    assert titles(kind="roadshow") == ["合肥量子路演"]
    assert titles(kind="docking") == ["长三角新材料成果对接会"]
    assert titles(domain="next_gen_it") == ["合肥量子路演"]  # parent domain includes its subdomain
    assert titles(domain="new_materials") == ["长三角新材料成果对接会"]
    assert titles(domain="quantum") == ["合肥量子路演"]
    assert titles(domain="biomedicine") == []
    assert titles(city="340100") == ["合肥量子路演"]
    in_three_weeks = (timezone.localdate() + datetime.timedelta(days=21)).isoformat()
    assert titles(date_from=in_three_weeks) == ["合肥量子路演"]
    assert titles(date_to=in_three_weeks) == ["长三角新材料成果对接会"]
    day = (timezone.localdate() + datetime.timedelta(days=40)).isoformat()
    assert titles(date_from=day, date_to=day) == ["合肥量子路演"]
    assert "Select a valid choice" in client.get(listing, {"kind": "party"}).content.decode()


def test_calendar_puts_upcoming_events_first_then_past_ones_latest_first(client, world):
    organiser = world["organiser"]
    new_event(organiser, title="明天的活动", days=1)
    new_event(organiser, title="上周的活动", days=-7)
    new_event(organiser, title="上个月的活动", days=-30)
    titles = [e.title for e in client.get(url("list")).context["page"]]
    assert titles == ["明天的活动", "长三角新材料成果对接会", "上周的活动", "上个月的活动"]


def test_calendar_paginates(client, world):
    for index in range(21):
        new_event(world["organiser"], title=f"批量活动{index}", days=20 + index)
    first = client.get(url("list"))
    assert len(first.context["page"]) == 20
    second = client.get(url("list"), {"page": 2})
    assert [e.title for e in second.context["page"]] == ["批量活动19", "批量活动20"]
    assert "page 2 of 2" in second.content.decode()
