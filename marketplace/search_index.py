"""Ranked search over postings: the index of weighted bilingual tokens, and the reads that rank by it.

Every posting has one row per token of its search document (``AchievementSearchTerm`` / ``NeedSearchTerm``: token,
impact; see ``marketplace.search.document_terms``), rewritten by ``index_posting`` whenever the services save its text.
A query is turned into weighted tokens (``marketplace.search.query_terms``), OR-ed, and ranked by a BM25 score:

    score(posting) = sum over the query's tokens t of  weight(t) x IDF(t) x impact(posting, t)

The database computes it from the index rows of the query's tokens alone, then checks the best-scored postings
against the caller's queryset (its filters and who may see what, as everywhere). The work is bounded whatever the
number of postings:
- tokens are taken from the most to the least useful (weight x IDF) while the rows they make the database read stay
  within ``ROW_BUDGET``; a token held by more than half the postings is left out of a query that has better ones;
- a token held by very many postings is read for its ``TOKEN_ROWS`` postings of highest impact (where it stands in
  the title or the keywords, or often in the text), so that a common word adds to the best fits only;
- ``CANDIDATES`` postings are checked against the filters, and only when the filters leave too few of them is the
  exact score of every matching posting that passes the filters computed (the slow path of narrow filters);
- at most ``MAX_RESULTS`` postings are results, none scoring below ``MIN_RELATIVE_SCORE`` of the best.
Document frequencies come from counting index rows, or, on a large PostgreSQL table, from the planner's statistics
for the most common tokens and from counts kept an hour in the shared cache for the others. The same SQL runs on
SQLite and PostgreSQL, so both rank alike.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from core.bulk_insert import insert_rows

from .models import Achievement, AchievementSearchTerm, Need, NeedSearchTerm
from .search import document_terms, query_terms

P = TypeVar("P", Achievement, Need)
Posting = Achievement | Need
TermModel = type[AchievementSearchTerm] | type[NeedSearchTerm]
Scored = list[tuple[int, float]]  # (posting id, score), best first
Filtered = tuple[str, tuple[Any, ...]]  # the SQL of the caller's queryset's ids, and its parameters

RELEVANCE = "relevance"
NEWEST = "newest"
NEWEST_ORDER = (F("published_at").desc(nulls_last=True), "-created_at", "-pk")

MAX_RESULTS = 500  # postings ranked for one query (pages of 20: 25 pages)
CANDIDATES = 1500  # the best-scored postings checked against the filters first
MIN_RELATIVE_SCORE = 0.05  # a posting scoring under a twentieth of the best one is not a result
MAX_QUERY_TERMS = 48  # the most useful tokens of a query that are searched
MAX_LOOKUP_TERMS = 96  # the heaviest tokens whose document frequency is looked up
TOKEN_ROWS = 2000  # index rows read for one token: its postings of highest impact
ROW_BUDGET = 24_000  # index rows one query may read, the most useful tokens first
MAX_DOCUMENT_SHARE = 0.5  # a token in more than half the postings is searched only when nothing better is there
SIMILAR_TERMS = 48  # "similar postings": the posting's own most telling tokens, as a query
SIMILAR_MIN_SHARE = 0.06  # ... scoring at least this share of what the posting scores against itself
LARGE_TABLE = 200_000  # index rows above which PostgreSQL's statistics stand in for counting common tokens
FREQUENCY_SECONDS = 3600  # ... and each other token's count is kept this long (``_counted_kept``)


def term_model(model: type[Achievement] | type[Need]) -> TermModel:
    return AchievementSearchTerm if model is Achievement else NeedSearchTerm


# --- Writes -----------------------------------------------------------------------------------------------------


def posting_terms(posting: Posting) -> dict[str, float]:
    return document_terms(title=posting.title, keywords=posting.keywords or [], body=posting.body)


def index_posting(posting: Posting) -> None:
    """Rewrite the posting's rows in the index from its saved title, keywords and body."""
    terms = term_model(type(posting))
    rows = [terms(posting_id=posting.pk, token=t, impact=impact) for t, impact in posting_terms(posting).items()]
    with transaction.atomic():
        terms.objects.filter(posting_id=posting.pk).delete()
        terms.objects.bulk_create(rows)


