"""The parts of ``bench/generate.py`` that make the data: real texts (bench/data and ../shared/realdata), the
domains they are about, places, organisations' and people's names, and the plan of statuses, prices and dates.

Pure Python and deterministic: everything is drawn from one ``random.Random`` seeded by the caller, and the sources
are read in a fixed order. Nothing here touches the database (``generate.py`` writes).
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
REALDATA = ROOT.parent / "shared" / "realdata"
REFERENCE = ROOT / "reference" / "data"
TITLE_MAX = 200
BODY_MAX = 30_000  # core.limits.BODY_MAX
KEYWORD_MAX = 60
MAX_KEYWORDS = 8
NEED_EN_MAX = 1500  # an SBIR topic's first sentences (whole topics run to 4,000 characters and more)


@dataclass
class Text:
    """One real text: a title, its body, keywords, language, and what the record said of itself."""

    title: str
    body: str
    lang: str
    keywords: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


# --- sources -----------------------------------------------------------------------------------------------------
def _jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _clean(text: str, limit: int) -> str:
    text = re.sub(r"[ \t\r\f\v]+", " ", (text or "").replace("\x00", "")).strip()
    return text[:limit].strip()


def _sentences(text: str, limit: int) -> str:
    """The text's first sentences, up to about ``limit`` characters (a topic's objective and description, without
    its references and phases: what a posting would say)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind(".\n"))
    return cut[: end + 1] if end > limit // 2 else cut


def _keywords(words: object) -> list[str]:
    if isinstance(words, str):
        words = re.split(r"[,，;；、]", words)
    out: list[str] = []
    for word in words or []:
        word = str(word).strip()[:KEYWORD_MAX].strip()
        if word and word not in out:
            out.append(word)
    return out[:MAX_KEYWORDS]


def _text(title: str, body: str, lang: str, keywords: object = (), **extra: object) -> Text | None:
    title, body = _clean(title, TITLE_MAX), _clean(body, BODY_MAX)
    if lang == "en" and title.isupper():
        title = title.title()
    if len(title) < 4 or len(body) < 20:
        return None
    return Text(title=title, body=body, lang=lang, keywords=_keywords(keywords), extra=dict(extra))


def _benchmark(name: str, kind: str) -> list[Text]:
    out = []
    for r in _jsonl(DATA / name / f"{kind}.jsonl"):
        body = r.get("summary") if kind == "achievements" else r.get("description")
        extra = {k: r.get(k) for k in ("trl", "ip", "modes", "price_wan", "min_trl", "budget_wan", "region_scope")}
        text = _text(r["title"], body or "", r.get("lang") or "zh", r.get("keywords"), **extra)
        if text:
            text.domains = list(r.get("domains") or [])
            out.append(text)
    return out


@cache
def sources() -> dict[str, list[Text]]:
    """The texts by side and language: ``{"a-zh": [...], "a-en": [...], "n-zh": [...], "n-en": [...]}``."""
    pools: dict[str, list[Text]] = {"a-zh": [], "a-en": [], "n-zh": [], "n-en": []}
    for name in ("bench-cn-dev", "bench-real-dev", "bench-dev"):
        for kind, side in (("achievements", "a"), ("needs", "n")):
            for text in _benchmark(name, kind):
                pools[f"{side}-{'en' if text.lang == 'en' else 'zh'}"].append(text)
    zh = REALDATA / "zh-patents-papers"
    for r in _jsonl(zh / "csl_benchmark_devtest_joined.jsonl"):
        if r.get("category") not in ("工学", "理学", "农学", "医学"):
            continue  # papers of law, history or the arts are not technology on offer
        text = _text(r.get("title", ""), r.get("abstract", ""), "zh", r.get("keywords"), discipline=r.get("discipline"),
                     ip="none")  # fmt: skip
        if text:
            pools["a-zh"].append(text)
    tac = zh / "kppatent_zh_test_data_TAC.json"
    if tac.exists():
        for r in json.loads(tac.read_text(encoding="utf-8")):
            found = re.search(r"标题：(.*?)\n摘要：(.*?)(?:\n权利声明：|$)", r.get("input", ""), re.S)
            if found:
                text = _text(found.group(1), found.group(2), "zh", r.get("output"), ip="pending_patent")
                if text:
                    pools["a-zh"].append(text)
    us = REALDATA / "uspto-sbir-sample"
    for r in _jsonl(us / "uspto_applications_2023.jsonl"):
        text = _text(r.get("title", ""), r.get("abstract", ""), "en", ip="pending_patent")
        if text:
            pools["a-en"].append(text)
    software = REALDATA / "nasa-software-catalog" / "nasa_software.csv"
    if software.exists():
        with open(software, encoding="utf-8-sig", newline="") as handle:
            for r in csv.DictReader(handle):
                text = _text(r.get("project_name", ""), r.get("project_overview", ""), "en", ip="software_copyright")
                if text:
                    pools["a-en"].append(text)
    for r in _jsonl(REALDATA / "sbir-topics-2008-2018" / "topics.jsonl.gz"):
        text = _text(r.get("title", ""), _sentences(r.get("description", ""), NEED_EN_MAX), "en")
        if text:
            pools["n-en"].append(text)
    for texts in pools.values():
        for text in texts:
            if not text.domains:
                text.domains = classify(text)
    return pools


