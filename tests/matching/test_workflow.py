import datetime
from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import Notification
from core.exceptions import ApplicationError, PermissionDenied
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services
from matching.models import Agreement, Match
from matching.runs import match_run_full
from matching.selectors import match_contact_visible, match_visible_to
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db


@pytest.fixture
def sides():
    university_member = MembershipFactory().user
    enterprise = OrganizationFactory(kind="enterprise")
    enterprise_member = MembershipFactory(organization=enterprise).user
    fit = achievement(university_member.organizations.get(), title="钠离子电池硬碳负极材料", summary="硬碳负极。",
                      domains=("battery_materials",))  # fmt: skip
    wanted = need(enterprise, title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
                  domains=("battery_materials",))  # fmt: skip
    for posting in (fit, wanted):
        posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)
    match_run_full()
    match = Match.objects.get(achievement=fit, need=wanted)
    return {"university": university_member, "enterprise": enterprise_member, "match": match,
            "outsider": MembershipFactory().user}  # fmt: skip


def test_the_whole_path_from_suggestion_to_deal(sides, staff_user, django_capture_on_commit_callbacks):
    match = sides["match"]
    assert match.status == Match.Status.SUGGESTED
    assert not match_visible_to(user=sides["enterprise"]).exists()  # suggestions stay with staff
    with django_capture_on_commit_callbacks(execute=True):
        match = services.match_approve(match=match, by=staff_user)
    assert match_visible_to(user=sides["enterprise"]).get() == match
    assert match_visible_to(user=sides["university"]).get() == match
    assert not match_visible_to(user=sides["outsider"]).exists()
    assert len(mail.outbox) == 2  # one e-mail to each side's members
    assert not match_contact_visible(user=sides["enterprise"], match=match)

    with django_capture_on_commit_callbacks(execute=True):
        match = services.match_accept(match=match, by=sides["enterprise"])
    assert (match.status, match.need_decision) == (Match.Status.APPROVED, Match.Decision.ACCEPTED)
    assert not match_contact_visible(user=sides["enterprise"], match=match)
    assert Notification.objects.filter(organization=match.achievement.organization).count() == 2

    match = services.match_accept(match=match, by=sides["university"])
    assert match.status == Match.Status.IN_CONTACT
    assert match.contact_revealed_at is not None
    assert match_contact_visible(user=sides["enterprise"], match=match)

    agreement = services.agreement_record(
        match=match, by=sides["enterprise"], mode="license", amount_wan=Decimal("120"),
        signed_on=datetime.date(2026, 11, 1),
    )  # fmt: skip
    match.refresh_from_db()
    assert match.status == Match.Status.DEAL
    assert (agreement.achievement, agreement.need) == (match.achievement, match.need)
    actions = list(match.events.values_list("action", "from_status", "to_status", "side"))
    assert actions == [
        ("approve", "suggested", "approved", "staff"),
        ("accept", "approved", "approved", "need"),
        ("accept", "approved", "in_contact", "achievement"),
        ("agreement", "in_contact", "deal", "need"),
    ]


def test_only_staff_review_and_rejection_needs_a_reason(sides, staff_user):
    with pytest.raises(PermissionDenied):
        services.match_approve(match=sides["match"], by=sides["enterprise"])
    with pytest.raises(ApplicationError) as error:
        services.match_reject(match=sides["match"], by=staff_user, reason=" ")
    assert error.value.field == "reason"
    rejected = services.match_reject(match=sides["match"], by=staff_user, reason="技术路线不符")
    assert (rejected.status, rejected.review_reason) == (Match.Status.REJECTED, "技术路线不符")
    assert not match_visible_to(user=sides["enterprise"]).exists()


def test_decline_keeps_the_reason_and_tells_the_other_side(sides, staff_user):
    match = services.match_approve(match=sides["match"], by=staff_user)
    with pytest.raises(ApplicationError):
        services.match_decline(match=match, by=sides["university"], reason="")
    match = services.match_decline(match=match, by=sides["university"], reason="预算太低")
    assert (match.status, match.achievement_decision, match.decline_reason) == ("declined", "declined", "预算太低")
    assert Notification.objects.filter(organization=match.need.organization, body="预算太低").exists()
    with pytest.raises(ApplicationError):
        services.match_accept(match=match, by=sides["enterprise"])


def test_outsiders_cannot_act_and_unapproved_matches_cannot_be_answered(sides, staff_user):
    with pytest.raises(ApplicationError):
        services.match_accept(match=sides["match"], by=sides["enterprise"])  # still a suggestion
    match = services.match_approve(match=sides["match"], by=staff_user)
    with pytest.raises(PermissionDenied):
        services.match_accept(match=match, by=sides["outsider"])
    with pytest.raises(ApplicationError, match="once both sides"):
        services.agreement_record(match=match, by=sides["enterprise"], mode="license",
                                  signed_on=datetime.date(2026, 1, 1))  # fmt: skip
    assert not Agreement.objects.exists()


def test_rebuild_never_resets_a_match_someone_acted_on(sides, staff_user):
    match = services.match_approve(match=sides["match"], by=staff_user)
    services.match_accept(match=match, by=sides["enterprise"])
    match_run_full()
    match.refresh_from_db()
    assert (match.status, match.need_decision) == (Match.Status.APPROVED, Match.Decision.ACCEPTED)
    assert Match.objects.filter(achievement=match.achievement, need=match.need).count() == 1


def test_no_export_carries_the_other_sides_contact(sides, staff_user, client):
    import io

    from django.core.management import call_command
    from django.urls import reverse

    match = services.match_approve(match=sides["match"], by=staff_user)
    services.match_accept(match=match, by=sides["enterprise"])
    out = io.StringIO()
    call_command("export_matches", stdout=out)
    assert "zhang@secret.example.cn" not in out.getvalue()  # the achievement's contact (tests/factories.py)
    client.force_login(sides["enterprise"])
    own_export = client.get(reverse("marketplace:export", kwargs={"kind": "achievements", "fmt": "csv"}))
    assert "zhang@secret.example.cn" not in own_export.content.decode("utf-8-sig")
    assert client.get(reverse("admin:matching_match_changelist")).status_code == 302
