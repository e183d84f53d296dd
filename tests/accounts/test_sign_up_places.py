"""Sign-up takes a place typed (a province, city, county or development zone: 苏州工业园区) or, when the text is not
recognised, the province and city picked from the lists; the error names the field and is in the page's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Organization, User

pytestmark = pytest.mark.django_db

PASSWORD = "Suzhou-2026-strong"
FORM = {
    "email": "li@sip-tech.cn",
    "full_name": "李明",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "organization_name": "苏州纳米科技有限公司",
    "organization_kind": "enterprise",
    "location": "苏州工业园区",
}
ROOT = Path(__file__).resolve().parents[2]


def sign_up(client, committed, language="en", **changes):
    data = {key: value for key, value in {**FORM, **changes}.items() if value is not None}
    return committed(client.post, reverse("accounts:signup"), data, HTTP_ACCEPT_LANGUAGE=language)


def organization() -> Organization:
    return Organization.objects.select_related("province", "city").get(name=FORM["organization_name"])


@pytest.mark.parametrize(
    ("language", "note"),
    [("en", "Suzhou Industrial Park → Suzhou, Jiangsu"), ("zh-hans", "苏州工业园区 → 江苏省 苏州市")],
)
def test_sign_up_in_a_development_zone_registers_its_city_and_says_so(client, committed, language, note):
    response = sign_up(client, committed, language=language)
    assert response.status_code == 302 and response.url == reverse("accounts:signup-sent")
    assert (organization().province_id, organization().city_id) == ("320000", "320500")
    assert any(note in str(message) for message in get_messages(response.wsgi_request))
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert note in page


@pytest.mark.parametrize("location", ["苏州工业园", "Suzhou Industrial Park", "SIP", "江苏省苏州工业园区", "雄安新区"])
def test_other_spellings_of_zones_are_accepted(client, committed, location):
    assert sign_up(client, committed, location=location).status_code == 302
    assert organization().province_id in {"320000", "130000"}


def test_an_unknown_place_is_an_error_on_the_field_and_the_lists_are_offered(client, committed):
    response = sign_up(client, committed, location="火星基地")
    assert response.status_code == 200 and not User.objects.exists()
    form = response.context["form"]
    assert list(form.errors) == ["location"]
    assert form.errors["location"][0].startswith('Unknown place "火星基地"')
    page = response.content.decode()
    assert '<select name="province"' in page and '<select name="city"' in page
    assert '<option value="320000">Jiangsu</option>' in page
    assert re.search(r'<optgroup label="Jiangsu">\s*<option value="320100">Nanjing</option>', page)
    assert "js/places.js" in page


def test_an_unknown_place_is_told_in_chinese_on_the_chinese_page(client, committed):  # waits for the catalogue
    response = sign_up(client, committed, language="zh-hans", location="火星基地")
    error = response.context["form"].errors["location"][0]
    assert "火星基地" in error and "Unknown place" not in error and "未知地点" in error
    page = response.content.decode()
    assert '<option value="320000">江苏省</option>' in page


def test_picking_the_province_and_city_signs_up_when_the_text_was_not_recognised(client, committed):
    response = sign_up(client, committed, location="火星基地", province="320000", city="320500")
    assert response.status_code == 302
    assert (organization().province_id, organization().city_id) == ("320000", "320500")
    # the pick says nothing of zones
    assert not list(get_messages(response.wsgi_request))


def test_a_city_picked_alone_brings_its_province_and_a_province_alone_is_enough(client, committed):
    assert sign_up(client, committed, location="", city="320500").status_code == 302
    assert (organization().province_id, organization().city_id) == ("320000", "320500")
    Organization.objects.all().delete()
    User.objects.all().delete()
    assert sign_up(client, committed, location="", province="310000").status_code == 302
    assert (organization().province_id, organization().city_id) == ("310000", "310100")  # a municipality


def test_a_city_of_another_province_is_refused_on_the_city(client, committed):
    response = sign_up(client, committed, location="", province="320000", city="340100")
    assert response.status_code == 200 and not User.objects.exists()
    assert "Hefei is not in Jiangsu" in response.context["form"].errors["city"][0]


def test_neither_text_nor_pick_is_an_error_on_the_location(client, committed):
    response = sign_up(client, committed, location="")
    assert response.status_code == 200 and not User.objects.exists()
    assert "choose its province and city" in response.context["form"].errors["location"][0]


def test_the_place_script_is_a_file_of_this_host():
    script = (ROOT / "static" / "js" / "places.js").read_text(encoding="utf-8")
    assert "http" not in script and "data-places-province" in script
