"""Search quality on a benchmark folder, through the product: each need's title typed as the query of the
achievements list (the list page's and the API's FilterSet, so the same ranked search), scored against the folder's
grades; the older search (every word required, newest first) on the same records as the baseline.

    .venv/bin/python bench/search_quality.py bench/data/bench-dev
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_search_quality .venv/bin/python bench/search_quality.py \
        bench/data/bench-dev

Without DATABASE_URL the folder is imported into a fresh SQLite database; with it, into that database, which must hold
no postings (or exactly this folder's, from an earlier run, which are reused). Prints nDCG@10 (gain = grade) and
Recall@20 (grade-2 pairs) as in BENCHMARK-FORMAT.md, and the time a query takes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def read_qrels(folder: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            need, achievement, grade = line.split("\t")
            qrels.setdefault(need, {})[achievement] = int(grade)
    return qrels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        workdir = tempfile.mkdtemp(prefix="search-quality-")
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["MATCHING_ON_PUBLISH"] = "false"  # the matching engine is not what is measured here
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")  # a development run (production mode needs SECRET_KEY)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from marketplace.filters import AchievementFilterSet
    from marketplace.importers import import_records
    from marketplace.models import Achievement, Need, Status
    from marketplace.selectors import posting_search as all_words_search
    from matching.engine.evaluation import evaluate

    call_command("migrate", verbosity=0)
    refs = {json.loads(line)["ref"] for line in (args.folder / "achievements.jsonl").read_text("utf-8").splitlines()}
    present = set(Achievement.objects.values_list("external_ref", flat=True))
    if present and present != refs:
        raise SystemExit("The database holds other postings: point DATABASE_URL at an empty database.")
    started = time.perf_counter()
    if not present:
        for kind in ("achievements", "needs"):
            path = args.folder / f"{kind}.jsonl"
            result = import_records(
                kind=kind, data=path.read_bytes(), filename=path.name, create_orgs=True, publish=True
            )
            if not result.ok:
                raise SystemExit("\n".join(str(e) for e in result.errors[:20]))
    imported = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    qrels = read_qrels(args.folder)
    needs = {n.external_ref: n.title for n in Need.objects.filter(external_ref__in=list(qrels))}
    published = Achievement.objects.filter(status=Status.PUBLISHED)
    ranked: dict[str, list[str]] = {}
    baseline: dict[str, list[str]] = {}
    times: list[float] = []
    found = 0
    for ref, title in sorted(needs.items()):
        began = time.perf_counter()
        filterset = AchievementFilterSet({"q": title}, queryset=published)
        ranked[ref] = [posting.external_ref for posting in filterset.qs[:20]]  # the first page, as listed
        times.append(time.perf_counter() - began)
        old = all_words_search(published, title).order_by("-published_at", "-pk")
        baseline[ref] = list(old.values_list("external_ref", flat=True)[:20])
        found += bool(baseline[ref])
    figures = evaluate(ranked, qrels)
    old_figures = evaluate(baseline, qrels)
    times.sort()
    print(
        f"benchmark {args.folder}: {len(refs)} achievements, {len(needs)} need titles as queries "
        f"({connection.vendor}; import {imported:.0f} s)"
    )
    print(f"{'':<34}{'nDCG@10':>9}{'Recall@20':>11}")
    print(f"{'ranked search (need title)':<34}{figures['ndcg@10']:>9.4f}{figures['recall@20']:>11.4f}")
    print(f"{'all words required (old search)':<34}{old_figures['ndcg@10']:>9.4f}{old_figures['recall@20']:>11.4f}")
    print(f"old search found anything for {found} of {len(needs)} titles")
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"ranked query time: median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
