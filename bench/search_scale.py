"""Search speed over 100,000 postings on PostgreSQL (issue: "a query over 100,000 postings answers in well under a
second").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_bench .venv/bin/python bench/search_scale.py [N]

Creates (or reuses) the database, fills it with N published achievements (default 100,000) whose texts are the
benchmark's and the real NASA/USPTO records' texts recombined, then times the list page's two queries (the count and
the first page of 20) for Chinese and English queries, and prints the plan's use of the GIN index.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organization  # noqa: E402
from marketplace.models import Achievement, Status  # noqa: E402
from marketplace.search import search_document_for  # noqa: E402
from marketplace.selectors import posting_search  # noqa: E402

QUERIES = [
    "固态电池",
    "缺陷检测",
    "在线 检测",
    "钙钛矿",
    "人工智能",
    "electrolyte",
    "machine learning",
    "量子计算 芯片",
]


def base_texts() -> list[tuple[str, str]]:
    texts = []
    for line in (ROOT / "bench/data/bench-dev/achievements.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts.append((record["title"], record["summary"]))
    for line in (ROOT / "bench/data/bench-dev/needs.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts.append((record["title"], record["description"]))
    return texts


def fill(n: int) -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("Run this on PostgreSQL: set DATABASE_URL.")
    call_command("migrate", verbosity=0)
    existing = Achievement.objects.count()
    if existing >= n:
        print(f"reusing {existing} postings")
        return
    organization, _ = Organization.objects.get_or_create(
        name="Bench University", defaults={"kind": "university", "province_id": "340000", "city_id": "340100"}
    )
    rng = random.Random(7)
    texts = base_texts()
    documents = [search_document_for(title=t, body=b, keywords=[], domain_codes=[]).split() for t, b in texts]
    vocabulary = sorted({word for doc in documents for word in doc})
    now = timezone.now()
    started = time.perf_counter()
    batch = []
    for index in range(existing, n):
        source = rng.randrange(len(texts))
        words = documents[source] + rng.sample(vocabulary, 25)
        rng.shuffle(words)
        batch.append(
            Achievement(
                organization=organization,
                external_ref=f"B{index}",
                title=texts[source][0],
                summary=texts[source][1],
                province_id="340000",
                status=Status.PUBLISHED,
                published_at=now,
                search_document=" ".join(dict.fromkeys(words)),
            )
        )
        if len(batch) == 5000:
            with transaction.atomic():
                Achievement.objects.bulk_create(batch)
            batch = []
    if batch:
        Achievement.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_achievement")
    print(f"inserted {n - existing} postings in {time.perf_counter() - started:.1f} s")


def timed(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    fill(n)
    base = Achievement.objects.filter(status=Status.PUBLISHED)
    print(f"{base.count()} published postings; times are medians of 5 runs (count + first page of 20)")
    print(f"{'query':<18}{'matches':>9}{'count ms':>10}{'page ms':>10}  index used")
    for query in QUERIES:
        results = posting_search(base, query).order_by("-published_at", "-pk")
        matches = results.count()
        count_ms = timed(lambda results=results: results.count()) * 1000
        page_ms = timed(lambda results=results: list(results[:20])) * 1000
        plan = results.explain()
        print(f"{query:<18}{matches:>9}{count_ms:>10.1f}{page_ms:>10.1f}  {'search_gin' in plan}")


if __name__ == "__main__":
    main()
