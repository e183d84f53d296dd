"""The organiser's event report on the web and the API: the figures, the agreements signed at the event and the
form to record one, the CSV and Excel exports; /api/v1/events/{id}/report|agreements/.

Roles: ``anonymous``; ``organiser``; ``participant`` (a member with a confirmed, checked-in registration);
``outsider`` (a member on the waiting list); ``staff``.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from events import meetings, outcomes, services
from matching.models import Agreement
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

from .clock import run_today
from .test_meeting_pages import aligned_event, define_grid, publish, register

pytestmark = pytest.mark.django_db

ORGANISER_ONLY = [("anonymous", 302), ("organiser", 200), ("participant", 403), ("outsider", 403), ("staff", 200)]
FIGURES = [
    "Registrations", "Confirmed", "Waiting list", "Cancelled", "Attended", "Meetings held", "Agreements signed",
    "Agreements total (10k CNY)",
]  # fmt: skip
AGREEMENT_HEADER = [
    "Signed on", "Achievement", "Achievement's organisation", "Need", "Need's organisation", "Cooperation mode",
    "Amount (10k CNY)", "Note",
]  # fmt: skip


@pytest.fixture
def world(organiser_member, staff_user):
    participant = MembershipFactory(organization=OrganizationFactory(name="某大学")).user
    rival = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="某企业")).user
    outsider = MembershipFactory(organization=OrganizationFactory(name="旁观高校")).user
    event = aligned_event(organiser_member, capacity=2)
    mine = register(event, participant, "张三", "zhang@u.example.cn")
    theirs = register(event, rival, "李四", "li@e.example.cn")
    register(event, outsider, "候补", "waiting@o.example.cn")
    cancelled = register(event, outsider, "取消者", "gone@o.example.cn")
    services.registration_cancel(registration=cancelled, by=outsider)
    define_grid(event, organiser_member, slots=1, tables=("A1",))
    event = run_today(event)  # check-in opens on the event's day
    services.registration_check_in(event=event, code=mine.check_in_code, by=organiser_member)
    meetings.meeting_accept(meeting=meetings.meeting_request(requester=mine, invitee=theirs, by=participant), by=rival)
    return {
        "organiser": organiser_member, "participant": participant, "rival": rival, "outsider": outsider,
        "staff": staff_user, "event": event,
        "draft": aligned_event(organiser_member, title="未发布的对接会", publish=False),
        "achievement": publish(achievement(participant.organizations.get(), title="=钠离子电池硬碳负极")),
        "need": publish(need(rival.organizations.get(), title="低成本负极材料")),
        "unpublished": achievement(participant.organizations.get(), title="草稿成果"),
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


def record(world, amount="80", need=True, note="现场签约"):
    return outcomes.event_agreement_record(
        event=world["event"], by=world["organiser"], achievement=world["achievement"],
        need=world["need"] if need else None, mode="license", signed_on=datetime.date(2026, 11, 20),
        amount_wan=Decimal(amount) if amount is not None else None, note=note,
    )  # fmt: skip


# --- Who sees what -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), ORGANISER_ONLY)
def test_the_report_and_its_exports_are_for_the_organiser_and_staff(client, world, who, status):
    client = as_user(client, world, who)
    for target in (url("report", world["event"]), url("report-export", world["event"], fmt="csv"),
                   url("report-export", world["event"], fmt="xlsx")):  # fmt: skip
        response = client.get(target)
        assert response.status_code == status, target
        if status == 302:
            assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("who", "status"), [("participant", 404), ("outsider", 404), ("organiser", 200)])
def test_a_drafts_report_is_hidden(client, world, who, status):
    client = as_user(client, world, who)
    assert client.get(url("report", world["draft"])).status_code == status
    assert client.get(url("report-export", world["draft"], fmt="csv")).status_code == status


def test_only_the_organiser_records_agreements_on_the_page(client, world):
    client.force_login(world["participant"])
    response = client.post(
        url("report", world["event"]),
        {"achievement": world["achievement"].pk, "mode": "license", "signed_on": "2026-11-20"},
    )
    assert response.status_code == 403
    assert not Agreement.objects.exists()


def test_the_event_page_links_to_the_report_for_the_organiser(client, world):
    client.force_login(world["organiser"])
    assert url("report", world["event"]) in client.get(url("detail", world["event"])).content.decode()
    client.force_login(world["participant"])
    assert url("report", world["event"]) not in client.get(url("detail", world["event"])).content.decode()


# --- The page ----------------------------------------------------------------------------------------------------


def test_the_report_shows_the_figures_and_records_an_agreement(client, world):
    client.force_login(world["organiser"])
    page = client.get(url("report", world["event"]))
    assert page.context["report"] == outcomes.event_report(event=world["event"])
    assert [value for _, value in page.context["figures"]] == [4, 2, 1, 1, 1, 1, 0, Decimal("0")]
    assert "No agreements recorded yet." in page.content.decode()
    assert "草稿成果" not in page.content.decode()  # only published achievements are choices

    response = client.post(
        url("report", world["event"]),
        {"achievement": world["achievement"].pk, "need": world["need"].pk, "mode": "license",
         "amount_wan": "80.5", "signed_on": "2026-11-20", "note": "现场签约"},
    )  # fmt: skip
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert (agreement.achievement, agreement.need, agreement.amount_wan, agreement.recorded_by) == (
        world["achievement"], world["need"], Decimal("80.50"), world["organiser"],
    )  # fmt: skip
    assert agreement.event_outcome.event == world["event"]
    page = client.get(url("report", world["event"]))
    text = page.content.decode()
    assert "is recorded" in text and "低成本负极材料" in text and "现场签约" in text and "2026-11-20" in text
    assert [value for _, value in page.context["figures"]][-2:] == [1, Decimal("80.50")]


def test_recording_errors_are_shown_on_the_form(client, world):
    client.force_login(world["organiser"])
    target = url("report", world["event"])
    response = client.post(
        target, {"achievement": world["achievement"].pk, "mode": "license", "signed_on": "2026-11-20",
                 "amount_wan": "-1"},
    )  # fmt: skip
    assert response.status_code == 400 and "amount_wan" in response.context["form"].errors
    response = client.post(target, {"achievement": world["unpublished"].pk, "mode": "license",
                                    "signed_on": "2026-11-20"})  # fmt: skip
    assert response.status_code == 400 and "achievement" in response.context["form"].errors
    response = client.post(target, {"achievement": world["achievement"].pk, "mode": "gift", "signed_on": "2026-11-20"})
    assert response.status_code == 400 and "mode" in response.context["form"].errors
    assert not Agreement.objects.exists()


# --- Exports -----------------------------------------------------------------------------------------------------


def test_the_csv_report_parses_back(client, world):
    record(world)
    record(world, amount=None, need=False, note="")
    client.force_login(world["organiser"])
    response = client.get(url("report-export", world["event"], fmt="csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="event-{world["event"].pk}-report.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Figure", "Value"]
    assert rows[1:9] == [[label, value] for label, value in zip(
        FIGURES, ["4", "2", "1", "1", "1", "1", "2", "80.00"], strict=True
    )]  # fmt: skip
    assert rows[9] == []
    assert rows[10] == AGREEMENT_HEADER
    title = "'=钠离子电池硬碳负极"  # kept as text, not a formula
    assert sorted(rows[11:]) == sorted([
        ["2026-11-20", title, "某大学", "低成本负极材料", "某企业", "licence", "80.00", "现场签约"],
        ["2026-11-20", title, "某大学", "", "", "licence", "", ""],
    ])  # fmt: skip


def test_the_xlsx_report_parses_back(client, world):
    record(world)
    client.force_login(world["staff"])
    response = client.get(url("report-export", world["event"], fmt="xlsx"))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Report", "Agreements"]
    figures = [list(row) for row in workbook["Report"].iter_rows(values_only=True)]
    assert figures[0] == ["Figure", "Value"]
    assert figures[1:] == [[label, value] for label, value in zip(FIGURES, [4, 2, 1, 1, 1, 1, 1, 80], strict=True)]
    agreements = [list(row) for row in workbook["Agreements"].iter_rows(values_only=True)]
    assert agreements[0] == AGREEMENT_HEADER
    assert agreements[1] == [
        datetime.datetime(2026, 11, 20),  # noqa: DTZ001 (spreadsheets hold naive dates)
        "=钠离子电池硬碳负极", "某大学", "低成本负极材料", "某企业", "licence", 80,  # a text cell, as typed
        "现场签约",
    ]  # fmt: skip
    assert workbook.properties.title == world["event"].title


# --- The API -----------------------------------------------------------------------------------------------------


def event_api(name, event):
    return reverse(f"api:event-{name}", kwargs={"pk": event.pk})


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 403), ("organiser", 200), ("participant", 403), ("outsider", 403), ("staff", 200)],
)
def test_api_report_is_for_the_organiser_and_staff(world, who, status):
    record(world)
    response = api(world, who).get(event_api("report", world["event"]))
    assert response.status_code == status
    if status == 200:
        data = response.json()
        assert data["figures"] == {
            "registrations": 4, "confirmed": 2, "waiting": 1, "cancelled": 1, "attended": 1, "meetings_held": 1,
            "agreements": 1, "agreements_total_wan": "80.00",
        }  # fmt: skip
        assert data["agreements"][0]["achievement"]["title"] == "=钠离子电池硬碳负极"
        assert data["agreements"][0]["need"]["organization"]["name"] == "某企业"
        assert data["agreements"][0]["mode"] == "license"


def test_api_report_of_a_draft_is_hidden(world):
    assert api(world, "participant").get(event_api("report", world["draft"])).status_code == 404
    assert api(world, "organiser").get(event_api("report", world["draft"])).status_code == 200


def test_api_records_agreements(world):
    body = {"achievement": world["achievement"].pk, "mode": "co_development", "signed_on": "2026-11-21",
            "amount_wan": "120"}  # fmt: skip
    assert api(world, "participant").post(event_api("agreements", world["event"]), body).status_code == 403
    assert api(world, "anonymous").post(event_api("agreements", world["event"]), body).status_code == 403
    assert api(world, "outsider").post(event_api("agreements", world["draft"]), body).status_code == 404
    response = api(world, "organiser").post(event_api("agreements", world["event"]), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["need"] is None and response.json()["amount_wan"] == "120.00"
    assert Agreement.objects.get().event_outcome.event == world["event"]
    bad = api(world, "organiser").post(event_api("agreements", world["event"]), {**body, "mode": "gift"})
    assert bad.status_code == 400 and "mode" in bad.json()
    unpublished = {**body, "achievement": world["unpublished"].pk}
    assert api(world, "organiser").post(event_api("agreements", world["event"]), unpublished).status_code == 400
    report = api(world, "staff").get(event_api("report", world["event"])).json()
    assert report["figures"]["agreements"] == 1 and report["figures"]["agreements_total_wan"] == "120.00"
