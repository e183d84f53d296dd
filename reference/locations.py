"""Resolve place names typed by people into China's administrative divisions.

Pure Python, no Django: used wherever a place is typed in the product (sign-up,
bulk imports of records, matching).  A place resolves to a :class:`Place`: a
provincial-level division and, when known, its prefecture-level city (for the
four municipalities, Taiwan, Hong Kong and Macao, the division's single city
entry from ``regions.json``).

Data, in ``reference/data`` (see its README for sources and licences):

* ``regions.json``: provinces and prefecture-level cities, with zh, short and
  English names;
* ``counties.json``: county-level divisions (districts, counties, county-level
  cities, banners), each with its prefecture ``city_code``;
* ``place_aliases.json``: a few curated names (other romanizations, renamed
  counties);
* ``zones.json``: development zones, national-level new areas, high-tech zones
  and other well-known areas (苏州工业园区, 雄安新区, 中关村, 光谷...), each in
  its prefecture-level city (and county, when it lies within one).  A place
  resolved through a zone says so: :attr:`Place.zone` names it.

Matching rules
--------------
Text is normalized first: Unicode compatibility forms are folded (full-width
letters, spaces and punctuation), traditional characters of place names are
simplified (``蘇州工業園區``), accents are dropped (``Xī'ān``, ``Lüliang``),
case is ignored and every character that is not a letter or digit (spaces,
apostrophes, commas, hyphens, dots) is removed, so ``"Xi'an"``, ``"Xian"`` and
``"xi an"`` are the same key.  A leading or trailing "中国"/"China" is ignored.

Every name is indexed with a *tier*: 0 for a province, 1 for a prefecture-level
city, 2 for a county-level division or a curated area, 3 for a county's name
with another administrative suffix (``梁平区`` for ``梁平县``, since counties
keep being turned into districts and cities).  English names are also indexed
with their usual suffixes ("Anhui Province", "Hefei City", "Haidian District").
Six-digit GB/T 2260 codes are accepted as names.  A zone is indexed like a
county (tier 2), under its names and their usual suffix variants
(高新区/高新技术产业开发区, 经开区/经济技术开发区, 工业园区/工业园,
"Hi-tech Zone"/"High-tech Zone", "New Area"/"New District"...).

Error messages go through Django's gettext when Django is configured (the
product: they are built in the active language when raised), and stay English
otherwise (benchmarks run without Django).

The text is split into one to three consecutive known names (whole text first)
in any order ("安徽省合肥市", "Hefei, Anhui", "江苏苏州昆山").  A split counts
only when its names agree: at most one name per level, all in the same
province, and a county in the same city as the city named.  Among the splits
that agree, the one with the fewest names wins, then the one with the lowest
sum of tiers; if that still leaves several distinct places, the text is
ambiguous and :class:`AmbiguousPlace` lists them.  Consequences:

* a province beats a city beats a county of the same name: "吉林" is the
  province Jilin (city ``None``), "吉林市" or "吉林吉林" the city; "海南" is
  the province Hainan, not Qinghai's 海南藏族自治州 ("青海海南" is that);
* a city name shared by two cities ("Taizhou", "Fuzhou", "Suzhou", "Yulin",
  "Yichun") is ambiguous until the province is given ("Jiangsu Taizhou");
* a county name counts only when unique in China, or in the province or city
  given with it ("北京朝阳区", "南京鼓楼区").

A province alone gives ``city_code=None`` except for divisions with a single
city entry (municipalities, Taiwan, Hong Kong, Macao), which give that city.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

PROVINCE, CITY, AREA, AREA_VARIANT = 0, 1, 2, 3

# Suffixes people add to English names, by tier.
_PROVINCE_SUFFIXES = (
    "province",
    "sheng",
    "autonomousregion",
    "region",
    "zizhiqu",
    "municipality",
    "city",
    "shi",
    "sar",
    "specialadministrativeregion",
)
_CITY_SUFFIXES = (
    "city",
    "shi",
    "prefecture",
    "prefecturecity",
    "autonomousprefecture",
    "zizhizhou",
    "league",
    "meng",
    "region",
    "diqu",
    "municipality",
)
_AREA_SUFFIXES = (
    "district",
    "county",
    "city",
    "countylevelcity",
    "qu",
    "shi",
    "banner",
    "qi",
    "autonomouscounty",
    "newarea",
    "newdistrict",
    "zone",
)
# Chinese suffixes a county-level name may carry instead of its official one.
_AREA_ZH_SUFFIXES = ("区", "县", "市")
# Suffixes people add to a zone's English name or leave out ("Zhongguancun Science Park", "Qianhai Zone").
_ZONE_SUFFIXES = (
    "district",
    "zone",
    "newarea",
    "newdistrict",
    "area",
    "park",
    "sciencepark",
    "sciencecity",
    "hightechzone",
    "hitechzone",
    "industrialpark",
    "developmentzone",
    "specialarea",
    "cooperationzone",
)
# Names of one kind of zone written in different ways: a zone named with one is also found with the others.
_ZH_ZONE_FAMILIES = (
    ("高新技术产业开发区", "高新技术开发区", "高新技术产业园区", "高新技术园区", "高新开发区", "高新园区", "高新区"),
    ("经济技术开发区", "经济开发区", "经开区", "开发区"),
    ("工业园区", "工业园"),
    ("高科技园区", "高科技园", "科技园区", "科技园"),
)
_EN_ZONE_FAMILIES = (
    (
        "hightechindustrialdevelopmentzone",
        "hitechindustrialdevelopmentzone",
        "hightechindustriesdevelopmentzone",
        "hitechindustriesdevelopmentzone",
        "hightechdevelopmentzone",
        "hitechdevelopmentzone",
        "hightechindustrialzone",
        "hitechindustrialzone",
        "hightechindustrialpark",
        "hitechindustrialpark",
        "hightechdistrict",
        "hitechdistrict",
        "hightechpark",
        "hitechpark",
        "hightechzone",
        "hitechzone",
    ),
    (
        "economicandtechnologicaldevelopmentzone",
        "economicandtechnologicaldevelopmentarea",
        "economicandtechnologicaldevelopmentdistrict",
        "economictechnologicaldevelopmentzone",
        "economictechnologicaldevelopmentarea",
        "economicdevelopmentzone",
        "developmentzone",
        "developmentarea",
        "developmentdistrict",
    ),
    ("industrialpark", "industrialzone"),
    ("newarea", "newdistrict", "newzone"),
    ("sciencepark", "scitechpark", "scienceandtechnologypark", "technologypark", "techpark"),
)

_COUNTRY_KEYS = ("中华人民共和国", "中国", "peoplesrepublicofchina", "prchina", "china")
# Values of a record field that mean "not given" (resolve_parts only).
_NULL_KEYS = frozenset({"na", "none", "null", "nil", "unknown", "无", "暂无", "不详", "未知"})

_MAX_KEY_LENGTH = 80
_MAX_SEGMENTS = 3
_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class Place:
    """A resolved place: provincial-level division and prefecture-level city.

    ``zone`` is the Chinese name of the development zone or new area the text named (a key of
    :meth:`LocationResolver.zone`), None otherwise; it does not take part in comparisons."""

    province_code: str
    city_code: str | None  # prefecture-level city code (or the division's single city)
    zone: str | None = field(default=None, compare=False)


def _(message: str) -> str:
    """``message`` in the active language through Django's gettext when Django is configured, else as written."""
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils.translation import gettext

            return gettext(message)
    except ImportError:  # pragma: no cover - Django is always installed with the product
        pass
    return message