# --- domains -----------------------------------------------------------------------------------------------------
# Words that say what a text is about, per subdomain of the taxonomy (reference/data/domains.json): Chinese and
# English, matched in the title (counted three times) and the body.
DOMAIN_WORDS: dict[str, str] = {
    "ai": "人工智能|深度学习|神经网络|机器学习|图像识别|语音识别|自然语言|大模型|"
    "machine learning|neural network|deep learning|artificial intelligence|computer vision",
    "integrated_circuits": "芯片|集成电路|晶圆|封装|半导体器件|ASIC|FPGA|integrated circuit|chip|wafer|transistor",
    "quantum": "量子|quantum",
    "industrial_software": "工业互联网|工业软件|数字孪生|PLC|MES|digital twin|industrial software",
    "communications": "通信|天线|5G|无线|光纤|信号传输|antenna|wireless|communication|optical fiber|radio",
    "computing_power": "大数据|云计算|数据中心|服务器|区块链|"
    "database|cloud|big data|software|algorithm|data processing",
    "robotics": "机器人|机械臂|自动化生产线|数控|智能制造|robot|manipulator|automation|CNC",
    "aerospace": "飞行器|航空|航天|卫星|无人机|发动机叶片|"
    "aircraft|spacecraft|satellite|UAV|unmanned aerial|aerospace|rocket|orbit",
    "rail_transit": "轨道交通|列车|高铁|地铁|铁路|railway|train|rail",
    "marine_equipment": "船舶|海洋|水下|潜水器|海上平台|ship|marine|underwater|subsea|naval|vessel",
    "scientific_instruments": "检测装置|传感器|测量|光谱|仪器|检测方法|"
    "sensor|spectrometer|measurement|detector|instrument",
    "logistics_equipment": "物流|仓储|输送机|分拣|叉车|logistics|conveyor|warehouse",
    "advanced_metals": "合金|钢|铝|钛|铸造|焊接|锻造|金属|alloy|steel|titanium|welding|casting|metal",
    "polymers": "高分子|聚合物|树脂|塑料|橡胶|纤维|涂料|polymer|resin|plastic|rubber|coating",
    "ceramics": "陶瓷|玻璃|水泥|耐火材料|ceramic|glass|cement",
    "battery_materials": "正极材料|负极材料|电解液|隔膜|锂离子|钠离子|固态电池|cathode|anode|electrolyte|lithium",
    "semiconductor_materials": "碳化硅|氮化镓|硅片|外延|光刻胶|silicon carbide|gallium nitride|GaN|SiC",
    "composites": "复合材料|碳纤维|玻璃纤维|composite|carbon fiber",
    "nanomaterials": "纳米|石墨烯|量子点|nano|graphene",
    "innovative_drugs": "药物|化合物|抗体|制剂|肿瘤|疫苗|靶点|"
    "drug|compound|antibody|vaccine|cancer|therapeutic|pharmaceutical",
    "medical_devices": "医疗器械|手术|支架|导管|影像|康复|surgical|implant|catheter|medical device|imaging",
    "synthetic_biology": "基因|微生物|发酵|酶|菌株|蛋白|gene|microbial|enzyme|protein|fermentation|CRISPR",
    "diagnostics": "诊断|检测试剂|试剂盒|生物标志物|免疫层析|diagnostic|assay|biomarker",
    "health_care": "健康|养老|护理|康养|health|patient|care",
    "tcm": "中药|中医|药材|提取物|traditional chinese medicine|herbal",
    "photovoltaic": "光伏|太阳能电池|钙钛矿|solar cell|photovoltaic|perovskite",
    "wind_power": "风电|风机|风力|wind turbine|wind power",
    "hydrogen": "氢能|制氢|燃料电池|储氢|电解水|hydrogen|fuel cell",
    "energy_storage": "储能|超级电容|液流电池|energy storage|supercapacitor",
    "nuclear": "核电|核反应堆|辐射|nuclear|reactor|radiation",
    "smart_grid": "电网|输电|变电|配电|电力系统|逆变器|power grid|transmission line|inverter|power system",
    "power_battery": "动力电池|电池包|电池管理|BMS|battery pack|battery management",
    "electric_drive": "电机|电驱|电控|永磁|motor|electric drive",
    "intelligent_connected": "自动驾驶|车联网|智能网联|激光雷达|autonomous driving|lidar|vehicle-to",
    "auto_parts": "汽车|车辆|底盘|刹车|vehicle|automotive|brake",
    "charging": "充电桩|充电|换电|charging",
    "water_saving": "污水|水处理|净水|膜分离|wastewater|water treatment|desalination",
    "energy_saving": "节能|余热|换热|热泵|energy saving|heat exchanger|waste heat",
    "pollution_control": "脱硫|脱硝|废气|土壤修复|污染|pollution|emission|exhaust",
    "recycling": "回收|再生|固废|废弃物|recycling|waste",
    "carbon_reduction": "碳捕集|二氧化碳|减碳|碳中和|carbon capture|CO2|carbon dioxide",
    "ecological_restoration": "生态|植被|湿地|荒漠|ecolog|wetland|restoration",
    "seed_industry": "育种|种子|品种|杂交|breeding|seed|cultivar",
    "smart_agriculture": "农机|灌溉|温室|收获机|农业|agricultur|irrigation|greenhouse|crop",
    "food_processing": "食品|饮料|加工工艺|保鲜|food|beverage",
    "animal_husbandry": "养殖|饲料|畜禽|兽药|猪|livestock|veterinary|poultry|feed",
    "dryland_saline": "盐碱地|旱作|节水农业|saline|drought",
    "refining": "油气|钻井|采油|炼油|石油|oil well|drilling|petroleum|refinery",
    "fine_chemicals": "精细化工|表面活性剂|染料|助剂|合成方法|chemical|surfactant|dye",
    "coal_chemical": "煤化工|煤气化|焦化|coal",
    "catalysis": "催化剂|催化|catalyst|catalytic",
}
_ZH_WORDS: dict[str, list[str]] = defaultdict(list)  # a Chinese word -> the subdomains it says
_EN_WORDS: dict[str, list[str]] = defaultdict(list)  # an English word or two (lower case) -> the subdomains
for _code, _words in DOMAIN_WORDS.items():
    for _word in _words.split("|"):
        (_EN_WORDS[_word.lower()] if _word.isascii() else _ZH_WORDS[_word]).append(_code)
