"""Reasons written later: when a match is first shown, or by the workers after a full rebuild.

Explaining a pair (``matching.engine.explain``) costs about 50-100 us; a full rebuild of a large catalogue keeps
millions of pairs, most of which nobody ever opens. So a rebuild of more than ``MATCHING_EXPLAIN_ALL_BELOW`` pairs
explains only each record's first ``MATCHING_EXPLAIN_FIRST`` matches (those its owner sees first) and writes the
others with ``reasons`` None. Those are then explained:

* by the workers right after the rebuild, a block per task (``explain_pending_task``: one block, then the task
  for the next one is queued, so that the explaining asked for by pages is not queued behind all of it);
* when shown before that (``ensure_explained``: a page, the API, admin or an export asks for them first), by the
  process that holds the kept fitted state, a worker (the same task, waited for briefly), or at once where tasks
  run eagerly (the embedded default).

A pair is explained with the kept state (``matching.incremental``): the rows of its two records when the state
holds them, else its records as they are now, scored with the stored components. Writing is guarded: reasons are
written only where they are still None and the score is the one they were made for, so repeating is harmless.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from .engine import COMPONENTS, RankedPairs
from .engine.components import CONSTRAINTS
from .engine.core import top_per_group
from .models import Match

logger = logging.getLogger(__name__)
BLOCK = 20_000


def tasks_run_eagerly() -> bool:
    """Whether Celery tasks run in the calling process (no workers: the embedded default, and tests)."""
    from celery import current_app

    return bool(current_app.conf.task_always_eager)


def explained_now(pairs: RankedPairs) -> np.ndarray | None:
    """Which pairs of a full rebuild are explained while it runs (a mask), or None for all of them: each need's and
    each achievement's first ``MATCHING_EXPLAIN_FIRST`` pairs, when there are more than
    ``MATCHING_EXPLAIN_ALL_BELOW`` pairs."""
    if len(pairs) <= settings.MATCHING_EXPLAIN_ALL_BELOW:
        return None
    first = settings.MATCHING_EXPLAIN_FIRST
    mask = np.zeros(len(pairs), bool)
    mask[top_per_group(pairs.need, pairs.total, first)] = True
    mask[top_per_group(pairs.achievement, pairs.total, first)] = True
    return mask


def _pairs(rows: Sequence[tuple[Any, ...]], need_rows: np.ndarray, achievement_rows: np.ndarray) -> RankedPairs:
    """Pairs of the kept state's rows with the components and broken constraints stored with the matches."""
    return RankedPairs(
        need=need_rows,
        achievement=achievement_rows,
        total=np.array([row[3] for row in rows], np.float32),
        components={k: np.array([float((row[4] or {}).get(k, 0.0)) for row in rows], np.float64) for k in COMPONENTS},
        broken={k: np.array([k in (row[5] or []) for row in rows], bool) for k in CONSTRAINTS},
    )


def _explain_block(state: Any, rows: list[tuple[Any, ...]]) -> list[tuple[int, float, str]]:
    """(match id, score, reasons as JSON) of rows (id, achievement id, need id, score, components, broken)."""
    from . import adapters, runs

    engine = state.engine
    a_rows = [state.row("a", str(row[1])) for row in rows]
    n_rows = [state.row("n", str(row[2])) for row in rows]
    held = [i for i in range(len(rows)) if a_rows[i] is not None and n_rows[i] is not None]
    out: list[tuple[int, float, str]] = []
    if held:
        chosen = [rows[i] for i in held]
        pairs = _pairs(chosen, np.array([n_rows[i] for i in held], np.int64),
                       np.array([a_rows[i] for i in held], np.int64))  # fmt: skip
        texts = runs.explain_json(engine, pairs)
        out.extend((row[0], row[3], text) for row, text in zip(chosen, texts, strict=True))
    held_set = set(held)
    others = [rows[i] for i in range(len(rows)) if i not in held_set]
    if others:  # a record the state does not hold (closed since, or not yet added): explained as it is now
        from marketplace.models import Achievement, Need

        achievements = Achievement.objects.filter(pk__in={row[1] for row in others}).prefetch_related("domains")
        needs = Need.objects.filter(pk__in={row[2] for row in others}).prefetch_related("domains")
        a_records = dict(zip([a.pk for a in achievements], adapters.records(achievements), strict=True))
        n_records = dict(zip([n.pk for n in needs], adapters.records(needs), strict=True))
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        zero = np.zeros(1, np.int64)
        for row in others:
            if row[1] not in a_records or row[2] not in n_records:
                continue
            reasons = engine.explain(_pairs([row], zero, zero), 0, need=n_records[row[2]],
                                     achievement=a_records[row[1]])  # fmt: skip
            out.append((row[0], row[3], dumps([runs.reason_dict(reason) for reason in reasons])))
    return out


