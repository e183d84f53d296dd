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
