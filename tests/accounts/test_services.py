import pytest
from knox.models import AuthToken

from accounts import services
from accounts.models import Membership, Organization, User
from core.exceptions import ApplicationError, PermissionDenied
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "email": "Li.Ming@HFUT.edu.cn",
    "password": "Hefei-2026-strong",
    "full_name": "李明",
    "organization_name": "合肥工业大学",
    "organization_kind": Organization.Kind.UNIVERSITY,
    "location": "安徽省合肥市",
    "site": "https://techmatch.example.cn",
}


def test_sign_up_creates_user_unverified_organization_and_owner_membership():
    user = services.user_sign_up(**SIGN_UP, credit_code=" 91330100716105852f ")
    assert user.email == "li.ming@hfut.edu.cn"
    assert user.check_password("Hefei-2026-strong")
    assert (user.is_active, user.email_verified_at) == (False, None)  # until the e-mailed link is opened
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    organization = membership.organization
    assert (organization.name, organization.province_id, organization.city_id) == ("合肥工业大学", "340000", "340100")
    assert organization.credit_code == "91330100716105852F"
    assert organization.verified is False


@pytest.mark.parametrize(
    ("location", "province", "city"),
    [("Hefei", "340000", "340100"), ("上海", "310000", "310100"), ("Anhui", "340000", None)],
)
def test_sign_up_resolves_the_typed_location(location, province, city):
    user = services.user_sign_up(**{**SIGN_UP, "location": location})
    organization = user.organizations.get()
    assert (organization.province_id, organization.city_id) == (province, city)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"location": "Atlantis"}, "location", "Atlantis"),
        ({"password": "123"}, "password", "too short"),
        ({"credit_code": "91330100716105852E"}, "credit_code", "check digit"),
        ({"organization_kind": "guild"}, "organization_kind", "not a valid choice"),
    ],
)
def test_sign_up_refuses_bad_input_naming_the_field_and_writes_nothing(change, field, message):
    with pytest.raises(ApplicationError, match=message) as error:
        services.user_sign_up(**{**SIGN_UP, **change})
    assert error.value.field == field
    assert not User.objects.exists()
    assert not Organization.objects.exists()


def test_sign_up_with_a_taken_email_creates_nothing_and_refuses_a_taken_organization_name():
    UserFactory(email="li.ming@hfut.edu.cn")
    assert services.user_sign_up(**SIGN_UP) is None  # no error: the page says the same as for a new address
    assert User.objects.count() == 1 and not Organization.objects.exists()
    OrganizationFactory(name="合肥工业大学")
    with pytest.raises(ApplicationError) as error:
        services.user_sign_up(**{**SIGN_UP, "email": "other@hfut.edu.cn"})
    assert error.value.field == "organization_name"


def test_only_staff_verify_organizations(staff_user, user):
    organization = OrganizationFactory()
    with pytest.raises(PermissionDenied):
        services.organization_set_verified(organization=organization, verified=True, by=user)
    verified = services.organization_set_verified(organization=organization, verified=True, by=staff_user)
    assert verified.verified and verified.verified_at and verified.verified_by == staff_user
    withdrawn = services.organization_set_verified(organization=organization, verified=False, by=staff_user)
    assert not withdrawn.verified and withdrawn.verified_at is None


def test_owners_add_members_and_members_may_not(member, organization):
    newcomer = UserFactory()
    membership = services.membership_add(
        organization=organization, email=newcomer.email.upper(), role=Membership.Role.MEMBER, by=member
    )
    assert membership.user == newcomer
    with pytest.raises(PermissionDenied):
        services.membership_add(organization=organization, email=member.email, role="member", by=newcomer)
    with pytest.raises(ApplicationError, match="sign up first"):
        services.membership_add(organization=organization, email="nobody@x.cn", role="member", by=member)


def test_token_regeneration_replaces_the_old_token(user):
    _, first = services.api_token_regenerate(user=user)
    second_record, second = services.api_token_regenerate(user=user)
    assert first != second
    assert list(AuthToken.objects.filter(user=user)) == [second_record]  # the first one was revoked
