"""Build ``reference/data/counties.json`` from cpca's ``adcodes.csv``.

A one-off script, run by hand when the county list needs refreshing; nothing
imports it at run time.  Sources:

* ``adcodes.csv`` from the MIT-licensed ``cpca`` package (0.5.5), path given on
  the command line (``cpca/resources/adcodes.csv`` inside the wheel);
* ``reference/data/regions.json`` for the prefecture-level cities a county
  belongs to;
* ``pypinyin`` for the English (pinyin) names.  It is needed only here, not by
  the project: install it somewhere temporary, e.g.
  ``pip install --target /tmp/pyp pypinyin`` and run with ``PYTHONPATH=/tmp/pyp``.

Usage::

    PYTHONPATH=/tmp/pyp python scripts/build_counties.py \\
        /tmp/cpca/cpca/resources/adcodes.csv [--out reference/data/counties.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "reference" / "data"

# Rows that are groupings, not places.
PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

# Prefecture codes that changed after cpca's data was compiled (about 2018):
# 那曲地区 (542400) became 那曲市 (540600) in 2017/18; 莱芜市 (371200) was merged
# into 济南市 (370100) in 2019.
PARENT_REMAP = {"542400": "540600", "371200": "370100"}

# Longest first: the first that matches is removed.
SUFFIXES = ("自治县", "自治旗", "新区", "林区", "特区", "矿区", "区", "县", "市", "旗")

# Ethnic groups as they appear in the names of autonomous counties and banners.
_ETHNIC_NAMES = """
    土家族 苗族 黎族 彝族 回族 满族 蒙古族 藏族 羌族 壮族 瑶族 侗族 布依族 仡佬族 水族 傣族
    哈尼族 白族 纳西族 傈僳族 拉祜族 佤族 景颇族 独龙族 怒族 普米族 布朗族 阿昌族 德昂族
    哈萨克族 锡伯族 塔吉克族 撒拉族 保安族 东乡族 土族 裕固族 达斡尔族 鄂温克族 鄂伦春族
    朝鲜族 畲族 仫佬族 毛南族 京族 各族 维吾尔族 柯尔克孜族 乌孜别克族 俄罗斯族 塔塔尔族
    门巴族 珞巴族 赫哲族 基诺族
"""
ETHNIC = tuple(_ETHNIC_NAMES.split())
# Some names leave out the 族 of multi-character groups (塔什库尔干塔吉克自治县).
ETHNIC_BARE = tuple(e[:-1] for e in ETHNIC if len(e) >= 3)

# Readings that pypinyin gets wrong for place names, by short name.
PINYIN_OVERRIDES = {
    "单县": "Shanxian",
    "浚县": "Xunxian",
    "洪洞": "Hongtong",
    "繁峙": "Fanshi",
    "筠连": "Junlian",
    "蚌山": "Bengshan",
    "长子": "Zhangzi",
    "乐亭": "Laoting",
    "乐清": "Yueqing",
    "番禺": "Panyu",
    "六合": "Luhe",
    "六安": "Lu'an",
    "铅山": "Yanshan",
    "蔚县": "Yuxian",
    "尉犁": "Yuli",
    "歙县": "Shexian",
    "泌阳": "Biyang",
    "东阿": "Dong'e",
    "牟平": "Muping",
    "犍为": "Qianwei",
    "大埔": "Dabu",
    "天台": "Tiantai",
    "阆中": "Langzhong",
    "枞阳": "Zongyang",
    "荥阳": "Xingyang",
    "茌平": "Chiping",
    "盱眙": "Xuyi",
    "睢宁": "Suining",
    "睢县": "Suixian",
    "莘县": "Shenxian",
    "费县": "Feixian",
    "涡阳": "Guoyang",
    "柏乡": "Baixiang",
    "大冶": "Daye",
    "解放": "Jiefang",
    "会理": "Huili",
    "厦门": "Xiamen",
    "鄄城": "Juancheng",
    "郓城": "Yuncheng",
    "莒县": "Juxian",
    "亳州": "Bozhou",
    "藁城": "Gaocheng",
    "行唐": "Xingtang",
    "闵行": "Minhang",
    "马尾": "Mawei",
    "南乐": "Nanle",
    "民乐": "Minle",
    "曾都": "Zengdu",
    "龙圩": "Longxu",
    "中牟": "Zhongmou",
    "阿图什": "Atushi",
}
# Characters whose place-name reading differs from pypinyin's usual choice.
CHAR_OVERRIDES = {
    "长": "chang",
    "朝": "chao",
    "重": "chong",
    "蚌": "beng",
    "都": "du",
    "佛": "fo",
    "勒": "le",
}


def short_name(name: str) -> str:
    """``name`` without its administrative suffix, if at least 2 chars remain."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            rest = name[: -len(suffix)]
            break
    else:
        return name
    if suffix in ("自治县", "自治旗"):
        stripped = rest
        changed = True
        while changed:
            changed = False
            for group in ETHNIC:
                if stripped.endswith(group) and len(stripped) - len(group) >= 2:
                    stripped = stripped[: -len(group)]
                    changed = True
        for group in ETHNIC_BARE:
            if stripped.endswith(group) and len(stripped) - len(group) >= 2:
                stripped = stripped[: -len(group)]
                break
        # 鄂温克族自治旗: the name is the group itself.
        rest = stripped[:-1] if stripped in ETHNIC else stripped
    return rest