# ``UnknownPlace.reason``: why a text is unknown (stable codes; the message is translated).
UNKNOWN, COUNTRY, EMPTY, NOT_IN_PROVINCE = "unknown", "country", "empty", "not in province"


class PlaceError(ValueError):
    """A place text that cannot be resolved; ``text`` is the offending input."""

    def __init__(self, text: str, message: str | None = None) -> None:
        self.text = text
        super().__init__(message or _('Invalid place "%(text)s"') % {"text": text})


class UnknownPlace(PlaceError):
    """No province, city or county of that name; ``reason`` is one of UNKNOWN, COUNTRY, EMPTY, NOT_IN_PROVINCE."""

    def __init__(self, text: str, reason: str = UNKNOWN, province_text: str = "") -> None:
        self.reason = reason
        self.province_text = province_text
        if reason == EMPTY:
            message = _('Unknown place "%(text)s": empty; give a province, city or county')
        elif reason == COUNTRY:
            message = _('Unknown place "%(text)s": a country, not a province or city')
        elif reason == NOT_IN_PROVINCE:
            message = _('Unknown place "%(text)s": not a known city, county or district of "%(province)s"')
        else:
            message = _(
                'Unknown place "%(text)s": not a known province, city, county or development zone of China; '
                "choose the province and city from the lists instead"
            )
        super().__init__(text, message % {"text": text, "province": province_text})


