from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CataloguesConfig(AppConfig):
    name = "catalogues"
    verbose_name = _("Collections")
