from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingAppConfig(AppConfig):
    name = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        from django.conf import settings

        from marketplace.models import Achievement, Need
        from marketplace.services import on_publish
        from marketplace.signals import need_expired

        from .services import matches_restore_for_need, matches_withdraw_for_needs
        from .tasks import match_record_task

        def enqueue_match(posting: object) -> None:
            # Called after the publishing transaction commits (marketplace.services runs it on commit).
            if isinstance(posting, Need):
                # A need published again (its deadline extended) gets back the matches its closing withdrew,
                # before the run below re-scores them.
                matches_restore_for_need(need=posting)
            if settings.MATCHING_ON_PUBLISH:
                kind = "a" if isinstance(posting, Achievement) else "n"
                match_record_task.delay(kind, posting.pk)  # type: ignore[attr-defined]

        on_publish(enqueue_match)

        def withdraw_matches(sender: object, *, needs: list[Need], reason: str = "", **kwargs: object) -> None:
            # Sent inside the transaction that closed the needs at their deadline: withdrawing commits with it.
            matches_withdraw_for_needs(need_ids=[need.pk for need in needs], note=reason)

        need_expired.connect(withdraw_matches, weak=False, dispatch_uid="matching.withdraw_matches_of_expired_needs")
