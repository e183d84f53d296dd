from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        from marketplace import hooks

        from .selectors import annotate_match_counts

        if annotate_match_counts not in hooks.posting_annotators:
            hooks.posting_annotators.append(annotate_match_counts)
