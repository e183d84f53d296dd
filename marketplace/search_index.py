"""Ranked search over postings: the index of weighted bilingual tokens, and the reads that rank by it.

Every posting has one row per token of its search document (``AchievementSearchTerm`` / ``NeedSearchTerm``: token,
impact; see ``marketplace.search.document_terms``), rewritten by ``index_posting`` whenever the services save its text.
A query is turned into weighted tokens (``marketplace.search.query_terms``), OR-ed, and ranked by a BM25 score:

    score(posting) = sum over the query's tokens t of  weight(t) x IDF(t) x impact(posting, t)

computed by the database over the index rows of the query's tokens, joined to the filtered queryset (filters and who
may see what are the caller's, as everywhere). The read is bounded: the query's tokens are taken from the most to the
least useful (weight x IDF) while the rows they make the database read stay within ``ROW_BUDGET``, so a token in a
large share of the postings (which says little) is left out of a query that has better ones; at most
``MAX_RESULTS`` postings are ranked, and a posting scoring below ``MIN_RELATIVE_SCORE`` of the best is no result.
The same SQL runs on SQLite and PostgreSQL, so both rank alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BigIntegerField, CharField, F, Func, IntegerField, QuerySet, Value
from django.db.models.functions import Cast, Concat

from .models import Achievement, AchievementSearchTerm, Need, NeedSearchTerm
from .search import document_terms, query_terms

P = TypeVar("P", Achievement, Need)
Posting = Achievement | Need
TermModel = type[AchievementSearchTerm] | type[NeedSearchTerm]

RELEVANCE = "relevance"
NEWEST = "newest"
NEWEST_ORDER = (F("published_at").desc(nulls_last=True), "-created_at", "-pk")

MAX_RESULTS = 1000  # postings ranked for one query (pages of 20: 50 pages)
MIN_RELATIVE_SCORE = 0.1  # a posting scoring under a tenth of the best one is not a result
MAX_QUERY_TERMS = 32  # the most useful tokens of a query that are searched
MAX_LOOKUP_TERMS = 96  # the heaviest tokens whose document frequency is looked up
ROW_BUDGET = 40_000  # index rows one query may read, the most useful tokens first
MAX_DOCUMENT_SHARE = 0.5  # a token in more than half the postings is searched only when nothing better is there
SIMILAR_TERMS = 48  # "similar postings": the posting's own most telling tokens, as a query


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


def _document_frequencies(table: str, tokens: Sequence[str], cap: int) -> dict[str, int]:
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


def search_weights(model: type[Achievement] | type[Need], bag: dict[str, float], *, limit: int) -> dict[str, float]:
    """The tokens to search and their weights (query weight x IDF): the most useful first, within the row budget."""
    heaviest = sorted(bag, key=lambda token: (-bag[token], token))[:MAX_LOOKUP_TERMS]
    table = term_model(model)._meta.db_table
    frequencies = _document_frequencies(table, heaviest, ROW_BUDGET + 1)
    found = [token for token in heaviest if frequencies.get(token)]
    if not found:
        return {}
    total = max(model.objects.count(), max(frequencies.values()))
    idf = {t: math.log1p((total - frequencies[t] + 0.5) / (frequencies[t] + 0.5)) for t in found}
    kept: dict[str, float] = {}
    rows = 0
    for token in sorted(found, key=lambda t: (-bag[t] * idf[t], t)):
        frequency = frequencies[token]
        if kept and (rows + frequency > ROW_BUDGET or frequency > MAX_DOCUMENT_SHARE * total):
            continue
        kept[token] = bag[token] * idf[token]
        rows += frequency
        if len(kept) >= limit:
            break
    return kept


def ranked_ids(queryset: QuerySet[Any], weights: dict[str, float], *, limit: int = MAX_RESULTS) -> list[int]:
    """Ids of the queryset's postings holding any of the tokens, best score first (ties: newer id first)."""
    if not weights:
        return []
    table = term_model(queryset.model)._meta.db_table
    tokens = sorted(weights)
    try:
        subquery, sub_params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return []
    values = ", ".join(["(%s, %s)"] * len(tokens))
    marks = ", ".join(["%s"] * len(tokens))
    sql = (
        f"SELECT t.posting_id, SUM(t.impact * CAST(q.column2 AS DOUBLE PRECISION)) AS score "  # noqa: S608
        f"FROM {table} t JOIN (VALUES {values}) AS q ON t.token = q.column1 "
        f"WHERE t.token IN ({marks}) AND t.posting_id IN ({subquery}) "
        f"GROUP BY t.posting_id ORDER BY score DESC, t.posting_id DESC LIMIT %s"
    )
    params: list[Any] = [item for token in tokens for item in (token, float(weights[token]))]
    params += [*tokens, *sub_params, int(limit)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        scored = cursor.fetchall()
    if not scored:
        return []
    floor = float(scored[0][1]) * MIN_RELATIVE_SCORE
    return [int(pk) for pk, score in scored if float(score) >= floor]


def in_order(queryset: QuerySet[P], ids: Sequence[int]) -> QuerySet[P]:
    """The queryset's postings among ``ids``, in that order (annotated ``search_rank``, growing down the list)."""
    if not ids:
        return queryset.none()
    if connection.vendor == "postgresql":
        rank: Any = Func(
            Value(list(ids), output_field=ArrayField(BigIntegerField())),
            F("pk"),
            function="array_position",
            output_field=IntegerField(),
        )
    else:  # the position of ",id," in ",id1,id2,...,": ordered as the list
        rank = Func(
            Value("," + ",".join(str(int(pk)) for pk in ids) + ","),
            Concat(Value(","), Cast("pk", CharField()), Value(",")),
            function="INSTR",
            output_field=IntegerField(),
        )
    return queryset.filter(pk__in=ids).annotate(search_rank=rank).order_by("search_rank")


def posting_search(queryset: QuerySet[P], query: str, *, sort: str = RELEVANCE) -> QuerySet[P]:
    """The queryset's postings that match the query (any of its words, in either language), best match first, or
    newest first with ``sort="newest"``. A query with no searchable word matches nothing."""
    weights = search_weights(queryset.model, query_terms(query), limit=MAX_QUERY_TERMS)
    ids = ranked_ids(queryset, weights)
    if sort == NEWEST:
        return queryset.filter(pk__in=ids).order_by(*NEWEST_ORDER) if ids else queryset.none()
    return in_order(queryset, ids)


def stored_terms(posting: Posting) -> dict[str, float]:
    terms = term_model(type(posting)).objects.filter(posting_id=posting.pk).values_list("token", "impact")
    return dict(terms) or posting_terms(posting)


def posting_similar(*, posting: P, queryset: QuerySet[P], limit: int = 5) -> list[P]:
    """Up to ``limit`` postings of the queryset most like this one (itself left out): its own most telling tokens
    (impact x IDF; title and keywords weigh most) searched as a query."""
    weights = search_weights(type(posting), stored_terms(posting), limit=SIMILAR_TERMS)
    ids = ranked_ids(queryset.exclude(pk=posting.pk), weights, limit=limit)
    return list(in_order(queryset, ids))


def rank_all(queryset: QuerySet[Any], queries: Iterable[str]) -> list[list[int]]:
    """The ranked ids of each query (for benchmarks)."""
    return [
        ranked_ids(queryset, search_weights(queryset.model, query_terms(query), limit=MAX_QUERY_TERMS))
        for query in queries
    ]