_EN_LONGEST = max(len(w.split()) for w in _EN_WORDS)


# Disciplines of the Chinese papers that no word above names: a subdomain each.
_DISCIPLINES = {"兵器科学与技术": "aerospace", "作物学": "seed_industry", "园艺学": "smart_agriculture",
                "临床医学": "medical_devices", "药学": "innovative_drugs", "中药学": "tcm", "中医学": "tcm",
                "畜牧学": "animal_husbandry", "兽医学": "animal_husbandry", "计算机科学与技术": "computing_power",
                "控制科学与工程": "robotics", "电气工程": "smart_grid", "化学工程与技术": "fine_chemicals",
                "材料科学与工程": "advanced_metals", "环境科学与工程": "pollution_control",
                "食品科学与工程": "food_processing", "交通运输工程": "rail_transit",
                "船舶与海洋工程": "marine_equipment",
                "信息与通信工程": "communications", "航空宇航科学与技术": "aerospace", "农业工程": "smart_agriculture",
                "石油与天然气工程": "refining", "动力工程及工程热物理": "energy_saving"}  # fmt: skip


def classify(text: Text) -> list[str]:
    """One to three subdomains the text is about (best first); none when nothing says."""
    scores: dict[str, int] = defaultdict(int)
    for part, weight in ((text.title, 3), (text.body[:2000], 1)):
        if text.lang == "en" or part.isascii():
            words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", part.lower())
            for n in range(1, _EN_LONGEST + 1):
                for i in range(len(words) - n + 1):
                    for code in _EN_WORDS.get(" ".join(words[i : i + n]) if n > 1 else words[i], ()):
                        scores[code] += weight
        else:
            for word, codes in _ZH_WORDS.items():
                found = part.count(word)
                if found:
                    for code in codes:
                        scores[code] += weight * found
    discipline = _DISCIPLINES.get(text.extra.get("discipline") or "")
    if discipline:
        scores[discipline] = scores.get(discipline, 0) + 2
    best = sorted(scores, key=lambda code: (-scores[code], code))
    return best[: 1 + (len(best) > 1 and scores[best[1]] >= 2) + (len(best) > 2 and scores[best[2]] >= 3)]