def to_pinyin(name: str) -> str:
    """Pinyin without tones, e.g. 昆山 -> Kunshan, 西安 -> Xi'an."""
    if name in PINYIN_OVERRIDES:
        return PINYIN_OVERRIDES[name]
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(name, style=Style.NORMAL, v_to_u=True)
    if len(syllables) == len(name):
        syllables = [CHAR_OVERRIDES.get(char, syl) for char, syl in zip(name, syllables, strict=True)]
    out = ""
    for i, syl in enumerate(syllables):
        if i and syl[:1] in ("a", "e", "o"):
            out += "'"
        out += syl
    return out[:1].upper() + out[1:]


def build(adcodes: Path, regions_path: Path) -> list[dict[str, str]]:
    regions = json.loads(regions_path.read_text(encoding="utf-8"))
    city_codes: set[str] = set()
    single_city: dict[str, str] = {}  # province prefix (2 digits) -> its only city
    for province in regions["provinces"]:
        for city in province["cities"]:
            city_codes.add(city["code"])
        if province["kind"] == "municipality":
            single_city[province["code"][:2]] = province["cities"][0]["code"]

    counties: list[dict[str, str]] = []
    with adcodes.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["adcode"][:6]
            name = row["name"].strip()
            if code.endswith("00") or name in PLACEHOLDER_NAMES:
                continue  # province, prefecture or grouping row
            if code in city_codes:
                continue  # xx90xx county-level city listed as a city in regions.json
            if code[:2] in single_city:
                parent = single_city[code[:2]]
            else:
                parent = code[:4] + "00"
                parent = PARENT_REMAP.get(parent, parent)
            if parent not in city_codes:
                continue
            short = short_name(name)
            counties.append({"code": code, "zh": name, "short": short, "en": to_pinyin(short), "city_code": parent})
    counties.sort(key=lambda c: c["code"])
    return counties


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adcodes", type=Path, help="path to cpca/resources/adcodes.csv")
    parser.add_argument("--regions", type=Path, default=DATA / "regions.json")
    parser.add_argument("--out", type=Path, default=DATA / "counties.json")
    args = parser.parse_args(argv)
    counties = build(args.adcodes, args.regions)
    lines = ",\n".join(json.dumps(c, ensure_ascii=False) for c in counties)
    args.out.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    print(f"wrote {len(counties)} counties to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
