"""Search speed over 100,000 postings on PostgreSQL: the list page's ranked search (goal: p95 under 100 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_search_bench .venv/bin/python bench/search_scale.py [N]

Creates (or reuses) the database and fills it with N published achievements (default 100,000): each takes the title
of one benchmark record and the text of another (every folder of bench/data: short synthetic records, real English
prose, real Chinese patents and papers), so that the corpus has the vocabulary and the document frequencies of real
postings rather than copies. Their search rows are computed from the two parts' token bags as the product computes
them, and loaded with COPY.

Then times what the list page does for a query (the FilterSet's ranked search, the count and the first page of 20)
for Chinese and English single words, need titles and sentences, each several times, and prints per query the
results, the median, and over every run the median and p95; the older search (every word required, newest first)
on the same queries as a reference.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")  # a development run (production mode needs SECRET_KEY)
os.environ["MATCHING_ON_PUBLISH"] = "false"


def _create_database() -> None:
    """The database named by DATABASE_URL, created when it does not exist yet."""
    from urllib.parse import urlparse

    import psycopg

    url = urlparse(os.environ.get("DATABASE_URL", ""))
    name = url.path.lstrip("/")
    if url.scheme.startswith("postgres") and name:
        with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                admin.execute(f'CREATE DATABASE "{name}"')


_create_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organization  # noqa: E402
from marketplace.filters import AchievementFilterSet  # noqa: E402
from marketplace.models import Achievement, AchievementSearchTerm, Status  # noqa: E402
from marketplace.search import (  # noqa: E402
    BODY_WEIGHT,
    TITLE_WEIGHT,
    impacts,
    search_document_for,
    tokenizer,
)
from marketplace.selectors import posting_search as all_words_search  # noqa: E402

SINGLE_WORDS = [
    "固态电池",
    "钙钛矿",
    "缺陷检测",
    "人工智能",
    "硬碳",
    "electrolyte",
    "sodium",
    "lidar",
    "machine learning",
    "vaccine",
]
SENTENCES = [
    "我们需要一种用于钠离子电池的硬碳负极材料，要求首效高、成本低",
    "Looking for a machine vision system to detect surface defects on stamped steel parts",
]
REPEAT = 5
RESULTS_KEPT = 20


def records() -> list[dict]:
    out = []
    for folder in sorted((ROOT / "bench" / "data").iterdir()):
        for kind, body in (("achievements", "summary"), ("needs", "description")):
            path = folder / f"{kind}.jsonl"
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    record = json.loads(line)
                    out.append({"title": record["title"], "body": record[body], "kind": kind})
    return out


def need_titles(texts: list[dict], count: int = 18) -> list[str]:
    titles = [t["title"] for t in texts if t["kind"] == "needs"]
    return random.Random(3).sample(titles, min(count, len(titles)))


def fill(n: int, texts: list[dict]) -> None:
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
    words = tokenizer()
    started = time.perf_counter()
    title_bags, body_bags, title_docs, body_docs = [], [], [], []
    for text in texts:
        bag: dict[str, float] = {}
        words.tokens(text["title"], TITLE_WEIGHT, bag)
        title_bags.append(bag)
        bag = {}
        words.tokens(text["body"], BODY_WEIGHT, bag)
        body_bags.append(bag)
        title_docs.append(search_document_for(title=text["title"], body="", keywords=[], domain_codes=[]))
        body_docs.append(search_document_for(title="", body=text["body"], keywords=[], domain_codes=[]))
    print(f"tokenised {len(texts)} texts in {time.perf_counter() - started:.0f} s")
    rng = random.Random(7)
    now = timezone.now()
    raw = connection.connection
    for start in range(existing, n, 5000):
        stop = min(start + 5000, n)
        pairs = [(rng.randrange(len(texts)), rng.randrange(len(texts))) for _ in range(start, stop)]
        batch = [
            Achievement(
                organization=organization,
                external_ref=f"B{index}",
                title=texts[i]["title"][:200],
                summary=texts[j]["body"],
                province_id="340000",
                language="en" if texts[j]["body"].isascii() else "zh",
                status=Status.PUBLISHED,
                published_at=now,
                search_document=f"{title_docs[i]} {body_docs[j]}",
            )
            for index, (i, j) in zip(range(start, stop), pairs, strict=True)
        ]
        with transaction.atomic():
            created = Achievement.objects.bulk_create(batch)
            with raw.cursor() as cursor:
                table = AchievementSearchTerm._meta.db_table
                with cursor.copy(f"COPY {table} (posting_id, token, impact) FROM STDIN") as copy:
                    for posting, (i, j) in zip(created, pairs, strict=True):
                        bag = dict(body_bags[j])
                        for token, weight in title_bags[i].items():
                            bag[token] = bag.get(token, 0.0) + weight
                        for token, impact in impacts(bag).items():
                            copy.write_row((posting.pk, token, impact))
        if stop % 20000 == 0 or stop == n:
            print(f"  {stop} postings, {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE marketplace_achievement")
        cursor.execute(f"VACUUM ANALYZE {AchievementSearchTerm._meta.db_table}")
    print(f"inserted {n - existing} postings in {time.perf_counter() - started:.0f} s")


def list_page(query: str) -> Callable[[], int]:
    """What the list page runs: the filtered, ranked results, their count and the first page."""

    def run() -> int:
        results = AchievementFilterSet({"q": query}, queryset=Achievement.objects.filter(status=Status.PUBLISHED)).qs
        count = results.count()
        list(results[:RESULTS_KEPT])  # as the paginator takes a page
        return count

    return run


def old_page(query: str) -> Callable[[], int]:
    def run() -> int:
        results = all_words_search(Achievement.objects.filter(status=Status.PUBLISHED), query)
        results = results.order_by("-published_at", "-pk")
        count = results.count()
        list(results[:RESULTS_KEPT])
        return count

    return run


def timed(fn: Callable[[], int]) -> tuple[int, list[float]]:
    samples, count = [], 0
    for _ in range(REPEAT):
        started = time.perf_counter()
        count = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return count, samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    texts = records()
    fill(n, texts)
    total = Achievement.objects.filter(status=Status.PUBLISHED).count()
    rows = AchievementSearchTerm.objects.count()
    print(f"{total} published postings, {rows} search rows; {REPEAT} runs a query (ranking, count, first page of 20)")
    tokenizer()  # loaded once per process, as in a web worker
    groups = {"single word": SINGLE_WORDS, "need title": need_titles(texts), "sentence": SENTENCES}
    every: list[float] = []
    old_every: list[float] = []
    print(f"{'kind':<12}{'query':<44}{'results':>8}{'median ms':>11}{'old ms':>9}{'old found':>10}")
    for kind, queries in groups.items():
        for query in queries:
            count, samples = timed(list_page(query))
            old_count, old_samples = timed(old_page(query))
            every += samples
            old_every += old_samples
            shown = query if len(query) <= 40 else query[:39] + "…"
            print(
                f"{kind:<12}{shown:<44}{count:>8}{statistics.median(samples):>11.1f}"
                f"{statistics.median(old_samples):>9.1f}{old_count:>10}"
            )
    print(f"ranked search, all {len(every)} runs: median {statistics.median(every):.1f} ms, p95 {p95(every):.1f} ms")
    old_median, old_p95 = statistics.median(old_every), p95(old_every)
    print(f"old search, all {len(old_every)} runs: median {old_median:.1f} ms, p95 {old_p95:.1f} ms")


if __name__ == "__main__":
    main()
