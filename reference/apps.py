from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class ReferenceConfig(AppConfig):
    name = "reference"
    verbose_name = _("Reference data: domains and regions")

    def ready(self) -> None:
        from .loaders import load_reference_data_after_migrate

        post_migrate.connect(load_reference_data_after_migrate, sender=self, dispatch_uid="reference-load")
        # What each process keeps of reference data (reference.cache) is read again after any change.
        from .cache import REFERENCE_MODELS, reference_changed

        post_migrate.connect(reference_changed, sender=self, dispatch_uid="reference-cache-migrate")
        for model in REFERENCE_MODELS:
            for signal in (post_save, post_delete):
                signal.connect(reference_changed, sender=model, dispatch_uid=f"reference-cache-{model.__name__}")

        from core.page_cache import pages_show

        pages_show(*REFERENCE_MODELS)  # names of domains and places on visitors' kept pages (core.page_cache)
