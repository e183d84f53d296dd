from __future__ import annotations

import factory
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
