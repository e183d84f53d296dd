"""Tests of the place resolver (reference/locations.py): pure Python, no database."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference.locations import (
    AmbiguousPlace,
    LocationResolver,
    Place,
    PlaceConflict,
    PlaceError,
    UnknownPlace,
    get_resolver,
    normalize,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "reference" / "data"
BENCH_DEV = ROOT / "bench" / "data" / "bench-dev"

REGIONS = json.loads((DATA / "regions.json").read_text(encoding="utf-8"))
PROVINCES = REGIONS["provinces"]
PROVINCE_CODES = {p["code"] for p in PROVINCES}
CITY_PROVINCE = {c["code"]: p["code"] for p in PROVINCES for c in p["cities"]}
SINGLE_CITY = {p["code"]: p["cities"][0]["code"] for p in PROVINCES if len(p["cities"]) == 1}
COUNTIES = json.loads((DATA / "counties.json").read_text(encoding="utf-8"))

# Every (province, city) spelling, for the properties below.
CITY_SPELLINGS = [(p, c, name) for p in PROVINCES for c in p["cities"] for name in (c["zh"], c["short"], c["en"])]
PROVINCE_SPELLINGS = [(p, name) for p in PROVINCES for name in (p["zh"], p["short"], p["en"])]


def _regions_index() -> dict[str, dict[int, set[tuple[str, str | None]]]]:
    """key -> tier -> places, over regions.json only (0 province, 1 city)."""
    index: dict[str, dict[int, set[tuple[str, str | None]]]] = defaultdict(lambda: defaultdict(set))
    for p in PROVINCES:
        for name in (p["zh"], p["short"], p["en"]):
            index[normalize(name)][0].add((p["code"], SINGLE_CITY.get(p["code"])))
        for c in p["cities"]:
            for name in (c["zh"], c["short"], c["en"]):
                index[normalize(name)][1].add((p["code"], c["code"]))
    return index


REGIONS_INDEX = _regions_index()


@pytest.fixture(scope="module")
def resolver() -> LocationResolver:
    return get_resolver()


R = get_resolver()


def hefei() -> Place:
    return Place("340000", "340100")


# -- resolve: the documented examples -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "安徽省合肥市",
        "安徽合肥",
        "合肥市",
        "合肥",
        "Hefei",
        "hefei",
        "HEFEI",
        "Anhui Hefei",
        "Hefei, Anhui",
        "Hefei City",
        "Hefei, Anhui Province, China",
        "中国安徽省合肥市",
        "\u3000安徽\u3000\u3000合肥\u3000",  # full-width spaces
        "  安徽省  合肥市 ",
        "安徽\uff0c合肥",  # full-width comma
        "\uff28\uff45\uff46\uff45\uff49",  # full-width latin "Hefei"
        "安徽省合肥市蜀山区",
        "340100",
    ],
)
def test_resolve_hefei_in_every_style(resolver: LocationResolver, text: str) -> None:
    assert resolver.resolve(text) == hefei()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anhui Province", Place("340000", None)),
        ("安徽", Place("340000", None)),
        ("安徽省", Place("340000", None)),
        ("Anhui", Place("340000", None)),
        ("上海", Place("310000", "310100")),
        ("上海市", Place("310000", "310100")),
        ("Shanghai", Place("310000", "310100")),
        ("Shanghai Municipality", Place("310000", "310100")),
        ("北京", Place("110000", "110100")),
        ("Tianjin", Place("120000", "120100")),
        ("重庆市", Place("500000", "500100")),
        ("Xi'an", Place("610000", "610100")),
        ("Xian", Place("610000", "610100")),
        ("Xi\u2019an", Place("610000", "610100")),
        ("Xi an", Place("610000", "610100")),
        ("Inner Mongolia", Place("150000", None)),
        ("inner mongolia autonomous region", Place("150000", None)),
        ("内蒙古", Place("150000", None)),
        ("内蒙古自治区", Place("150000", None)),
        ("Hong Kong", Place("810000", "810100")),
        ("HK", Place("810000", "810100")),
        ("香港", Place("810000", "810100")),
        ("Macau", Place("820000", "820100")),
        ("Macao", Place("820000", "820100")),
        ("Taiwan", Place("710000", "710100")),
        ("海淀区", Place("110000", "110100")),
        ("海淀", Place("110000", "110100")),
        ("Haidian District", Place("110000", "110100")),
        ("北京市海淀区", Place("110000", "110100")),
        ("昆山", Place("320000", "320500")),
        ("昆山市", Place("320000", "320500")),
        ("Kunshan", Place("320000", "320500")),
        ("Kunshan, Jiangsu", Place("320000", "320500")),
        ("江苏苏州昆山", Place("320000", "320500")),
        ("嘉定区", Place("310000", "310100")),
        ("Jiading", Place("310000", "310100")),
        ("浦东新区", Place("310000", "310100")),
        ("Pudong", Place("310000", "310100")),
        ("滨海新区", Place("120000", "120100")),
        ("杨凌", Place("610000", "610400")),
        ("杨凌示范区", Place("610000", "610400")),
        ("Yangling", Place("610000", "610400")),
        ("雄安新区", Place("130000", "130600")),
        ("Xiong'an", Place("130000", "130600")),
        ("两江新区", Place("500000", "500100")),
        ("西咸新区", Place("610000", "610100")),
        ("鄂尔多斯", Place("150000", "150600")),
        ("Ordos", Place("150000", "150600")),
        ("昌吉回族自治州", Place("650000", "652300")),
        ("宁夏中卫市", Place("640000", "640500")),
        ("Lüliang", Place("140000", "141100")),
        ("Lvliang", Place("140000", "141100")),
        ("Jiangsu Taizhou", Place("320000", "321200")),
        ("Taizhou, Zhejiang", Place("330000", "331000")),
        ("浙江台州", Place("330000", "331000")),
        ("Fujian Fuzhou", Place("350000", "350100")),
        ("Suzhou Jiangsu", Place("320000", "320500")),
        ("南京鼓楼区", Place("320000", "320100")),
        ("北京朝阳区", Place("110000", "110100")),
        ("梁平区", Place("500000", "500100")),  # renamed from 梁平县 (suffix variant)
    ],
)
def test_resolve_examples(resolver: LocationResolver, text: str, expected: Place) -> None:
    assert resolver.resolve(text) == expected


def test_jilin_is_the_province_unless_the_city_is_spelled_out(resolver: LocationResolver) -> None:
    # Documented rule: a province beats a city of the same name.
    assert resolver.resolve("吉林") == Place("220000", None)
    assert resolver.resolve("Jilin") == Place("220000", None)
    assert resolver.resolve("吉林市") == Place("220000", "220200")
    assert resolver.resolve("吉林省吉林市") == Place("220000", "220200")
    assert resolver.resolve("Jilin Jilin") == Place("220000", "220200")
    # Same for Hainan: the province, not Qinghai's 海南藏族自治州 unless Qinghai is given.
    assert resolver.resolve("海南") == Place("460000", None)
    assert resolver.resolve("青海海南") == Place("630000", "632500")


def test_a_city_beats_a_county_of_the_same_name(resolver: LocationResolver) -> None:
    # 朝阳市 (Liaoning) is a prefecture; 朝阳区 is a district of Beijing and of Changchun.
    assert resolver.resolve("朝阳") == Place("210000", "211300")
    assert resolver.resolve("北京朝阳") == Place("110000", "110100")


@pytest.mark.parametrize(
    ("text", "expected_fragments"),
    [
        ("Taizhou", ["台州市 (浙江省", "泰州市 (江苏省"]),
        ("Fuzhou", ["福州市", "抚州市"]),
        ("Suzhou", ["苏州市", "宿州市"]),
        ("Yulin", ["玉林市", "榆林市"]),
        ("Yichun", ["伊春市", "宜春市"]),
        ("鼓楼区", ["南京市", "徐州市", "福州市", "开封市"]),
        ("朝阳区", ["北京市", "长春市"]),
        ("江苏鼓楼区", ["南京市", "徐州市"]),
    ],
)
def test_ambiguous_names_list_their_candidates(
    resolver: LocationResolver, text: str, expected_fragments: list[str]
) -> None:
    with pytest.raises(AmbiguousPlace) as info:
        resolver.resolve(text)
    err = info.value
    assert err.text == text
    assert f'"{text}"' in str(err)
    assert len(err.candidates) == len(expected_fragments)
    for fragment in expected_fragments:
        assert any(fragment in c for c in err.candidates), (fragment, err.candidates)
        assert fragment in str(err)


@pytest.mark.parametrize("text", ["", "   ", "\u3000\t\n", ",,,", "\u3001"])
def test_empty_text_is_unknown(resolver: LocationResolver, text: str) -> None:
    with pytest.raises(UnknownPlace, match="empty") as info:
        resolver.resolve(text)
    assert info.value.text == text


@pytest.mark.parametrize("text", ["Foo", "Atlantis", "火星", "China", "中国", "Paris, France", "安徽省火星市"])
def test_unknown_text_names_the_input(resolver: LocationResolver, text: str) -> None:
    with pytest.raises(UnknownPlace) as info:
        resolver.resolve(text)
    assert info.value.text == text
    assert str(info.value).startswith(f'Unknown place "{text}"')


def test_errors_are_value_errors() -> None:
    assert issubclass(UnknownPlace, PlaceError)
    assert issubclass(AmbiguousPlace, PlaceError)
    assert issubclass(PlaceConflict, PlaceError)
    assert issubclass(PlaceError, ValueError)


# -- resolve_parts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("province", "city", "expected"),
    [
        ("安徽省", "合肥市", Place("340000", "340100")),
        ("安徽", "合肥", Place("340000", "340100")),
        ("Anhui", "Hefei", Place("340000", "340100")),
        ("安徽省", None, Place("340000", None)),
        ("安徽省", "", Place("340000", None)),
        ("安徽省", "  ", Place("340000", None)),
        ("安徽省", "N/A", Place("340000", None)),
        (None, "合肥", Place("340000", "340100")),
        ("", "Kunshan", Place("320000", "320500")),
        ("Shanghai", "Jiading", Place("310000", "310100")),
        ("Shanghai", None, Place("310000", "310100")),
        ("上海市", "张江", Place("310000", "310100")),  # a sub-area of a municipality
        ("北京市", "中关村", Place("110000", "110100")),
        ("Jiangsu", "Kunshan", Place("320000", "320500")),
        ("北京市", "海淀区", Place("110000", "110100")),
        ("北京市", "朝阳区", Place("110000", "110100")),  # also a district of Changchun
        ("北京", "朝阳", Place("110000", "110100")),  # also the city 朝阳市 (Liaoning)
        ("陕西省", "杨凌", Place("610000", "610400")),
        ("内蒙古", "鄂尔多斯", Place("150000", "150600")),
        ("新疆维吾尔自治区", "昌吉回族自治州", Place("650000", "652300")),
        ("Hong Kong", None, Place("810000", "810100")),
        ("Hong Kong", "Hong Kong", Place("810000", "810100")),
        ("香港", "九龙", Place("810000", "810100")),
        ("Shaanxi", "Xi'an", Place("610000", "610100")),
        ("宁夏", "中卫市", Place("640000", "640500")),
        ("Jiangsu", "Taizhou", Place("320000", "321200")),
        ("Zhejiang", "Taizhou", Place("330000", "331000")),
        ("吉林", "吉林", Place("220000", "220200")),
        ("吉林省", "长春", Place("220000", "220100")),
        ("青海", "海南", Place("630000", "632500")),
        ("江苏", "南京鼓楼区", Place("320000", "320100")),
        ("安徽省", "安徽省合肥市", Place("340000", "340100")),
    ],
)
def test_resolve_parts(resolver: LocationResolver, province: str | None, city: str | None, expected: Place) -> None:
    assert resolver.resolve_parts(province, city) == expected


@pytest.mark.parametrize(
    ("province", "city"),
    [("江苏", "杭州"), ("Jiangsu", "Hangzhou"), ("上海", "昆山"), ("北京", "合肥"), ("安徽", "鼓楼区")],
)
def test_a_city_of_another_province_is_a_conflict(resolver: LocationResolver, province: str, city: str) -> None:
    with pytest.raises(PlaceConflict) as info:
        resolver.resolve_parts(province, city)
    assert str(info.value).startswith(f'City "{city}" is not in province "{province}"')
    assert info.value.text == city
    assert info.value.province_text == province


def test_resolve_parts_errors_name_the_input(resolver: LocationResolver) -> None:
    with pytest.raises(UnknownPlace, match='"火星"'):
        resolver.resolve_parts("安徽", "火星")
    with pytest.raises(UnknownPlace, match='"Atlantis"'):
        resolver.resolve_parts("Atlantis", "Hefei")
    with pytest.raises(UnknownPlace, match="empty"):
        resolver.resolve_parts(None, None)
    with pytest.raises(UnknownPlace, match="empty"):
        resolver.resolve_parts(" ", "")
    with pytest.raises(AmbiguousPlace, match='"鼓楼区" in "江苏"'):
        resolver.resolve_parts("江苏", "鼓楼区")
    with pytest.raises(AmbiguousPlace, match='"Taizhou"'):
        resolver.resolve_parts(None, "Taizhou")


# -- the bench-dev records ------------------------------------------------------


def _bench_pairs() -> list[tuple[str | None, str | None]]:
    pairs: set[tuple[str | None, str | None]] = set()
    for name in ("achievements.jsonl", "needs.jsonl"):
        with (BENCH_DEV / name).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    record = json.loads(line)
                    pairs.add((record.get("province"), record.get("city")))
    return sorted(pairs, key=str)


BENCH_PAIRS = _bench_pairs()


def test_bench_dev_has_records() -> None:
    assert len(BENCH_PAIRS) > 20


@pytest.mark.parametrize(("province", "city"), BENCH_PAIRS)
def test_every_bench_dev_pair_resolves_in_its_province(
    resolver: LocationResolver, province: str | None, city: str | None
) -> None:
    place = resolver.resolve_parts(province, city)
    assert resolver.is_valid(place)
    if province:
        assert place.province_code == resolver.resolve(province).province_code
    if city and place.province_code not in SINGLE_CITY:
        assert place.city_code is not None


@pytest.mark.parametrize(
    ("province", "city", "expected"),
    [
        ("安徽省", "合肥市", Place("340000", "340100")),
        ("Jiangsu", "Kunshan", Place("320000", "320500")),
        ("北京市", "海淀区", Place("110000", "110100")),
        ("陕西省", "杨凌", Place("610000", "610400")),
        ("新疆维吾尔自治区", "昌吉回族自治州", Place("650000", "652300")),
        ("Hong Kong", None, Place("810000", "810100")),
        ("Shanghai", "Jiading", Place("310000", "310100")),
        ("Shaanxi", "Xi'an", Place("610000", "610100")),
        ("内蒙古", "鄂尔多斯", Place("150000", "150600")),
        ("宁夏", "中卫市", Place("640000", "640500")),
    ],
)
def test_bench_dev_exact_codes(resolver: LocationResolver, province: str, city: str | None, expected: Place) -> None:
    assert (province, city) in BENCH_PAIRS
    assert resolver.resolve_parts(province, city) == expected


# -- every name of regions.json ------------------------------------------------


def _expected_for(name: str) -> set[tuple[str, str | None]]:
    """Places a name of regions.json may resolve to: its province, else its cities."""
    tiers = REGIONS_INDEX[normalize(name)]
    return tiers[0] if tiers[0] else tiers[1]


@pytest.mark.parametrize(("province", "name"), PROVINCE_SPELLINGS, ids=[name for _, name in PROVINCE_SPELLINGS])
def test_every_province_spelling_resolves(resolver: LocationResolver, province: dict, name: str) -> None:
    assert resolver.resolve(name) == Place(province["code"], SINGLE_CITY.get(province["code"]))


def test_every_city_spelling_resolves_or_is_genuinely_shared(resolver: LocationResolver) -> None:
    shared = []
    for province, city, name in CITY_SPELLINGS:
        expected = _expected_for(name)
        if len(expected) > 1:
            with pytest.raises(AmbiguousPlace) as info:
                resolver.resolve(name)
            assert len(info.value.candidates) == len(expected)
            shared.append(name)
        else:
            place = resolver.resolve(name)
            assert (place.province_code, place.city_code) in expected, name
            if not REGIONS_INDEX[normalize(name)][0]:
                assert place == Place(province["code"], city["code"]), name
        # With its province, every spelling is unique again.
        for pname in (province["zh"], province["short"], province["en"]):
            want = Place(province["code"], city["code"])
            assert resolver.resolve(f"{pname} {name}") == want, (pname, name)
            assert resolver.resolve(f"{name}, {pname}") == want, (pname, name)
            assert resolver.resolve_parts(pname, name) == want, (pname, name)
    assert {"Taizhou", "Suzhou", "Fuzhou", "Yulin", "Yichun"} <= set(shared)


def test_every_county_resolves_within_its_city(resolver: LocationResolver) -> None:
    by_key: dict[str, set[str]] = defaultdict(set)
    for county in COUNTIES:
        by_key[normalize(county["zh"])].add(county["city_code"])
    for county in COUNTIES:
        city = county["city_code"]
        want = Place(CITY_PROVINCE[city], city)
        assert resolver.resolve_parts(resolver.city_name(city), county["zh"]) == want, county
        assert resolver.resolve(resolver.city_name(city) + county["zh"]) == want, county
        if len(by_key[normalize(county["zh"])]) == 1 and not REGIONS_INDEX.get(normalize(county["zh"])):
            assert resolver.resolve(county["zh"]) == want, county


def test_counties_json_shape() -> None:
    assert len(COUNTIES) > 2500
    codes = set()
    for county in COUNTIES:
        assert set(county) == {"code", "zh", "short", "en", "city_code"}
        assert len(county["code"]) == 6
        assert county["code"].isdigit()
        assert county["city_code"] in CITY_PROVINCE
        assert county["code"] not in CITY_PROVINCE
        assert county["zh"].startswith(county["short"])
        assert len(county["short"]) >= 2
        assert county["en"]
        assert county["en"].isascii() or "ü" in county["en"]
        codes.add(county["code"])
    assert len(codes) == len(COUNTIES)
    by_code = {c["code"]: c for c in COUNTIES}
    kunshan = {"code": "320583", "zh": "昆山市", "short": "昆山", "en": "Kunshan", "city_code": "320500"}
    assert by_code["320583"] == kunshan
    assert by_code["310114"]["en"] == "Jiading"
    assert by_code["500233"]["city_code"] == "500100"  # a county of Chongqing


def test_names_helpers(resolver: LocationResolver) -> None:
    assert resolver.province_name("340000") == "安徽省"
    assert resolver.province_name("340000", "en") == "Anhui"
    assert resolver.city_name("340100") == "合肥市"
    assert resolver.city_name("340100", "short") == "合肥"
    assert resolver.city_province("320500") == "320000"
    assert resolver.label(Place("320000", "321200")) == "泰州市 (江苏省; Taizhou, Jiangsu)"
    assert resolver.is_valid(Place("320000", "320500"))
    assert not resolver.is_valid(Place("330000", "320500"))


def test_from_files_without_counties_or_aliases() -> None:
    bare = LocationResolver.from_files(DATA / "regions.json")
    assert bare.resolve("合肥") == hefei()
    with pytest.raises(UnknownPlace):
        bare.resolve("昆山")
    assert get_resolver() is get_resolver()


def test_resolving_is_fast(resolver: LocationResolver) -> None:
    import time

    texts = ["安徽合肥", "Hefei, Anhui", "合肥", "江苏苏州昆山", "Shanghai", "海淀区"] * 2000
    start = time.perf_counter()
    for text in texts:
        resolver.resolve(text)
    rate = len(texts) / (time.perf_counter() - start)
    assert rate > 50_000


# -- properties -----------------------------------------------------------------

ALL_NAMES = sorted(
    {name for _, _, name in CITY_SPELLINGS}
    | {name for _, name in PROVINCE_SPELLINGS}
    | {c["zh"] for c in COUNTIES[::7]}
    | {c["en"] for c in COUNTIES[::11]}
)
NAME_CHARS = sorted({ch for name in ALL_NAMES for ch in name})

texts = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)),
    st.text(alphabet=st.sampled_from([*NAME_CHARS, " ", ",", "\u3000", "'", "\u2019", "-"]), max_size=20),
    st.lists(st.sampled_from(ALL_NAMES), min_size=1, max_size=4).map(" ".join),
    st.lists(st.sampled_from(ALL_NAMES), min_size=1, max_size=3).map("".join),
)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(resolve: Callable[..., Place], *args: str | None) -> Place | PlaceError:
    """The place, or the PlaceError raised; any other exception propagates."""
    try:
        return resolve(*args)
    except PlaceError as exc:
        return exc


def _assert_valid(place: Place) -> None:
    assert place.province_code in PROVINCE_CODES
    if place.city_code is not None:
        assert CITY_PROVINCE[place.city_code] == place.province_code


@PROPERTY_SETTINGS
@given(texts)
def test_resolve_returns_a_known_place_or_a_place_error(text: str) -> None:
    outcome = _outcome(R.resolve, text)
    if isinstance(outcome, PlaceError):
        assert outcome.text == text
        assert f'"{text}"' in str(outcome)
    else:
        _assert_valid(outcome)


@PROPERTY_SETTINGS
@given(st.one_of(st.none(), texts), st.one_of(st.none(), texts))
def test_resolve_parts_returns_a_known_place_or_a_place_error(province: str | None, city: str | None) -> None:
    outcome = _outcome(R.resolve_parts, province, city)
    if isinstance(outcome, PlaceError):
        assert outcome.text in (province or "", city or "", f"{province or ''} {city or ''}".strip())
        assert f'"{outcome.text}"' in str(outcome)
    else:
        _assert_valid(outcome)


def _noisy(draw: st.DrawFn, name: str) -> str:
    """``name`` with the kind of noise people type: case, full width, spaces."""
    if draw(st.booleans()):
        name = name.upper() if draw(st.booleans()) else name.lower()
    if draw(st.booleans()):
        name = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in name)
    pad = draw(st.sampled_from(["", " ", "  ", "\u3000", "\t"]))
    return f"{pad}{name}{pad}"


@st.composite
def city_spellings(draw: st.DrawFn) -> tuple[dict, dict, str]:
    province, city, name = draw(st.sampled_from(CITY_SPELLINGS))
    pname = draw(st.sampled_from([province["zh"], province["short"], province["en"]]))
    sep = draw(st.sampled_from([" ", "", ", ", "\uff0c", "\u3000"]))
    text = f"{pname}{sep}{name}" if draw(st.booleans()) else f"{name}{sep}{pname}"
    return province, city, _noisy(draw, text)


@PROPERTY_SETTINGS
@given(city_spellings())
def test_province_and_city_spellings_resolve_back(case: tuple[dict, dict, str]) -> None:
    province, city, text = case
    assert R.resolve(text) == Place(province["code"], city["code"])


@st.composite
def single_city_spellings(draw: st.DrawFn) -> tuple[dict, dict, str, str]:
    province, city, name = draw(st.sampled_from(CITY_SPELLINGS))
    return province, city, name, _noisy(draw, name)


@PROPERTY_SETTINGS
@given(single_city_spellings())
def test_city_spellings_resolve_back_or_are_genuinely_shared(case: tuple[dict, dict, str, str]) -> None:
    province, city, name, text = case
    expected = _expected_for(name)
    try:
        place = R.resolve(text)
    except AmbiguousPlace:
        assert len(expected) > 1, name
        return
    assert (place.province_code, place.city_code) in expected
    if expected == {(province["code"], city["code"])}:
        assert place == Place(province["code"], city["code"])
