"""Editing an event: one service (``events.services.event_update``) under the rules of creation, the edit page
(organiser's members and staff only) and PATCH /api/v1/events/{id}/."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from core.exceptions import ApplicationError, PermissionDenied
from events import services
from events.models import Event, Registration
from tests.events.people import register
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

FMT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def people(organiser_member, staff_user):
    participant = MembershipFactory(organization=OrganizationFactory(name="参会企业")).user
    return {
        "organiser": organiser_member, "staff": staff_user, "participant": participant,
        "colleague": MembershipFactory(organization=organiser_member.organizations.get()).user,
        "outsider": MembershipFactory(organization=OrganizationFactory(kind="organiser", name="别的主办方")).user,
        "nobody": UserFactory(),
    }  # fmt: skip


# --- The service ---------------------------------------------------------------------------------------------


def test_the_organiser_edits_title_place_and_times(make_event, organiser_member):
    event = make_event(capacity=5)
    start = event.starts_at + datetime.timedelta(days=1)
    edited = services.event_update(
        event=event, by=organiser_member, title="  长三角新材料成果对接会（第二场） ", venue="临港",
        starts_at=start, ends_at=start + datetime.timedelta(hours=6), domain_codes=["ai"],
    )  # fmt: skip
    assert (edited.title, edited.venue, edited.starts_at, edited.status) == (
        "长三角新材料成果对接会（第二场）",
        "临港",
        start,
        "published",
    )
    assert [d.code for d in edited.domains.all()] == ["ai"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_at": "start"}, "ends_at"),  # ends when it starts
        ({"capacity": 0}, "capacity"),
        ({"title": "   "}, "title"),
        ({"registration_opens_at": "start-2d", "registration_closes_at": "start-3d"}, "registration_closes_at"),
        ({"registration_closes_at": "end+1h"}, "registration_closes_at"),
        ({"registration_opens_at": "end"}, "registration_opens_at"),
    ],
)
def test_editing_keeps_the_rules_of_creation(make_event, organiser_member, fields, field):
    event = make_event(capacity=5)
    moments = {
        "start": event.starts_at, "start-2d": event.starts_at - datetime.timedelta(days=2),
        "start-3d": event.starts_at - datetime.timedelta(days=3), "end": event.ends_at,
        "end+1h": event.ends_at + datetime.timedelta(hours=1),
    }  # fmt: skip
    values = {name: moments.get(value, value) if isinstance(value, str) and name != "title" else value
              for name, value in fields.items()}  # fmt: skip
    with pytest.raises(ApplicationError) as error:
        services.event_update(event=event, by=organiser_member, **values)
    assert error.value.field == field
    event.refresh_from_db()
    assert event.capacity == 5 and event.title == "长三角新材料成果对接会"  # nothing saved


def test_creation_refuses_what_editing_refuses(organiser_member):
    start = timezone.now() + datetime.timedelta(days=3)
    common = {"organizer": organiser_member.organizations.get(), "by": organiser_member, "kind": "roadshow",
              "title": "路演", "starts_at": start, "capacity": 10}  # fmt: skip
    with pytest.raises(ApplicationError) as error:
        services.event_create(ends_at=start, **common)
    assert error.value.field == "ends_at"
    with pytest.raises(ApplicationError) as error:
        services.event_create(ends_at=start + datetime.timedelta(hours=2),
                              registration_closes_at=start + datetime.timedelta(hours=3), **common)  # fmt: skip
    assert error.value.field == "registration_closes_at"


def test_only_the_organiser_and_staff_edit(make_event, people):
    event = make_event()
    for who in ("participant", "outsider", "nobody"):
        with pytest.raises(PermissionDenied):
            services.event_update(event=event, by=people[who], title="改名")
    assert services.event_update(event=event, by=people["colleague"], title="同事改名").title == "同事改名"
    assert services.event_update(event=event, by=people["staff"], title="平台改名").title == "平台改名"


def test_published_kind_stays_and_finished_or_cancelled_events_are_not_edited(make_event, organiser_member):
    draft = make_event(publish=False)
    assert services.event_update(event=draft, by=organiser_member, kind="roadshow").kind == "roadshow"
    event = make_event()
    with pytest.raises(ApplicationError) as error:
        services.event_update(event=event, by=organiser_member, kind="roadshow")
    assert error.value.field == "kind"
    services.event_set_status(event=event, by=organiser_member, status="cancelled")
    with pytest.raises(ApplicationError) as error:
        services.event_update(event=event, by=organiser_member, title="x")
    assert error.value.field == "status"


def test_fields_outside_the_form_are_refused(make_event, organiser_member):
    event = make_event()
    with pytest.raises(ApplicationError) as error:
        services.event_update(event=event, by=organiser_member, confirmed_count=0)
    assert error.value.field == "confirmed_count"
    with pytest.raises(ApplicationError):
        services.event_update(event=event, by=organiser_member, status="finished")


def test_meeting_slots_keep_the_event_times_within_them(make_event, organiser_member):
    from events import meetings

    event = make_event()
    start = event.starts_at
    meetings.meeting_grid_define(
        event=event,
        by=organiser_member,
        tables=["A1"],
        slots=[(start + datetime.timedelta(hours=3), start + datetime.timedelta(hours=4))],
    )
    with pytest.raises(ApplicationError, match="meeting slots"):
        services.event_update(event=event, by=organiser_member, ends_at=start + datetime.timedelta(hours=2))


# --- The page ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("nobody", 403), ("participant", 403), ("outsider", 403), ("organiser", 200), ("colleague", 200),
     ("staff", 200)],
)  # fmt: skip
def test_the_edit_page_is_for_the_organiser_and_staff(client, make_event, people, who, status):
    event = make_event()
    client.force_login(people[who])
    assert client.get(reverse("events:edit", kwargs={"pk": event.pk})).status_code == status


def test_anonymous_users_are_sent_to_log_in_and_drafts_are_hidden(client, make_event, people):
    event, draft = make_event(), make_event(publish=False)
    response = client.get(reverse("events:edit", kwargs={"pk": event.pk}))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(people["outsider"])
    assert client.get(reverse("events:edit", kwargs={"pk": draft.pk})).status_code == 404


def _form_data(event: Event, **changes: object) -> dict[str, object]:
    data = {
        "kind": event.kind, "title": event.title, "description": event.description, "venue": event.venue,
        "city": event.city_id or "", "online_url": event.online_url,
        "starts_at": timezone.localtime(event.starts_at).strftime(FMT),
        "ends_at": timezone.localtime(event.ends_at).strftime(FMT), "capacity": event.capacity,
        "meeting_suggestions": event.meeting_suggestions,
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_page_saves_through_the_service_and_raising_capacity_promotes(client, make_event, organiser_member):
    event = make_event(capacity=1)
    first, waiting = register(event, 1), register(event, 2)
    assert waiting.status == Registration.Status.WAITING
    client.force_login(organiser_member)
    target = reverse("events:edit", kwargs={"pk": event.pk})
    page = client.get(target).content.decode()
    assert 'value="长三角新材料成果对接会"' in page and "1 of 1 places are confirmed" in page
    response = client.post(target, _form_data(event, title="对接会（扩容）", capacity=3))
    assert response.status_code == 302 and response["Location"] == reverse("events:detail", kwargs={"pk": event.pk})
    event.refresh_from_db()
    assert (event.title, event.capacity, event.confirmed_count) == ("对接会（扩容）", 3, 2)
    assert Registration.objects.get(pk=waiting.pk).status == Registration.Status.CONFIRMED
    assert first.pk != waiting.pk


def test_the_page_shows_the_services_error_on_its_field(client, make_event, organiser_member):
    event = make_event(capacity=2)
    register(event, 1), register(event, 2)
    client.force_login(organiser_member)
    response = client.post(reverse("events:edit", kwargs={"pk": event.pk}), _form_data(event, capacity=1))
    assert response.status_code == 400
    assert "The capacity cannot be lower than the 2 confirmed places" in response.content.decode()
    end = timezone.localtime(event.starts_at - datetime.timedelta(hours=1)).strftime(FMT)
    response = client.post(reverse("events:edit", kwargs={"pk": event.pk}), _form_data(event, ends_at=end))
    assert response.status_code == 400 and "The event must end after it starts." in response.content.decode()


def test_the_event_page_links_to_the_edit_page_for_the_organiser_only(client, make_event, people):
    event = make_event()
    target, link = reverse("events:detail", kwargs={"pk": event.pk}), reverse("events:edit", kwargs={"pk": event.pk})
    client.force_login(people["organiser"])
    assert link in client.get(target).content.decode()
    client.force_login(people["participant"])
    assert link not in client.get(target).content.decode()


@pytest.mark.parametrize(("language", "heading"), [("en", "Edit the event"), ("zh-hans", "编辑活动")])
def test_the_edit_page_in_both_languages(client, make_event, organiser_member, language, heading):
    """zh-hans waits for the merged catalogue (new msgid)."""
    event = make_event()
    client.force_login(organiser_member)
    with translation.override(language):
        response = client.get(reverse("events:edit", kwargs={"pk": event.pk}), HTTP_ACCEPT_LANGUAGE=language)
    client.cookies.clear()
    assert heading in response.content.decode()


# --- The API -------------------------------------------------------------------------------------------------


def _api(user=None) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_patch_edits_through_the_same_service(make_event, people):
    event = make_event(capacity=1)
    register(event, 1)
    waiting = register(event, 2)
    url = f"/api/v1/events/{event.pk}/"
    response = _api(people["organiser"]).patch(url, {"capacity": 2, "title": "新标题"}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["capacity"], data["confirmed_count"], data["title"]) == (2, 2, "新标题")
    assert Registration.objects.get(pk=waiting.pk).status == "confirmed"
    response = _api(people["organiser"]).patch(url, {"capacity": 1}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["capacity"]
    response = _api(people["organiser"]).patch(url, {"ends_at": event.starts_at.isoformat()}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["ends_at"]


@pytest.mark.parametrize(("who", "status"), [("participant", 403), ("outsider", 403), ("staff", 200)])
def test_patch_is_for_the_organiser_and_staff(make_event, people, who, status):
    event = make_event()
    response = _api(people[who]).patch(f"/api/v1/events/{event.pk}/", {"title": "改"}, format="json")
    assert response.status_code == status
    assert _api().patch(f"/api/v1/events/{event.pk}/", {"title": "改"}, format="json").status_code in (401, 403)
    draft = make_event(publish=False)
    assert _api(people["outsider"]).patch(f"/api/v1/events/{draft.pk}/", {}, format="json").status_code == 404


def test_a_field_longer_than_it_may_be_is_an_error_on_that_field(make_event, organiser_member):
    """Checked before anything is written (PostgreSQL refuses a long value; SQLite would keep it): on creation and
    on edit, the error names the field."""
    long_link = "https://meeting.example.cn/j/" + "9" * 200
    with pytest.raises(ApplicationError) as created:
        make_event(online_url=long_link)
    assert created.value.field == "online_url"
    event = make_event()
    with pytest.raises(ApplicationError) as edited:
        services.event_update(event=event, by=organiser_member, title="对接会" * 70)
    assert edited.value.field == "title"
    event.refresh_from_db()
    assert event.title == "长三角新材料成果对接会"
