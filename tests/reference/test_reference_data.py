import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from reference.loaders import DATA_DIR, load_reference_data
from reference.models import City, Cluster, Domain, PartnerLink, Province

pytestmark = pytest.mark.django_db


def test_migrate_loads_every_domain_province_city_and_cluster():
    domains = json.loads((DATA_DIR / "domains.json").read_text(encoding="utf-8"))["domains"]
    regions = json.loads((DATA_DIR / "regions.json").read_text(encoding="utf-8"))
    assert Domain.objects.filter(parent__isnull=True).count() == len(domains)
    assert Domain.objects.filter(parent__isnull=False).count() == sum(len(d["children"]) for d in domains)
    assert Province.objects.count() == len(regions["provinces"]) == 34
    assert City.objects.count() == sum(len(p["cities"]) for p in regions["provinces"])
    assert Cluster.objects.count() == len(regions["clusters"])
    ai = Domain.objects.get(code="ai")
    assert (ai.name_zh, ai.name_en, ai.parent_id) == ("人工智能", "Artificial intelligence", "next_gen_it")


def test_clusters_hold_their_provinces_and_cities():
    yrd = Cluster.objects.get(code="yrd")
    assert set(yrd.provinces.values_list("code", flat=True)) == {"310000", "320000", "330000", "340000"}
    g60 = Cluster.objects.get(code="g60")
    assert "340100" in set(g60.cities.values_list("code", flat=True))  # Hefei is on the G60 corridor
    assert not g60.provinces.exists()


def test_loading_again_writes_nothing_and_repairs_edits():
    assert load_reference_data() == {"domains": 0, "provinces": 0, "cities": 0, "clusters": 0}
    Domain.objects.filter(code="ai").update(name_en="changed by hand")
    Cluster.objects.get(code="yrd").provinces.remove("340000")
    assert load_reference_data()["domains"] == 1
    assert Domain.objects.get(code="ai").name_en == "Artificial intelligence"
    assert Cluster.objects.get(code="yrd").provinces.filter(code="340000").exists()


def test_the_jinan_partner_links_are_seeded():
    jinan_links = PartnerLink.objects.filter(key_a="370100") | PartnerLink.objects.filter(key_b="370100")
    partners = {link.key_b if link.key_a == "370100" else link.key_a for link in jinan_links}
    assert partners == {"620100", "630100", "610100", "410100", "650100"}


def test_partner_link_is_unordered_and_unique():
    hefei = City.objects.get(pk="340100")
    wuhan = City.objects.get(pk="420100")
    link = PartnerLink.objects.create(
        province_a=wuhan.province, city_a=wuhan, province_b=hefei.province, city_b=hefei, title="合汉合作"
    )
    assert (link.key_a, link.key_b) == ("340100", "420100")
    assert link.city_a == hefei
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerLink.objects.create(province_a=hefei.province, city_a=hefei, province_b=wuhan.province, city_b=wuhan)


def test_partner_link_rejects_one_place_twice_and_a_city_outside_its_province():
    hefei = City.objects.get(pk="340100")
    same = PartnerLink(province_a=hefei.province, city_a=hefei, province_b=hefei.province, city_b=hefei)
    with pytest.raises(ValidationError, match="two different places"):
        same.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        same.save()
    wrong = PartnerLink(
        province_a=Province.objects.get(pk="320000"), city_a=hefei, province_b=Province.objects.get(pk="110000")
    )
    with pytest.raises(ValidationError) as error:
        wrong.full_clean()
    assert "city_a" in error.value.message_dict


def test_domain_cannot_be_its_own_parent():
    ai = Domain.objects.get(code="ai")
    ai.parent_id = "ai"
    with pytest.raises(IntegrityError), transaction.atomic():
        ai.save()