class AmbiguousPlace(PlaceError):
    """Several places share that name; ``candidates`` describes them."""

    def __init__(self, text: str, candidates: Sequence[str], context: str = "") -> None:
        self.candidates = list(candidates)
        values = {"text": text, "context": context, "candidates": _or_list(self.candidates)}
        if context:
            message = _(
                'Ambiguous place "%(text)s" in "%(context)s": could be %(candidates)s; add the province or city'
            )
        else:
            message = _('Ambiguous place "%(text)s": could be %(candidates)s; add the province or city')
        super().__init__(text, message % values)


class PlaceConflict(PlaceError):
    """The city given is not in the province given."""

    def __init__(self, text: str, province_text: str, candidates: Sequence[str]) -> None:
        self.province_text = province_text
        self.candidates = list(candidates)
        message = _('City "%(text)s" is not in province "%(province)s" (it is %(candidates)s)')
        super().__init__(
            text, message % {"text": text, "province": province_text, "candidates": _or_list(self.candidates)}
        )


def _or_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s or %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


@dataclass(frozen=True, slots=True)
class _Entry:
    tier: int
    province_code: str
    city_code: str | None
    label: str
    zone: str | None = None


# Traditional characters of place names and zones, read as their simplified forms ("蘇州工業園區", "臺灣", "瀋陽").
# None of them occurs in a simplified name of the data (tests/reference/test_zones.py checks).
_TRADITIONAL = str.maketrans(
    "蘇區業園開發經濟術產關張灣廣東門漢陽慶龍華遼寧黃島臺陝貴雲齊濱滬瀋長興鄭廈鎮縣鄉嶺峽橋溝湯濰煙臨崗錫蕪揚連鹽紹溫"
    "麗義烏魯綿瀘兩順頭農學試驗貿創環蘭銀樂亞滄陸豐瀾灃崑澤歷壽鐵撫錦鶴雞綏紅寶隴靈壩灘樓閔嶼閘靜驛盧鳳鄒羅萊蕭餘橫"
    "場際國團廠號雙萬濤鄲遷嶽衛賓荊隨岡鍾婁懷贛饒鷹潁馬銅諸閩晉瀏畢賀欽瓊墾總邊鄖瀕遠運達進鄰郵勝澱淪陰陳劉楊趙莊觀"
    "體館廳漁礦鋼鹵塢鳥鳴鴻鵬彎禮檔燈爾衝盤虛蓋",
    "苏区业园开发经济术产关张湾广东门汉阳庆龙华辽宁黄岛台陕贵云齐滨沪沈长兴郑厦镇县乡岭峡桥沟汤潍烟临岗锡芜扬连盐绍温"
    "丽义乌鲁绵泸两顺头农学试验贸创环兰银乐亚沧陆丰澜沣昆泽历寿铁抚锦鹤鸡绥红宝陇灵坝滩楼闵屿闸静驿卢凤邹罗莱萧余横"
    "场际国团厂号双万涛郸迁岳卫宾荆随冈钟娄怀赣饶鹰颍马铜诸闽晋浏毕贺钦琼垦总边郧濒远运达进邻邮胜淀沦阴陈刘杨赵庄观"
    "体馆厅渔矿钢卤坞鸟鸣鸿鹏弯礼档灯尔冲盘虚盖",
)


