"""Appointing, changing and revoking brokers, and what a broker may see and do on matches."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Notification
from brokers import services
from brokers.models import BrokerAppointment
from conversations.services import match_thread_open
from core.exceptions import ApplicationError, PermissionDenied
from core.models import AuditEvent
from matching import services as match_services
from matching.models import Match, MatchEvent
from matching.selectors import match_visible_to
from tests.factories import MembershipFactory, OrganizationFactory

from .conftest import fresh

pytestmark = pytest.mark.django_db


def test_an_appointment_is_told_to_the_broker_and_audited(world):
    appointment = world["appointment"]
    assert appointment.agency.name == "长三角技术经纪服务中心" and appointment.active
    assert list(appointment.achievements.all()) == [world["granted"]]
    told = Notification.objects.get(user=world["broker"])
    assert told.organization == appointment.agency and "合肥工业大学技术转移中心" in told.subject_text
    audit = AuditEvent.objects.get(kind="broker")
    assert audit.actor == world["owner"] and audit.organization_name == "合肥工业大学技术转移中心"
    assert audit.detail["action"] == "appoint" and audit.detail["achievements"] == [world["granted"].pk]


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("plain member", None),
        ("not an agency", "broker"),
        ("own member", "broker"),
        ("unknown e-mail", "broker"),
        ("foreign listing", "needs"),
        ("no listing", "achievements"),
        ("twice", "broker"),
    ],
)
def test_refused_appointments_change_nothing(world, case, field):
    owner, university = world["owner"], world["university"]
    kwargs = {"organization": university, "by": owner, "broker_email": world["outsider"].email,
              "achievement_ids": [world["other"].pk]}  # fmt: skip
    if case == "plain member":
        kwargs["by"] = world["member"]
    elif case == "not an agency":
        kwargs["broker_email"] = world["enterprise"].email
    elif case == "own member":
        kwargs["broker_email"] = world["member"].email
    elif case == "unknown e-mail":
        kwargs["broker_email"] = "nobody@example.cn"
    elif case == "foreign listing":
        kwargs["need_ids"] = [world["need"].pk]
    elif case == "no listing":
        kwargs["achievement_ids"] = []
    elif case == "twice":
        kwargs["broker_email"] = world["broker"].email.upper()
    before = (BrokerAppointment.objects.count(), AuditEvent.objects.count(), Notification.objects.count())
    with pytest.raises(ApplicationError) as raised:
        services.broker_appoint(**kwargs)
    if field is None:
        assert isinstance(raised.value, PermissionDenied)
    else:
        assert raised.value.field == field
    if case == "foreign listing":
        assert str(world["need"].pk) in raised.value.message
    assert (BrokerAppointment.objects.count(), AuditEvent.objects.count(), Notification.objects.count()) == before


def test_the_broker_sees_the_granted_listings_released_matches_only(world, staff_user):
    broker = fresh(world["broker"])
    assert list(match_visible_to(user=broker)) == [world["match"]]
    assert match_services.match_side(user=broker, match=world["match"]) == "achievement"
    assert match_services.match_side(user=broker, match=world["other_match"]) is None
    # A suggestion not yet released stays with staff, for brokers as for members.
    Match.objects.filter(pk=world["match"].pk).update(status=Match.Status.SUGGESTED, reviewed_at=None)
    assert not match_visible_to(user=fresh(world["broker"])).exists()
    assert not match_visible_to(user=fresh(world["outsider"])).exists()


def test_a_broker_accepts_for_the_organisation_recorded_as_theirs(world):
    broker, match = fresh(world["broker"]), world["match"]
    match = match_services.match_accept(match=match, by=broker)
    assert match.achievement_decision == Match.Decision.ACCEPTED
    event = MatchEvent.objects.filter(match=match, action="accept").get()
    assert event.by == world["broker"] and event.by_broker and event.side == "achievement"
    audit = AuditEvent.objects.filter(kind="transition", target_id=str(match.pk)).latest("pk")
    assert audit.actor == world["broker"] and audit.organization_name == "合肥工业大学技术转移中心"
    assert audit.detail["broker"] is True
    # A member's own act is not marked as a broker's.
    match = match_services.match_accept(match=match, by=fresh(world["enterprise"]))
    assert match.status == Match.Status.IN_CONTACT
    assert not MatchEvent.objects.filter(match=match, by=world["enterprise"]).get().by_broker


def test_a_broker_acting_beyond_the_listings_granted_is_refused_and_nothing_changes(world):
    other = world["other_match"]
    before = (other.achievement_decision, MatchEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(PermissionDenied):
        match_services.match_accept(match=other, by=fresh(world["broker"]))
    with pytest.raises(PermissionDenied):
        match_services.match_decline(match=other, by=fresh(world["broker"]), reason="不合适")
    other.refresh_from_db()
    assert (other.achievement_decision, MatchEvent.objects.count(), AuditEvent.objects.count()) == before


def test_revoking_ends_what_the_broker_sees_and_does(world):
    appointment, broker = world["appointment"], world["broker"]
    services.broker_revoke(appointment=appointment, by=world["owner"], reason="项目结束")
    appointment.refresh_from_db()
    assert not appointment.active and appointment.revoked_by == world["owner"]
    assert not match_visible_to(user=fresh(broker)).exists()
    with pytest.raises(PermissionDenied):
        match_services.match_accept(match=world["match"], by=fresh(broker))
    with pytest.raises(ApplicationError, match="revoked already"):
        services.broker_revoke(appointment=appointment, by=world["owner"])
    assert Notification.objects.filter(user=broker).count() == 2  # appointed, then revoked
    # The organisation may appoint them again: one standing appointment at a time.
    again = services.broker_appoint(organization=world["university"], by=world["owner"], broker_email=broker.email,
                                    achievement_ids=[world["other"].pk])  # fmt: skip
    assert list(match_visible_to(user=fresh(broker))) == [world["other_match"]]
    assert again.pk != appointment.pk


def test_only_owners_revoke_and_the_broker_may_step_down(world):
    appointment = world["appointment"]
    for someone in (world["member"], world["outsider"], world["enterprise"]):
        with pytest.raises(PermissionDenied):
            services.broker_revoke(appointment=appointment, by=someone)
    services.broker_revoke(appointment=appointment, by=world["broker"], reason="工作调整")
    told = Notification.objects.filter(organization=world["university"]).latest("pk")
    assert "长三角技术经纪服务中心" in told.subject_text and told.body_text == "工作调整"
    assert AuditEvent.objects.filter(kind="broker").latest("pk").detail["action"] == "step_down"


def test_changing_the_listings_moves_what_the_broker_sees(world):
    appointment = world["appointment"]
    services.broker_set_listings(appointment=appointment, by=world["owner"], achievement_ids=[world["other"].pk])
    assert list(match_visible_to(user=fresh(world["broker"]))) == [world["other_match"]]
    with pytest.raises(ApplicationError) as raised:
        services.broker_set_listings(appointment=appointment, by=world["owner"], need_ids=[world["need"].pk])
    assert raised.value.field == "needs"
    with pytest.raises(PermissionDenied):
        services.broker_set_listings(appointment=appointment, by=world["member"], achievement_ids=[world["granted"].pk])
    assert list(appointment.achievements.all()) == [world["other"]]


def test_a_broker_does_not_open_the_organisations_conversation(world):
    match = match_services.match_accept(match=world["match"], by=fresh(world["enterprise"]))
    match = match_services.match_accept(match=match, by=fresh(world["broker"]))
    assert match.status == Match.Status.IN_CONTACT
    with pytest.raises(PermissionDenied):
        match_thread_open(match=match, by=fresh(world["broker"]))


def test_a_broker_records_the_agreement_for_the_organisation(world):
    match = match_services.match_accept(match=world["match"], by=fresh(world["enterprise"]))
    match = match_services.match_accept(match=match, by=fresh(world["broker"]))
    agreement = match_services.agreement_record(match=match, by=fresh(world["broker"]), mode="license",
                                                signed_on=timezone.localdate())  # fmt: skip
    assert agreement.recorded_by == world["broker"]
    assert MatchEvent.objects.get(match=match, action="agreement").by_broker


def test_a_service_agency_does_not_appoint_brokers(world):
    agency = world["broker"].organizations.get()
    other_agent = MembershipFactory(organization=OrganizationFactory(kind="service_agency")).user
    with pytest.raises(ApplicationError) as raised:
        services.broker_appoint(organization=agency, by=world["broker"], broker_email=other_agent.email,
                                achievement_ids=[1])  # fmt: skip
    assert raised.value.field == "organization"


def test_the_demo_broker_is_appointed_once_for_the_most_matched_achievements(world):
    from brokers.demo import load_demo_broker

    newcomer = MembershipFactory(organization=OrganizationFactory(kind="service_agency", name="演示经纪机构")).user
    appointment = load_demo_broker(organization=world["university"], by=world["owner"], broker=newcomer)
    assert set(appointment.achievements.all()) == {world["granted"], world["other"]}  # both have a released match
    assert load_demo_broker(organization=world["university"], by=world["owner"], broker=newcomer) is None
    assert BrokerAppointment.objects.filter(broker=newcomer).count() == 1


def test_the_organisation_is_told_what_its_broker_did(world):
    match_services.match_decline(match=world["match"], by=fresh(world["broker"]), reason="技术路线不符")
    told = Notification.objects.filter(organization=world["university"]).latest("pk")
    assert told.subject_text.startswith("Your broker declined") and "高性能钠离子电池硬碳负极材料" in told.subject_text
    assert world["broker"].get_short_name() in told.body_text
