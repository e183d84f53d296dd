import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_domains_api_lists_the_taxonomy_and_filters_by_parent(api_client):
    everything = api_client.get(reverse("api:domain-list")).json()
    assert {
        "code": "ai",
        "name_zh": "人工智能",
        "name_en": "Artificial intelligence",
        "parent": "next_gen_it",
    } in everything
    children = api_client.get(reverse("api:domain-list"), {"parent": "new_energy"}).json()
    assert {d["code"] for d in children} == {
        "photovoltaic",
        "wind_power",
        "hydrogen",
        "energy_storage",
        "nuclear",
        "smart_grid",
    }


def test_provinces_api_carries_cities_and_clusters(api_client):
    anhui = api_client.get(reverse("api:province-detail", args=["340000"])).json()
    assert anhui["name_en"] == "Anhui"
    assert {"yrd", "yangtze_belt"} <= set(anhui["clusters"])
    assert any(city["code"] == "340100" and city["name_zh"] == "合肥市" for city in anhui["cities"])


def test_clusters_api(api_client):
    clusters = {c["code"]: c for c in api_client.get(reverse("api:cluster-list")).json()}
    assert "440300" in clusters["gba"]["cities"]
    assert clusters["jjj"]["provinces"] == ["110000", "120000", "130000"]