def index_postings(
    model: type[Achievement] | type[Need],
    ids: Sequence[int],
    *,
    chunk: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the index rows of these postings (replacing any), ``chunk`` postings per transaction: a large import
    indexes what it created after its commit. Returns how many postings were indexed."""
    terms = term_model(model)
    body = "summary" if model is Achievement else "description"
    done = 0
    for start in range(0, len(ids), chunk):
        batch = list(model.objects.filter(pk__in=ids[start : start + chunk]).only("pk", "title", "keywords", body))
        rows = ((posting.pk, token, impact) for posting in batch for token, impact in posting_terms(posting).items())
        with transaction.atomic():
            terms.objects.filter(posting_id__in=[p.pk for p in batch]).delete()
            insert_rows(terms, ["posting", "token", "impact"], rows)
        done += len(batch)
        if progress is not None:
            progress(done)
    return done


def index_sweep(*, days: int = 7, limit: int = 20_000) -> int:
    """Index the postings of the last ``days`` that have no index rows (an import whose worker died between its
    commit and its indexing). Returns how many were indexed."""
    since = timezone.now() - timedelta(days=days)
    indexed = 0
    for model in (Achievement, Need):
        has_rows = term_model(model).objects.filter(posting_id=OuterRef("pk"))
        missing = model.objects.filter(created_at__gte=since).filter(~Exists(has_rows)).order_by("pk")
        indexed += index_postings(model, list(missing.values_list("pk", flat=True)[:limit]))
    return indexed


def index_rebuild(model: type[Achievement] | type[Need], *, chunk: int = 500) -> int:
    """Rebuild the index rows of every posting of a kind (after the glossary or the tokenizer changed)."""
    terms = term_model(model)
    done = 0
    body = "summary" if model is Achievement else "description"
    ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        batch = list(model.objects.filter(pk__in=ids[start : start + chunk]).only("pk", "title", "keywords", body))
        rows = [
            terms(posting_id=posting.pk, token=token, impact=impact)
            for posting in batch
            for token, impact in posting_terms(posting).items()
        ]
        with transaction.atomic():
            terms.objects.filter(posting_id__in=[p.pk for p in batch]).delete()
            terms.objects.bulk_create(rows, batch_size=5000)
        done += len(batch)
    return done


# --- Reads ------------------------------------------------------------------------------------------------------


_PLANNER_STATS_TTL = 300.0  # seconds a process keeps PostgreSQL's token frequencies
_ESTIMATE_TTL = 60.0  # ... and its estimate of a table's rows
_estimates: dict[str, tuple[float, float]] = {}
_planner_stats: dict[str, tuple[float, dict[str, int]]] = {}


def _estimated_rows(table: str) -> float:
    """PostgreSQL's estimate of a table's rows (-1 when unknown, and on SQLite), kept by the process for
    ``_ESTIMATE_TTL`` seconds (a search and a posting's similar postings ask twice; autovacuum moves it rarely)."""
    if connection.vendor != "postgresql":
        return -1.0
    kept = _estimates.get(table)
    if kept and time.monotonic() - kept[0] < _ESTIMATE_TTL:
        return kept[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    estimate = float(row[0]) if row and row[0] is not None else -1.0
    _estimates[table] = (time.monotonic(), estimate)
    return estimate


def _planner_frequencies(table: str) -> dict[str, int]:
    """On a large PostgreSQL table: the document frequencies of the most common tokens, as the planner's statistics
    estimate them (``pg_stats``, kept fresh by autovacuum; migration 0004 widens the token column's sample), so that
    a query needs not count many index rows. Cached in the process for a few minutes. Small tables are counted."""
    if connection.vendor != "postgresql":
        return {}
    cached = _planner_stats.get(table)
    if cached and time.monotonic() - cached[0] < _PLANNER_STATS_TTL:
        return cached[1]
    frequencies: dict[str, int] = {}
    rows = _estimated_rows(table)
    if rows >= LARGE_TABLE:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = %s AND attname = 'token'",
                [table],
            )
            found = cursor.fetchone()
        if found and found[0] and found[1]:
            frequencies = {token: max(1, round(share * rows)) for token, share in zip(found[0], found[1], strict=False)}
    _planner_stats[table] = (time.monotonic(), frequencies)
    return frequencies


def _counted(table: str, tokens: Sequence[str], cap: int) -> dict[str, int]:
    """How many postings hold each token, counted up to ``cap`` (reading at most ``cap`` index rows a token)."""
    if not tokens:
        return {}
    # The table is a model's; the numbers are ints; the tokens are parameters.
    parts = [
        f"SELECT {i}, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE token = %s LIMIT {int(cap)}) AS d{i})"  # noqa: S608
        for i in range(len(tokens))
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), list(tokens))
        return {tokens[i]: int(count) for i, count in cursor.fetchall()}


def document_frequencies(model: type[Achievement] | type[Need], tokens: Sequence[str]) -> dict[str, int]:
    """How many postings of the kind hold each token: estimated for the most common tokens of a large PostgreSQL
    table, counted for the others (up to what one query may read)."""
    table = term_model(model)._meta.db_table
    common = _planner_frequencies(table)
    frequencies = {token: common[token] for token in tokens if token in common}
    rest = [token for token in tokens if token not in common]
    # A token the statistics leave out is rarer than those they list, so that counting it stays cheap.
    cap = max(min(common.values()), 500) if common else ROW_BUDGET + 1
    count = _counted_kept if common else _counted  # a large table's counts are kept a while (the others are cheap)
    frequencies.update(count(table, rest, min(cap, ROW_BUDGET + 1)))
    return frequencies


def _counted_kept(table: str, tokens: Sequence[str], cap: int) -> dict[str, int]:
    """``_counted``, each token's count kept in the shared cache for ``FREQUENCY_SECONDS``: on a large table a
    posting's first view (its similar postings) and a new query count up to a hundred tokens, 20-30 ms of PostgreSQL,
    and a token's count moves little in that time against 10^5 postings (its weight, a logarithm, less)."""
    digest = lambda token: hashlib.blake2b(token.encode(), digest_size=12).hexdigest()  # noqa: E731
    keys = {token: f"search:df:{table}:{cap}:{digest(token)}" for token in tokens}
    kept = cache.get_many(list(keys.values())) if keys else {}
    found = {token: kept[key] for token, key in keys.items() if key in kept}
    counted = _counted(table, [token for token in tokens if token not in found], cap)
    if counted:
        cache.set_many({keys[token]: number for token, number in counted.items()}, FREQUENCY_SECONDS)
    return found | counted


def _posting_total(model: type[Achievement] | type[Need]) -> int:
    estimate = _estimated_rows(model._meta.db_table)
    return int(estimate) if estimate >= LARGE_TABLE / 20 else model.objects.count()


@dataclass(frozen=True)
class SearchPlan:
    """The tokens a query searches, with their weights (query weight x IDF), and whether any of them is read for
    its ``TOKEN_ROWS`` postings of highest impact only."""

    weights: dict[str, float] = field(default_factory=dict)
    truncated: bool = False


def _idf(frequency: int, total: int) -> float:
    return math.log1p((total - frequency + 0.5) / (frequency + 0.5))


def search_plan(
    model: type[Achievement] | type[Need],
    bag: dict[str, float],
    *,
    limit: int,
    frequencies: dict[str, int] | None = None,
) -> SearchPlan:
    """The most useful tokens of a query (weight x IDF), as many as ``limit`` and the row budget allow."""
    heaviest = sorted(bag, key=lambda token: (-bag[token], token))[:MAX_LOOKUP_TERMS]
    if frequencies is None:
        frequencies = document_frequencies(model, heaviest)
    found = [token for token in heaviest if frequencies.get(token)]
    if not found:
        return SearchPlan()
    total = max(_posting_total(model), max(frequencies[t] for t in found))
    idf = {t: _idf(frequencies[t], total) for t in found}
    kept: dict[str, float] = {}
    rows = 0
    for token in sorted(found, key=lambda t: (-bag[t] * idf[t], t)):
        read = min(frequencies[token], TOKEN_ROWS)
        if kept and (rows + read > ROW_BUDGET or frequencies[token] > MAX_DOCUMENT_SHARE * total):
            continue
        kept[token] = bag[token] * idf[token]
        rows += read
        if len(kept) >= limit:
            break
    return SearchPlan(kept, truncated=any(frequencies[token] > TOKEN_ROWS for token in kept))


def _filtered(queryset: QuerySet[Any]) -> Filtered | None:
    try:
        return queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None


def _best_candidates(table: str, plan: SearchPlan, filtered: Filtered, limit: int) -> tuple[Scored, int, float | None]:
    """The best-scored postings from the index alone (each token's rows of highest impact), the filters applied to
    the best ``CANDIDATES`` of them: ([(id, score)], how many were scored, the lowest score among them)."""
    tokens = sorted(plan.weights)
    hits = " UNION ALL ".join(
        f"SELECT * FROM (SELECT posting_id, impact * %s AS w FROM {table} WHERE token = %s "  # noqa: S608
        f"ORDER BY impact DESC LIMIT {TOKEN_ROWS}) AS h{i}"
        for i in range(len(tokens))
    )
    subquery, sub_params = filtered
    sql = (
        f"WITH hits AS ({hits}), scored AS (SELECT posting_id, SUM(w) AS score FROM hits GROUP BY posting_id "  # noqa: S608
        f"ORDER BY score DESC, posting_id DESC LIMIT {int(max(CANDIDATES, limit))}) "
        f"SELECT s.posting_id, s.score, p.size, p.lowest FROM "
        f"(SELECT COUNT(*) AS size, MIN(score) AS lowest FROM scored) AS p LEFT JOIN "
        f"(SELECT posting_id, score FROM scored WHERE posting_id IN ({subquery}) "
        f"ORDER BY score DESC, posting_id DESC LIMIT %s) AS s ON 1 = 1 ORDER BY s.score DESC, s.posting_id DESC"
    )
    params: list[Any] = [item for token in tokens for item in (float(plan.weights[token]), token)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *sub_params, int(limit)])
        rows = cursor.fetchall()
    scored = [(int(pk), float(score)) for pk, score, _, _ in rows if pk is not None]
    return scored, int(rows[0][2]), None if rows[0][3] is None else float(rows[0][3])


