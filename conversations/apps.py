from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsAppConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")
