"""The audit log: who did what, to what, from where and when, for staff to read in admin (``core.audit`` writes it).

One table for every kind of event, so that admin shows one chronological list filtered by actor, organisation, kind
and date. A row keeps what it needs to stay readable after the records it names are gone: the actor's e-mail, the
organisation's name and a short label of the target are copied when it is written (the foreign keys are only
conveniences). It never holds a confidential value: no password, token or contact (``core.audit`` refuses such keys
in ``detail``).

``core`` sits at the bottom of the dependency chain, so the organisation is kept as a plain id and name rather than
a foreign key to ``accounts``; the user is ``AUTH_USER_MODEL``, as Django's own admin log does it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        LOGIN = "login", _("sign-in")
        LOGIN_FAILED = "login_failed", _("failed sign-in")
        LOCKOUT = "lockout", _("lockout")
        TOKEN_ISSUED = "token_issued", _("API token issued")
        EXPORT = "export", _("export")
        CONTACT_REVEAL = "contact_reveal", _("contacts viewed")
        STAFF_API_ACTION = "staff_api_action", _("staff action through the API")
        TRANSITION = "transition", _("status change")
        BROKER = "broker", _("broker appointment")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_email = models.CharField(_("actor's e-mail"), max_length=254, blank=True)
    organization_id = models.PositiveBigIntegerField(_("organisation id"), null=True, blank=True)
    organization_name = models.CharField(_("organisation"), max_length=200, blank=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of target"), on_delete=models.SET_NULL, null=True, blank=True
    )
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["kind", "-at"], name="audit_kind_at"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
            models.Index(fields=["organization_id", "-at"], name="audit_organization_at"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]
        constraints = [
            # Contacts viewed are recorded the first time a user sees them (``audit_record_first``).
            models.UniqueConstraint(
                fields=["kind", "actor", "target_type", "target_id"],
                condition=Q(kind="contact_reveal"),
                name="audit_contact_reveal_once",
            )
        ]

    def __str__(self) -> str:
        who = self.actor_email or "-"
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {who} {self.target_label}"