def _save(explained: list[tuple[int, float, str]]) -> int:
    """Write reasons where they are still missing and the score is the one they were made for."""
    if not explained:
        return 0
    table = connection.ops.quote_name(Match._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPYed into a temporary table, one UPDATE for the block
            from .runs import copy_text

            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS matching_explained (id bigint, score double precision, "
                "reasons jsonb) ON COMMIT DELETE ROWS"
            )
            with cursor.cursor.copy("COPY matching_explained (id, score, reasons) FROM STDIN") as copy:
                copy.write("".join(f"{pk}\t{score!r}\t{copy_text(text)}\n" for pk, score, text in explained))
            cursor.execute(
                f"UPDATE {table} m SET reasons = e.reasons FROM matching_explained e "  # noqa: S608 - the model's table
                "WHERE m.id = e.id AND m.reasons IS NULL AND m.score = e.score"
            )
            return max(cursor.rowcount, 0)
        sql = f"UPDATE {table} SET reasons = %s WHERE id = %s AND reasons IS NULL AND score = %s"  # noqa: S608
        cursor.executemany(sql, [(text, pk, score) for pk, score, text in explained])
    return len(explained)


def explain_pending(ids: Iterable[int] | None = None, *, after: int = 0, blocks: int | None = None) -> tuple[int, int]:
    """Explain the matches left unexplained (these ``ids`` only, when given), in id order from ``after``, a block
    at a time (``blocks`` of them at most); returns how many were written and the last id looked at (0 when none
    is left). Nothing is done without a kept state (no full run yet): none is pending then."""
    from . import incremental

    state = incremental.current_state(incremental.fingerprint_now())
    if state is None:
        return 0, 0
    pending = Match.objects.filter(reasons__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=sorted(set(ids)))
    written, last, done = 0, after, 0
    while blocks is None or done < blocks:
        rows = list(
            pending.filter(pk__gt=last).order_by("pk")
            .values_list("pk", "achievement_id", "need_id", "score", "components", "broken")[:BLOCK]
        )  # fmt: skip
        if not rows:
            return written, 0
        last, done = rows[-1][0], done + 1
        with incremental.state_lock():
            explained = _explain_block(state, rows)
        written += _save(explained)
    return written, last


def ensure_explained(matches: Iterable[Match]) -> None:
    """Give these matches (about to be shown) their reasons where they have none yet: explained here where tasks
    run eagerly, else by a worker (waited for ``MATCHING_EXPLAIN_WAIT`` seconds at most; a page shown meanwhile says
    the reasons are on their way). The matches' ``reasons`` are refreshed in place."""
    missing = {match.pk: match for match in matches if match.reasons is None and match.pk is not None}
    if not missing:
        return
    from .tasks import explain_matches_task

    eager = tasks_run_eagerly()
    wanted = [pk for pk in missing if eager or cache.add(f"match-explain:{pk}", 1, 60)]
    if wanted:
        try:
            result = explain_matches_task.delay(sorted(wanted))
            if not eager:
                result.get(timeout=settings.MATCHING_EXPLAIN_WAIT, propagate=False)
        except Exception:  # a broker or worker not answering: the reasons come later, the page is shown now
            logger.warning("reasons of %s matches not written in time", len(wanted), exc_info=True)
    for pk, reasons in Match.objects.filter(pk__in=sorted(missing)).values_list("pk", "reasons"):
        missing[pk].reasons = reasons
