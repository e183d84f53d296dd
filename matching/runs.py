"""Running the engine and saving what it suggests (runs). Commands, tasks and admin all call these."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from marketplace.models import Achievement, Need

from . import adapters
from .engine import AchievementRecord, MatchingEngine, NeedRecord, RankedPairs
from .models import Match, MatchingConfig, MatchRun


def build_engine() -> tuple[MatchingEngine, list[Achievement], list[Need]]:
    """Fit the engine on every published achievement and need, with the staff's settings."""
    achievements = list(adapters.published(Achievement))
    needs = list(adapters.published(Need))
    engine = MatchingEngine(
        adapters.taxonomy_from_db(), adapters.geography_from_db(), MatchingConfig.get_solo().engine_config()
    )
    engine.fit([adapters.achievement_record(a) for a in achievements], [adapters.need_record(n) for n in needs])
    return engine, achievements, needs


def _match_rows(
    engine: MatchingEngine,
    pairs: RankedPairs,
    need_ids: list[int],
    achievement_ids: list[int],
    *,
    need: NeedRecord | None = None,
    achievement: AchievementRecord | None = None,
) -> dict[tuple[int, int], dict[str, Any]]:
    rows = {}
    for i in range(len(pairs)):
        reasons = engine.explain(pairs, i, need=need, achievement=achievement)
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
    existing = {(m.achievement_id, m.need_id): m for m in Match.objects.filter(
        achievement_id__in={a for a, _ in rows}, need_id__in={n for _, n in rows})}  # fmt: skip
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
    Match.objects.bulk_create(to_create, batch_size=2000)
    Match.objects.bulk_update(to_update, ["score", "components", "broken", "reasons", "run", "updated_at"], 2000)
    stale = Match.objects.filter(status=Match.Status.SUGGESTED).exclude(run=run)
    if not full:
        scope = Match.objects.none()
        for field, pk in replace_for:
            scope = scope | stale.filter(**{field: pk})
        stale = scope
    removed, _ = stale.delete()
    return {"created": len(to_create), "updated": len(to_update), "removed": removed}


def match_run_full(*, trigger: str = "command", by: User | None = None) -> MatchRun:
    """Re-score every published pair and replace the suggestions nobody acted on."""
    run = MatchRun.objects.create(kind=MatchRun.Kind.FULL, trigger=trigger, triggered_by=by)
    return _execute(run, full=True)


def match_run_incremental(*, trigger: str = "command", by: User | None = None) -> MatchRun:
    """Match the records published since the last finished run."""
    run = MatchRun.objects.create(kind=MatchRun.Kind.INCREMENTAL, trigger=trigger, triggered_by=by)
    return _execute(run, full=False)


def _execute(run: MatchRun, *, full: bool) -> MatchRun:
    started = time.perf_counter()
    run.status, run.started_at = MatchRun.Status.RUNNING, timezone.now()
    run.save(update_fields=["status", "started_at"])
    try:
        engine, achievements, needs = build_engine()
        achievement_ids = [a.pk for a in achievements]
        need_ids = [n.pk for n in needs]
        if full:
            pairs = engine.rank()
            run.progress_total = len(needs) + len(achievements)
            rows = _match_rows(engine, pairs, need_ids, achievement_ids)
            with transaction.atomic():
                counts = _save(rows, run, full=True)
        else:
            since = (
                MatchRun.objects.filter(status=MatchRun.Status.DONE).exclude(pk=run.pk).order_by("-started_at")
                .values_list("started_at", flat=True).first()
            )  # fmt: skip
            new_achievements = [i for i, a in enumerate(achievements) if since is None or a.published_at >= since]
            new_needs = [i for i, n in enumerate(needs) if since is None or n.published_at >= since]
            run.progress_total = len(new_achievements) + len(new_needs)
            rows, replace_for = {}, []
            for i in new_needs:
                others, pairs = engine.rank_one(engine.needs[i])
                pairs.need[:] = i
                pairs.achievement[:] = others
                rows.update(_match_rows(engine, pairs, need_ids, achievement_ids))
                replace_for.append(("need_id", need_ids[i]))
            for i in new_achievements:
                others, pairs = engine.rank_one(engine.achievements[i])
                pairs.achievement[:] = i
                pairs.need[:] = others
                rows.update(_match_rows(engine, pairs, need_ids, achievement_ids))
                replace_for.append(("achievement_id", achievement_ids[i]))
            with transaction.atomic():
                counts = _save(rows, run, replace_for=replace_for)
        run.progress_done = run.progress_total
        run.counts = {"achievements": len(achievements), "needs": len(needs), "pairs": len(rows), **counts}
        run.status = MatchRun.Status.DONE
    except Exception as error:
        run.status, run.error = MatchRun.Status.FAILED, f"{type(error).__name__}: {error}"
        raise
    finally:
        run.finished_at = timezone.now()
        run.duration_seconds = round(time.perf_counter() - started, 3)
        run.save()
    return run