@cache
def taxonomy() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Each domain's parent (None for a top-level one) and names (zh, en)."""
    parent: dict[str, str] = {}
    names: dict[str, tuple[str, str]] = {}
    for top in json.loads((REFERENCE / "domains.json").read_text(encoding="utf-8"))["domains"]:
        names[top["code"]] = (top["zh"], top["en"])
        for child in top["children"]:
            parent[child["code"]] = top["code"]
            names[child["code"]] = (child["zh"], child["en"])
    return parent, names


# --- places ------------------------------------------------------------------------------------------------------
# How much of the market each province holds (the regional markets are busiest where the clusters are: the Yangtze
# River Delta and G60, Jing-Jin-Ji, the Greater Bay Area, the middle Yangtze, Chengdu-Chongqing, the Yellow River).
PROVINCE_WEIGHT = {"310000": 9, "320000": 11, "330000": 9, "340000": 6, "110000": 10, "120000": 3, "130000": 3,
                   "440000": 10, "420000": 5, "430000": 3, "360000": 2, "510000": 4, "500000": 3, "370000": 5,
                   "410000": 3, "610000": 3, "140000": 1.5, "620000": 1, "630000": 0.5, "640000": 0.5,
                   "150000": 1}  # fmt: skip


@dataclass(frozen=True)
class Place:
    province: str
    city: str | None
    zh: str  # the city's short name (the province's for a municipality)
    en: str
    province_zh: str  # the province's short name


@cache
def places() -> tuple[list[Place], list[float]]:
    """Every city of regions.json with its weight (the province's, shared by its cities; capitals count double)."""
    data = json.loads((REFERENCE / "regions.json").read_text(encoding="utf-8"))
    out, weights = [], []
    for province in data["provinces"]:
        cities = province["cities"] or [{"code": None, "short": province["short"], "en": province["en"]}]
        share = PROVINCE_WEIGHT.get(province["code"], 0.4) / len(cities)
        for n, city in enumerate(cities):
            out.append(
                Place(province["code"], city["code"], city.get("short") or city["zh"], city["en"], province["short"])
            )
            weights.append(share * (2 if n == 0 else 1))
    return out, weights


# --- names -------------------------------------------------------------------------------------------------------
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬辉鹏飞宇浩凯健俊帆博文斌晨亮宁"
    "欣雪琳瑶婷颖倩嘉怡昊然子涵思远志诚建国海峰立新振华晓东春梅"
)
BRAND = "华中科创智联宏德瑞恒信达泰安盛鑫源博远航新锐精微联优正通隆晟睿卓越天海云星光能芯材"
INDUSTRY = ["新材料", "生物医药", "智能装备", "电子科技", "新能源", "环保科技", "精密机械", "信息技术", "汽车部件",
            "化工", "医疗器械", "光电", "农业科技", "半导体", "储能科技", "机器人", "检测技术", "软件"]  # fmt: skip
