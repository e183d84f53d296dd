from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuctionsConfig(AppConfig):
    name = "auctions"
    verbose_name = _("Auctions")

    def ready(self) -> None:
        from core.page_cache import pages_show

        pages_show(*self.get_models())  # auctions, lots and their prices show on visitors' kept pages