def _every_match(table: str, plan: SearchPlan, filtered: Filtered, limit: int) -> Scored:
    """The exact scores of every matching posting that passes the filters (the slow path of narrow filters)."""
    tokens = sorted(plan.weights)
    values = ", ".join(["(%s, %s)"] * len(tokens))
    marks = ", ".join(["%s"] * len(tokens))
    subquery, sub_params = filtered
    sql = (
        f"SELECT t.posting_id, SUM(t.impact * CAST(q.column2 AS DOUBLE PRECISION)) AS score "  # noqa: S608
        f"FROM {table} t JOIN (VALUES {values}) AS q ON t.token = q.column1 "
        f"WHERE t.token IN ({marks}) AND t.posting_id IN ({subquery}) "
        f"GROUP BY t.posting_id ORDER BY score DESC, t.posting_id DESC LIMIT %s"
    )
    params: list[Any] = [item for token in tokens for item in (token, float(plan.weights[token]))]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *tokens, *sub_params, int(limit)])
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]


def ranked_ids(
    queryset: QuerySet[Any], plan: SearchPlan, *, limit: int = MAX_RESULTS, minimum: float = 0.0
) -> list[int]:
    """Ids of the queryset's postings holding any of the plan's tokens, best score first (ties: newer id first),
    scoring at least ``minimum`` and ``MIN_RELATIVE_SCORE`` of the best."""
    filtered = _filtered(queryset) if plan.weights else None
    if filtered is None:
        return []
    table = term_model(queryset.model)._meta.db_table
    scored, size, lowest = _best_candidates(table, plan, filtered, limit)
    floor = scored[0][1] * MIN_RELATIVE_SCORE if scored else 0.0
    complete = size < max(CANDIDATES, limit) and not plan.truncated
    below_floor = not plan.truncated and lowest is not None and lowest < floor
    if len(scored) < limit and not (complete or below_floor):
        scored = _every_match(table, plan, filtered, limit)
        floor = scored[0][1] * MIN_RELATIVE_SCORE if scored else 0.0
    return [pk for pk, score in scored if score >= max(floor, minimum)]


