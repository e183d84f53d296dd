from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self) -> None:
        import axes.signals  # noqa: F401 - django-axes' receivers first (its app is listed before this one)
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from .audit import on_logged_in, on_login_failed

        # The audit log of sign-ins (accounts.audit), after django-axes has judged each attempt.
        user_logged_in.connect(on_logged_in, dispatch_uid="accounts.audit.logged_in")
        user_login_failed.connect(on_login_failed, dispatch_uid="accounts.audit.login_failed")
        # A sign-in switches the pages to the user's preferred language (accounts.language).
        from .language import on_logged_in as language_on_logged_in

        user_logged_in.connect(language_on_logged_in, dispatch_uid="accounts.language.logged_in")
        # Organisations' names and places show on visitors' kept pages (core.page_cache).
        from core.page_cache import pages_show

        from .models import Organization

        pages_show(Organization)
        # What is kept per user of their memberships (the header's organisation) is read again after a change.
        from django.db.models.signals import post_delete, post_save

        from .models import Membership
        from .selectors import MEMBERSHIPS_VERSION

        for model in (Membership, Organization):
            for signal in (post_save, post_delete):
                signal.connect(MEMBERSHIPS_VERSION.changed, sender=model, dispatch_uid=f"memberships-{model.__name__}")
