"""Matching quality on a benchmark folder, through the product: import into a fresh database, run the engine, read
the saved matches, score them; two baselines on the same records in the same run.

    .venv/bin/python bench/matching_quality.py bench/data/bench-dev

Prints nDCG@10 and Recall@20 (BENCHMARK-FORMAT.md) for the engine, plain BM25 and the strong baseline.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="matching-quality-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.pop("CELERY_BROKER_URL", None)
    # Eager tasks where they are queued (not in the background thread of ``make run``): the import's matching is done
    # before the timed run starts, as before.
    os.environ["CELERY_EAGER_IN_BACKGROUND"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")  # a development run (production mode needs SECRET_KEY)

    import django

    django.setup()
    from baselines import breaks_constraint, plain_baseline, strong_baseline
    from django.core.management import call_command

    from marketplace.importers import import_records
    from marketplace.models import Achievement, Need
    from matching import adapters
    from matching.engine import MatchingEngine
    from matching.engine.evaluation import evaluate
    from matching.models import Match, MatchingConfig
    from matching.runs import match_run_full

    call_command("migrate", verbosity=0)
    for kind in ("achievements", "needs"):
        path = args.folder / f"{kind}.jsonl"
        result = import_records(kind=kind, data=path.read_bytes(), filename=path.name, create_orgs=True, publish=True)
        if not result.ok:
            raise SystemExit("\n".join(str(e) for e in result.errors[:20]))
    # The data sets carry the deadlines of when they were written; the benchmark measures ranking, not the calendar
    # (a need past its deadline is left out of matching).
    Need.objects.update(deadline=None)
    qrels: dict[str, dict[str, int]] = {}
    for line in (args.folder / "qrels.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            need, achievement, grade = line.split("\t")
            qrels.setdefault(need, {})[achievement] = int(grade)

    started = time.perf_counter()
    run = match_run_full()
    elapsed = time.perf_counter() - started
    rankings: dict[str, list[str]] = {}
    for match in Match.objects.select_related("need", "achievement").order_by("need_id", "-score"):
        rankings.setdefault(match.need.external_ref, []).append(match.achievement.external_ref)
    engine_figures = evaluate(rankings, qrels)

    achievements = [adapters.achievement_record(a) for a in adapters.published(Achievement)]
    needs = [adapters.need_record(n) for n in adapters.published(Need)]
    achievement_refs = {str(a.pk): a.external_ref for a in Achievement.objects.all()}
    need_refs = {str(n.pk): n.external_ref for n in Need.objects.all()}

    def by_ref(ranking: dict[str, list[str]]) -> dict[str, list[str]]:
        return {need_refs[need]: [achievement_refs[a] for a in ranked] for need, ranked in ranking.items()}

    geography = adapters.geography_from_db()
    engine = MatchingEngine(adapters.taxonomy_from_db(), geography, MatchingConfig.get_solo().engine_config())
    plain = evaluate(by_ref(plain_baseline(achievements, needs)), qrels)
    strong = evaluate(by_ref(strong_baseline(engine, achievements, needs, breaks_constraint(geography))), qrels)

    print(f"benchmark {args.folder}: {len(achievements)} achievements, {len(needs)} needs, {len(qrels)} judged needs")
    print(f"engine run #{run.pk}: {run.counts.get('pairs')} pairs kept in {elapsed:.1f} s")
    print(f"{'':<22}{'nDCG@10':>9}{'Recall@20':>11}")
    for name, figures in (("engine", engine_figures), ("plain BM25", plain), ("strong baseline", strong)):
        print(f"{name:<22}{figures['ndcg@10']:>9.4f}{figures['recall@20']:>11.4f}")
    print(
        f"{'engine - strong':<22}{engine_figures['ndcg@10'] - strong['ndcg@10']:>+9.4f}"
        f"{engine_figures['recall@20'] - strong['recall@20']:>+11.4f}"
    )


if __name__ == "__main__":
    main()