def in_order(queryset: QuerySet[P], ids: Sequence[int], *, first: int = 1) -> QuerySet[P]:
    """The queryset's postings among ``ids``, in that order (annotated ``search_rank``: ``first``, and up)."""
    if not ids:
        return queryset.none()
    if connection.vendor == "postgresql":
        position: Any = Func(
            Value(list(ids), output_field=ArrayField(BigIntegerField())),
            F("pk"),
            function="array_position",
            output_field=IntegerField(),
        )
    else:  # the place of ",id," in ",id1,id2,...,": as the list's order
        position = Func(
            Value("," + ",".join(str(int(pk)) for pk in ids) + ","),
            Concat(Value(","), Cast("pk", CharField()), Value(",")),
            function="INSTR",
            output_field=IntegerField(),
        )
    rank = ExpressionWrapper(position + Value(first - 1), output_field=IntegerField())
    return queryset.filter(pk__in=ids).annotate(search_rank=rank).order_by("search_rank")


class RankedQuerySet(QuerySet):
    """The search's results, which knows them in order: counting it and taking a page of it (what the list page and
    the API's pagination do) read the page's postings only. Anything else (another filter, ``values``, a clone) is a
    plain query, with the same results."""

    _ranked: tuple[list[int], QuerySet[Any], Any] | None = None

    def _known(self) -> list[int] | None:
        ranked = self.__dict__.get("_ranked")
        if ranked is None or ranked[2] is not self.query or self._result_cache is not None:
            return None
        return ranked[0]

    def count(self) -> int:
        ids = self._known()
        return len(ids) if ids is not None else super().count()

    def __getitem__(self, k: Any) -> Any:
        ids = self._known()
        if ids is not None and isinstance(k, slice) and k.step in (None, 1):
            start, stop = k.start or 0, len(ids) if k.stop is None else k.stop
            if start >= 0 and stop >= 0:
                assert self._ranked is not None  # noqa: S101 - known above
                page = ids[start:stop]
                return in_order(self._ranked[1], page, first=start + 1) if page else self.none()
        return super().__getitem__(k)


