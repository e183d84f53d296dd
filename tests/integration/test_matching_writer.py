"""The rebuild's writer on PostgreSQL: new pairs COPYed straight into the table, a pair another run inserted
meanwhile upserted instead (no duplicate, no failed block), a pair someone acted on left alone."""

from __future__ import annotations

import json

import numpy as np
import pytest

from marketplace import services as posting_services
from marketplace.models import Status
from matching.models import Match, MatchRun
from matching.runs import MatchWriter, existing_keys, pair_keys
from tests.factories import OrganizationFactory, achievement, need

pytestmark = pytest.mark.integration


def publish(posting):  # type: ignore[no-untyped-def]
    return posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)


def row(a: int, n: int, score: float, reasons: list | None = None) -> tuple:
    return (a, n, score, json.dumps({"text": score}), "[]", None if reasons is None else json.dumps(reasons))


def test_new_pairs_are_copied_and_a_pair_inserted_meanwhile_is_upserted(services):
    university, company = OrganizationFactory(kind="university"), OrganizationFactory(kind="enterprise")
    offers = [publish(achievement(university, title=f"成果 {i}")) for i in range(3)]
    wanted = publish(need(company))
    run = MatchRun.objects.create(kind=MatchRun.Kind.FULL, trigger="test")
    acted = Match.objects.create(achievement=offers[2], need=wanted, score=0.5, components={}, status="approved")

    writer = MatchWriter(run, skip_unchanged=True, existing=existing_keys())
    assert writer.existing.tolist() == pair_keys([offers[2].pk], [wanted.pk]).tolist()
    writer.write([row(offers[0].pk, wanted.pk, 0.9, [{"kind": "text"}])])  # new: COPYed
    first = Match.objects.get(achievement=offers[0], need=wanted)
    assert (first.score, first.reasons, first.status, first.run_id) == (0.9, [{"kind": "text"}], "suggested", run.pk)
    assert first.achievement_decision == first.need_decision == "pending" and first.review_reason == ""

    # Another run inserts offers[1]'s pair after this one read the table: the block falls back to the upsert.
    Match.objects.create(achievement=offers[1], need=wanted, score=0.2, components={})
    writer.write([row(offers[1].pk, wanted.pk, 0.7), row(offers[2].pk, wanted.pk, 0.8)])
    assert Match.objects.get(achievement=offers[1], need=wanted).score == 0.7
    acted.refresh_from_db()
    assert (acted.score, acted.status) == (0.5, "approved")  # acted on: left as it was
    pairs = list(Match.objects.values_list("achievement_id", "need_id"))
    assert len(pairs) == len(set(pairs)) == 3
    assert writer.created == 1 and writer.updated == 1
    assert np.all(np.diff(existing_keys()) > 0)


def match_indexes() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Match._meta.db_table)
    return {name for name, info in constraints.items() if info["index"]} & {i.name for i in Match._meta.indexes}


def test_a_first_load_builds_the_ordering_indexes_after_writing_and_a_lost_index_comes_back(services, monkeypatch):
    from django.db import connection

    from matching import runs
    from tests.integration.test_matching_worker import load_benchmark, snapshot

    expected = {index.name for index in Match._meta.indexes}
    load_benchmark(publish=True)
    Match.objects.all().delete()
    runs.match_run_full()  # written with the indexes in place
    reference = snapshot()
    Match.objects.all().delete()
    monkeypatch.setattr(runs, "DEFER_INDEXES_FROM", 1)
    dropped = []
    original = runs.MatchWriter.write

    def watching(self, rows):  # type: ignore[no-untyped-def]
        dropped.append(expected - match_indexes())
        return original(self, rows)

    monkeypatch.setattr(runs.MatchWriter, "write", watching)
    runs.match_run_full()  # an empty table: the indexes are built after the rows
    assert dropped and all(missing == expected for missing in dropped)
    assert match_indexes() == expected
    assert snapshot() == reference

    with connection.schema_editor() as editor:  # as a run killed while they were deferred leaves them
        editor.remove_index(Match, Match._meta.indexes[0])
    monkeypatch.setattr(runs, "DEFER_INDEXES_FROM", 10**9)
    runs.match_run_full()
    assert match_indexes() == expected
