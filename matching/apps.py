from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingAppConfig(AppConfig):
    name = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        from django.conf import settings

        from core.tasks import enqueue
        from marketplace.models import Achievement, Need
        from marketplace.services import on_publish_many
        from marketplace.signals import need_expired, posting_published, postings_published

        from .models import Match, RecordTokens
        from .pending import pending_add, pending_add_many
        from .services import matches_restore_for_need, matches_withdraw_for_needs
        from .tasks import match_postings_task

        def record_pending(sender: object, *, posting: object, **kwargs: object) -> None:
            # Inside the publishing transaction: the outbox row commits with the publication (matching.pending).
            if settings.MATCHING_ON_PUBLISH:
                kind = RecordTokens.Kind.ACHIEVEMENT if isinstance(posting, Achievement) else RecordTokens.Kind.NEED
                pending_add(kind=kind, posting_id=posting.pk)  # type: ignore[attr-defined]

        posting_published.connect(record_pending, weak=False, dispatch_uid="matching.record_pending_publication")

        def record_pending_many(sender: object, *, postings: list[object], **kwargs: object) -> None:
            if settings.MATCHING_ON_PUBLISH:
                kind = RecordTokens.Kind.ACHIEVEMENT if sender is Achievement else RecordTokens.Kind.NEED
                pending_add_many(kind=kind, posting_ids=[p.pk for p in postings])  # type: ignore[attr-defined]

        postings_published.connect(
            record_pending_many, weak=False, dispatch_uid="matching.record_pending_publications"
        )

        def restore_matches(postings: list[object]) -> None:
            # Called after the publishing transaction commits (marketplace.services runs it on commit), before
            # ``enqueue_matches``. A need published again (its deadline extended) gets back the matches its closing
            # withdrew, before the run below re-scores them. One query finds the needs that have any (a bulk
            # import publishing 20,000 needs made a query for each).
            needs = {p.pk: p for p in postings if isinstance(p, Need)}  # type: ignore[attr-defined]
            if not needs:
                return
            withdrawn = Match.objects.filter(need_id__in=list(needs), status=Match.Status.WITHDRAWN)
            for need_id in sorted(set(withdrawn.values_list("need_id", flat=True))):
                matches_restore_for_need(need=needs[need_id])

        def enqueue_matches(postings: list[object]) -> None:
            # Called once after a transaction that published postings commits, after ``restore_matches``: one run
            # matches them all (a bulk import or a bulk approval is one batch, not one task per posting).
            if settings.MATCHING_ON_PUBLISH and postings:
                achievements = [p.pk for p in postings if isinstance(p, Achievement)]  # type: ignore[attr-defined]
                needs = [p.pk for p in postings if isinstance(p, Need)]  # type: ignore[attr-defined]
                # Not waiting on a broker that does not answer: the outbox row stays and the sweep matches it.
                enqueue(match_postings_task, achievements, needs)

        on_publish_many(restore_matches)
        on_publish_many(enqueue_matches)

        def withdraw_matches(sender: object, *, needs: list[Need], reason: str = "", **kwargs: object) -> None:
            # Sent inside the transaction that closed the needs at their deadline: withdrawing commits with it.
            matches_withdraw_for_needs(need_ids=[need.pk for need in needs], note=reason)

        need_expired.connect(withdraw_matches, weak=False, dispatch_uid="matching.withdraw_matches_of_expired_needs")

        # What members see of their matches, kept (the dashboard's panels), is built again after a change.
        from django.db.models.signals import post_delete, post_save

        from .selectors import MATCHES_VERSION

        for signal in (post_save, post_delete):
            signal.connect(MATCHES_VERSION.changed, sender=Match, dispatch_uid=f"matches-version-{id(signal)}")
