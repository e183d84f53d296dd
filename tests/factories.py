from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import Membership, Organization, User
from reference.models import City, Province

DEFAULT_PASSWORD = "a-Strong-pass-2026"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    full_name = factory.Faker("name", locale="zh_CN")
    email_verified_at = factory.LazyFunction(timezone.now)  # as create_user: sign-up's own users are unverified
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试机构{n}")
    kind = Organization.Kind.UNIVERSITY
    province = factory.LazyFunction(lambda: Province.objects.get(pk="340000"))
    city = factory.LazyFunction(lambda: City.objects.get(pk="340100"))


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.OWNER


def achievement(organization: Organization, by: User | None = None, domains: tuple[str, ...] = ("ai",), **fields):
    """A draft achievement made through the service, as every interface makes one."""
    from marketplace import services
    from marketplace.models import Achievement

    values = {
        "title": "基于深度学习的工业视觉缺陷检测系统",
        "summary": "面向3C电子和汽车零部件的表面缺陷检测，小样本训练，检出率99%以上。",
        "province": organization.province,
        "city": organization.city,
        "trl": 6,
        "modes": ["license", "transfer"],
        "contact_name": "张工",
        "contact_phone": "13800000000",
        "contact_email": "zhang@secret.example.cn",
        **fields,
    }
    return services.posting_create(model=Achievement, organization=organization, by=by, domain_codes=domains, **values)


def need(organization: Organization, by: User | None = None, domains: tuple[str, ...] = ("ai",), **fields):
    from marketplace import services
    from marketplace.models import Need

    values = {
        "title": "汽车零部件表面缺陷自动检测",
        "description": "冲压件表面划痕、凹坑人工目检漏检率高，希望引入机器视觉在线检测。",
        "province": organization.province,
        "city": organization.city,
        "min_trl": 5,
        "budget_wan": 100,
        "region_scope": "national",
        "contact_name": "李经理",
        "contact_email": "li@secret.example.cn",
        **fields,
    }
    return services.posting_create(model=Need, organization=organization, by=by, domain_codes=domains, **values)
