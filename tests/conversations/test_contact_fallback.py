"""The reveal always shows a way to reach the other side: the posting's contact, else its organisation's, else its
author's name and e-mail, on the match page and in the API alike (``matching.selectors.posting_contact``)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Organization
from marketplace.models import Need

from .conftest import both_accept

pytestmark = pytest.mark.django_db


def set_need_contact(world, case):
    need, enterprise = world["need"], world["enterprise"]
    if case in ("organization", "author"):
        Need.objects.filter(pk=need.pk).update(contact_name="", contact_phone="", contact_email="")
    if case == "organization":
        Organization.objects.filter(pk=enterprise.pk).update(
            contact_name="王主任", contact_phone="0551-12345678", contact_email="office@enterprise.example.cn"
        )
    author = world["users"]["need"]
    return {
        "posting": {"name": "李经理", "phone": "", "email": "li@secret.example.cn", "source": "posting"},
        "organization": {"name": "王主任", "phone": "0551-12345678", "email": "office@enterprise.example.cn",
                         "source": "organization"},
        "author": {"name": author.full_name, "phone": "", "email": author.email, "source": "author"},
    }[case]  # fmt: skip


@pytest.mark.parametrize("case", ["posting", "organization", "author"])
def test_the_contact_falls_back(world, client, case):
    expected = set_need_contact(world, case)
    match = both_accept(world)
    university_member = world["users"]["achievement"]
    api = APIClient()
    api.force_authenticate(university_member)
    assert api.get(reverse("api:match-detail", args=[match.pk])).json()["counterpart_contact"] == expected
    client.force_login(university_member)
    page = client.get(reverse("matching:detail", args=[match.pk])).content.decode()
    assert expected["name"] in page and expected["email"] in page
    assert reverse("conversations:match", kwargs={"match_pk": match.pk}) in page
    if case == "organization":
        assert "The organisation's contact" in page
    if case == "author":
        assert "The posting's author" in page
