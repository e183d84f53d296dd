"""Load the reference data files in ``reference/data/`` into the database.

``migrate`` runs the loader after the ``reference`` app migrates (and Django's ``flush`` does too, through the same
signal), so a fresh database always holds the taxonomy and the regions. Loading is an idempotent upsert: rows are
created or updated to match the files; rows the files no longer name are left alone (records may point to them).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import transaction

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def read_json(name: str) -> dict[str, Any]:
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def _upsert(model: Any, rows: list[dict[str, Any]], using: str) -> int:
    """Create missing rows and update changed ones, keyed by primary key, in three queries at most."""
    existing = {obj.pk: obj for obj in model.objects.using(using).filter(pk__in=[r["code"] for r in rows])}
    to_create, to_update, fields = [], [], [k for k in rows[0] if k != "code"] if rows else []
    for row in rows:
        obj = existing.get(row["code"])
        if obj is None:
            to_create.append(model(**row))
        elif any(getattr(obj, f) != row[f] for f in fields):
            for f in fields:
                setattr(obj, f, row[f])
            to_update.append(obj)
    model.objects.using(using).bulk_create(to_create)
    if to_update:
        model.objects.using(using).bulk_update(to_update, fields)
    return len(to_create) + len(to_update)


def load_reference_data(apps: Apps | None = None, using: str = "default") -> dict[str, int]:
    """Upsert domains, provinces, cities and clusters; return how many rows of each were written."""
    apps = apps or global_apps
    Domain = apps.get_model("reference", "Domain")
    Province = apps.get_model("reference", "Province")
    City = apps.get_model("reference", "City")
    Cluster = apps.get_model("reference", "Cluster")

    domains = read_json("domains.json")["domains"]
    regions = read_json("regions.json")

    top_rows, sub_rows = [], []
    for position, top in enumerate(domains):
        top_rows.append(
            {
                "code": top["code"],
                "name_zh": top["zh"],
                "name_en": top["en"],
                "parent_id": None,
                "position": position * 100,
            }
        )
        for offset, child in enumerate(top.get("children", []), start=1):
            sub_rows.append(
                {
                    "code": child["code"],
                    "name_zh": child["zh"],
                    "name_en": child["en"],
                    "parent_id": top["code"],
                    "position": position * 100 + offset,
                }
            )
    province_rows, city_rows = [], []
    for province in regions["provinces"]:
        province_rows.append(
            {
                "code": province["code"],
                "name_zh": province["zh"],
                "short_zh": province["short"],
                "name_en": province["en"],
                "kind": province["kind"],
            }
        )
        for city in province["cities"]:
            city_rows.append(
                {
                    "code": city["code"],
                    "name_zh": city["zh"],
                    "short_zh": city.get("short") or city["zh"],
                    "name_en": city["en"],
                    "province_id": province["code"],
                }
            )
    cluster_rows = [{"code": c["code"], "name_zh": c["zh"], "name_en": c["en"]} for c in regions["clusters"]]

    with transaction.atomic(using=using):
        written = {
            "domains": _upsert(Domain, top_rows, using) + _upsert(Domain, sub_rows, using),
            "provinces": _upsert(Province, province_rows, using),
            "cities": _upsert(City, city_rows, using),
            "clusters": _upsert(Cluster, cluster_rows, using),
        }
        for cluster in regions["clusters"]:
            obj = Cluster.objects.using(using).get(pk=cluster["code"])
            if set(obj.provinces.values_list("pk", flat=True)) != set(cluster["provinces"]):
                obj.provinces.set(cluster["provinces"])
            if set(obj.cities.values_list("pk", flat=True)) != set(cluster["cities"]):
                obj.cities.set(cluster["cities"])
    return written


def load_reference_data_after_migrate(
    sender: Any, using: str = "default", apps: Apps | None = None, **kwargs: Any
) -> None:
    """``post_migrate`` receiver: load the files once the reference tables exist."""
    apps = apps or global_apps
    try:
        apps.get_model("reference", "Domain")
    except LookupError:  # migrating backwards past the reference app's first migration
        return
    load_reference_data(apps=apps, using=using)