def normalize(text: str) -> str:
    """The lookup key of ``text``: folded, lower-case, letters and digits only, traditional characters simplified."""
    decomposed = unicodedata.normalize("NFKD", text if text.isascii() else text.translate(_TRADITIONAL))
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch)).casefold()


def _strip_country(key: str) -> str:
    for country in _COUNTRY_KEYS:
        if key.startswith(country):
            key = key[len(country) :]
            break
    for country in _COUNTRY_KEYS:
        if key.endswith(country) and len(key) > len(country):
            key = key[: -len(country)]
            break
    return key


def _is_latin(key: str) -> bool:
    return key.isascii() and not key.isdigit()


class LocationResolver:
    """Resolves free-text place names; build once, then look up (see module doc)."""

    def __init__(
        self,
        regions: Mapping[str, Any],
        counties: Iterable[Mapping[str, Any]] = (),
        aliases: Mapping[str, Any] | None = None,
        zones: Mapping[str, Any] | None = None,
    ) -> None:
        self._provinces: dict[str, Mapping[str, Any]] = {}
        self._zones: dict[str, Mapping[str, Any]] = {}
        self._cities: dict[str, Mapping[str, Any]] = {}
        self._city_province: dict[str, str] = {}
        self._single_city: dict[str, str] = {}
        self._index_lists: dict[str, list[_Entry]] = {}

        for province in regions["provinces"]:
            pcode = province["code"]
            self._provinces[pcode] = province
            cities = province["cities"]
            for city in cities:
                self._cities[city["code"]] = city
                self._city_province[city["code"]] = pcode
            if len(cities) == 1:
                self._single_city[pcode] = cities[0]["code"]

        for pcode, province in self._provinces.items():
            entry = _Entry(PROVINCE, pcode, self._single_city.get(pcode), self._label(pcode))
            names = (province["zh"], province["short"], province["en"], pcode)
            self._add(names, entry, _PROVINCE_SUFFIXES)
            for city in province["cities"]:
                ccode = city["code"]
                entry = _Entry(CITY, pcode, ccode, self._label(pcode, ccode))
                self._add((city["zh"], city["short"], city["en"], ccode), entry, _CITY_SUFFIXES)

        # Zones before counties: a zone that is also a county's name (浦东新区) keeps its zone; a zone's own name
        # ("Xixian New Area") beats a county's name with a suffix added (隰县 Xixian + "new area").
        zone_keys: set[str] = set()
        for zone in (zones or {}).get("zones", ()):
            ccode = zone["city_code"]
            pcode = self._city_province[ccode]
            self._zones[zone["zh"]] = zone
            entry = _Entry(AREA, pcode, ccode, self._label(pcode, ccode, zone["zh"], zone["en"]), zone["zh"])
            names = self._zone_names(zone, self._cities[ccode])
            self._add(names, entry, _ZONE_SUFFIXES)
            zone_keys.update(normalize(name) for name in names)

        for county in counties:
            ccode = county["city_code"]
            pcode = self._city_province.get(ccode)
            if pcode is None:
                continue
            zh, short = county["zh"], county["short"]
            entry = _Entry(AREA, pcode, ccode, self._label(pcode, ccode, zh, county["en"]))
            self._add((zh, short, county["en"], county["code"]), entry, _AREA_SUFFIXES)
            if short != zh:
                variant = _Entry(AREA_VARIANT, pcode, ccode, entry.label)
                self._add((short + s for s in _AREA_ZH_SUFFIXES), variant, ())

        if aliases:
            for item in aliases.get("provinces", ()):
                pcode = item["code"]
                entry = _Entry(PROVINCE, pcode, self._single_city.get(pcode), self._label(pcode))
                self._add(item["names"], entry, _PROVINCE_SUFFIXES)
            for item in aliases.get("cities", ()):
                ccode = item["code"]
                pcode = self._city_province[ccode]
                self._add(item["names"], _Entry(CITY, pcode, ccode, self._label(pcode, ccode)), _CITY_SUFFIXES)
            for item in aliases.get("areas", ()):
                ccode = item["city_code"]
                pcode = self._city_province[ccode]
                for name in item["names"]:
                    entry = _Entry(AREA, pcode, ccode, self._label(pcode, ccode, name))
                    self._add((name,), entry, _AREA_SUFFIXES)

        # Freeze: one entry per (tier, place) for each key, best tier first.
        self._index: dict[str, tuple[_Entry, ...]] = {}
        for key, entries in self._index_lists.items():
            if key in zone_keys:
                entries = [e for e in entries if e.zone is not None or e.tier < AREA]
            seen: set[tuple[int, str, str | None]] = set()
            unique: list[_Entry] = []
            for e in sorted(entries, key=lambda e: e.tier):
                ident = (e.tier, e.province_code, e.city_code)
                if ident not in seen:
                    seen.add(ident)
                    unique.append(e)
            self._index[key] = tuple(unique)
        del self._index_lists
        # Key lengths by the key's first two characters, to split texts quickly.
        heads: dict[str, set[int]] = {}
        for key in self._index:
            heads.setdefault(key[:2], set()).add(len(key))
        self._lengths_by_head = {h: tuple(sorted(v)) for h, v in heads.items()}
        self._cache: dict[tuple[str, str | None, bool], list[_Entry]] = {}

    @classmethod
    def from_files(
        cls,
        regions_path: Path,
        counties_path: Path | None = None,
        aliases_path: Path | None = None,
        zones_path: Path | None = None,
    ) -> LocationResolver:
        regions = json.loads(Path(regions_path).read_text(encoding="utf-8"))
        counties = json.loads(Path(counties_path).read_text(encoding="utf-8")) if counties_path else []
        aliases = json.loads(Path(aliases_path).read_text(encoding="utf-8")) if aliases_path else None
        zones = json.loads(Path(zones_path).read_text(encoding="utf-8")) if zones_path else None
        return cls(regions, counties, aliases, zones)

    # -- building ---------------------------------------------------------

    def _add(self, names: Iterable[str], entry: _Entry, suffixes: Sequence[str]) -> None:
        for name in names:
            key = normalize(name)
            if not key:
                continue
            keys = [key]
            if "ü" in name.casefold():
                keys.append(normalize(name.casefold().replace("ü", "v")))
            if _is_latin(key):
                keys += [k + s for k in list(keys) for s in suffixes]
            for k in keys:
                self._index_lists.setdefault(k, []).append(entry)

    @staticmethod
    def _zone_names(zone: Mapping[str, Any], city: Mapping[str, Any]) -> list[str]:
        """A zone's names with their suffix variants, and with its city's full name where one starts with the
        city's short name ("苏州高新区", "苏州市高新区")."""
        names: list[str] = []
        for name in (zone["zh"], zone["en"], *zone.get("names", ())):
            names.append(name)
            key = normalize(name)
            families = _EN_ZONE_FAMILIES if _is_latin(key) else _ZH_ZONE_FAMILIES
            endings = sorted(((m, f) for f in families for m in f), key=lambda item: -len(item[0]))
            for member, family in endings:
                if key.endswith(member) and len(key) > len(member):
                    names += [key[: -len(member)] + other for other in family if other != member]
                    break
        short, full = city["short"], city["zh"]
        if short != full:
            names += [full + n[len(short) :] for n in list(names) if n.startswith(short) and not n.startswith(full)]
        # As looked up: without "中国"/"China" before or after ("中国(上海)自由贸易试验区", "Optics Valley of China").
        names += [_strip_country(normalize(n)) for n in names if _strip_country(normalize(n)) != normalize(n)]
        return names

    def _label(self, pcode: str, ccode: str | None = None, area: str | None = None, area_en: str = "") -> str:
        province = self._provinces[pcode]
        zh = [province["zh"]]
        en = [province["en"]]
        if ccode is not None and ccode != self._single_city.get(pcode):
            city = self._cities[ccode]
            zh.insert(0, city["zh"])
            en.insert(0, city["en"])
        if area:
            head, head_en = area, area_en
        else:
            head, head_en = zh.pop(0), en.pop(0)
        if not zh:
            return f"{head} ({head_en})" if head_en and head_en != head else head
        zh_part = ", ".join(zh)
        en_part = ", ".join(([head_en] if head_en else []) + en)
        return f"{head} ({zh_part}; {en_part})"

    # -- lookup -----------------------------------------------------------

    def _key(self, text: str) -> str:
        return _strip_country(normalize(text))

    def _lookup(self, key: str, province_code: str | None) -> tuple[_Entry, ...]:
        entries = self._index.get(key, ())
        if province_code is not None and entries:
            entries = tuple(e for e in entries if e.province_code == province_code)
        return entries

    def _candidates(self, key: str, province_code: str | None = None, need_city: bool = False) -> list[_Entry]:
        """Best interpretations of ``key``, one entry per distinct place (cached).

        With ``province_code``, only places in that province count; with
        ``need_city``, only interpretations that name a city.
        """
        cache_key = (key, province_code, need_city)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._interpret(key, province_code, need_city)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[cache_key] = found
        return found

    def _interpret(self, key: str, province_code: str | None, need_city: bool) -> list[_Entry]:
        whole = self._lookup(key, province_code)
        if need_city:
            whole = tuple(e for e in whole if e.city_code is not None)
        if whole:
            return _best([(e,) for e in whole], need_city)
        n = len(key)
        if n > _MAX_KEY_LENGTH:
            return []
        spans: dict[int, list[tuple[int, tuple[_Entry, ...]]]] = {}

        def at(i: int) -> list[tuple[int, tuple[_Entry, ...]]]:
            found = spans.get(i)
            if found is None:
                found = []
                lengths = self._lengths_by_head.get(key[i : i + 2], ())
                if key[i] in self._lengths_by_head:  # one-character keys
                    lengths += self._lengths_by_head[key[i]]
                for length in lengths:
                    if i + length <= n and not (i == 0 and length == n):
                        entries = self._lookup(key[i : i + length], province_code)
                        if entries:
                            found.append((i + length, entries))
                spans[i] = found
            return found

        combos: list[tuple[_Entry, ...]] = []

        def walk(i: int, chosen: tuple[tuple[_Entry, ...], ...]) -> None:
            for end, entries in at(i):
                path = (*chosen, entries)
                if end == n:
                    combos.extend(product(*path))
                elif len(path) < _MAX_SEGMENTS:
                    walk(end, path)

        walk(0, ())
        return _best(combos, need_city)

    def _place_of(self, entry: _Entry) -> Place:
        return Place(entry.province_code, entry.city_code, entry.zone)

    def resolve(self, text: str) -> Place:
        """Resolve one free-text place ("安徽合肥", "Hefei, Anhui", "昆山", ...)."""
        key = self._key(text)
        if not key:
            if normalize(text):
                raise UnknownPlace(text, COUNTRY)
            raise UnknownPlace(text, EMPTY)
        found = self._candidates(key)
        if not found:
            raise UnknownPlace(text)
        if len(found) > 1:
            raise AmbiguousPlace(text, [e.label for e in found])
        return self._place_of(found[0])

    def resolve_parts(self, province: str | None, city: str | None) -> Place:
        """Resolve the province and city fields of a record.

        ``city`` may be empty (the province alone), a prefecture-level city, a
        county or district (its prefecture), or, in a municipality or SAR, any
        district or area name not known elsewhere (the division's city).  A
        city known only in another province raises :class:`PlaceConflict`.
        An empty province resolves from the city alone.  Fields holding only
        punctuation or a "not given" marker ("N/A", "无", "不详"...) count as empty.
        """
        province_text = province or ""
        city_text = city or ""
        province_key = self._key(province_text)
        city_key = self._key(city_text)
        if province_key in _NULL_KEYS:
            province_key = ""
        if city_key in _NULL_KEYS:
            city_key = ""
        if not province_key:
            if not city_key:
                raise UnknownPlace(f"{province_text} {city_text}".strip(), EMPTY)
            return self.resolve(city_text)
        base = self.resolve(province_text)
        if not city_key:
            return base
        pcode = base.province_code
        found = self._candidates(city_key, pcode, need_city=True)
        if len(found) > 1 and base.city_code is not None:
            # The province field named a city ("南京", "鼓楼区"): keep what is in it.
            found = [e for e in found if e.city_code == base.city_code] or found
        if len(found) == 1:
            return self._place_of(found[0])
        if found:
            raise AmbiguousPlace(city_text, [e.label for e in found], context=province_text)
        try:
            elsewhere = self.resolve(city_text)
        except AmbiguousPlace as exc:
            raise PlaceConflict(city_text, province_text, exc.candidates) from None
        except UnknownPlace:
            single = self._single_city.get(pcode)
            if single is not None:
                return Place(pcode, single)  # a district or area of a municipality / SAR
            raise UnknownPlace(city_text, NOT_IN_PROVINCE, province_text) from None
        if elsewhere.province_code == pcode:
            return base  # the province repeated in the city field
        label = self.label(elsewhere)
        raise PlaceConflict(city_text, province_text, [_("in %(place)s") % {"place": label}])

    # -- names ------------------------------------------------------------

    def province_name(self, code: str, lang: str = "zh") -> str:
        """Name of a province code; ``lang`` is "zh", "short" or "en"."""
        return str(self._provinces[code][lang])

    def city_name(self, code: str, lang: str = "zh") -> str:
        """Name of a prefecture-level city code; ``lang`` is "zh", "short" or "en"."""
        return str(self._cities[code][lang])

    def zone(self, name: str) -> Mapping[str, Any]:
        """The record of a zone (``Place.zone``) in ``zones.json``: ``zh``, ``en``, ``kind``, ``city_code``..."""
        return self._zones[name]

    def city_province(self, city_code: str) -> str:
        """Province code of a prefecture-level city code."""
        return self._city_province[city_code]

    def label(self, place: Place) -> str:
        """Human-readable, bilingual description, e.g. "合肥市 (安徽省; Hefei, Anhui)"."""
        return self._label(place.province_code, place.city_code)

    def is_valid(self, place: Place) -> bool:
        """Whether ``place`` names a known province and, if any, a city in it."""
        if place.province_code not in self._provinces:
            return False
        return place.city_code is None or self._city_province.get(place.city_code) == (place.province_code)


