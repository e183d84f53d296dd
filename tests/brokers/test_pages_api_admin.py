"""The brokers' pages, API and admin: each role sees its own, writes go through the services, errors name the
field and change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from brokers.models import BrokerAppointment
from core.models import AuditEvent
from matching.models import Match, MatchEvent

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_the_owner_appoints_on_the_page_and_a_bad_e_mail_is_named(client, world):
    login(client, world["owner"])
    page = client.get(reverse("brokers:appoint")).content.decode()
    assert "协作机器人一体化关节模组" in page and "低成本硬碳负极材料" not in page  # only their own listings
    response = client.post(reverse("brokers:appoint"), {"broker_email": world["enterprise"].email,
                                                        "achievements": [world["other"].pk]})  # fmt: skip
    assert response.status_code == 200 and "is not a member of a service agency" in response.content.decode()
    assert BrokerAppointment.objects.count() == 1
    response = client.post(reverse("brokers:appoint"), {"broker_email": world["outsider"].email,
                                                        "achievements": [world["other"].pk]})  # fmt: skip
    assert response.status_code == 302
    assert BrokerAppointment.objects.get(broker=world["outsider"]).organization == world["university"]


def test_a_plain_member_and_a_broker_cannot_appoint(client, world):
    for user in (world["member"], world["broker"]):
        assert login(client, user).get(reverse("brokers:appoint")).status_code == 403


def test_the_index_shows_each_side_its_appointments(client, world):
    owner_page = login(client, world["owner"]).get(reverse("brokers:index")).content.decode()
    assert "长三角技术经纪服务中心" in owner_page and "高性能钠离子电池硬碳负极材料" in owner_page
    broker_page = login(client, world["broker"]).get(reverse("brokers:index")).content.decode()
    assert "合肥工业大学技术转移中心" in broker_page
    outsider_page = login(client, world["outsider"]).get(reverse("brokers:index")).content.decode()
    assert "合肥工业大学技术转移中心" not in outsider_page
    url = reverse("brokers:detail", args=[world["appointment"].pk])
    assert login(client, world["outsider"]).get(url).status_code == 404
    assert login(client, world["enterprise"]).get(url).status_code == 404


def test_the_owner_changes_listings_and_revokes_on_the_page(client, world):
    appointment = world["appointment"]
    url = reverse("brokers:detail", args=[appointment.pk])
    login(client, world["owner"])
    response = client.post(url, {"achievements": [world["granted"].pk, world["other"].pk]})
    assert response.status_code == 302
    assert set(appointment.achievements.all()) == {world["granted"], world["other"]}
    assert login(client, world["member"]).post(url, {"achievements": []}).status_code == 403
    login(client, world["owner"]).post(reverse("brokers:revoke", args=[appointment.pk]), {"reason": "合同到期"})
    appointment.refresh_from_db()
    assert not appointment.active and appointment.revoke_reason == "合同到期"


def test_the_broker_answers_on_the_match_page_and_it_shows_as_theirs(client, world):
    login(client, world["broker"])
    listed = client.get(reverse("matching:list")).content.decode()
    assert "高性能钠离子电池硬碳负极材料" in listed and "协作机器人一体化关节模组" not in listed
    page = client.get(reverse("matching:detail", args=[world["match"].pk])).content.decode()
    assert "as the broker of 合肥工业大学技术转移中心" in page
    assert client.post(reverse("matching:accept", args=[world["match"].pk])).status_code == 302
    assert MatchEvent.objects.get(match=world["match"], action="accept").by_broker
    assert client.get(reverse("matching:detail", args=[world["other_match"].pk])).status_code == 404
    assert client.post(reverse("matching:accept", args=[world["other_match"].pk])).status_code == 404
    assert Match.objects.get(pk=world["other_match"].pk).achievement_decision == Match.Decision.PENDING


def test_after_revoking_the_broker_s_match_list_is_empty_at_once(client, world, django_capture_on_commit_callbacks):
    from brokers import services

    login(client, world["broker"])
    assert "高性能钠离子电池硬碳负极材料" in client.get(reverse("matching:list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # what is kept of the list is built again on commit
        services.broker_revoke(appointment=world["appointment"], by=world["owner"])
    assert "高性能钠离子电池硬碳负极材料" not in client.get(reverse("matching:list")).content.decode()
    assert client.get(reverse("matching:detail", args=[world["match"].pk])).status_code == 404


def test_api_lists_creates_changes_and_revokes(api_client, world):
    api_client.force_authenticate(world["owner"])
    listed = api_client.get("/api/v1/broker-appointments/").json()
    assert [row["broker"]["email"] for row in listed["results"]] == [world["broker"].email]
    asked = {"organization": world["university"].pk, "broker_email": world["outsider"].email}
    bad = api_client.post("/api/v1/broker-appointments/", {**asked, "needs": [world["need"].pk]}, format="json")
    assert bad.status_code == 400 and "needs" in str(bad.json())
    assert BrokerAppointment.objects.count() == 1
    url = "/api/v1/broker-appointments/"
    made = api_client.post(url, {**asked, "achievements": [world["other"].pk]}, format="json")
    assert made.status_code == 201 and made.json()["achievements"][0]["id"] == world["other"].pk
    pk = made.json()["id"]
    changed = api_client.patch(f"/api/v1/broker-appointments/{pk}/", {"achievements": [world["granted"].pk]},
                               format="json")  # fmt: skip
    assert changed.status_code == 200 and [a["id"] for a in changed.json()["achievements"]] == [world["granted"].pk]
    revoked = api_client.post(f"/api/v1/broker-appointments/{pk}/revoke/", {"reason": "测试"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["active"] is False


def test_api_refuses_others(api_client, world):
    pk = world["appointment"].pk
    api_client.force_authenticate(world["member"])
    denied = api_client.post("/api/v1/broker-appointments/", {"organization": world["university"].pk,
                             "broker_email": world["outsider"].email, "achievements": [world["other"].pk]},
                             format="json")  # fmt: skip
    assert denied.status_code == 403
    assert api_client.post(f"/api/v1/broker-appointments/{pk}/revoke/", {}, format="json").status_code == 403
    api_client.force_authenticate(world["outsider"])
    assert api_client.get(f"/api/v1/broker-appointments/{pk}/").status_code == 404
    assert api_client.get("/api/v1/broker-appointments/").json()["count"] == 0
    assert BrokerAppointment.objects.get(pk=pk).active


def test_api_the_broker_sees_the_match_and_acts(api_client, world):
    api_client.force_authenticate(world["broker"])
    listed = api_client.get("/api/v1/matches/").json()
    assert [row["id"] for row in listed["results"]] == [world["match"].pk]
    assert listed["results"][0]["my_side"] == "achievement"
    row = listed["results"][0]
    assert "counterpart_contact" not in row and "contacts" not in row  # nobody's contact before both sides accept
    assert "secret.example.cn" not in str(listed)


def test_admin_revokes_through_the_service(client, world, staff_user):
    login(client, staff_user)
    assert client.get(reverse("admin:brokers_brokerappointment_add")).status_code == 403
    assert client.get(reverse("admin:brokers_brokerappointment_changelist")).status_code == 200
    response = client.post(reverse("admin:brokers_brokerappointment_changelist"),
                           {"action": "revoke_selected", "_selected_action": [world["appointment"].pk]})  # fmt: skip
    assert response.status_code == 302
    world["appointment"].refresh_from_db()
    assert not world["appointment"].active and world["appointment"].revoked_by == staff_user
    assert AuditEvent.objects.filter(kind="broker").latest("pk").detail["action"] == "revoke"


def test_the_broker_s_home_lists_the_matches_waiting_for_their_answer(client, world):
    page = login(client, world["broker"]).get(reverse("dashboard:home")).content.decode()
    assert "高性能钠离子电池硬碳负极材料" in page and "协作机器人一体化关节模组" not in page


def test_the_history_reads_in_the_reader_s_language_without_the_platform_s_english_notes(client, world):
    from matching.models import MatchEvent

    MatchEvent.objects.create(match=world["match"], from_status="suggested", to_status="approved", side="system",
                              action="release", note="released by the rule: every pair")  # fmt: skip
    client.cookies["django_language"] = "zh-hans"
    page = login(client, world["owner"]).get(reverse("matching:detail", args=[world["match"].pk])).content.decode()
    assert "released by the rule" not in page and "(system)" not in page
    assert "按平台规则推送" in page
