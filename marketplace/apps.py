from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .models import Achievement, Need
        from .selectors import postings_changed
        from .signals import need_expired, postings_published

        # Cached counts and similar postings (marketplace.selectors) are read again after any change of a posting.
        for model in (Achievement, Need):
            for signal in (post_save, post_delete):
                signal.connect(postings_changed, sender=model, dispatch_uid=f"postings-cache-{model.__name__}")
            m2m_changed.connect(
                postings_changed, sender=model.domains.through, dispatch_uid=f"postings-cache-{model.__name__}-domains"
            )
        need_expired.connect(postings_changed, dispatch_uid="postings-cache-expired")
        postings_published.connect(postings_changed, dispatch_uid="postings-cache-published")