def ranked(queryset: QuerySet[P], ids: list[int]) -> QuerySet[P]:
    """The queryset's postings among ``ids`` (its filtered and ranked postings), in that order."""
    results = in_order(queryset, ids)
    if ids and type(results) is QuerySet:
        results.__class__ = RankedQuerySet
        results._ranked = (ids, queryset, results.query)
    return results


def posting_search(queryset: QuerySet[P], query: str, *, sort: str = RELEVANCE) -> QuerySet[P]:
    """The queryset's postings that match the query (any of its words, in either language), best match first, or
    newest first with ``sort="newest"``. A query with no searchable word matches nothing."""
    ids = ranked_ids(queryset, search_plan(queryset.model, query_terms(query), limit=MAX_QUERY_TERMS))
    if sort == NEWEST and ids:
        ids = list(queryset.filter(pk__in=ids).order_by(*NEWEST_ORDER).values_list("pk", flat=True))
    return ranked(queryset, ids)


def stored_terms(posting: Posting) -> dict[str, float]:
    terms = term_model(type(posting)).objects.filter(posting_id=posting.pk).values_list("token", "impact")
    return dict(terms) or posting_terms(posting)


def posting_similar(*, posting: P, queryset: QuerySet[P], limit: int = 5) -> list[P]:
    """Up to ``limit`` postings of the queryset most like this one (itself left out): its own most telling tokens
    (impact x IDF; title and keywords weigh most) that other postings hold too, searched as a query; a posting is
    similar when it scores at least ``SIMILAR_MIN_SHARE`` of what this one scores against its own tokens (sharing
    only common words is not enough)."""
    model = type(posting)
    terms = stored_terms(posting)
    heaviest = sorted(terms, key=lambda token: (-terms[token], token))[:MAX_LOOKUP_TERMS]
    frequencies = {token: max(count, 1) for token, count in document_frequencies(model, heaviest).items()}
    total = max(_posting_total(model), max(frequencies.values(), default=1))
    own = sum(terms[t] * _idf(frequencies[t], total) * terms[t] for t in heaviest)
    shared = {token: terms[token] for token in heaviest if frequencies[token] >= 2}
    plan = search_plan(model, shared, limit=SIMILAR_TERMS, frequencies=frequencies)
    ids = ranked_ids(queryset.exclude(pk=posting.pk), plan, limit=limit, minimum=own * SIMILAR_MIN_SHARE)
    return list(in_order(queryset, ids))


def rank_all(queryset: QuerySet[Any], queries: Iterable[str]) -> list[list[int]]:
    """The ranked ids of each query (for benchmarks)."""
    return [
        ranked_ids(queryset, search_plan(queryset.model, query_terms(query), limit=MAX_QUERY_TERMS))
        for query in queries
    ]
