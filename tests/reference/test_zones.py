"""Development zones and new areas (reference/data/zones.json): the resolver reads a zone as the city (and province)
it lies in and says so; every zone of the file resolves, under each of its names, to its own city; zones never take
a county's name from it; the resolver's errors and the zone note are in the active language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import translation

from core.exceptions import ApplicationError
from reference.locations import AmbiguousPlace, LocationResolver, Place, UnknownPlace, get_resolver
from reference.selectors import place_pick, place_resolve, place_zone_note

DATA = Path(__file__).resolve().parents[2] / "reference" / "data"
ZONES = json.loads((DATA / "zones.json").read_text(encoding="utf-8"))["zones"]
COUNTIES = {c["code"]: c for c in json.loads((DATA / "counties.json").read_text(encoding="utf-8"))}
NATIONAL_NEW_AREAS = {
    "浦东新区": "310100", "滨海新区": "120100", "两江新区": "500100", "舟山群岛新区": "330900", "兰州新区": "620100",
    "南沙新区": "440100", "西咸新区": "610100", "贵安新区": "520100", "西海岸新区": "370200", "金普新区": "210200",
    "天府新区": "510100", "湘江新区": "430100", "江北新区": "320100", "福州新区": "350100", "滇中新区": "530100",
    "哈尔滨新区": "230100", "长春新区": "220100", "赣江新区": "360100", "雄安新区": "130600",
}  # fmt: skip


@pytest.fixture(scope="module")
def resolver() -> LocationResolver:
    return get_resolver()


@pytest.mark.parametrize(
    ("text", "place", "zone"),
    [
        ("苏州工业园区", Place("320000", "320500"), "苏州工业园区"),
        ("苏州工业园", Place("320000", "320500"), "苏州工业园区"),
        ("江苏省苏州工业园区", Place("320000", "320500"), "苏州工业园区"),
        ("Suzhou Industrial Park", Place("320000", "320500"), "苏州工业园区"),
        ("suzhou industrial park, Jiangsu", Place("320000", "320500"), "苏州工业园区"),
        ("SIP", Place("320000", "320500"), "苏州工业园区"),
        ("雄安新区", Place("130000", "130600"), "雄安新区"),
        ("Xiong'an New Area", Place("130000", "130600"), "雄安新区"),
        ("两江新区", Place("500000", "500100"), "两江新区"),
        ("Liangjiang New District", Place("500000", "500100"), "两江新区"),
        ("苏州高新区", Place("320000", "320500"), "苏州高新技术产业开发区"),
        ("苏州市高新技术产业开发区", Place("320000", "320500"), "苏州高新技术产业开发区"),
        ("中关村", Place("110000", "110100"), "中关村科技园区"),
        ("Zhongguancun Science Park", Place("110000", "110100"), "中关村科技园区"),
        ("张江", Place("310000", "310100"), "张江高科技园区"),
        ("前海", Place("440000", "440300"), "前海深港现代服务业合作区"),
        ("横琴", Place("440000", "440400"), "横琴粤澳深度合作区"),
        ("光谷", Place("420000", "420100"), "东湖新技术开发区"),
        ("Wuhan East Lake High-tech Zone", Place("420000", "420100"), "东湖新技术开发区"),
        ("泰达", Place("120000", "120100"), "天津经济技术开发区"),
        ("广州经开区", Place("440000", "440100"), "广州经济技术开发区"),
        ("G60科创走廊", Place("310000", "310100"), "G60科创走廊"),
        ("临港新片区", Place("310000", "310100"), "临港新片区"),
        ("合肥高新技术开发区", Place("340000", "340100"), "合肥高新技术产业开发区"),
        ("Xi'an High-tech Zone", Place("610000", "610100"), "西安高新技术产业开发区"),
    ],
)
def test_a_zone_resolves_to_its_city_and_says_so(
    resolver: LocationResolver, text: str, place: Place, zone: str
) -> None:
    found = resolver.resolve(text)
    assert found == place
    assert found.zone == zone


def test_the_nineteen_national_new_areas(resolver: LocationResolver) -> None:
    listed = {z["zh"]: z["city_code"] for z in ZONES if z["kind"] == "national_new_area"}
    assert listed == NATIONAL_NEW_AREAS
    for name, city in NATIONAL_NEW_AREAS.items():
        place = resolver.resolve(name)
        assert (place.city_code, place.zone) == (city, name)


@pytest.mark.parametrize("zone", ZONES, ids=[z["zh"] for z in ZONES])
def test_every_zone_of_the_file_resolves_by_every_name(resolver: LocationResolver, zone: dict) -> None:
    province = resolver.city_province(zone["city_code"])
    county = zone.get("county_code")
    assert county is None or COUNTIES[county]["city_code"] == zone["city_code"]
    assert zone["en"] and zone["kind"] in {"national_new_area", "hightech_zone", "development_zone", "special_zone"}
    for name in (zone["zh"], zone["en"], *zone.get("names", ())):
        place = resolver.resolve(name)
        assert (place.province_code, place.city_code) == (province, zone["city_code"]), name
        assert place.zone == zone["zh"], name
    assert resolver.resolve_parts(resolver.province_name(province), zone["zh"]).zone == zone["zh"]


def test_the_file_holds_a_solid_list_without_duplicates() -> None:
    assert len(ZONES) >= 60
    names = [n for z in ZONES for n in (z["zh"], *z.get("names", ()))]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("滨江", Place("330000", "330100")),  # 滨江区 of Hangzhou: the district, not said to be the high-tech zone
        ("黄埔区", Place("440000", "440100")),
        ("松江", Place("310000", "310100")),
        ("隰县", Place("140000", "141000")),
    ],
)
def test_counties_keep_their_names(resolver: LocationResolver, text: str, place: Place) -> None:
    found = resolver.resolve(text)
    assert found == place and found.zone is None


def test_a_zones_name_beats_a_county_with_a_suffix_added_but_not_the_county_itself(resolver: LocationResolver) -> None:
    assert resolver.resolve("Xixian New Area").zone == "西咸新区"
    with pytest.raises(AmbiguousPlace):  # 隰县 and 息县 are both Xixian
        resolver.resolve("Xixian")


def test_without_the_zones_file_a_zone_is_unknown() -> None:
    bare = LocationResolver.from_files(DATA / "regions.json", DATA / "counties.json", DATA / "place_aliases.json")
    with pytest.raises(UnknownPlace):
        bare.resolve("苏州工业园区")


# -- in the product: errors in the active language, the zone note, picking -------------------------------------


def test_an_unknown_place_is_told_in_english() -> None:
    with translation.override("en"), pytest.raises(UnknownPlace) as info:
        get_resolver().resolve("火星基地")
    assert str(info.value).startswith('Unknown place "火星基地": not a known province, city, county or development')
    assert "choose the province and city from the lists" in str(info.value)


@pytest.mark.django_db
def test_an_unknown_place_is_told_in_chinese() -> None:  # waits for the catalogue
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as info:
        place_resolve(text="火星基地", field="location")
    assert info.value.field == "location"
    assert "火星基地" in info.value.message and "未知地点" in info.value.message
    assert "Unknown place" not in info.value.message


def test_other_errors_are_translated_too() -> None:  # the Chinese half waits for the catalogue
    resolver = get_resolver()
    with translation.override("zh-hans"):
        with pytest.raises(AmbiguousPlace) as ambiguous:
            resolver.resolve("鼓楼区")
        with pytest.raises(UnknownPlace) as empty:
            resolver.resolve("  ")
    assert "Ambiguous place" not in str(ambiguous.value) and "鼓楼区" in str(ambiguous.value)
    assert "Unknown place" not in str(empty.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("zh-hans", "苏州工业园区", "苏州工业园区 → 江苏省 苏州市"),
        ("en", "苏州工业园区", "Suzhou Industrial Park → Suzhou, Jiangsu"),
        ("en", "SIP", "Suzhou Industrial Park → Suzhou, Jiangsu"),
        ("zh-hans", "两江新区", "两江新区 → 重庆市"),
        ("en", "雄安", "Xiong'an New Area → Baoding, Hebei"),
    ],
)
def test_the_zone_note_says_where_the_place_was_put(language: str, text: str, expected: str) -> None:
    with translation.override(language):
        assert expected in place_zone_note(text=text)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["合肥", "苏州", "火星", ""])
def test_no_zone_note_for_other_places(text: str) -> None:
    assert place_zone_note(text=text) is None


@pytest.mark.django_db
def test_picking_checks_the_city_is_in_the_province() -> None:
    province, city = place_pick(province_code="320000", city_code="320500")
    assert (province.pk, city.pk) == ("320000", "320500")
    assert place_pick(province_code="320000", city_code=None)[1] is None
    assert place_pick(province_code="310000", city_code=None)[1].pk == "310100"  # a municipality's single city
    with translation.override("en"), pytest.raises(ApplicationError) as info:
        place_pick(province_code="320000", city_code="340100")
    assert info.value.field == "city" and "Hefei is not in Jiangsu" in info.value.message
    with pytest.raises(ApplicationError) as info:
        place_pick(province_code="999999", city_code=None)
    assert info.value.field == "province"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("蘇州工業園區", Place("320000", "320500")),
        ("廣東省深圳市", Place("440000", "440300")),
        ("瀋陽", Place("210000", "210100")),
        ("臺灣", Place("710000", "710100")),
        ("橫琴", Place("440000", "440400")),
    ],
)
def test_traditional_characters_are_read(resolver: LocationResolver, text: str, place: Place) -> None:
    assert resolver.resolve(text) == place


def test_no_traditional_character_read_is_a_simplified_one_of_the_data() -> None:
    from reference.locations import _TRADITIONAL

    regions = json.loads((DATA / "regions.json").read_text(encoding="utf-8"))
    names = [p["zh"] for p in regions["provinces"]] + [c["zh"] for p in regions["provinces"] for c in p["cities"]]
    names += [c["zh"] for c in COUNTIES.values()] + [n for z in ZONES for n in (z["zh"], *z.get("names", ()))]
    traditional = {chr(code) for code in _TRADITIONAL}
    assert not traditional & set("".join(names))