EN_BRAND = ["Bright", "Nova", "Apex", "Sino", "Vertex", "Blue", "Quantum", "Green", "Delta", "Summit", "Orient",
            "Harbor", "Pioneer", "Stellar", "Unity", "Crest"]  # fmt: skip
EN_INDUSTRY = ["Materials", "Robotics", "Biotech", "Energy", "Photonics", "Semiconductor", "Medical", "Software",
               "Automation", "Environmental"]  # fmt: skip
FIELDS = ["先进制造", "材料", "能源", "生物技术", "信息技术", "海洋", "农业", "环境", "光电", "化学"]
UNIVERSITY = [
    "大学",
    "理工大学",
    "工业大学",
    "科技大学",
    "师范大学",
    "医科大学",
    "农业大学",
    "职业技术学院",
    "工程学院",
]
KIND_SHARE = {"university": 0.08, "research_institute": 0.07, "enterprise": 0.75, "service_agency": 0.06,
              "organiser": 0.04}  # fmt: skip


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def organisation_name(rng: random.Random, kind: str, place: Place, number: int) -> str:
    """A realistic name for an organisation of this kind in this place (unique enough; the caller checks)."""
    city = place.zh
    if kind == "university":
        return rng.choice([f"{city}{rng.choice(UNIVERSITY)}", f"{place.province_zh}{rng.choice(UNIVERSITY)}"])
    if kind == "research_institute":
        field_ = rng.choice(FIELDS)
        return rng.choice(
            [f"中国科学院{city}{field_}研究所", f"{city}{field_}研究院", f"{city}产业技术研究院{field_}中心"]
        )
    if kind == "service_agency":
        return rng.choice([f"{city}技术转移中心", f"{city}{''.join(rng.sample(BRAND, 2))}知识产权运营有限公司",
                           f"{city}科技成果转化服务中心"])  # fmt: skip
    if kind == "organiser":
        return rng.choice([f"{city}技术市场", f"{city}市科学技术局", f"{city}{rng.choice(FIELDS)}产业技术创新联盟",
                           f"{city}科技大市场"])  # fmt: skip
    if rng.random() < 0.1:
        return f"{place.en} {rng.choice(EN_BRAND)}{rng.choice(EN_BRAND).lower()} {rng.choice(EN_INDUSTRY)} Co., Ltd."
    brand = "".join(rng.sample(BRAND, 2))
    return f"{city}{brand}{rng.choice(INDUSTRY)}{rng.choice(['有限公司', '股份有限公司', '科技有限公司'])}"


# --- postings ----------------------------------------------------------------------------------------------------
ZH_PREFIX = ["", "", "", "新型", "高效", "低成本", "一种改进的", "面向产业化的", "国产化", "智能化"]
ZH_SUFFIX = ["", "", "", "及其应用", "成套技术", "工艺包", "（中试阶段）", "产业化技术"]
EN_PREFIX = ["", "", "", "Improved ", "Low-cost ", "Scalable ", "Next-generation ", "Field-ready "]
MODES = ["transfer", "license", "co_development", "equity", "service"]
IP = ["granted_patent", "pending_patent", "software_copyright", "know_how", "none"]
ZH_NEED_LEAD = ["我公司主要从事{industry}相关产品的研发与生产。", "我单位是{place}的一家{industry}企业。",
                "本企业为国家高新技术企业，专注于{industry}领域。"]  # fmt: skip
ZH_NEED_ASK = ["目前在“{title}”方面存在技术瓶颈，现寻求高校、科研院所合作攻关。",
               "拟引进“{title}”相关技术，希望与掌握该技术的团队开展合作。",
               "需要解决与“{title}”有关的关键工艺问题，欢迎具备相关成果的单位对接。"]  # fmt: skip
ZH_NEED_TARGET = ["技术指标要求：性能优于现有方案20%以上，成本可控，具备中试条件。",
                  "要求成果已完成小试或中试，可在一年内实现产业化。",
                  "希望合作方提供技术方案、样品验证和技术培训。"]  # fmt: skip


