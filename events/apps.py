from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from core.page_cache import pages_show

        pages_show(*self.get_models())  # events, registrations, programmes show on visitors' kept pages
