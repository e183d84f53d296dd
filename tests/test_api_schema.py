"""The API against its own OpenAPI schema (#11 item 9, "a schema that tells the truth").

Schemathesis reads the live schema from the WSGI application (no server), generates requests for every operation
(valid ones and invalid ones) and checks each response: no 5xx, every status code documented, every body matching its
documented schema, errors as JSON. It runs three times: for an anonymous caller, for a member of an organisation
(knox token) and for a staff user holding the permissions staff need. The examples per operation are bounded and
derandomized, so the run is reproducible and takes about a minute on a small machine.

The callers change data as they go (state-changing operations run too): each test's changes are rolled back after it,
so every test starts from the same world (built once for the module).
"""

from __future__ import annotations

import datetime
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from accounts.services import api_token_issue
from auctions import services as auction_services
from auctions.models import Auction, BidderRegistration, Lot
from brokers import services as broker_services
from brokers.models import BrokerAppointment
from calls import services as call_services
from calls.models import Call, CallNeed, Invitation, Proposal
from catalogues import services as collection_services
from catalogues.models import Collection
from conversations import services as conversation_services
from conversations.models import Thread
from events import meetings as event_meetings
from events import programme as event_programme
from events import services as event_services
from events.models import Event, Meeting, PresentationApplication, Registration, SchedulePlan
from marketplace import services as posting_services
from marketplace.models import Achievement, Need
from marketplace.models import Status as PostingStatus
from matching import services as match_services
from matching.models import Match
from reference.models import Cluster, Domain, Province

from .factories import MembershipFactory, OrganizationFactory, UserFactory, achievement, need

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 8  # fuzzed cases per operation and caller, besides the coverage phase's
SEED = 20260911
SCHEMA_URL = "/api/schema/?format=json"

# The permissions platform staff are given (what admin asks for the same acts, see accounts.selectors.staff_may).
STAFF_PERMISSIONS = {
    "marketplace": ("view", "add", "change"),
    "matching": ("view", "add", "change"),
    "events": ("view", "add", "change"),
    "conversations": ("view", "change"),
    "catalogues": ("view", "add", "change"),
    "brokers": ("view", "change"),
    "auctions": ("view", "add", "change"),
    "calls": ("view", "add", "change"),
}


class Application:
    """Django's WSGI handler as the test client runs it: the test's database connection stays open between
    requests (a real server closes it when a request ends, which would end the test's transaction)."""

    handler: WSGIHandler | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if self.handler is None:
            self.handler = WSGIHandler()  # its middleware is loaded once
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


application = Application()


# --- The world the callers act in ------------------------------------------------------------------------------


def staff_member() -> Any:
    user = UserFactory(is_staff=True)
    group = Group.objects.create(name="platform staff")
    for app, actions in STAFF_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app, codename__regex=rf"^({'|'.join(actions)})_")
        )
    user.groups.add(group)
    return user


def publish(posting: Any) -> Any:
    return posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)


