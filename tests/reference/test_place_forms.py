"""The posting form takes its place like sign-up does (reference/forms.py): typed (a zone too) or, when the text is
not recognised, picked from the province and city lists, the error on the field that holds it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.models import Achievement
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

FORM = {
    "title": "低温等离子体废气处理装置",
    "summary": "处理VOCs废气，去除率95%。",
    "domains": ["pollution_control"],
    "keywords": "VOCs, 等离子体",
    "modes": ["license"],
    "language": "zh",
    "trl": "6",
    "ip_status": "granted_patent",
    "patent_numbers": "ZL202010000000.1",
    "price_min_wan": "30",
    "price_max_wan": "80",
    "contact_name": "王工",
    "contact_email": "wang@example.cn",
}
CREATE = reverse("marketplace:create", kwargs={"kind": "achievements"})


@pytest.fixture
def owner(client):
    user = MembershipFactory().user
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("place", "city"),
    [
        ({"location": "苏州工业园区"}, "320500"),
        ({"location": "Optics Valley"}, "420100"),
        ({"location": "火星基地", "province": "330000", "city": "330100"}, "330100"),
        ({"location": "", "city": "510100"}, "510100"),
    ],
)
def test_a_posting_is_placed_by_text_zone_or_pick(client, owner, place, city):
    response = client.post(CREATE, {**FORM, **place})
    assert response.status_code == 302
    assert Achievement.objects.get(title=FORM["title"]).city_id == city


def test_an_unknown_place_is_refused_on_the_location_and_offers_the_lists(client, owner):
    response = client.post(CREATE, {**FORM, "location": "火星基地"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and not Achievement.objects.exists()
    assert list(response.context["form"].errors) == ["location"]
    page = response.content.decode()
    assert '<select name="province"' in page and '<select name="city"' in page and "js/places.js" in page


def test_a_city_outside_the_province_picked_is_refused_on_the_city(client, owner):
    response = client.post(CREATE, {**FORM, "location": "", "province": "320000", "city": "330100"})
    assert response.status_code == 200 and not Achievement.objects.exists()
    assert list(response.context["form"].errors) == ["city"]
