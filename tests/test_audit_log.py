"""The audit log (#11 item 10): sign-ins, failed sign-ins, lockouts, API tokens, exports, contacts viewed, staff
actions through the API and status changes each leave the row expected, and no row holds a password, a token or a
contact; staff read it in admin only with its view permission, and nobody adds, changes or deletes a row there."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import DatabaseError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.audit import audit_record
from core.models import AuditEvent
from events import services as event_services
from marketplace import services as posting_services
from marketplace.models import Achievement, Status
from matching import services as match_services
from matching.models import Match
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory, achievement
from tests.matching.test_api import ACHIEVEMENT_SECRETS, NEED_SECRETS, build_world

pytestmark = pytest.mark.django_db
Kind = AuditEvent.Kind
TOKEN_URL = "/api/v1/auth/token/"


def rows(kind: str | None = None) -> list[AuditEvent]:
    queryset = AuditEvent.objects.order_by("at", "pk")
    return list(queryset.filter(kind=kind) if kind else queryset)


def kinds() -> list[str]:
    return [event.kind for event in rows()]


def everything_written() -> str:
    """Every value of every audit row, as one text."""
    return json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False)


def api_client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def staff_with(*codenames: str):  # type: ignore[no-untyped-def]
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


# --- Sign-ins and tokens ---------------------------------------------------------------------------------------


def test_a_sign_in_is_recorded_with_the_user_their_organisation_and_address(member):
    response = Client(REMOTE_ADDR="198.51.100.7").post(
        reverse("accounts:login"), {"username": member.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    [event] = rows()
    assert event.kind == Kind.LOGIN and event.actor == member and event.actor_email == member.email
    assert event.organization_id == member.organizations.get().pk
    assert event.ip == "198.51.100.7" and event.detail["path"] == reverse("accounts:login")


def test_a_sign_in_to_admin_is_recorded_too(staff_user):
    response = Client().post(reverse("admin:login"), {"username": staff_user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    [event] = rows()
    assert event.kind == Kind.LOGIN and event.actor == staff_user and event.detail["path"] == reverse("admin:login")


def test_a_failed_sign_in_names_the_account_tried_and_never_the_password(member):
    client = Client()
    client.post(reverse("accounts:login"), {"username": member.email, "password": "wrong-guess-1"})
    # Admin's sign-in form takes any text as the e-mail (the site's and the API's want an e-mail address).
    client.post(reverse("admin:login"), {"username": "wrong-guess-2", "password": "wrong-guess-3"})
    first, second = rows()
    assert first.kind == second.kind == Kind.LOGIN_FAILED
    assert first.actor is None and first.target_id == str(member.pk) and first.target_label == member.email
    assert first.organization_id == member.organizations.get().pk
    assert first.detail["refused_while_locked_out"] is False
    # A password typed into the e-mail field is not kept: the "e-mail" is kept only when it is one.
    assert second.target_id == "" and second.target_label == "-"
    assert "wrong-guess" not in everything_written()


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_a_lockout_is_recorded_once_and_the_attempts_it_refuses_as_failed_sign_ins(user):
    client = Client()
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
    assert kinds() == [Kind.LOGIN_FAILED, Kind.LOGIN_FAILED, Kind.LOGIN_FAILED, Kind.LOCKOUT]
    [lockout] = rows(Kind.LOCKOUT)
    assert lockout.target_id == str(user.pk) and lockout.detail["failures"] == 3 and lockout.ip == "127.0.0.1"
    refused = client.post(reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 429
    assert kinds()[4:] == [Kind.LOGIN_FAILED]  # no second lockout row, and no sign-in
    assert rows()[-1].detail["refused_while_locked_out"] is True
    assert DEFAULT_PASSWORD not in everything_written()


def test_an_api_token_is_recorded_without_its_key(member):
    response = APIClient().post(TOKEN_URL, {"email": member.email, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200
    [event] = rows()  # the token endpoint authenticates without signing in: no sign-in row
    assert event.kind == Kind.TOKEN_ISSUED and event.actor == member
    assert event.organization_id == member.organizations.get().pk and event.ip == "127.0.0.1"
    record = AuthToken.objects.get(user=member)
    written = everything_written()
    assert response.json()["token"] not in written and record.digest not in written
    assert record.token_key not in written and DEFAULT_PASSWORD not in written


def test_the_address_is_the_one_the_proxy_appended(member, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    client.post(reverse("accounts:login"), {"username": member.email, "password": DEFAULT_PASSWORD})
    forged = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not an address")
    forged.post(reverse("accounts:login"), {"username": member.email, "password": DEFAULT_PASSWORD})
    assert [event.ip for event in rows()] == ["203.0.113.9", None]


# --- Exports ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_an_organisations_export_of_its_postings_is_recorded(client, member, fmt):
    organization = member.organizations.get()
    achievement(organization, by=member)
    client.force_login(member)
    AuditEvent.objects.all().delete()  # the sign-in and the draft's creation
    response = client.get(reverse("marketplace:export", kwargs={"kind": "achievements", "fmt": fmt}))
    assert response.status_code == 200
    [event] = rows()
    assert event.kind == Kind.EXPORT and event.actor == member
    assert event.detail["file"] == f"achievements.{fmt}" and event.detail["view"] == "marketplace:export"
    assert event.detail["bytes"] == len(response.content)
    assert ACHIEVEMENT_SECRETS[0] not in everything_written()


@pytest.fixture
def event_world(make_event, organiser_member):  # type: ignore[no-untyped-def]
    event = make_event()
    participant = MembershipFactory(organization=OrganizationFactory(kind="enterprise")).user
    event_services.registration_create(
        event=event, organization=participant.organizations.get(), person_name="王五",
        person_email="wangwu@secret.example.cn", by=participant,
    )  # fmt: skip
    AuditEvent.objects.all().delete()
    return {"event": event, "organiser": organiser_member, "participant": participant}


@pytest.mark.parametrize(
    ("name", "kwargs", "filename"),
    [
        ("events:attendance", {"fmt": "csv"}, "event-{pk}-attendance.csv"),
        ("events:attendance", {"fmt": "xlsx"}, "event-{pk}-attendance.xlsx"),
        ("events:report-export", {"fmt": "csv"}, "event-{pk}-report.csv"),
        ("events:report-export", {"fmt": "xlsx"}, "event-{pk}-report.xlsx"),
        ("events:ics", {}, "event-{pk}.ics"),
    ],
)
def test_each_event_export_is_recorded_with_the_event_and_its_organiser(event_world, name, kwargs, filename):
    event, organiser = event_world["event"], event_world["organiser"]
    client = Client()
    client.force_login(organiser)
    AuditEvent.objects.all().delete()
    response = client.get(reverse(name, kwargs={"pk": event.pk, **kwargs}))
    assert response.status_code == 200
    [row] = rows()
    assert row.kind == Kind.EXPORT and row.actor == organiser and row.detail["file"] == filename.format(pk=event.pk)
    assert row.target_id == str(event.pk) and row.target_label == event.title
    assert row.organization_id == event.organizer_id and row.organization_name == event.organizer.name
    assert "wangwu@secret.example.cn" not in everything_written()


def test_the_agenda_is_recorded_and_anonymous_downloads_of_public_calendars_are_not(event_world):
    event, participant = event_world["event"], event_world["participant"]
    assert Client().get(reverse("events:ics", kwargs={"pk": event.pk})).status_code == 200
    assert rows() == []  # a published event's calendar, public: nothing to record
    client = Client()
    client.force_login(participant)
    AuditEvent.objects.all().delete()
    assert client.get(reverse("events:my-agenda")).status_code == 200
    [row] = rows()
    assert row.kind == Kind.EXPORT and row.actor == participant and row.detail["file"] == "agenda.ics"


def test_the_export_commands_are_recorded(member, tmp_path):
    organization = member.organizations.get()
    achievement(organization, by=member)
    AuditEvent.objects.all().delete()
    call_command("export_records", "achievements", "--status", "all", "--org", organization.name, "--with-contacts",
                 stdout=StringIO())  # fmt: skip
    call_command("export_matches", "--output", str(tmp_path / "matches.jsonl"), stderr=StringIO())
    records, matches = rows()
    assert records.kind == matches.kind == Kind.EXPORT and records.actor is None
    assert records.target_label == "export_records" and records.organization_id == organization.pk
    assert records.detail["confidential_columns"] is True and records.detail["records"] == 1
    assert matches.target_label == "export_matches" and matches.detail["output"].endswith("matches.jsonl")
    assert ACHIEVEMENT_SECRETS[0] not in everything_written()


# --- Contacts, staff actions, status changes -------------------------------------------------------------------


@pytest.fixture
def world(staff_user):  # type: ignore[no-untyped-def]
    return build_world(staff_user)


def test_contacts_viewed_are_recorded_the_first_time_each_user_sees_them(world):
    battery = world["matches"]["battery"]
    need_side, achievement_side = world["users"]["need"], world["users"]["achievement"]
    page = Client()
    page.force_login(need_side)
    page.get(reverse("matching:detail", args=[battery.pk]))
    assert rows(Kind.CONTACT_REVEAL) == []  # approved, not accepted by both: no contacts shown
    match_services.match_accept(match=battery, by=need_side)
    match_services.match_accept(match=battery, by=achievement_side)

    for _ in range(2):
        assert ACHIEVEMENT_SECRETS[0] in page.get(reverse("matching:detail", args=[battery.pk])).content.decode()
    api = api_client_for(need_side)
    assert api.get(reverse("api:match-detail", args=[battery.pk])).json()["counterpart_contact"]
    api.get(reverse("api:match-list"))
    api_client_for(achievement_side).get(reverse("api:match-list"))
    api_client_for(world["users"]["staff"]).get(reverse("api:match-detail", args=[battery.pk]))

    seen = rows(Kind.CONTACT_REVEAL)
    assert [(event.actor, event.detail["side"]) for event in seen] == [
        (need_side, "need"), (achievement_side, "achievement"), (world["users"]["staff"], "staff"),
    ]  # fmt: skip
    assert all(event.target_id == str(battery.pk) for event in seen)
    assert seen[0].organization_id == need_side.organizations.get().pk and seen[2].organization_id is None
    written = everything_written()
    assert not any(secret in written for secret in ACHIEVEMENT_SECRETS + NEED_SECRETS)


def test_a_staff_action_through_the_api_is_recorded_with_the_permission_that_allowed_it(world):
    vision = world["matches"]["vision"]
    approver = staff_with("view_match", "change_match")
    AuditEvent.objects.all().delete()
    response = api_client_for(approver).post(reverse("api:match-approve", args=[vision.pk]), {"note": "方向一致"})
    assert response.status_code == 200
    [action] = rows(Kind.STAFF_API_ACTION)
    assert action.actor == approver and action.target_id == str(vision.pk)
    assert action.target_label.startswith(f"{Match._meta.verbose_name} #{vision.pk}")
    assert action.detail["endpoint"] == "api:match-approve" and action.detail["status"] == 200
    assert "matching.change_match" in action.detail["permissions"] and action.ip == "127.0.0.1"
    [change] = rows(Kind.TRANSITION)  # and the change itself, from the service
    assert change.actor == approver and change.detail["from"] == "suggested" and change.detail["to"] == "approved"


def test_a_staff_moderation_of_a_posting_through_the_api_names_its_organisation(world):
    university_member = world["users"]["achievement"]
    posting = posting_services.posting_submit(
        posting=achievement(university_member.organizations.get(), title="待审核的成果"), by=university_member
    )
    moderator = staff_with("view_achievement", "change_achievement")
    AuditEvent.objects.all().delete()
    response = api_client_for(moderator).post(
        reverse("api:achievement-reject", args=[posting.pk]), {"reason": "不完整"}
    )
    assert response.status_code == 200, response.content
    [action] = rows(Kind.STAFF_API_ACTION)
    assert action.organization_id == posting.organization_id and action.detail["endpoint"] == "api:achievement-reject"
    assert kinds() == [Kind.TRANSITION, Kind.STAFF_API_ACTION]


def test_members_writes_and_refused_staff_writes_are_no_staff_actions(world):
    battery = world["matches"]["battery"]
    AuditEvent.objects.all().delete()
    assert (
        api_client_for(world["users"]["need"]).post(reverse("api:match-accept", args=[battery.pk])).status_code == 200
    )
    viewer = api_client_for(staff_with("view_match"))  # may see, may not approve
    assert viewer.post(reverse("api:match-approve", args=[world["matches"]["vision"].pk])).status_code == 403
    assert viewer.get(reverse("api:match-list")).status_code == 200  # reads are no actions
    assert rows(Kind.STAFF_API_ACTION) == []
    # The member's acceptance; the viewer's list showed contacts (staff see them), recorded as viewed.
    assert [kind for kind in kinds() if kind != Kind.CONTACT_REVEAL] == [Kind.TRANSITION]


def test_each_change_of_a_postings_status_leaves_one_row(member):
    organization = member.organizations.get()
    posting = achievement(organization, by=member)
    posting = posting_services.posting_submit(posting=posting, by=member)
    staff = staff_with("view_achievement", "change_achievement")
    posting_services.posting_approve(posting=posting, by=staff)
    changes = rows(Kind.TRANSITION)
    assert [(e.detail["from"], e.detail["to"], e.actor) for e in changes] == [
        ("", Status.DRAFT, member),
        (Status.DRAFT, Status.SUBMITTED, member),
        (Status.SUBMITTED, Status.PUBLISHED, staff),
    ]
    assert all(e.organization_id == organization.pk and e.target_label == posting.title for e in changes)
    assert {e.target_type.model_class() for e in changes} == {Achievement}
    # The log keeps the history when the posting and its own history are gone.
    Achievement.objects.filter(pk=posting.pk).delete()
    assert len(rows(Kind.TRANSITION)) == 3


def test_a_status_change_and_its_row_commit_together(member, monkeypatch):
    posting = achievement(member.organizations.get(), by=member)

    def unavailable(*args: object, **kwargs: object) -> None:
        raise DatabaseError("the audit log cannot be written")

    monkeypatch.setattr(posting_services, "audit_record", unavailable)
    with pytest.raises(DatabaseError):
        posting_services.posting_submit(posting=posting, by=member)
    posting.refresh_from_db()
    assert posting.status == Status.DRAFT and posting.transitions.count() == 1  # the change rolled back with it


def test_the_log_refuses_confidential_detail():
    with pytest.raises(ValueError, match="confidential"):
        audit_record(Kind.EXPORT, detail={"contact_phone": "13800000000"})
    with pytest.raises(ValueError, match="confidential"):
        audit_record(Kind.LOGIN, detail={"meta": {"password": "x"}})
    assert rows() == []


# --- Admin -----------------------------------------------------------------------------------------------------


@pytest.fixture
def logged(member, staff_user):  # type: ignore[no-untyped-def]
    Client().post(reverse("accounts:login"), {"username": member.email, "password": DEFAULT_PASSWORD})
    Client().post(reverse("accounts:login"), {"username": member.email, "password": "wrong"})
    return rows()


def test_staff_with_the_view_permission_read_the_log_filtered(logged, member):
    reader = staff_with("view_auditevent")
    client = Client()
    client.force_login(reader)
    changelist = reverse("admin:core_auditevent_changelist")
    page = client.get(changelist)
    assert page.status_code == 200 and member.email in page.content.decode()
    organization, today = member.organizations.get(), timezone.localdate()
    for query, count in [
        ({"kind__exact": "login_failed"}, 1),
        ({"actor": member.pk}, 1),
        ({"organization": organization.pk}, 2),
        ({"q": member.email}, 2),
        ({"at__year": today.year, "at__month": today.month, "at__day": today.day}, 3),  # with the reader's sign-in
    ]:
        response = client.get(changelist, query)
        assert response.status_code == 200, query
        assert len(response.context["cl"].result_list) == count, query
    detail = client.get(reverse("admin:core_auditevent_change", args=[logged[0].pk]))
    assert detail.status_code == 200 and reverse("accounts:login") in detail.content.decode()


def test_staff_without_the_permission_are_refused(logged):
    bare = Client()
    bare.force_login(staff_with("view_match"))
    assert bare.get(reverse("admin:core_auditevent_changelist")).status_code == 403
    assert bare.get(reverse("admin:core_auditevent_change", args=[logged[0].pk])).status_code == 403


def test_admin_neither_adds_changes_nor_deletes_a_row(logged, admin_client):
    event = logged[0]
    assert admin_client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:core_auditevent_change", args=[event.pk]), {"kind": "export"}).status_code
        == 403
    )
    assert (
        admin_client.post(reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )
    response = admin_client.post(
        reverse("admin:core_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, kind=event.kind).exists()