def build_world(staff: Any) -> dict[str, Any]:
    """Two organisations with postings (published, a draft, a submitted one, some without a contact e-mail), matches
    between them (one approved), a docking event with both registered, its grid and a meeting request, and a
    roadshow with an application to present."""
    member = MembershipFactory(organization=OrganizationFactory()).user
    university = member.organizations.get()
    other = MembershipFactory(organization=OrganizationFactory(kind="enterprise")).user
    enterprise = other.organizations.get()
    organiser = MembershipFactory(
        organization=OrganizationFactory(  # verified: only verified organisers' events reach the public
            kind="organiser", province_id="310000", city_id="310100", verified=True, verified_at=timezone.now()
        )
    ).user

    own = publish(achievement(university, by=member))
    achievement(university, by=member, title="尚未提交的草稿", contact_email="")
    own_need = publish(need(university, by=member, title="会员自己的需求", contact_email=""))
    theirs = publish(achievement(enterprise, by=other, title="他方的成果"))
    their_need = publish(need(enterprise, by=other, title="他方的需求"))
    posting_services.posting_submit(posting=achievement(enterprise, by=other, title="待审核的成果"), by=other)

    approved = Match.objects.create(achievement=own, need=their_need, score=0.8, components={"text": 0.8}, reasons=[])
    match_services.match_approve(match=approved, by=staff)
    Match.objects.create(achievement=theirs, need=own_need, score=0.6, components={"text": 0.6}, reasons=[])
    # A match both sides accepted, with its conversation (a message and an agreement proposal).
    talking = Match.objects.create(
        achievement=publish(achievement(university, by=member, title="对接中的成果")), need=their_need, score=0.7,
        components={"text": 0.7}, reasons=[],
    )  # fmt: skip
    match_services.match_approve(match=talking, by=staff)
    match_services.match_accept(match=talking, by=other)
    match_services.match_accept(match=talking, by=member)
    thread = conversation_services.match_thread_open(match=talking, by=other)
    conversation_services.message_post(thread=thread, by=other, body="您好")
    conversation_services.proposal_create(thread=thread, by=other, mode="license", signed_on=timezone.localdate())

    start = timezone.now() + datetime.timedelta(days=10)
    organiser_org = organiser.organizations.get()

    def event(kind: str, title: str) -> Event:
        created = event_services.event_create(
            organizer=organiser_org, by=organiser, kind=kind, title=title, starts_at=start,
            ends_at=start + datetime.timedelta(hours=4), capacity=20, city_id="310100", venue="松江G60科创云廊",
        )  # fmt: skip
        return event_services.event_set_status(event=created, by=organiser, status="published")

    docking = event("docking", "长三角新材料成果对接会")
    roadshow = event("roadshow", "高校成果路演")
    mine = event_services.registration_create(
        event=docking, organization=university, person_name="王老师", person_email="wang@uni.example.cn", by=member
    )
    theirs_registration = event_services.registration_create(
        event=docking, organization=enterprise, person_name="李经理", person_email="li@ent.example.cn", by=other
    )
    event_meetings.meeting_grid_define(
        event=docking, by=organiser, slots=[(start, start + datetime.timedelta(minutes=30))], tables=["A1"]
    )
    event_meetings.meeting_request(requester=theirs_registration, invitee=mine, by=other, note="")
    event_programme.presentation_apply(event=roadshow, organization=university, by=member, listing=own)
    collection = collection_services.collection_create(
        organizer=organiser_org, by=organiser, title="长三角先进技术成果", kind="achievements"
    )
    collection_services.collection_add(collection=collection, by=organiser, posting_ids=[own.pk, theirs.pk])
    collection_services.collection_set_published(collection=collection, by=organiser, published=True)
    auction = auction_services.auction_create(organizer=organiser_org, by=organiser, title="成果拍卖会")
    auction_services.lot_add(
        auction=auction, by=organiser, achievement=theirs, starting_price_wan=Decimal("50"),
        increment_wan=Decimal("5"), starts_at=timezone.now() - datetime.timedelta(hours=1),
        ends_at=timezone.now() + datetime.timedelta(days=3),
    )  # fmt: skip
    auction_services.auction_set_status(auction=auction, by=organiser, status="published")
    broker = MembershipFactory(organization=OrganizationFactory(kind="service_agency", name="技术经纪中心")).user
    broker_services.broker_appoint(organization=university, by=member, broker_email=broker.email,
                                   achievement_ids=[own.pk])  # fmt: skip
    call = call_services.call_create(
        organizer=organiser_org, by=organiser, title="技术需求征集", theme="企业技术需求征集",
        opens_at=timezone.now() - datetime.timedelta(days=1), closes_at=timezone.now() + datetime.timedelta(days=10),
    )  # fmt: skip
    call = call_services.call_set_status(call=call, by=organiser, status="published")
    entry = call_services.call_need_enter(call=call, need=their_need, by=other)
    call_services.proposal_submit(
        call_need=entry, achievement=own, by=member, plan="实施方案", months=6, mode="license"
    )
    return {"member": member, "staff": staff}


# --- Callers and their runs -----------------------------------------------------------------------------------

