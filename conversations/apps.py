from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsAppConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts.models import Membership

        from .models import Message, ReadMarker, Thread
        from .selectors import UNREAD_VERSION

        for model in (Message, ReadMarker, Thread, Membership):
            for signal in (post_save, post_delete):
                signal.connect(UNREAD_VERSION.changed, sender=model, dispatch_uid=f"unread-{model.__name__}")
