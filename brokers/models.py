"""Brokers: a member of a service agency whom an organisation appoints to work its chosen listings for it.

An appointment names the organisation, the broker (a user who is a member of a service-agency organisation, not of
the appointing one) and the listings granted: some of the organisation's achievements and needs. While it stands,
the broker sees those listings' released matches and answers them for the organisation (``matching.services``):
every act is recorded as the broker's, on the organisation's behalf. The organisation revokes it at any time (the
broker may also step down); a revoked appointment is kept, with who revoked it and when.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.limits import NOTE_MAX, bounded


class BrokerAppointment(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="broker_appointments",
        verbose_name=_("organisation"), help_text=_("The organisation the broker acts for."),
    )  # fmt: skip
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="broker_appointments",
        verbose_name=_("broker"),
    )  # fmt: skip
    agency = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="brokered_appointments",
        verbose_name=_("service agency"), help_text=_("The service agency the broker works for."),
    )  # fmt: skip
    achievements = models.ManyToManyField(
        "marketplace.Achievement", blank=True, related_name="broker_appointments", verbose_name=_("achievements")
    )
    needs = models.ManyToManyField("marketplace.Need", blank=True, related_name="broker_appointments",
                                   verbose_name=_("needs"))  # fmt: skip
    note = models.TextField(_("note"), blank=True, **bounded(NOTE_MAX))
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("appointed by"),
    )  # fmt: skip
    appointed_at = models.DateTimeField(_("appointed at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("revoked by"),
    )  # fmt: skip
    revoke_reason = models.TextField(_("reason for revoking"), blank=True, **bounded(NOTE_MAX))

    class Meta:
        ordering = ["-appointed_at", "-pk"]
        verbose_name = _("broker appointment")
        verbose_name_plural = _("broker appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "broker"], condition=Q(revoked_at__isnull=True),
                name="broker_one_active_appointment",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["broker", "revoked_at"], name="broker_active")]

    def __str__(self) -> str:
        return f"{self.broker} → {self.organization}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