ROLES = ("anonymous", "member", "staff")
# Every operation is fuzzed for every caller (MAX_EXAMPLES cases). The coverage phase (boundary values and each kind
# of invalid input, some hundreds of requests for a form) runs once for each input, for the caller whose request
# reaches its checks, to keep the module within about a minute:
# * the member: every operation but the posting's updates (PUT and PATCH take the creation form's fields through
#   the same serializers, whose coverage the POST has);
# * staff: what the member is refused before the input is read: reviewing postings and matches, the organiser's work
#   at events;
# * the anonymous caller: none (every write is refused before its input is read; the reads check their query
#   parameters as for the member).
COVERED = {
    "member": r"^(?!(PUT|PATCH) /api/v1/(achievements|needs)/\{id\}/$)",
    "staff": (
        r"^POST /api/v1/((achievements|needs|matches)/\{id\}/(approve|reject)"
        r"|events/\{id\}/(check_in|grid|agreements|schedule|publish-agenda)|presentations/\{id\}/(schedule|decline)"
        r"|meetings/\{id\}/(move|pin)|schedule-plans/\{id\}/(apply|discard))/$"
        r"|^GET /api/v1/events/\{id\}/(grid|report)/$"
    ),
}


def schema_for(role: str) -> Any:
    """The live schema, as the application serves it, with the run configured for one caller."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # The callers carry real credentials (or none): no made-up tokens and session cookies besides.
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "with-security-parameters": False},
            "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
            "checks": {
                # Genuinely inapplicable: a well-formed request is still refused (400) when it breaks a rule the
                # schema cannot state: a posting approved before it was submitted, a deadline in the past, a
                # province nobody spells so, a meeting slot outside its event. Such a 400 is documented, and its
                # shape is checked like every other response's.
                "positive_data_acceptance": {"enabled": False},
            },
            "operations": [{"include-name-regex": COVERED[role], "phases": {"coverage": {"enabled": True}}}]
            if role in COVERED
            else [],
        }
    )
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, application, config=config)


@dataclass
class World:
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # per role


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The world, built once for the module in a transaction rolled back at its end. Each test runs in a savepoint
    inside it (pytest-django's ``db``), rolled back after the test: every test starts from the same world."""
    with django_db_blocker.unblock(), transaction.atomic():
        users = build_world(staff_member())
        headers = {role: {"Authorization": f"Token {api_token_issue(user=user)[1]}"} for role, user in users.items()}
        yield World(headers={"anonymous": {}, **headers})
        transaction.set_rollback(True)


@pytest.fixture
def world(
    seeded: World, settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[World]:
    # Fuzzing makes many requests a second: no throttling (rates of None let everything through) and no sign-in
    # lockout, here only.
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "auth": None},
    }
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", api_settings.DEFAULT_THROTTLE_RATES)
    settings.AXES_ENABLED = False
    # Thousands of refused requests: Django's warning for each 4xx is noise (a 5xx is still logged, and fails).
    caplog.set_level(logging.ERROR, logger="django.request")
    cache.clear()
    yield seeded
    cache.clear()


# Path parameters that name an object: a valid (positive) value is taken to an object that exists, so that the
# operation reaches past its 404; invalid values stay as generated.
OBJECTS = {
    "achievements": Achievement, "needs": Need, "events": Event, "matches": Match, "registrations": Registration,
    "presentations": PresentationApplication, "meetings": Meeting, "domains": Domain, "provinces": Province,
    "clusters": Cluster, "threads": Thread, "collections": Collection,
    "auctions": Auction, "lots": Lot, "auction-bidders": BidderRegistration, "broker-appointments": BrokerAppointment,
    "schedule-plans": SchedulePlan,
    "calls": Call, "call-needs": CallNeed, "call-proposals": Proposal, "call-invitations": Invitation,
}  # fmt: skip


def to_existing_object(case: Any) -> None:
    if case.meta is None or not case.meta.generation.mode.is_positive or not case.path_parameters:
        return
    model = OBJECTS[case.operation.path.split("/")[3]]
    (name, value), *_ = case.path_parameters.items()
    keys = sorted(model.objects.values_list("pk", flat=True))
    if keys:
        case.path_parameters[name] = keys[zlib.crc32(str(value).encode()) % len(keys)]


