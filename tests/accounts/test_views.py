import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Organization, User
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_home_page_renders_in_both_languages(client):
    chinese = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200
    assert "人工智能" in chinese.content.decode()
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Artificial intelligence" in english.content.decode()


def test_sign_up_flow_mails_a_link_that_activates_and_signs_the_new_owner_in(client, committed):
    response = committed(
        client.post,
        reverse("accounts:signup"),
        {
            "email": "owner@sdu.edu.cn",
            "full_name": "刘洋",
            "password1": "Jinan-2026-strong",
            "password2": "Jinan-2026-strong",
            "organization_name": "山东大学",
            "organization_kind": "university",
            "location": "山东济南",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:signup-sent")
    assert not response.context["user"].is_authenticated
    assert "owner@sdu.edu.cn" in response.content.decode()
    link = re.search(r"http://testserver(/accounts/verify/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    organization = Organization.objects.get(name="山东大学")
    assert response.redirect_chain[-1][0] == f"{reverse('accounts:welcome')}?org={organization.pk}"  # its first step
    assert response.context["user"].email == "owner@sdu.edu.cn"
    page = response.content.decode()
    assert "山东大学" in page
    organization = Organization.objects.get(name="山东大学")
    assert (organization.province_id, organization.city_id, organization.verified) == ("370000", "370100", False)


def test_sign_up_shows_the_error_on_the_field_and_creates_nothing(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "x@example.cn",
            "full_name": "X",
            "password1": "Jinan-2026-strong",
            "password2": "Jinan-2026-strong",
            "organization_name": "Y",
            "organization_kind": "enterprise",
            "location": "Gotham City",
        },
    )
    assert response.status_code == 200
    assert "Gotham City" in " ".join(response.context["form"].errors["location"])
    assert not User.objects.exists()


def test_sign_up_rejects_mismatched_passwords(client):
    response = client.post(reverse("accounts:signup"), {"password1": "a-Strong-1", "password2": "b-Strong-2"})
    assert "password2" in response.context["form"].errors


def test_log_in_by_email_in_any_case_and_log_out(client):
    user = UserFactory(email="wang@zju.edu.cn")
    response = client.post(reverse("accounts:login"), {"username": "WANG@zju.edu.cn", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).context["user"] == user
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_wrong_password_is_refused(client):
    UserFactory(email="wang@zju.edu.cn")
    response = client.post(reverse("accounts:login"), {"username": "wang@zju.edu.cn", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_password_reset_by_email(client, committed):
    user = UserFactory(email="chen@hfut.edu.cn")
    committed(client.post, reverse("accounts:password_reset"), {"email": "chen@hfut.edu.cn"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    client.post(form_page.redirect_chain[-1][0], {"new_password1": "Brand-new-2026", "new_password2": "Brand-new-2026"})
    user.refresh_from_db()
    assert user.check_password("Brand-new-2026")


def test_password_reset_for_unknown_address_sends_nothing_and_tells_nothing(client, committed):
    response = committed(client.post, reverse("accounts:password_reset"), {"email": "ghost@example.cn"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_profile_shows_memberships_and_saves_name_and_language(client):
    membership = MembershipFactory()
    client.force_login(membership.user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert membership.organization.name in page
    client.post(reverse("accounts:profile"), {"full_name": "新名字", "language": "en"})
    membership.user.refresh_from_db()
    assert (membership.user.full_name, membership.user.language) == ("新名字", "en")


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_token_is_created_on_the_profile_and_works_on_the_api(client, api_client):
    user = UserFactory()
    client.force_login(user)
    page = client.post(reverse("accounts:token-regenerate")).content.decode()
    token = re.search(r'<code class="token">([0-9a-f]{64})</code>', page).group(1)  # shown this once
    assert token not in client.get(reverse("accounts:profile")).content.decode()  # kept as a hash only
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get(reverse("api:me")).json()["email"] == user.email
    client.post(reverse("accounts:token-regenerate"))  # replaced: the old one stops working
    assert api_client.get(reverse("api:me")).status_code == 403


def test_api_token_obtain_with_email_and_password(api_client):
    user = UserFactory(email="api@example.cn")
    bad = api_client.post(reverse("api:token-obtain"), {"email": "api@example.cn", "password": "nope"})
    assert bad.status_code == 400
    good = api_client.post(reverse("api:token-obtain"), {"email": "API@example.cn", "password": DEFAULT_PASSWORD})
    assert good.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert api_client.get(reverse("api:me")).json()["email"] == user.email


def test_me_api_needs_authentication(api_client):
    assert api_client.get(reverse("api:me")).status_code in (401, 403)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_organization_changelist",
        "admin:accounts_user_changelist",
        "admin:accounts_membership_changelist",
        "admin:reference_domain_changelist",
        "admin:reference_province_changelist",
        "admin:reference_city_changelist",
        "admin:reference_cluster_changelist",
        "admin:reference_partnerlink_changelist",
        "admin:reference_partnerlink_add",
    ],
)
def test_admin_pages_open_for_staff_only(client, staff_user, user, url_name):
    client.force_login(user)
    assert client.get(reverse(url_name)).status_code == 302
    client.force_login(staff_user)
    assert client.get(reverse(url_name)).status_code == 200


def test_admin_verify_action_goes_through_the_service(client, staff_user):
    organization = MembershipFactory().organization
    client.force_login(staff_user)
    client.post(
        reverse("admin:accounts_organization_changelist"),
        {"action": "mark_verified", "_selected_action": [organization.pk]},
    )
    organization.refresh_from_db()
    assert organization.verified and organization.verified_by == staff_user


def test_api_schema_and_docs_are_served(client):
    assert client.get(reverse("api-schema")).status_code == 200
    assert client.get(reverse("api-docs")).status_code == 200
