import json
from pathlib import Path

import pytest

from matching.engine import Geography, Taxonomy

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "data"


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    parent, names = {}, {}
    for top in json.loads((REFERENCE / "domains.json").read_text(encoding="utf-8"))["domains"]:
        parent[top["code"]] = None
        names[top["code"]] = (top["zh"], top["en"])
        for child in top["children"]:
            parent[child["code"]] = top["code"]
            names[child["code"]] = (child["zh"], child["en"])
    return Taxonomy(parent=parent, names=names)


@pytest.fixture(scope="session")
def geography() -> Geography:
    data = json.loads((REFERENCE / "regions.json").read_text(encoding="utf-8"))
    clusters = {c["code"]: (frozenset(c["provinces"]), frozenset(c["cities"])) for c in data["clusters"]}
    names = {c["code"]: (c["zh"], c["en"]) for c in data["clusters"]}
    for province in data["provinces"]:
        names[province["code"]] = (province["zh"], province["en"])
        for city in province["cities"]:
            names[city["code"]] = (city["zh"], city["en"])
    return Geography(clusters=clusters, partner_links=frozenset({("370100", "650100")}), names=names)
