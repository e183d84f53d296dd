from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CataloguesConfig(AppConfig):
    name = "catalogues"
    verbose_name = _("Collections")

    def ready(self) -> None:
        from core.page_cache import pages_show

        pages_show(*self.get_models())  # collections and their items show on visitors' kept pages
