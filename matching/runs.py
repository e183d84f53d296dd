"""Running the engine and saving what it suggests. Commands, Celery tasks and admin all call these.

A run has two steps, each safe to repeat:
1. tokenise: the postings whose text (or the tokenizer's settings) changed get a new token bag in ``RecordTokens``;
   a full rebuild splits this step into chunks that workers run in parallel;
2. finish: the engine is fitted from the cached bags and ranks (everything, or only the records published since the
   last run, or one record); suggestions are saved; a match someone acted on is never touched.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from marketplace.models import Achievement, Need

from . import adapters
from .engine import AchievementRecord, MatchingEngine, NeedRecord, RankedPairs
from .engine.text import DATA_DIR
from .models import Match, MatchingConfig, MatchRun, RecordTokens

KINDS = {RecordTokens.Kind.ACHIEVEMENT: Achievement, RecordTokens.Kind.NEED: Need}


@cache
def _lexicon_version() -> str:
    path = DATA_DIR / "glossary.tsv"
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()[:12] if path.exists() else "-"


def _fingerprint(record: AchievementRecord | NeedRecord, engine: MatchingEngine) -> str:
    c = engine.config
    text = "\x1f".join(
        [record.title, record.text, "\x1e".join(record.keywords), _lexicon_version(),
         f"{c.title_weight}:{c.keyword_weight}:{c.body_weight}:{c.bridge_weight}:{c.cedict_weight}:{c.bigram_weight}"]
    )  # fmt: skip
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def new_engine() -> MatchingEngine:
    return MatchingEngine(
        adapters.taxonomy_from_db(), adapters.geography_from_db(), MatchingConfig.get_solo().engine_config()
    )


def tokens_refresh(*, kind: str, posting_ids: Sequence[int], engine: MatchingEngine | None = None) -> int:
    """Compute and keep the token bags of these postings whose fingerprint changed; returns how many changed."""
    engine = engine or new_engine()
    model = KINDS[RecordTokens.Kind(kind)]
    postings = model.objects.filter(pk__in=posting_ids).prefetch_related("domains")
    cached = dict(
        RecordTokens.objects.filter(kind=kind, posting_id__in=posting_ids).values_list("posting_id", "fingerprint")
    )
    changed = []
    for posting in postings:
        record = adapters.records([posting])[0]
        fingerprint = _fingerprint(record, engine)
        if cached.get(posting.pk) != fingerprint:
            changed.append(RecordTokens(kind=kind, posting_id=posting.pk, fingerprint=fingerprint,
                                        bag=engine.bag(record)))  # fmt: skip
    RecordTokens.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["kind", "posting_id"],
        update_fields=["fingerprint", "bag", "updated_at"],
    )
    return len(changed)


def run_chunks(run: MatchRun) -> list[tuple[str, list[int]]]:
    """The tokenising work of a run, in chunks of posting ids (every published posting for a full rebuild)."""
    chunks = []
    for kind, model in KINDS.items():
        ids = list(adapters.published(model).values_list("pk", flat=True))
        size = settings.MATCHING_CHUNK_SIZE
        chunks.extend((kind.value, ids[i : i + size]) for i in range(0, len(ids), size))
    return chunks


def run_start(*, kind: str, trigger: str, by: User | None = None, total: int = 0) -> MatchRun:
    return MatchRun.objects.create(kind=kind, trigger=trigger, triggered_by=by, progress_total=total)


def run_tokenize_chunk(*, run_id: int, kind: str, posting_ids: Sequence[int]) -> None:
    """One chunk of the tokenising step (idempotent: a repeated chunk finds its bags already fresh)."""
    MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.PENDING).update(
        status=MatchRun.Status.RUNNING, started_at=timezone.now()
    )
    tokens_refresh(kind=kind, posting_ids=posting_ids)
    MatchRun.objects.filter(pk=run_id, progress_done__lt=F("progress_total")).update(
        progress_done=F("progress_done") + 1
    )


def _fit(engine: MatchingEngine) -> tuple[list[Achievement], list[Need]]:
    """Fit the engine on every published posting, from the cached bags (tokenising any that are missing)."""
    achievements = list(adapters.published(Achievement))
    needs = list(adapters.published(Need))
    for kind, postings in (("a", achievements), ("n", needs)):
        tokens_refresh(kind=kind, posting_ids=[p.pk for p in postings], engine=engine)
    counts = {}
    for kind, postings in (("a", achievements), ("n", needs)):
        bags = dict(
            RecordTokens.objects.filter(kind=kind, posting_id__in=[p.pk for p in postings]).values_list(
                "posting_id", "bag"
            )
        )
        counts[kind] = engine.vectorizer.encode(bags[p.pk] for p in postings)
    engine.fit(
        [adapters.achievement_record(a) for a in achievements],
        [adapters.need_record(n) for n in needs],
        achievement_counts=counts["a"],
        need_counts=counts["n"],
    )
    return achievements, needs


def _match_rows(
    engine: MatchingEngine, pairs: RankedPairs, need_ids: list[int], achievement_ids: list[int]
) -> dict[tuple[int, int], dict[str, Any]]:
    rows = {}
    for i, reasons in enumerate(engine.explain_many(pairs)):
        rows[(achievement_ids[int(pairs.achievement[i])], need_ids[int(pairs.need[i])])] = {
            "score": round(float(pairs.total[i]), 6),
            "components": {name: round(float(values[i]), 4) for name, values in pairs.components.items()},
            "broken": [name for name, flags in pairs.broken.items() if bool(flags[i])],
            "reasons": [asdict(reason) for reason in reasons],
        }
    return rows


def _save(
    rows: dict[tuple[int, int], dict[str, Any]],
    run: MatchRun,
    *,
    replace_for: Iterable[tuple[str, int]] = (),
    full: bool = False,
) -> dict[str, int]:
    """Write the suggestions: new pairs are created, suggested pairs updated; a pair someone acted on is left as
    it is. Suggestions no longer produced are removed (all of them on a full run, else those of ``replace_for``)."""
    existing = {
        (m.achievement_id, m.need_id): m
        for m in Match.objects.filter(achievement_id__in={a for a, _ in rows}, need_id__in={n for _, n in rows})
    }
    to_create, to_update = [], []
    for (achievement_id, need_id), values in rows.items():
        match = existing.get((achievement_id, need_id))
        if match is None:
            to_create.append(Match(achievement_id=achievement_id, need_id=need_id, run=run, **values))
        elif match.status != Match.Status.SUGGESTED:
            continue  # someone acted on it: it keeps the score and reasons they saw
        else:
            for name, value in values.items():
                setattr(match, name, value)
            match.run = run
            to_update.append(match)
    # ignore_conflicts: a concurrent run may have created the same pair; the unique pair constraint keeps one.
    Match.objects.bulk_create(to_create, batch_size=2000, ignore_conflicts=True)
    Match.objects.bulk_update(to_update, ["score", "components", "broken", "reasons", "run", "updated_at"], 2000)
    stale = Match.objects.filter(status=Match.Status.SUGGESTED).exclude(run=run)
    if not full:
        scope = Match.objects.none()
        for field, pk in replace_for:
            scope = scope | stale.filter(**{field: pk})
        stale = scope
    removed, _ = stale.delete()
    return {"created": len(to_create), "updated": len(to_update), "removed": removed}


def run_finish(*, run_id: int, record: tuple[str, int] | None = None) -> MatchRun:
    """Fit, rank and save. Full runs rank everything; incremental runs rank the given record, or else every
    record published since the last finished run. Repeating a finished run does nothing."""
    run = MatchRun.objects.get(pk=run_id)
    if run.status == MatchRun.Status.DONE:
        return run
    started = time.perf_counter()
    MatchRun.objects.filter(pk=run_id).update(
        status=MatchRun.Status.RUNNING, started_at=run.started_at or timezone.now()
    )
    run.refresh_from_db()
    try:
        engine = new_engine()
        achievements, needs = _fit(engine)
        achievement_ids = [a.pk for a in achievements]
        need_ids = [n.pk for n in needs]
        if run.kind == MatchRun.Kind.FULL:
            rows = _match_rows(engine, engine.rank(), need_ids, achievement_ids)
            with transaction.atomic():
                counts = _save(rows, run, full=True)
        else:
            new_needs, new_achievements = _incremental_targets(run, record, achievements, needs)
            rows, replace_for = {}, []
            for i in new_needs:
                _, pairs = engine.rank_one(engine.needs[i])
                pairs.need[:] = i
                rows.update(_match_rows(engine, pairs, need_ids, achievement_ids))
                replace_for.append(("need_id", need_ids[i]))
            for i in new_achievements:
                _, pairs = engine.rank_one(engine.achievements[i])
                pairs.achievement[:] = i
                rows.update(_match_rows(engine, pairs, need_ids, achievement_ids))
                replace_for.append(("achievement_id", achievement_ids[i]))
            with transaction.atomic():
                counts = _save(rows, run, replace_for=replace_for)
        run.counts = {"achievements": len(achievements), "needs": len(needs), "pairs": len(rows), **counts}
        run.progress_total = max(run.progress_total, 1)
        run.progress_done = run.progress_total
        run.status = MatchRun.Status.DONE
    except Exception as error:
        run.status, run.error = MatchRun.Status.FAILED, f"{type(error).__name__}: {error}"
        raise
    finally:
        run.finished_at = timezone.now()
        run.duration_seconds = round((run.finished_at - run.started_at).total_seconds(), 3) if run.started_at else (
            round(time.perf_counter() - started, 3)
        )  # fmt: skip
        run.save()
    return run


def _incremental_targets(
    run: MatchRun, record: tuple[str, int] | None, achievements: list[Achievement], needs: list[Need]
) -> tuple[list[int], list[int]]:
    if record is not None:
        kind, pk = record
        if kind == RecordTokens.Kind.NEED:
            return [i for i, n in enumerate(needs) if n.pk == pk], []
        return [], [i for i, a in enumerate(achievements) if a.pk == pk]
    since = (
        MatchRun.objects.filter(status=MatchRun.Status.DONE).exclude(pk=run.pk).order_by("-started_at")
        .values_list("started_at", flat=True).first()
    )  # fmt: skip
    return (
        [i for i, n in enumerate(needs) if since is None or n.published_at >= since],
        [i for i, a in enumerate(achievements) if since is None or a.published_at >= since],
    )


def match_run_full(*, trigger: str = "command", by: User | None = None) -> MatchRun:
    """A full rebuild in this process: every chunk, then the finish."""
    run = run_start(kind=MatchRun.Kind.FULL, trigger=trigger, by=by)
    chunks = run_chunks(run)
    MatchRun.objects.filter(pk=run.pk).update(progress_total=len(chunks) + 1)
    for kind, ids in chunks:
        run_tokenize_chunk(run_id=run.pk, kind=kind, posting_ids=ids)
    return run_finish(run_id=run.pk)


def match_run_incremental(*, trigger: str = "command", by: User | None = None) -> MatchRun:
    """Match the records published since the last finished run."""
    run = run_start(kind=MatchRun.Kind.INCREMENTAL, trigger=trigger, by=by, total=1)
    return run_finish(run_id=run.pk)


def match_record(*, kind: str, posting_id: int, trigger: str = "publish") -> MatchRun:
    """Match one newly published (or edited) posting against the other side."""
    run = run_start(kind=MatchRun.Kind.INCREMENTAL, trigger=trigger, total=1)
    return run_finish(run_id=run.pk, record=(kind, posting_id))
