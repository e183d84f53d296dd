from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReferenceConfig(AppConfig):
    name = "reference"
    verbose_name = _("Reference data: domains and regions")

    def ready(self) -> None:
        from .loaders import load_reference_data_after_migrate

        post_migrate.connect(load_reference_data_after_migrate, sender=self, dispatch_uid="reference-load")
