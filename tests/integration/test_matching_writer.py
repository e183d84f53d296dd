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
