import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from core.exceptions import ApplicationError, PermissionDenied
from marketplace import services
from marketplace.models import Achievement, Need, PostingTransition, Status
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, achievement, need

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return MembershipFactory().user


def test_a_member_creates_a_draft_and_the_creation_is_recorded(owner):
    organization = owner.organizations.get()
    posting = achievement(organization, by=owner)
    assert posting.status == Status.DRAFT
    assert set(posting.domains.values_list("code", flat=True)) == {"ai"}
    assert "缺陷" in posting.search_document.split()
    (transition,) = posting.transitions.all()
    assert (transition.from_status, transition.to_status, transition.by) == ("", "draft", owner)


def test_outsiders_may_not_post_for_an_organization(owner):
    with pytest.raises(PermissionDenied):
        achievement(OrganizationFactory(), by=owner)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"trl": 12}, "trl"),
        ({"price_min_wan": 100, "price_max_wan": 50}, "price_max_wan"),
        ({"modes": ["barter"]}, "modes"),
        ({"keywords": ["a"] * 9}, "keywords"),
        ({"title": ""}, "title"),
    ],
)
def test_invalid_fields_are_refused_naming_the_field(owner, fields, field):
    with pytest.raises(ApplicationError) as error:
        achievement(owner.organizations.get(), by=owner, **fields)
    assert error.value.field == field
    assert not Achievement.objects.exists()


def test_unknown_domain_code_is_refused(owner):
    with pytest.raises(ApplicationError, match="quantum_gravity") as error:
        achievement(owner.organizations.get(), by=owner, domains=("quantum_gravity",))
    assert error.value.field == "domains"
    assert not Achievement.objects.exists()


def test_database_holds_the_rules_even_without_the_service(owner):
    organization = owner.organizations.get()
    posting = achievement(organization, by=owner, external_ref="A-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Achievement.objects.filter(pk=posting.pk).update(trl=12)
    with pytest.raises(IntegrityError), transaction.atomic():
        Achievement.objects.filter(pk=posting.pk).update(price_min_wan=10, price_max_wan=5)
    with pytest.raises(ApplicationError) as error:
        achievement(organization, by=owner, external_ref="A-1")
    assert error.value.field == "external_ref"
    with pytest.raises(IntegrityError), transaction.atomic():
        Achievement.objects.create(
            organization=organization, external_ref="A-1", title="t", summary="s", province_id="340000"
        )
    achievement(OrganizationFactory(), external_ref="A-1")  # another organisation may use the same reference
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.filter(pk=need(organization).pk).update(min_trl=0)


@override_settings(MARKETPLACE_VERIFIED_AUTO_PUBLISH=True)
def test_submission_waits_for_moderation_then_staff_approve(owner, staff_user):
    posting = achievement(owner.organizations.get(), by=owner)
    posting = services.posting_submit(posting=posting, by=owner)
    assert posting.status == Status.SUBMITTED
    with pytest.raises(PermissionDenied):
        services.posting_approve(posting=posting, by=owner)
    posting = services.posting_approve(posting=posting, by=staff_user)
    assert posting.status == Status.PUBLISHED
    assert posting.published_at is not None
    moves = [(t.from_status, t.to_status, t.by) for t in PostingTransition.objects.filter(achievement=posting)]
    assert moves == [("", "draft", owner), ("draft", "submitted", owner), ("submitted", "published", staff_user)]


@pytest.mark.parametrize(("setting", "expected"), [(True, Status.PUBLISHED), (False, Status.SUBMITTED)])
def test_verified_organizations_publish_directly_when_the_setting_allows(setting, expected, owner):
    organization = owner.organizations.get()
    organization.verified, organization.verified_at = True, timezone.now()
    organization.save()
    with override_settings(MARKETPLACE_VERIFIED_AUTO_PUBLISH=setting):
        posting = services.posting_submit(posting=need(organization, by=owner), by=owner)
    assert posting.status == expected


def test_rejection_needs_a_reason_and_the_owner_can_resubmit(owner, staff_user):
    posting = services.posting_submit(posting=achievement(owner.organizations.get(), by=owner), by=owner)
    with pytest.raises(ApplicationError) as error:
        services.posting_reject(posting=posting, by=staff_user, reason="  ")
    assert error.value.field == "reason"
    posting = services.posting_reject(posting=posting, by=staff_user, reason="摘要含联系方式")
    assert (posting.status, posting.rejection_reason) == (Status.REJECTED, "摘要含联系方式")
    posting = services.posting_submit(posting=posting, by=owner)
    assert posting.status == Status.SUBMITTED


def test_illegal_moves_are_refused(owner, staff_user):
    posting = achievement(owner.organizations.get(), by=owner)
    with pytest.raises(ApplicationError, match="Only submitted"):
        services.posting_approve(posting=posting, by=staff_user)
    closed = services.posting_close(posting=posting, by=owner)
    with pytest.raises(ApplicationError, match="cannot become published"):
        services.posting_transition(posting=closed, to=Status.PUBLISHED, by=staff_user)
    with pytest.raises(PermissionDenied):
        services.posting_close(posting=closed, by=UserFactory())
    assert services.posting_reopen(posting=closed, by=owner).status == Status.DRAFT


def test_publish_hooks_run_after_commit(owner, staff_user, django_capture_on_commit_callbacks):
    seen = []
    hook = services.on_publish(seen.append)
    try:
        posting = services.posting_submit(posting=achievement(owner.organizations.get(), by=owner), by=owner)
        with django_capture_on_commit_callbacks(execute=True):
            services.posting_approve(posting=posting, by=staff_user)
    finally:
        services._on_publish.pop(services._name(hook))
    assert [p.pk for p in seen] == [posting.pk]


def test_publish_hooks_registered_again_replace_the_first(owner, staff_user, django_capture_on_commit_callbacks):
    """An app's ``ready`` run again (the registry repopulated, as ``override_settings(INSTALLED_APPS)`` does) must not
    run its hooks twice: a second registration of the same function replaces the first."""
    seen = []

    def make_hook():  # a closure, new each time, as the apps' ``ready`` defines them
        def hook(posting):  # type: ignore[no-untyped-def]
            seen.append(posting.pk)

        return hook

    first, second = services.on_publish(make_hook()), services.on_publish(make_hook())
    try:
        posting = services.posting_submit(posting=achievement(owner.organizations.get(), by=owner), by=owner)
        with django_capture_on_commit_callbacks(execute=True):
            services.posting_approve(posting=posting, by=staff_user)
    finally:
        services._on_publish.pop(services._name(second))
    assert first is not second and seen == [posting.pk]


def test_edits_are_reindexed_and_keep_domains(owner):
    posting = achievement(owner.organizations.get(), by=owner, domains=("robotics",))
    posting = services.posting_update(posting=posting, by=owner, title="固态电池电解质")
    assert "电解质" in posting.search_document.split()
    assert "robotics" in posting.search_document.split()
    with pytest.raises(PermissionDenied):
        services.posting_update(posting=posting, by=UserFactory(), title="x")
