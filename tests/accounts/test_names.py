"""Protected organisation names (#11 item 4): a name equal to another's once normalised (case, spaces, punctuation,
full-width forms) is refused wherever organisations are made or renamed; one containing a verified organisation's
name is accepted and flagged for staff (``resembles``)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts import services
from accounts.models import Organization, User
from accounts.names import name_key
from core.exceptions import ApplicationError
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "email": "someone@example.cn",
    "password": "Beijing-2026-strong",
    "full_name": "张三",
    "organization_kind": Organization.Kind.UNIVERSITY,
    "location": "北京",
    "site": "https://techmatch.example.cn",
}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("清华大学", "清华大学"),
        ("清华大学 ", "清华大学"),
        (" 清华　大学", "清华大学"),  # an ideographic space
        ("清华大学（）", "清华大学"),  # full-width brackets
        ("清华大学【】《》", "清华大学"),
        ("「清华」·大学。", "清华大学"),
        ("清华\u200b大学", "清华大学"),  # a zero-width space
        ("ＴＳＩＮＧＨＵＡ Univ.", "tsinghuauniv"),  # full-width letters, case, the dot
        ("Tsinghua-University", "tsinghuauniversity"),
        ("（）", ""),
    ],
)
def test_the_normaliser(name, key):
    assert name_key(name) == key


def test_the_key_is_kept_with_the_name():
    organization = OrganizationFactory(name="合肥 工业大学")
    assert organization.name_key == "合肥工业大学"
    organization.name = "合肥工业大学（宣城校区）"
    organization.save(update_fields=["name"])
    organization.refresh_from_db()
    assert organization.name_key == "合肥工业大学宣城校区"


@pytest.mark.parametrize(
    "typed", ["清华大学", "清华大学 ", "清华 大学", "清华大学（）", " 清华大学。", "清华　大学（）", "清华大学\u200b"]
)
def test_sign_up_refuses_a_name_equal_after_normalisation(typed):
    OrganizationFactory(name="清华大学")
    with pytest.raises(ApplicationError, match="already registered as “清华大学”") as error:
        services.user_sign_up(**SIGN_UP, organization_name=typed)
    assert error.value.field == "organization_name"
    assert Organization.objects.count() == 1 and not User.objects.exists()


def test_sign_up_shows_the_refusal_on_the_field(client):
    OrganizationFactory(name="Tsinghua University")
    response = client.post(reverse("accounts:signup"), {
        "email": "x@example.cn", "full_name": "X", "password1": "Beijing-2026-strong",
        "password2": "Beijing-2026-strong", "organization_name": "TSINGHUA  university.",
        "organization_kind": "university", "location": "北京",
    })  # fmt: skip
    assert response.status_code == 200
    assert "Tsinghua University" in " ".join(response.context["form"].errors["organization_name"])
    assert not User.objects.exists()


def test_a_name_of_punctuation_only_is_refused():
    with pytest.raises(ApplicationError, match="letters or characters") as error:
        services.user_sign_up(**SIGN_UP, organization_name="（）・")
    assert error.value.field == "organization_name"


def test_a_name_containing_a_verified_name_is_accepted_and_flagged(staff_user):
    tsinghua = OrganizationFactory(name="清华大学")
    unverified = services.user_sign_up(**SIGN_UP, organization_name="清华大学技术转移研究院").organizations.get()
    assert unverified.resembles is None  # 清华大学 is not verified (yet): nothing to protect
    services.organization_set_verified(organization=tsinghua, verified=True, by=staff_user)
    unverified.refresh_from_db()
    assert unverified.resembles == tsinghua  # flagged when 清华大学 was verified

    other = {**SIGN_UP, "email": "other@example.cn"}
    user = services.user_sign_up(**other, organization_name="清华大学（深圳）技术转移中心")
    flagged = user.organizations.get()
    assert flagged.resembles == tsinghua and not flagged.verified
    # The longest verified name it contains is the one named.
    services.organization_set_verified(organization=flagged, verified=True, by=staff_user)
    again = services.organization_create(name="清华大学深圳技术转移中心分部", kind="enterprise", province_id="440000",
                                         city_id=None)  # fmt: skip
    assert again.resembles == flagged


def test_organization_create_refuses_equal_names_and_flags_resembling_ones(staff_user):
    pku = OrganizationFactory(name="北京大学")
    services.organization_set_verified(organization=pku, verified=True, by=staff_user)
    with pytest.raises(ApplicationError, match="北京大学") as error:
        services.organization_create(name="北京 大学", kind="university", province_id="110000", city_id=None)
    assert error.value.field == "name"
    made = services.organization_create(name="北京大学科技部", kind="enterprise", province_id="110000", city_id=None)
    assert made.resembles == pku


def test_the_database_refuses_equal_names_that_escaped_the_checks():
    OrganizationFactory(name="浙江大学")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationFactory(name="浙江 大学！")


def admin_form(**changes):
    return {"name": "", "kind": "university", "province": "340000", "city": "340100", "credit_code": "",
            "description": "", "website": "", "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
            **changes}  # fmt: skip


def test_admin_refuses_equal_names_and_flags_resembling_ones_on_add_and_rename(client, staff_user):
    ustc = OrganizationFactory(name="中国科学技术大学")
    services.organization_set_verified(organization=ustc, verified=True, by=staff_user)
    client.force_login(staff_user)
    add = reverse("admin:accounts_organization_add")
    refused = client.post(add, admin_form(name="中国科学技术大学 （）"))
    assert refused.status_code == 200
    assert "中国科学技术大学" in " ".join(refused.context["adminform"].form.errors["name"])
    assert client.post(add, admin_form(name="中国科学技术大学先进技术研究院")).status_code == 302
    flagged = Organization.objects.get(name="中国科学技术大学先进技术研究院")
    assert flagged.resembles == ustc

    plain = OrganizationFactory(name="合肥某科技公司")
    change = reverse("admin:accounts_organization_change", args=[plain.pk])
    renamed = client.post(change, admin_form(name="中国科学技术大学"))
    assert renamed.status_code == 200 and renamed.context["adminform"].form.errors["name"]
    assert client.post(change, admin_form(name="合肥中国科学技术大学校友企业")).status_code == 302
    plain.refresh_from_db()
    assert plain.resembles == ustc
    # Saving without renaming keeps its own name (it is not "equal to itself").
    assert client.post(change, admin_form(name="合肥中国科学技术大学校友企业", description="x")).status_code == 302

    # The list shows the resemblance, and filters the organisations that resemble a verified one.
    changelist = reverse("admin:accounts_organization_changelist")
    listed = client.get(changelist, {"resembles_verified": "yes"})
    expected = {"中国科学技术大学先进技术研究院", "合肥中国科学技术大学校友企业"}
    assert {o.name for o in listed.context["cl"].queryset} == expected
    assert "⚠ 中国科学技术大学" in listed.content.decode()
    others = client.get(changelist, {"resembles_verified": "no"})
    assert "中国科学技术大学" in {o.name for o in others.context["cl"].queryset}
