"""An owner sets the organisation's contact on "my organisation" (the fallback of postings that name none); a
member who is not an owner, or another organisation's user, cannot."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Membership
from core.exceptions import ApplicationError, PermissionDenied
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

CONTACT = {"contact_name": "技术转移中心 王老师", "contact_phone": "0571-87950000", "contact_email": "TTC@zju.edu.cn"}


def test_an_owner_saves_the_contact_from_my_organisation(client):
    owner = MembershipFactory(role=Membership.Role.OWNER).user
    organization = owner.organizations.get()
    client.force_login(owner)
    page = client.get(reverse("marketplace:my-organization")).content.decode()
    assert reverse("accounts:organization-contact", kwargs={"pk": organization.pk}) in page
    response = client.post(reverse("accounts:organization-contact", kwargs={"pk": organization.pk}), CONTACT)
    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.contact_name, organization.contact_phone, organization.contact_email) == (
        "技术转移中心 王老师", "0571-87950000", "ttc@zju.edu.cn",
    )  # fmt: skip


def test_a_bad_address_is_refused_naming_the_field_and_nothing_changes(client):
    owner = MembershipFactory(role=Membership.Role.OWNER).user
    organization = owner.organizations.get()
    client.force_login(owner)
    url = reverse("accounts:organization-contact", kwargs={"pk": organization.pk})
    response = client.post(url, {**CONTACT, "contact_email": "not-an-address"}, follow=True)
    assert "contact e-mail" in response.content.decode().lower()
    organization.refresh_from_db()
    assert organization.contact_email == ""


def test_a_member_who_is_not_an_owner_and_outsiders_cannot(client):
    organization = OrganizationFactory()
    member = MembershipFactory(organization=organization, role=Membership.Role.MEMBER).user
    with pytest.raises(PermissionDenied):
        services.organization_contact_update(organization=organization, by=member, **CONTACT)
    client.force_login(member)
    assert "organization-contact" not in client.get(reverse("marketplace:my-organization")).content.decode()
    outsider = MembershipFactory().user
    client.force_login(outsider)
    response = client.post(reverse("accounts:organization-contact", kwargs={"pk": organization.pk}), CONTACT)
    assert response.status_code == 404
    organization.refresh_from_db()
    assert organization.contact_name == ""


def test_the_service_checks_the_fields():
    owner = MembershipFactory(role=Membership.Role.OWNER).user
    with pytest.raises(ApplicationError) as error:
        services.organization_contact_update(
            organization=owner.organizations.get(), by=owner, **{**CONTACT, "contact_phone": "1" * 60}
        )
    assert error.value.field == "contact_phone"
