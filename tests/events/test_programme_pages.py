"""Roadshow programmes on the web and the API: the public programme, applying to present, the organiser's
applications with accepting into a timed slot and declining; /api/v1/events/{id}/programme|apply/ and
/api/v1/presentations/.

Roles: ``anonymous``; ``organiser``; ``participant`` (a member whose organisation has published an achievement and
a need, and a draft achievement); ``outsider`` (a member of another organisation with its own published
achievement); ``staff``.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from events import programme
from events.models import PresentationApplication
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

from .test_meeting_pages import aligned_event, publish

pytestmark = pytest.mark.django_db

ORGANISER_ONLY = [("anonymous", 302), ("organiser", 200), ("participant", 403), ("outsider", 403), ("staff", 200)]


@pytest.fixture
def world(organiser_member, staff_user):
    participant = MembershipFactory(organization=OrganizationFactory(name="中科院某研究所")).user
    outsider = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="旁观企业")).user
    mine = participant.organizations.get()
    return {
        "organiser": organiser_member, "participant": participant, "outsider": outsider, "staff": staff_user,
        "roadshow": aligned_event(organiser_member, kind="roadshow", title="G60新能源成果路演"),
        "financing": aligned_event(organiser_member, kind="financing", title="科创企业融资路演"),
        "draft": aligned_event(organiser_member, kind="roadshow", title="未发布的路演", publish=False),
        "docking": aligned_event(organiser_member, title="对接会"),
        "achievement": publish(achievement(mine, title="钙钛矿叠层电池", domains=("photovoltaic",))),
        "need": publish(need(mine, title="中试线融资需求")),
        "unpublished": achievement(mine, title="尚未发布的成果"),
        "theirs": publish(achievement(outsider.organizations.get(), title="固态电池电解质")),
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


def url(name, event, **kwargs):
    return reverse(f"events:{name}", kwargs={"pk": event.pk, **kwargs})


def local(moment):
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


def apply(world, listing="achievement", event="roadshow", by="participant"):
    return programme.presentation_apply(
        event=world[event], organization=world[listing].organization, by=world[by], listing=world[listing]
    )


def slot(event, start_minutes, length=15):
    start = event.starts_at + datetime.timedelta(minutes=start_minutes)
    return start, start + datetime.timedelta(minutes=length)


# --- Who sees what -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees_draft"),
    [("anonymous", False), ("organiser", True), ("participant", False), ("outsider", False), ("staff", True)],
)
def test_the_programme_is_public_except_for_drafts(client, world, who, sees_draft):
    client = as_user(client, world, who)
    assert client.get(url("programme", world["roadshow"])).status_code == 200
    assert client.get(url("programme", world["financing"])).status_code == 200
    assert client.get(url("programme", world["draft"])).status_code == (200 if sees_draft else 404)
    assert client.get(url("programme", world["docking"])).status_code == 404  # docking events have no programme


def test_roadshow_and_financing_pages_link_to_their_programme(client, world):
    for key in ("roadshow", "financing"):
        assert url("programme", world[key]) in client.get(url("detail", world[key])).content.decode()
    assert "programme" not in client.get(url("detail", world["docking"])).content.decode()


@pytest.mark.parametrize(("who", "status"), ORGANISER_ONLY)
def test_the_applications_page_is_for_the_organiser_and_staff(client, world, who, status):
    application = apply(world)
    client = as_user(client, world, who)
    response = client.get(url("applications", world["roadshow"]))
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("accounts:login"))
    start, end = slot(world["roadshow"], 30)
    prefix = f"application-{application.pk}-"
    response = client.post(
        url("schedule-application", world["roadshow"], application_pk=application.pk),
        {prefix + "starts_at": local(start), prefix + "ends_at": local(end)},
    )
    assert response.status_code == (302 if status == 200 else status)
    application.refresh_from_db()
    assert application.status == ("accepted" if status == 200 else "applied")


@pytest.mark.parametrize(("who", "status"), [("participant", 404), ("outsider", 404), ("organiser", 200)])
def test_a_drafts_applications_are_hidden(client, world, who, status):
    assert as_user(client, world, who).get(url("applications", world["draft"])).status_code == status


def test_the_organiser_sees_the_applications_link(client, world):
    client.force_login(world["organiser"])
    assert url("applications", world["roadshow"]) in client.get(url("detail", world["roadshow"])).content.decode()
    client.force_login(world["participant"])
    assert url("applications", world["roadshow"]) not in client.get(url("detail", world["roadshow"])).content.decode()


# --- Applying, accepting, declining through the pages -----------------------------------------------------------


def test_apply_accept_into_a_slot_and_the_public_programme(client, world):
    event = world["roadshow"]
    client.force_login(world["participant"])
    page = client.get(url("programme", event)).content.decode()
    assert f'action="{url("apply", event)}"' in page
    assert "钙钛矿叠层电池" in page  # the published achievement is a choice
    assert "尚未发布的成果" not in page and "固态电池电解质" not in page  # drafts and others' are not
    assert "中试线融资需求" not in page  # needs only at financing presentations
    response = client.post(
        url("apply", event), {"listing": f"achievement-{world['achievement'].pk}", "pitch": "效率超过30%"}
    )
    assert response.status_code == 302
    application = PresentationApplication.objects.get()
    assert (application.achievement, application.organization, application.status, application.pitch) == (
        world["achievement"], world["participant"].organizations.get(), "applied", "效率超过30%",
    )  # fmt: skip
    page = client.get(url("programme", event)).content.decode()
    assert "is sent to the organiser" in page and "The programme is not out yet." in page

    client.force_login(world["organiser"])
    page = client.get(url("applications", event)).content.decode()
    assert "钙钛矿叠层电池" in page and "效率超过30%" in page and "1 waiting for a decision" in page
    start, end = slot(event, 30)
    prefix = f"application-{application.pk}-"
    response = client.post(
        url("schedule-application", event, application_pk=application.pk),
        {prefix + "starts_at": local(start), prefix + "ends_at": local(end)},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.slot_starts_at, application.slot_ends_at) == ("accepted", start, end)

    client.logout()
    page = client.get(url("programme", event)).content.decode()
    when = f"{timezone.localtime(start):%Y-%m-%d %H:%M}–{timezone.localtime(end):%H:%M}"
    assert when in page
    detail = reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": world["achievement"].pk})
    assert f'href="{detail}">钙钛矿叠层电池</a>' in page
    assert "中科院某研究所" in page and "效率超过30%" in page


def test_overlapping_slots_and_slots_outside_the_event_are_form_errors(client, world):
    event = world["roadshow"]
    first, second = apply(world), apply(world, listing="theirs", by="outsider")
    programme.presentation_schedule(application=first, by=world["organiser"], starts_at=slot(event, 30)[0],
                                    ends_at=slot(event, 30)[1])  # fmt: skip
    client.force_login(world["organiser"])
    prefix = f"application-{second.pk}-"
    start, end = slot(event, 35)
    response = client.post(
        url("schedule-application", event, application_pk=second.pk),
        {prefix + "starts_at": local(start), prefix + "ends_at": local(end)},
    )
    assert response.status_code == 400
    assert "Another presentation holds that time." in response.content.decode()
    start, end = slot(event, -60)
    response = client.post(
        url("schedule-application", event, application_pk=second.pk),
        {prefix + "starts_at": local(start), prefix + "ends_at": local(end)},
    )
    assert response.status_code == 400
    assert "The slot lies within the event and ends after it starts." in response.content.decode()
    second.refresh_from_db()
    assert second.status == "applied"


def test_the_organiser_declines_and_the_presentation_leaves_the_programme(client, world):
    event = world["roadshow"]
    application = apply(world)
    programme.presentation_schedule(application=application, by=world["organiser"], starts_at=slot(event, 0)[0],
                                    ends_at=slot(event, 0)[1])  # fmt: skip
    client.force_login(world["participant"])
    assert client.post(url("decline-application", event, application_pk=application.pk)).status_code == 403
    client.force_login(world["organiser"])
    response = client.post(url("decline-application", event, application_pk=application.pk))
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.slot_starts_at) == ("declined", None)
    page = client.get(url("programme", event)).content.decode()
    assert "钙钛矿叠层电池" not in page[page.index("<tbody>") : page.index("</tbody>")]
    client.force_login(world["participant"])
    assert "declined" in client.get(url("programme", event)).content.decode()  # the own application's status


def test_financing_presentations_take_needs(client, world):
    client.force_login(world["participant"])
    page = client.get(url("programme", world["financing"])).content.decode()
    assert "中试线融资需求" in page
    response = client.post(url("apply", world["financing"]), {"listing": f"need-{world['need'].pk}"})
    assert response.status_code == 302
    assert PresentationApplication.objects.get().need == world["need"]
    response = client.post(url("apply", world["roadshow"]), {"listing": f"need-{world['need'].pk}"})
    assert response.status_code == 400
    assert PresentationApplication.objects.count() == 1
    start, end = slot(world["financing"], 0)
    programme.presentation_schedule(application=PresentationApplication.objects.get(), by=world["organiser"],
                                    starts_at=start, ends_at=end)  # fmt: skip
    page = client.get(url("programme", world["financing"])).content.decode()
    detail = reverse("marketplace:detail", kwargs={"kind": "needs", "pk": world["need"].pk})
    assert f'href="{detail}">中试线融资需求</a>' in page


@pytest.mark.parametrize(
    ("who", "listing", "status"),
    [
        ("anonymous", "achievement", 302),
        ("outsider", "achievement", 400),  # another organisation's listing is not a choice
        ("participant", "unpublished", 400),
        ("participant", "theirs", 400),
    ],
)
def test_applying_is_for_the_own_published_listings(client, world, who, listing, status):
    response = as_user(client, world, who).post(
        url("apply", world["roadshow"]), {"listing": f"achievement-{world[listing].pk}"}
    )
    assert response.status_code == status
    assert not PresentationApplication.objects.exists()


def test_nobody_else_applies_to_a_draft_or_a_docking_event(client, world):
    client.force_login(world["participant"])
    listing = {"listing": f"achievement-{world['achievement'].pk}"}
    assert client.post(url("apply", world["draft"]), listing).status_code == 404
    assert client.post(url("apply", world["docking"]), listing).status_code == 404
    client.force_login(world["organiser"])  # sees the draft, which takes no applications
    assert (
        "Applications are open while the event is published."
        in client.get(url("programme", world["draft"])).content.decode()
    )
    assert not PresentationApplication.objects.exists()


# --- The API -----------------------------------------------------------------------------------------------------


def event_api(name, event):
    return reverse(f"api:event-{name}", kwargs={"pk": event.pk})


def presentation_api(name, application=None):
    return reverse(f"api:presentation-{name}", kwargs={"pk": application.pk} if application is not None else {})


def test_api_programme_is_public_and_lists_accepted_presentations_in_time_order(world):
    event = world["roadshow"]
    late, early, waiting = apply(world), apply(world, listing="theirs", by="outsider"), apply(world, event="roadshow")
    for application, minutes in ((late, 60), (early, 0)):
        programme.presentation_schedule(application=application, by=world["organiser"],
                                        starts_at=slot(event, minutes)[0], ends_at=slot(event, minutes)[1])  # fmt: skip
    response = api(world, "anonymous").get(event_api("programme", event))
    assert response.status_code == 200
    data = response.json()
    assert [entry["id"] for entry in data] == [early.pk, late.pk]
    assert waiting.pk not in [entry["id"] for entry in data]
    assert data[0]["listing"] == {
        "id": world["theirs"].pk,
        "title": "固态电池电解质",
        "organization": {"id": world["outsider"].organizations.get().pk, "name": "旁观企业"},
        "kind": "achievement",
    }
    assert data[0]["starts_at"] == timezone.localtime(slot(event, 0)[0]).isoformat()
    assert api(world, "anonymous").get(event_api("programme", world["draft"])).status_code == 404


def test_api_apply(world):
    client = api(world, "participant")
    response = client.post(
        event_api("apply", world["roadshow"]), {"achievement": world["achievement"].pk, "pitch": "演示"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "applied" and response.json()["listing"]["kind"] == "achievement"
    response = client.post(event_api("apply", world["financing"]), {"need": world["need"].pk}, format="json")
    assert response.status_code == 201 and response.json()["listing"]["kind"] == "need"
    both = {"achievement": world["achievement"].pk, "need": world["need"].pk}
    assert client.post(event_api("apply", world["financing"]), both, format="json").status_code == 400
    response = client.post(event_api("apply", world["roadshow"]), {"achievement": world["theirs"].pk}, format="json")
    assert response.status_code == 400 and "listing" in response.json()
    response = client.post(event_api("apply", world["roadshow"]), {"need": world["need"].pk}, format="json")
    assert response.status_code == 400
    response = client.post(event_api("apply", world["docking"]), {"achievement": world["achievement"].pk})
    assert response.status_code == 400 and "event" in response.json()
    assert client.post(event_api("apply", world["draft"]), {"achievement": world["achievement"].pk}).status_code == 404
    anonymous = api(world, "anonymous").post(event_api("apply", world["roadshow"]), {"achievement": 1})
    assert anonymous.status_code == 403
    staff = api(world, "staff").post(event_api("apply", world["roadshow"]), {"achievement": world["achievement"].pk})
    assert staff.status_code == 403  # staff are not members of the presenting organisation
    assert PresentationApplication.objects.count() == 2


def test_api_presentations_are_scoped_and_only_the_organiser_decides(world):
    event = world["roadshow"]
    mine, theirs = apply(world), apply(world, listing="theirs", by="outsider")

    def ids(who, **query):
        return sorted(a["id"] for a in api(world, who).get(presentation_api("list"), query).json()["results"])

    assert ids("organiser") == ids("staff") == sorted([mine.pk, theirs.pk])
    assert ids("participant") == [mine.pk] and ids("outsider") == [theirs.pk]
    assert ids("organiser", event=world["financing"].pk) == []
    assert api(world, "outsider").get(presentation_api("detail", mine)).status_code == 404
    assert api(world, "anonymous").get(presentation_api("list")).status_code == 403

    start, end = slot(event, 15)
    body = {"starts_at": start.isoformat(), "ends_at": end.isoformat()}
    assert api(world, "participant").post(presentation_api("schedule", mine), body, format="json").status_code == 403
    assert api(world, "outsider").post(presentation_api("schedule", mine), body, format="json").status_code == 404
    response = api(world, "organiser").post(presentation_api("schedule", mine), body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert response.json()["slot_starts_at"] == timezone.localtime(start).isoformat()
    clash = api(world, "organiser").post(presentation_api("schedule", theirs), body, format="json")
    assert clash.status_code == 400 and "starts_at" in clash.json()

    assert api(world, "participant").post(presentation_api("decline", mine)).status_code == 403
    response = api(world, "staff").post(presentation_api("decline", mine))
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert api(world, "anonymous").get(event_api("programme", event)).json() == []
