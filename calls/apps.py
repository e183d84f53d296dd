from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Open calls")

    def ready(self) -> None:
        from core.page_cache import pages_show

        from .models import Call, CallNeed

        pages_show(Call, CallNeed)  # calls and their needs show on visitors' kept pages (proposals never do)
