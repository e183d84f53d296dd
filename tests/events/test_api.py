"""The events API: /api/v1/events/ (list, read, register, registrations, check_in) and /api/v1/registrations/
(list, read, cancel). Who sees and does what, the waiting list, check-in, filters, the schema.

Roles as in the page tests: ``anonymous``, ``organiser``, ``participant``, ``outsider``, ``staff``; ``rival`` is a
second participating organisation whose people's e-mails must never reach the participant or the outsider.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from events import services
from events.models import Registration
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

from .clock import run_today
from .test_views import PARTICIPANT_EMAIL, RIVAL_EMAIL, new_event, register

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "organiser", "participant", "outsider", "staff")


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


def api(world, who) -> APIClient:
    client = APIClient()
    if who != "anonymous":
        client.force_authenticate(world[who])
    return client


def event_url(name, event=None):
    return reverse(f"api:event-{name}", kwargs={"pk": event.pk} if event is not None else {})


def registration_url(name, registration=None):
    return reverse(f"api:registration-{name}", kwargs={"pk": registration.pk} if registration is not None else {})


# --- Reading events --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees_draft"),
    [("anonymous", False), ("organiser", True), ("participant", False), ("outsider", False), ("staff", True)],
)
def test_events_are_scoped_like_the_pages(world, who, sees_draft):
    client = api(world, who)
    titles = [e["title"] for e in client.get(event_url("list")).json()["results"]]
    assert "长三角新材料成果对接会" in titles
    assert ("未发布的路演" in titles) is sees_draft
    assert client.get(event_url("detail", world["draft"])).status_code == (200 if sees_draft else 404)
    for action in ("register", "check-in"):
        if who != "anonymous" and not sees_draft:
            assert client.post(event_url(action, world["draft"]), {}).status_code == 404
    if who != "anonymous" and not sees_draft:
        assert client.get(event_url("registrations", world["draft"])).status_code == 404


def test_an_event_reads_with_places_and_no_participants(world):
    data = api(world, "anonymous").get(event_url("detail", world["event"])).json()
    assert data["kind"] == "docking" and data["status"] == "published"
    assert data["organizer"]["name"] == "G60科创走廊技术交易中心"
    assert data["city"]["code"] == "310100"
    assert data["domains"] == ["battery_materials"]
    assert (data["capacity"], data["confirmed_count"], data["places_left"], data["registration_open"]) == (
        2,
        2,
        0,
        True,
    )
    assert PARTICIPANT_EMAIL not in json.dumps(data)


def test_events_filter_like_the_calendar_page(world):
    new_event(
        world["organiser"], title="合肥量子路演", kind="roadshow", days=40, city_id="340100", domain_codes=["quantum"]
    )
    client = api(world, "anonymous")

    def titles(**query):
        response = client.get(event_url("list"), query)
        assert response.status_code == 200, response.json()
        return [e["title"] for e in response.json()["results"]]

    assert titles(kind="roadshow") == ["合肥量子路演"]
    assert titles(domain="next_gen_it") == ["合肥量子路演"]
    assert titles(domain="new_materials") == ["长三角新材料成果对接会"]
    assert titles(city="340100") == ["合肥量子路演"]
    in_three_weeks = (timezone.localdate() + datetime.timedelta(days=21)).isoformat()
    assert titles(date_from=in_three_weeks) == ["合肥量子路演"]
    assert titles(date_to=in_three_weeks) == ["长三角新材料成果对接会"]
    assert titles() == ["长三角新材料成果对接会", "合肥量子路演"]  # soonest first
    assert client.get(event_url("list"), {"kind": "party"}).status_code == 400


# --- Registering -----------------------------------------------------------------------------------------------


def test_register_for_the_primary_organisation_then_the_waiting_list(world, django_capture_on_commit_callbacks):
    event = new_event(world["organiser"], title="融资路演", kind="financing", capacity=1)
    client = api(world, "participant")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            event_url("register", event), {"person_name": "王五", "person_email": "Wang@P.example.cn"}, format="json"
        )
    assert response.status_code == 201, response.json()
    first = response.json()
    assert first["status"] == "confirmed" and first["waiting_position"] is None
    assert first["person_email"] == "wang@p.example.cn"
    assert first["organization"]["name"] == "参会企业"
    assert first["event"]["id"] == event.pk
    assert first["check_in_code"] == Registration.objects.get(pk=first["id"]).check_in_code

    response = api(world, "outsider").post(
        event_url("register", event), {"person_name": "赵六", "person_email": "zhao@o.example.cn"}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["waiting_position"]) == ("waiting", 1)
    response = api(world, "rival").post(
        event_url("register", event), {"person_name": "钱七", "person_email": "qian@r.example.cn"}, format="json"
    )
    assert (response.json()["status"], response.json()["waiting_position"]) == ("waiting", 2)


@pytest.mark.parametrize(
    ("payload", "who", "status", "field"),
    [
        ({"person_name": "张三", "person_email": PARTICIPANT_EMAIL}, "participant", 400, "person_email"),
        ({"person_name": "某人"}, "participant", 400, "person_email"),
        ({"person_name": "某人", "person_email": "not-an-email"}, "participant", 400, "person_email"),
        ({"person_name": "某人", "person_email": "a@b.cn", "organization": 999999}, "participant", 400, "organization"),
        ({"person_name": "某人", "person_email": "a@b.cn"}, "anonymous", 403, "detail"),
    ],
)
def test_register_refuses_bad_input(world, payload, who, status, field):
    response = api(world, who).post(event_url("register", world["event"]), payload, format="json")
    assert response.status_code == status
    assert field in response.json()


def test_register_only_for_an_own_organisation_and_only_while_open(world):
    rival_org = world["rival"].organizations.get()
    client = api(world, "participant")
    payload = {"person_name": "冒名", "person_email": "fake@r.example.cn", "organization": rival_org.pk}
    response = client.post(event_url("register", world["event"]), payload, format="json")
    assert response.status_code == 403
    # Staff register for any organisation.
    response = api(world, "staff").post(event_url("register", world["event"]), payload, format="json")
    assert (response.status_code, response.json()["status"]) == (201, "waiting")
    # The organiser sees its draft but nobody registers for it.
    organiser = api(world, "organiser")
    response = organiser.post(
        event_url("register", world["draft"]), {"person_name": "内部", "person_email": "in@g60.cn"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"event": ["Registration is open for published events only."]}
    # A user of no organisation says which one registers.
    loner = APIClient()
    loner.force_authenticate(UserFactory())
    response = loner.post(
        event_url("register", world["event"]), {"person_name": "独行", "person_email": "solo@x.cn"}, format="json"
    )
    assert (response.status_code, list(response.json())) == (400, ["organization"])


# --- An event's registrations and check-in ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "emails"),
    [
        ("anonymous", 403, None),
        ("organiser", 200, {PARTICIPANT_EMAIL, RIVAL_EMAIL}),
        ("participant", 200, {PARTICIPANT_EMAIL}),
        ("outsider", 200, set()),
        ("staff", 200, {PARTICIPANT_EMAIL, RIVAL_EMAIL}),
    ],
)
def test_an_events_registrations_are_scoped(world, who, status, emails):
    response = api(world, who).get(event_url("registrations", world["event"]))
    assert response.status_code == status
    if emails is None:
        return
    data = response.json()
    assert {r["person_email"] for r in data} == emails
    assert all("check_in_code" in r for r in data)
    if who in ("participant", "outsider"):
        assert RIVAL_EMAIL not in json.dumps(data)
        assert world["theirs"].check_in_code not in json.dumps(data)


def test_the_organiser_checks_in_by_code(world):
    world["event"] = run_today(world["event"])  # check-in opens on the event's day
    client = api(world, "organiser")
    code = world["mine"].check_in_code
    response = client.post(event_url("check-in", world["event"]), {"code": code.lower()}, format="json")
    assert response.status_code == 200
    assert response.json()["checked_in_at"] is not None and response.json()["person_email"] == PARTICIPANT_EMAIL
    again = client.post(event_url("check-in", world["event"]), {"code": code}, format="json")
    assert again.json()["checked_in_at"] == response.json()["checked_in_at"]  # checking in twice is harmless

    response = client.post(event_url("check-in", world["event"]), {"code": "NOPE1234"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["code"])
    assert client.post(event_url("check-in", world["event"]), {}, format="json").status_code == 400
    waiting = register(world["event"], world["outsider"], "候补", "waiting@o.example.cn")
    response = client.post(event_url("check-in", world["event"]), {"code": waiting.check_in_code}, format="json")
    assert response.status_code == 400
    assert "only confirmed places check in" in response.json()["code"][0]


@pytest.mark.parametrize(("who", "status"), [("anonymous", 403), ("participant", 403), ("outsider", 403)])
def test_only_the_organiser_checks_in(world, who, status):
    response = api(world, who).post(
        event_url("check-in", world["event"]), {"code": world["mine"].check_in_code}, format="json"
    )
    assert response.status_code == status
    # Refused before the input is judged: no hint whether a code exists.
    assert api(world, who).post(event_url("check-in", world["event"]), {}, format="json").status_code == status
    world["mine"].refresh_from_db()
    assert world["mine"].checked_in_at is None


# --- /registrations/ -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "emails"),
    [
        ("anonymous", 403, None),
        ("organiser", 200, {PARTICIPANT_EMAIL, RIVAL_EMAIL, "own@g60.example.cn"}),
        ("participant", 200, {PARTICIPANT_EMAIL, "mine-elsewhere@p.example.cn"}),
        ("outsider", 200, set()),
        ("staff", 200, {PARTICIPANT_EMAIL, RIVAL_EMAIL, "own@g60.example.cn", "mine-elsewhere@p.example.cn"}),
    ],
)
def test_registrations_list_the_users_organisations_and_their_events(world, who, status, emails):
    # Another organiser's event, where the participant and the first organiser's own people registered.
    other_organiser = MembershipFactory(organization=OrganizationFactory(
        kind="organiser", name="湾区活动中心", verified=True, verified_at=timezone.now()
    )).user  # fmt: skip
    elsewhere = new_event(other_organiser, title="湾区对接会", capacity=5, city_id="440300")
    register(elsewhere, world["participant"], "张三", "mine-elsewhere@p.example.cn")
    register(elsewhere, world["organiser"], "主办方员工", "own@g60.example.cn")
    response = api(world, who).get(registration_url("list"))
    assert response.status_code == status
    if emails is None:
        return
    assert {r["person_email"] for r in response.json()["results"]} == emails


def test_registrations_filter_by_event_and_status(world):
    register(world["event"], world["participant"], "候补", "w@p.example.cn")
    client = api(world, "participant")
    rows = client.get(registration_url("list"), {"event": world["event"].pk, "status": "waiting"}).json()["results"]
    assert [(r["person_name"], r["waiting_position"]) for r in rows] == [("候补", 1)]
    assert client.get(registration_url("list"), {"event": world["draft"].pk}).json()["results"] == []


def test_cancelling_promotes_the_first_on_the_waiting_list(world, django_capture_on_commit_callbacks):
    waiting = register(world["event"], world["outsider"], "候补", "waiting@o.example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world, "participant").post(registration_url("cancel", world["mine"]))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["cancelled_at"]
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    promoted = api(world, "outsider").get(registration_url("detail", waiting)).json()
    assert (promoted["status"], promoted["waiting_position"]) == ("confirmed", None)
    again = api(world, "participant").post(registration_url("cancel", world["mine"]))
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")


@pytest.mark.parametrize(("who", "status"), [("anonymous", 403), ("participant", 404), ("outsider", 404)])
def test_nobody_else_reads_or_cancels_a_registration(world, who, status):
    client = api(world, who)
    assert client.get(registration_url("detail", world["theirs"])).status_code == status
    assert client.post(registration_url("cancel", world["theirs"])).status_code == status
    world["theirs"].refresh_from_db()
    assert world["theirs"].status == "confirmed"


@pytest.mark.parametrize("who", ["organiser", "staff"])
def test_the_organiser_and_staff_cancel_any_registration_of_the_event(world, who):
    response = api(world, who).post(registration_url("cancel", world["theirs"]))
    assert (response.status_code, response.json()["person_email"]) == (200, RIVAL_EMAIL)


def test_participant_contacts_are_hidden_where_the_user_is_not_entitled(world, rf):
    """The serializer drops the e-mail and code whoever reaches it without the right (defence in depth)."""
    from events.serializers import RegistrationSerializer

    request = rf.get("/")
    request.user = world["outsider"]
    data = RegistrationSerializer(world["theirs"], context={"request": request}).data
    assert "person_email" not in data and "check_in_code" not in data
    assert data["person_name"] == "李四"


def test_cancelled_events_stay_readable_and_refuse_registrations(world):
    services.event_set_status(event=world["event"], by=world["organiser"], status="cancelled")
    client = api(world, "outsider")
    assert client.get(event_url("detail", world["event"])).json()["status"] == "cancelled"
    response = client.post(
        event_url("register", world["event"]), {"person_name": "迟到", "person_email": "late@o.cn"}, format="json"
    )
    assert response.status_code == 400


def test_the_schema_documents_the_events_api_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/v1/events/{id}/register/",
        "/api/v1/events/{id}/check_in/",
        "/api/v1/registrations/{id}/cancel/",
    ):
        assert path in text