def check(case: Any, world: World, role: str) -> None:
    to_existing_object(case)
    try:
        case.call_and_validate(headers=world.headers[role])
    except Exception as error:
        error.add_note(f"Caller: {role}")
        raise


SETTINGS = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
)
anonymous_schema, member_schema, staff_schema = (schema_for(role) for role in ROLES)


@anonymous_schema.parametrize()
@SETTINGS
def test_the_api_answers_an_anonymous_caller_as_its_schema_says(case: Any, world: World) -> None:
    check(case, world, "anonymous")


@member_schema.parametrize()
@SETTINGS
def test_the_api_answers_a_member_as_its_schema_says(case: Any, world: World) -> None:
    check(case, world, "member")


@staff_schema.parametrize()
@SETTINGS
def test_the_api_answers_staff_as_its_schema_says(case: Any, world: World) -> None:
    check(case, world, "staff")


# --- What the fuzzing asserts, spelled out --------------------------------------------------------------------


def test_every_operation_documents_its_errors_in_the_two_shapes() -> None:
    """Every operation names the errors it may answer with; 400 is the field errors, the others one message."""
    raw = member_schema.raw_schema
    for path, operations in raw["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "429" in responses, (method, path)  # every view is throttled
            for code, response in responses.items():
                if code.startswith("4"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/FieldErrors" if code == "400" else "/Error"), (method, path, code)
            if "{" in path:
                assert "404" in responses, (method, path)
    assert raw["paths"]["/api/v1/auth/token/"]["post"]["responses"].keys() >= {"200", "400", "415", "429"}


def test_id_filters_are_bounded_integers_and_refuse_anything_else(world: World) -> None:
    raw = member_schema.raw_schema
    for path, name in (("/api/v1/achievements/", "organization"), ("/api/v1/registrations/", "event")):
        (parameter,) = [p for p in raw["paths"][path]["get"]["parameters"] if p["name"] == name]
        assert parameter["schema"] | {"minimum": 1, "maximum": 2**63 - 1} == parameter["schema"]
        assert parameter["schema"]["type"] == "integer"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=world.headers["member"]["Authorization"])
    for url in (
        "/api/v1/achievements/?organization=9223372036854775808",
        "/api/v1/needs/?organization=-1e40",
        "/api/v1/registrations/?event=-1e60",
        "/api/v1/achievements/?readiness_min=0.5",
        "/api/v1/needs/?page_size=abc",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert all(isinstance(messages, list) for messages in response.json().values()), url


def test_errors_under_the_api_are_json_in_the_documented_shapes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=world.headers["member"]["Authorization"])
    unknown = client.get("/api/v1/no-such-thing/")
    assert (unknown.status_code, unknown["Content-Type"], unknown.json()) == (
        404, "application/json", {"detail": "Not found."}
    )  # fmt: skip
    assert client.get("/api/nothing").status_code == 404 and "detail" in client.get("/api/nothing").json()
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")  # pages stay pages
    for not_allowed in (client.delete("/api/v1/achievements/"), client.post("/api/docs/")):  # the docs page too
        assert (not_allowed.status_code, not_allowed["Content-Type"]) == (405, "application/json")
        assert set(not_allowed.json()) == {"detail"}
    malformed = client.post("/api/v1/achievements/", data='{"title": ', content_type="application/json")
    assert malformed.status_code == 400 and list(malformed.json()) == ["non_field_errors"]
    event = Event.objects.get(kind="docking")
    items = client.post(
        f"/api/v1/events/{event.pk}/register/", {"person_name": ["a", "b"], "person_email": 5}, format="json"
    )
    assert items.status_code == 400 and all(isinstance(v, list) for v in items.json().values())
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=world.headers["staff"]["Authorization"])
    grid = staff.post(
        f"/api/v1/events/{event.pk}/grid/", {"slots": [{"starts_at": "soon", "ends_at": "later"}]}, format="json"
    )
    assert grid.status_code == 400 and set(grid.json()) == {"slots.0.starts_at", "slots.0.ends_at"}

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("accounts.api.MeApi.get", broken)
    failed = client.get("/api/v1/me/")
    assert (failed.status_code, failed["Content-Type"], list(failed.json())) == (500, "application/json", ["detail"])
