from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for a development instance; depends on every other app, nothing depends on it."""

    name = "demo"
    verbose_name = _("Demo data")