def varied_title(rng: random.Random, title: str, lang: str, used: int) -> str:
    """The title, changed a little when the text is used again (first use: as it is)."""
    if used == 0:
        return title
    if lang == "en":
        return (rng.choice(EN_PREFIX[3:]) + title)[:TITLE_MAX]
    return (rng.choice(ZH_PREFIX[3:]) + title + rng.choice(ZH_SUFFIX))[:TITLE_MAX]


def zh_need_from(rng: random.Random, source: Text, place: Place) -> tuple[str, str]:
    """A Chinese need built around a Chinese achievement's subject (public need texts in Chinese are few): the
    title asks for its technology, the description says who asks, what for, and with what targets."""
    core = re.sub(r"^(一种|基于)", "", source.title)
    core = re.sub(r"(及其)?(制备|加工|生产|检测|应用)?方法$|的装置$|装置$", "", core) or source.title
    core = re.sub(r"(技术)+$", "", core) or core
    title = rng.choice(["寻求{c}技术", "{c}技术需求", "征集{c}解决方案", "{c}关键技术合作开发"]).format(c=core)
    first = re.split(r"[。；]", source.body)[0][:240]
    industry = rng.choice(INDUSTRY)
    body = (rng.choice(ZH_NEED_LEAD).format(industry=industry, place=place.zh) + rng.choice(ZH_NEED_ASK).format(
        title=core) + f"背景：{first}。" + rng.choice(ZH_NEED_TARGET))  # fmt: skip
    return title[:TITLE_MAX], body


def price_range(rng: random.Random, extra: dict) -> tuple[float | None, float | None]:
    given = extra.get("price_wan")
    if isinstance(given, list) and len(given) == 2 and given[0] is not None:
        return float(given[0]), float(given[1] if given[1] is not None else given[0])
    if rng.random() < 0.3:
        return None, None
    low = round(10 ** rng.uniform(0.7, 3.3), -1) or 5.0
    return low, round(low * rng.choice((1, 1.5, 2, 3, 5)), 2)


def modes_for(rng: random.Random, extra: dict, *, need: bool) -> list[str]:
    given = [m for m in (extra.get("modes") or []) if m in MODES]
    if given:
        return list(dict.fromkeys(given))
    weights = (3, 4, 4, 1, 2) if not need else (3, 2, 5, 1, 3)
    count = rng.choice((0, 1, 1, 2, 2, 3)) if need else rng.choice((1, 1, 2, 2, 3))
    return sorted(set(rng.choices(MODES, weights=weights, k=count)), key=MODES.index)


def status_plan(rng: random.Random, *, need: bool) -> str:
    """What a posting ends as: mostly published, some drafts, some waiting for review, some closed."""
    weights = (5, 5, 82, 8) if need else (4, 4, 86, 6)
    return rng.choices(["draft", "submitted", "published", "closed"], weights=weights)[0]


def weighted_owner(rng: random.Random, owners: list[int], weights: list[float], k: int) -> list[int]:
    return rng.choices(owners, weights=weights, k=k)


def synthetic_reasons(rng: random.Random, components: dict[str, float], shared: list[str], names: tuple[str, str],
                      ) -> list[dict]:  # fmt: skip
    """Reasons shaped like the engine's (``matching.runs.reason_dict``: component, value, zh, en, broken)."""
    words_zh = "、".join(shared[:3]) or "相近的技术内容"
    words_en = ", ".join(shared[:3]) or "related technical content"
    texts = {
        "text": (f"文本相关：共同关键词 {words_zh}", f"Text: shared terms {words_en}"),
        "domain": (f"领域相同：{names[0]}", f"Same domain: {names[1]}"),
        "region": ("地域相近：同一区域协同发展圈", "Region: the same regional cluster"),
        "readiness": ("成熟度满足需求", "Readiness meets the need"),
        "price": ("报价在预算范围内", "Asking price within the budget"),
        "mode": ("合作方式一致", "Cooperation modes agree"),
    }
    out = []
    for name, value in sorted(components.items(), key=lambda kv: -kv[1]):
        zh, en = texts.get(name, (name, name))
        out.append({"component": name, "value": round(value, 4), "zh": zh, "en": en, "broken": False})
    return out
