import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.validators import credit_code_check_character, validate_credit_code
from reference.models import City, Province
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_email_is_stored_lower_case_and_unique_whatever_the_case():
    user = User.objects.create_user(email="Zhang.Wei@Example.CN", password="x-Strong-2026")
    assert user.email == "zhang.wei@example.cn"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ZHANG.WEI@example.cn")
    assert User.objects.get_by_natural_key("ZHANG.wei@EXAMPLE.cn") == user


def test_superuser_is_staff():
    admin = User.objects.create_superuser(email="root@example.cn", password="x")
    assert admin.is_staff and admin.is_superuser
    with pytest.raises(ValueError, match="is_staff"):
        User.objects.create_superuser(email="half@example.cn", password="x", is_staff=False)


def test_organization_names_are_unique_ignoring_case():
    OrganizationFactory(name="Zhejiang University")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationFactory(name="ZHEJIANG university")


@pytest.mark.parametrize(
    "code", ["91330100716105852F", "9144030071526726XG", "91110000802100433B", "91440300708461136T"]
)
def test_real_credit_codes_pass(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91330100716105852E", "check digit"),
        ("9133010071610585", "18 characters"),
        ("91330100716I05852F", "never uses: I"),
        ("91ABCDEF716105852F", "administrative division"),
    ],
)
def test_bad_credit_codes_are_refused_with_a_reason(code, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_credit_code(code)


def test_credit_code_unique_when_given_and_format_enforced_by_the_database():
    OrganizationFactory(credit_code="", name="A")
    OrganizationFactory(credit_code="", name="B")  # blank codes do not collide
    OrganizationFactory(credit_code="91330100716105852F", name="C")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationFactory(credit_code="91330100716105852F", name="D")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationFactory(credit_code="not-a-code", name="E")


def test_check_character_matches_the_standard():
    assert credit_code_check_character("91330100716105852") == "F"


def test_organization_city_must_lie_in_its_province():
    organization = OrganizationFactory.build(
        province=Province.objects.get(pk="320000"), city=City.objects.get(pk="340100")
    )
    with pytest.raises(ValidationError) as error:
        organization.full_clean()
    assert "city" in error.value.message_dict


def test_verified_organization_needs_a_date():
    organization = OrganizationFactory()
    organization.verified = True
    with pytest.raises(IntegrityError), transaction.atomic():
        organization.save()
    organization.verified_at = timezone.now()
    organization.save()


def test_one_membership_per_user_and_organization():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=membership.user, organization=membership.organization)
    other = OrganizationFactory()
    Membership.objects.create(user=membership.user, organization=other, role=Membership.Role.MEMBER)
    assert set(membership.user.organizations.all()) == {membership.organization, other}


def test_location_label():
    assert OrganizationFactory().location_label == "安徽省合肥市"
    shanghai = OrganizationFactory(province=Province.objects.get(pk="310000"), city=City.objects.get(pk="310100"))
    assert shanghai.location_label == "上海市"
    assert str(UserFactory(full_name="")).endswith("@example.cn")
    assert Organization.Kind.ORGANISER.label == "organiser"
