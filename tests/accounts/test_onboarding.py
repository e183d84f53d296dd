"""First steps after sign-up (accounts/onboarding.py): verifying the address, and every login while the
organisation is incomplete, lands an owner on the page that completes it; the dashboard's checklist ticks as the
organisation is completed and its first posting (achievement, need or event, by its kind) is made, and goes once
all is done; both languages render it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import onboarding
from accounts.models import Membership, Organization
from events import services as event_services
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory, achievement, need

pytestmark = pytest.mark.django_db

HOME = reverse("dashboard:home")
PASSWORD = "Hefei-2026-strong"
PROFILE = {
    "description": "合肥工业大学技术转移中心，面向长三角企业转化智能制造与新材料成果。",
    "website": "https://www.hfut.edu.cn",
    "location": "合肥",
    "contact_name": "王芳",
    "contact_phone": "0551-62901234",
    "contact_email": "",
}


def welcome_url(organization: Organization) -> str:
    return f"{reverse('accounts:welcome')}?org={organization.pk}"


def steps(response) -> dict[str, bool]:
    found = re.findall(r'<li class="(done|todo)" data-step="(\w+)"', response.content.decode())
    return {key: state == "done" for state, key in found}


def test_sign_up_verify_and_login_land_on_the_first_step(client, committed):
    form = {
        "email": "chen@hfut.edu.cn", "full_name": "陈静", "password1": PASSWORD, "password2": PASSWORD,
        "organization_name": "合肥工业大学", "organization_kind": "university", "location": "安徽合肥",
    }  # fmt: skip
    committed(client.post, reverse("accounts:signup"), form)
    link = re.search(r"http://testserver(/accounts/verify/\S+/)", mail.outbox[0].body).group(1)
    organization = Organization.objects.get(name="合肥工业大学")

    verified = client.get(link, follow=True)
    assert verified.redirect_chain[-1][0] == welcome_url(organization)
    page = verified.content.decode()
    assert "Welcome: complete your organisation" in page and 'name="description"' in page
    assert "After that: Post your first achievement." in page

    client.logout()  # logging in again while the organisation is incomplete: the first step again
    response = client.post(reverse("accounts:login"), {"username": "chen@hfut.edu.cn", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == welcome_url(organization)

    saved = client.post(welcome_url(organization), PROFILE)
    assert saved.status_code == 302 and saved["Location"] == HOME
    organization.refresh_from_db()
    assert (organization.description, organization.contact_name, organization.city_id) == (
        PROFILE["description"], "王芳", "340100"
    )  # fmt: skip

    client.logout()  # complete: login lands home, where the checklist leads to the first posting
    response = client.post(reverse("accounts:login"), {"username": "chen@hfut.edu.cn", "password": PASSWORD})
    assert response["Location"] == HOME
    home = client.get(HOME)
    assert steps(home) == {"verified": True, "organization": True, "posting": False}
    assert f'href="{reverse("marketplace:create", kwargs={"kind": "achievements"})}"' in home.content.decode()


def test_a_login_with_a_next_page_goes_there(client):
    user = MembershipFactory().user
    response = client.post(
        f"{reverse('accounts:login')}?next=/events/", {"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == "/events/"


def test_the_checklist_ticks_and_disappears_when_done(client):
    membership = MembershipFactory()
    organization, user = membership.organization, membership.user
    client.force_login(user)
    assert steps(client.get(HOME)) == {"verified": True, "organization": False, "posting": False}
    assert welcome_url(organization) in client.get(HOME).content.decode()

    achievement(organization, by=user)  # a draft counts: the first posting is made
    assert steps(client.get(HOME)) == {"verified": True, "organization": False, "posting": True}

    assert client.post(welcome_url(organization), {**PROFILE, "contact_phone": "", "contact_email": "tt@hfut.cn"})
    page = client.get(HOME).content.decode()
    assert steps(client.get(HOME)) == {} and "dashboard-first-steps" not in page


def test_an_enterprise_posts_a_need_and_an_organiser_an_event(client):
    enterprise = MembershipFactory(organization=OrganizationFactory(kind=Organization.Kind.ENTERPRISE))
    client.force_login(enterprise.user)
    assert f'href="{reverse("marketplace:create", kwargs={"kind": "needs"})}"' in client.get(HOME).content.decode()
    achievement_only = steps(client.get(HOME))
    need(enterprise.organization, by=enterprise.user)
    assert (achievement_only["posting"], steps(client.get(HOME))["posting"]) == (False, True)

    organiser = MembershipFactory(organization=OrganizationFactory(kind=Organization.Kind.ORGANISER))
    client.force_login(organiser.user)
    assert f'href="{reverse("events:create")}"' in client.get(HOME).content.decode()
    starts = timezone.now() + datetime.timedelta(days=30)
    event_services.event_create(
        organizer=organiser.organization, by=organiser.user, kind="roadshow", title="长三角成果路演",
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=3), capacity=50, venue="合肥",
    )  # fmt: skip
    assert steps(client.get(HOME))["posting"] is True


def test_a_member_who_is_not_an_owner_is_not_sent_to_the_first_step(client):
    member = MembershipFactory(role=Membership.Role.MEMBER, user=UserFactory(language="en"))
    response = client.post(reverse("accounts:login"), {"username": member.user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == HOME
    assert onboarding.first_step_url(user=member.user) is None
    page = client.get(welcome_url(member.organization)).content.decode()
    assert 'name="description"' not in page and "An owner of the organisation completes it" in page
    assert client.post(welcome_url(member.organization), PROFILE).status_code == 200
    member.organization.refresh_from_db()
    assert member.organization.description == ""


def test_another_organisations_first_step_is_a_404(client):
    mine, other = MembershipFactory(), OrganizationFactory()
    client.force_login(mine.user)
    assert client.get(welcome_url(other)).status_code == 404
    assert client.post(welcome_url(other), PROFILE).status_code == 404
    other.refresh_from_db()
    assert other.description == ""


def test_the_first_step_takes_a_zone_or_a_pick_and_refuses_what_it_cannot_place(client):
    membership = MembershipFactory()
    organization = membership.organization
    client.force_login(membership.user)
    refused = client.post(welcome_url(organization), {**PROFILE, "location": "火星基地"})
    assert refused.status_code == 200 and list(refused.context["form"].errors) == ["location"]
    assert client.post(welcome_url(organization), {**PROFILE, "location": "苏州工业园区"})["Location"] == HOME
    organization.refresh_from_db()
    assert (organization.province_id, organization.city_id) == ("320000", "320500")
    client.post(welcome_url(organization), {**PROFILE, "location": "火星基地", "province": "330000", "city": "330100"})
    organization.refresh_from_db()
    assert organization.city_id == "330100"
    missing_contact = client.post(welcome_url(organization), {**PROFILE, "contact_phone": ""})
    assert list(missing_contact.context["form"].errors) == ["contact_phone"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_both_languages_render_the_first_step_and_the_checklist(client, language):
    user = UserFactory(language=language)
    membership = MembershipFactory(user=user)
    client.force_login(user)
    welcome = client.get(welcome_url(membership.organization), HTTP_ACCEPT_LANGUAGE=language)
    home = client.get(HOME, HTTP_ACCEPT_LANGUAGE=language)
    assert welcome.status_code == home.status_code == 200
    assert steps(home) == {"verified": True, "organization": False, "posting": False}
    if language == "zh-hans":  # waits for the catalogue
        for text in ("First steps", "Complete your organisation", "Post your first achievement", "Missing:"):
            assert text not in home.content.decode(), text
        assert "Welcome: complete your organisation" not in welcome.content.decode()
        assert '<option value="340000">安徽省</option>' in welcome.content.decode()
    else:
        assert "Complete your organisation: description and contact" in home.content.decode()
        assert "Missing: description, contact name, contact phone or e-mail" in home.content.decode()


def test_my_organisation_links_an_owner_to_the_organisations_page(client):
    membership = MembershipFactory(user=UserFactory(language="en"))
    client.force_login(membership.user)
    page = client.get(reverse("marketplace:my-organization")).content.decode()
    assert f'href="{welcome_url(membership.organization)}"' in page
