from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingAppConfig(AppConfig):
    name = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        from django.conf import settings

        from marketplace.models import Achievement
        from marketplace.services import on_publish

        from .tasks import match_record_task

        def enqueue_match(posting: object) -> None:
            # Called after the publishing transaction commits (marketplace.services runs it on commit).
            if settings.MATCHING_ON_PUBLISH:
                kind = "a" if isinstance(posting, Achievement) else "n"
                match_record_task.delay(kind, posting.pk)  # type: ignore[attr-defined]

        on_publish(enqueue_match)
