"""Roadshows, docking (matchmaking) events and financing presentations, as bookable records."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


def new_check_in_code() -> str:
    return secrets.token_hex(4).upper()


class Event(models.Model):
    class Kind(models.TextChoices):
        ROADSHOW = "roadshow", _("roadshow")
        DOCKING = "docking", _("docking event")
        FINANCING = "financing", _("financing presentation")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        CANCELLED = "cancelled", _("cancelled")
        FINISHED = "finished", _("finished")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    organizer = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="events", verbose_name=_("organiser")
    )
    description = models.TextField(_("description"), blank=True)
    domains = models.ManyToManyField("reference.Domain", blank=True, related_name="+", verbose_name=_("focus domains"))
    clusters = models.ManyToManyField(
        "reference.Cluster", blank=True, related_name="+", verbose_name=_("focus regions")
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    city = models.ForeignKey(
        "reference.City", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("city")
    )
    online_url = models.URLField(_("online link"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("registration closes"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"))
    confirmed_count = models.PositiveIntegerField(_("confirmed places"), default=0, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
            # The booking service locks the event row; the counter and this constraint hold the line regardless.
            models.CheckConstraint(condition=Q(confirmed_count__lte=F("capacity")), name="event_not_overbooked"),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="event_registration_window_ordered",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="event_status_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        WAITING = "waiting", _("waiting list")
        CANCELLED = "cancelled", _("cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("event"))
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="registrations", verbose_name=_("organisation")
    )
    person_name = models.CharField(_("participant"), max_length=100)
    person_email = models.EmailField(_("participant e-mail"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    check_in_code = models.CharField(_("check-in code"), max_length=16, unique=True, default=new_check_in_code)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    promoted_at = models.DateTimeField(_("promoted from the waiting list at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "person_email"],
                condition=~Q(status="cancelled"),
                name="registration_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(status="confirmed"), name="registration_check_in_confirmed"
            ),
        ]
        indexes = [models.Index(fields=["event", "status", "created_at"], name="registration_queue")]

    def __str__(self) -> str:
        return f"{self.person_name} @ {self.event} ({self.get_status_display()})"
