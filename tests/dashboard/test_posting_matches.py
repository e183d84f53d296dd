"""A need's and an achievement's own page shows its matches to its owner's members, and to nobody else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def page(client, kind, posting):
    return client.get(reverse("marketplace:detail", kwargs={"kind": kind, "pk": posting.pk})).content.decode()


def test_the_need_owner_sees_its_released_matches_with_score_status_and_link(client, market):
    client.force_login(market["shenzhen"])
    html = page(client, "needs", market["n1"])
    assert "posting-matches" in html
    for match in (market["m1"], market["m2"], market["m6"]):
        assert reverse("matching:detail", kwargs={"pk": match.pk}) in html
    assert "北京AI成果" in html and "合肥视觉成果" in html and "0.90" in html
    # m5 (suggested) and m3 (rejected) are staff's; they belong to n2 anyway, and n2's page shows neither.
    n2 = page(client, "needs", market["n2"])
    assert reverse("matching:detail", kwargs={"pk": market["m5"].pk}) not in n2
    assert reverse("matching:detail", kwargs={"pk": market["m3"].pk}) not in n2
    assert reverse("matching:detail", kwargs={"pk": market["m4"].pk}) in n2


def test_the_achievement_owner_sees_its_matches_too(client, market):
    client.force_login(market["hefei"])
    html = page(client, "achievements", market["a3"])
    assert reverse("matching:detail", kwargs={"pk": market["m2"].pk}) in html
    assert "深圳视觉需求" in html


def test_other_organisations_and_anonymous_visitors_see_nothing_of_them(client, market):
    for viewer in (market["beijing"], MembershipFactory().user, None):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        html = page(client, "needs", market["n1"])
        assert "深圳视觉需求" in html  # the public page itself
        assert "posting-matches" not in html
        assert reverse("matching:detail", kwargs={"pk": market["m2"].pk}) not in html


def test_staff_who_are_not_members_see_no_owner_block(client, staff_user, market):
    client.force_login(staff_user)
    assert "posting-matches" not in page(client, "needs", market["n1"])
