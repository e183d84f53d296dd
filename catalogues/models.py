"""Curated collections: an organiser's named, ordered list of achievements or of needs (a conference's "100 advanced
achievements from six provinces", a catalogue for a roadshow), with a public page and exports.

A collection holds one kind of posting. Its items keep the order the curator gave them (``position``, 1, 2, ...).
Only postings on the market are added; a posting that leaves the market later stays in the collection for its
curators and drops out of the public page and the exports until it is published again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.limits import BODY_MAX, NOTE_MAX, bounded


class Collection(models.Model):
    class Kind(models.TextChoices):
        ACHIEVEMENTS = "achievements", _("achievements")
        NEEDS = "needs", _("needs")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    organizer = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="collections", verbose_name=_("organiser")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("introduction"), blank=True, **bounded(BODY_MAX))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        indexes = [models.Index(fields=["status", "-published_at"], name="collection_status_published")]

    def __str__(self) -> str:
        return self.title


class CollectionItem(models.Model):
    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="items", verbose_name=_("collection")
    )
    position = models.PositiveIntegerField(_("position"))
    achievement = models.ForeignKey(
        "marketplace.Achievement", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("achievement"),
    )  # fmt: skip
    need = models.ForeignKey(
        "marketplace.Need", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("need")
    )
    note = models.TextField(_("curator's note"), blank=True, **bounded(NOTE_MAX))
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["collection", "position"]
        verbose_name = _("collection item")
        verbose_name_plural = _("collection items")
        constraints = [
            models.CheckConstraint(
                condition=Q(achievement__isnull=False, need__isnull=True)
                | Q(achievement__isnull=True, need__isnull=False),
                name="collection_item_one_posting",
            ),
            models.UniqueConstraint(fields=["collection", "achievement"], name="collection_item_unique_achievement"),
            models.UniqueConstraint(fields=["collection", "need"], name="collection_item_unique_need"),
            models.UniqueConstraint(fields=["collection", "position"], name="collection_item_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.posting}"

    @property
    def posting(self):  # type: ignore[no-untyped-def]
        return self.achievement if self.achievement_id else self.need