def _best(combos: Iterable[tuple[_Entry, ...]], need_city: bool = False) -> list[_Entry]:
    """Consistent combinations with the fewest names, then the lowest tiers.

    Returns one entry (the most specific of its combination) per distinct place.
    """
    best_rank: tuple[int, int] | None = None
    best: dict[tuple[str, str | None], _Entry] = {}
    for combo in combos:
        merged = _merge(combo)
        if merged is None or (need_city and merged.city_code is None):
            continue
        rank = (len(combo), sum(e.tier for e in combo))
        if best_rank is None or rank < best_rank:
            best_rank = rank
            best = {}
        if rank == best_rank:
            best.setdefault((merged.province_code, merged.city_code), merged)
    return sorted(best.values(), key=lambda e: (e.province_code, e.city_code or ""))


def _merge(combo: tuple[_Entry, ...]) -> _Entry | None:
    """The most specific entry of ``combo`` if its names agree, else None."""
    if len(combo) == 1:
        return combo[0]
    levels: set[int] = set()
    province = combo[0].province_code
    city: str | None = None
    finest = combo[0]
    for e in combo:
        level = min(e.tier, AREA)
        if level in levels or e.province_code != province:
            return None
        levels.add(level)
        if e.city_code is not None:
            if city is not None and e.city_code != city:
                return None
            city = e.city_code
        if e.tier > finest.tier:
            finest = e
    if finest.city_code is None and city is not None:
        finest = _Entry(finest.tier, province, city, finest.label, finest.zone)
    return finest


@functools.cache
def get_resolver(data_dir: Path = DATA_DIR) -> LocationResolver:
    """The shared resolver over ``reference/data`` (built once per process)."""
    return LocationResolver.from_files(
        data_dir / "regions.json",
        data_dir / "counties.json",
        data_dir / "place_aliases.json",
        data_dir / "zones.json",
    )
