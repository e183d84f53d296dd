"""The market generator of the benchmarks (``bench/generate.py``) at a tiny size: what it writes is what the product
would hold (every posting passes the model's validation, its status history and search rows are there, the product's
search finds it), in the proportions asked, and the same for the same seed."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import transaction

from accounts.models import Membership, Organization, User
from events.models import Event, Meeting, MeetingSeat, Registration
from marketplace.filters import AchievementFilterSet, NeedFilterSet
from marketplace.models import Achievement, AchievementSearchTerm, Need, NeedSearchTerm, PostingTransition, Status
from marketplace.selectors import posting_live
from matching.models import Agreement, Match

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import generate

pytestmark = pytest.mark.django_db

TINY = generate.Options(achievements=30, needs=10, organisations=12, users_per_org=2, events=2, registrations=16,
                        seed=7)  # fmt: skip


@pytest.fixture
def generated() -> generate.Report:
    return generate.generate(TINY)


def test_counts_and_proportions(generated) -> None:  # type: ignore[no-untyped-def]
    assert Achievement.objects.count() == 30
    assert Need.objects.count() == 10
    assert Organization.objects.count() == 12
    assert User.objects.filter(is_staff=False).count() == 24
    assert User.objects.filter(is_staff=True).count() == 1
    assert Membership.objects.filter(role=Membership.Role.OWNER).count() == 12
    assert set(Organization.objects.values_list("kind", flat=True)) == set(Organization.Kind.values)
    statuses = Counter(Achievement.objects.values_list("status", flat=True)) + Counter(
        Need.objects.values_list("status", flat=True)
    )
    assert set(statuses) <= {Status.DRAFT, Status.SUBMITTED, Status.PUBLISHED, Status.CLOSED}
    assert statuses[Status.PUBLISHED] >= 24  # mostly published (60%+ of 40; the exact split varies with the database)
    assert {name for name, _seconds, _counts in generated.phases} >= {"achievements", "needs", "matches"}
    languages = set(Achievement.objects.values_list("language", flat=True))
    assert languages <= {"zh", "en"} and "zh" in languages


def test_every_posting_is_valid_placed_classified_and_has_its_history(generated) -> None:  # type: ignore[no-untyped-def]
    for model, terms in ((Achievement, AchievementSearchTerm), (Need, NeedSearchTerm)):
        for posting in model.objects.select_related("city").prefetch_related("domains"):
            posting.full_clean()  # raises on anything the model would refuse
            assert posting.domains.all(), posting
            assert posting.province_id and (posting.city is None or posting.city.province_id == posting.province_id)
            assert posting.search_document
            assert terms.objects.filter(posting=posting).exists()
            transitions = list(posting.transitions.order_by("at", "pk").values_list("from_status", "to_status"))
            assert transitions[0] == ("", Status.DRAFT)
            assert transitions[-1][1] == posting.status
            if posting.status in (Status.PUBLISHED, Status.CLOSED):
                assert posting.published_at is not None and posting.created_at < posting.published_at
            if posting.status == Status.CLOSED:
                assert posting.closed_at is not None and posting.closed_at > posting.published_at
        assert PostingTransition.objects.count() >= Achievement.objects.count() + Need.objects.count()
    # Published needs are open: none is past its deadline on the day it was generated.
    assert posting_live(Need.objects.all()).count() == Need.objects.filter(status=Status.PUBLISHED).count()


def test_published_postings_are_found_by_the_products_search(generated) -> None:  # type: ignore[no-untyped-def]
    for model, filterset in ((Achievement, AchievementFilterSet), (Need, NeedFilterSet)):
        live = posting_live(model.objects.all())
        for posting in live.order_by("pk")[:5]:
            found = filterset({"q": posting.title}, queryset=live).qs
            assert posting.pk in [p.pk for p in found[:20]], posting.title
        draft = model.objects.exclude(status=Status.PUBLISHED).first()
        if draft is not None:
            assert not live.filter(pk=draft.pk).exists()


def test_matches_and_events_keep_the_products_rules(generated) -> None:  # type: ignore[no-untyped-def]
    matches = list(Match.objects.select_related("achievement", "need"))
    assert matches
    for match in matches:
        assert 0 <= match.score <= 1
        assert match.achievement.status == match.need.status == Status.PUBLISHED
        assert match.achievement.organization_id != match.need.organization_id
        assert set(match.components) == {"text", "domain", "region", "readiness", "price", "mode"}
        assert match.reasons and {"component", "value", "zh", "en", "broken"} == set(match.reasons[0])
        if match.status in (Match.Status.IN_CONTACT, Match.Status.DEAL):
            assert match.achievement_decision == match.need_decision == Match.Decision.ACCEPTED
    assert Agreement.objects.count() == Match.objects.filter(status=Match.Status.DEAL).count()
    assert Event.objects.count() == 2
    for event in Event.objects.all():
        queue = list(Registration.objects.filter(event=event).order_by("pk").values_list("status", flat=True))
        confirmed = queue.count(Registration.Status.CONFIRMED)
        assert confirmed == event.confirmed_count <= event.capacity
        assert Registration.Status.WAITING not in queue or confirmed == event.capacity
    for meeting in Meeting.objects.filter(status=Meeting.Status.ACCEPTED):
        assert meeting.slot_id and meeting.table_id
        assert set(MeetingSeat.objects.filter(meeting=meeting).values_list("registration_id", flat=True)) == {
            meeting.requester_id, meeting.invitee_id
        }  # fmt: skip


def test_same_seed_same_market() -> None:
    def titles() -> list[str]:
        with transaction.atomic():
            generate.generate(generate.Options(achievements=12, needs=4, organisations=8, events=1, seed=3))
            out = list(Achievement.objects.order_by("external_ref").values_list("title", flat=True))
            out += list(Organization.objects.order_by("name").values_list("name", flat=True))
            transaction.set_rollback(True)
        return out

    first = titles()
    assert len(first) == 20
    assert titles() == first
