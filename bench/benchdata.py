"""Load a benchmark folder into engine records without Django: places resolved with the project's resolver,
taxonomy and regions read from the project's reference data. Used by the tuning and scale scripts."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.engine import AchievementRecord, Geography, NeedRecord, Taxonomy  # noqa: E402
from reference.locations import get_resolver  # noqa: E402

REFERENCE = ROOT / "reference" / "data"


def taxonomy() -> Taxonomy:
    data = json.loads((REFERENCE / "domains.json").read_text(encoding="utf-8"))["domains"]
    parent: dict[str, str | None] = {}
    names: dict[str, tuple[str, str]] = {}
    for top in data:
        parent[top["code"]] = None
        names[top["code"]] = (top["zh"], top["en"])
        for child in top["children"]:
            parent[child["code"]] = top["code"]
            names[child["code"]] = (child["zh"], child["en"])
    return Taxonomy(parent=parent, names=names)


JINAN_LINKS = [("370100", c) for c in ("620100", "630100", "610100", "410100", "650100")]


def geography() -> Geography:
    data = json.loads((REFERENCE / "regions.json").read_text(encoding="utf-8"))
    clusters = {c["code"]: (frozenset(c["provinces"]), frozenset(c["cities"])) for c in data["clusters"]}
    names = {c["code"]: (c["zh"], c["en"]) for c in data["clusters"]}
    for province in data["provinces"]:
        names[province["code"]] = (province["zh"], province["en"])
        for city in province["cities"]:
            names[city["code"]] = (city["zh"], city["en"])
    return Geography(clusters=clusters, partner_links=frozenset(JINAN_LINKS), names=names)


def _place(record: dict) -> tuple[str | None, str | None]:
    place = get_resolver().resolve_parts(record.get("province"), record.get("city"))
    return place.province_code, place.city_code


def load(folder: Path) -> tuple[list[AchievementRecord], list[NeedRecord], dict[str, dict[str, int]]]:
    achievements, needs = [], []
    for line in (folder / "achievements.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        province, city = _place(r)
        price = r.get("price_wan") or [None, None]
        achievements.append(
            AchievementRecord(
                ref=r["ref"], title=r["title"], text=r["summary"], keywords=tuple(r.get("keywords") or ()),
                domains=tuple(r.get("domains") or ()), trl=r.get("trl"), price_min=price[0], price_max=price[1],
                modes=tuple(r.get("modes") or ()), province=province, city=city, lang=r.get("lang", "zh"),
            )
        )  # fmt: skip
    for line in (folder / "needs.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        province, city = _place(r)
        needs.append(
            NeedRecord(
                ref=r["ref"], title=r["title"], text=r["description"], keywords=tuple(r.get("keywords") or ()),
                domains=tuple(r.get("domains") or ()), min_trl=r.get("min_trl"), budget=r.get("budget_wan"),
                modes=tuple(r.get("modes") or ()), region_scope=r.get("region_scope", "national"),
                province=province, city=city, lang=r.get("lang", "zh"),
            )
        )  # fmt: skip
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            need, achievement, grade = line.split("\t")
            qrels[need][achievement] = int(grade)
    return achievements, needs, dict(qrels)
