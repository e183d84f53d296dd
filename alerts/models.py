"""Alerts: saved searches and follows, and the log of the digests sent for them.

Two models, not one. A saved search is the list page's filters of one kind (achievements or needs), normalised, with
a name the user gives; a follow is one domain, province or cluster, across both kinds, held by a foreign key (a
follow of a reference row that goes away goes with it, and the database keeps a user from following the same thing
twice). They differ in identity, uniqueness and in how they are shown and chosen (a name and a link to the list;
a choice among the reference data), so one table would need a column set per type and checks between them. What
they share (owner, frequency, when created, when last digested) is the abstract ``Alert``, and the digest reads both
the same way: each one is a list of (kind, list-page filters) (``criteria``), run through the list page's own
FilterSet (``alerts.selectors``).

``Digest`` records each digest e-mail sent: one per user and period (the local day of the run), so that running the
task twice sends nothing the second time; it keeps what was listed.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

KINDS = ("achievements", "needs")
FOLLOW_TARGETS = ("domain", "province", "cluster")


class Frequency(models.TextChoices):
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly (Mondays)")
    PAUSED = "paused", _("paused")


class Alert(models.Model):
    """What saved searches and follows share."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The end of the period the last digest covered (set even when it found nothing); empty until the first one.
    last_digest_at = models.DateTimeField(_("last digest"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def since(self) -> datetime:
        """Where the next digest starts: the end of the last one, or the alert's creation."""
        return self.last_digest_at or self.created_at

    def criteria(self) -> list[tuple[str, dict[str, str]]]:
        raise NotImplementedError


class SavedSearch(Alert):
    class Kind(models.TextChoices):
        ACHIEVEMENTS = "achievements", _("achievements")
        NEEDS = "needs", _("needs")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # The list page's filters, normalised (``alerts.criteria.normalise``): non-empty values as strings, by name.
    params = models.JSONField(_("filters"), default=dict, blank=True)
    # The same as a sorted query string: what makes two saved searches the same.
    query = models.CharField(_("query string"), max_length=1000, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "query"], name="saved_search_unique_per_user"),
            models.CheckConstraint(condition=Q(kind__in=KINDS), name="saved_search_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def criteria(self) -> list[tuple[str, dict[str, str]]]:
        return [(self.kind, dict(self.params))]


class Follow(Alert):
    domain = models.ForeignKey(
        "reference.Domain", verbose_name=_("domain"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    province = models.ForeignKey(
        "reference.Province",
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    cluster = models.ForeignKey(
        "reference.Cluster",
        verbose_name=_("regional cluster"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    TARGETS = FOLLOW_TARGETS

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=Q(domain__isnull=False, province__isnull=True, cluster__isnull=True)
                | Q(domain__isnull=True, province__isnull=False, cluster__isnull=True)
                | Q(domain__isnull=True, province__isnull=True, cluster__isnull=False),
                name="follow_exactly_one_target",
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", target], condition=Q(**{f"{target}__isnull": False}), name=f"follow_unique_{target}"
                )
                for target in FOLLOW_TARGETS
            ),
        ]

    def __str__(self) -> str:
        return str(self.target)

    @property
    def target_field(self) -> str:
        return next(target for target in self.TARGETS if getattr(self, f"{target}_id"))

    @property
    def target(self):  # type: ignore[no-untyped-def]
        return getattr(self, self.target_field)

    def criteria(self) -> list[tuple[str, dict[str, str]]]:
        """A follow is the list page's one filter, on both kinds (a domain includes its subdomains there)."""
        params = {self.target_field: str(getattr(self, f"{self.target_field}_id"))}
        return [(kind, dict(params)) for kind in KINDS]


class Digest(models.Model):
    """One digest e-mail sent to a user: at most one per user and period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField(_("period"), help_text=_("The local day of the run."))
    sent_at = models.DateTimeField(_("sent at"))
    # Where the new matches listed were looked for from (the previous digest's end, or the first alert's creation).
    matches_since = models.DateTimeField(_("matches since"))
    posting_count = models.PositiveIntegerField(_("new postings"), default=0)
    match_count = models.PositiveIntegerField(_("new matches"), default=0)
    # What was listed: {"alerts": [{"type", "id", "achievements": [ids], "needs": [ids], "more": n}], "matches": [ids]}
    items = models.JSONField(_("items"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=200)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [models.UniqueConstraint(fields=["user", "period"], name="digest_unique_per_user_period")]

    def __str__(self) -> str:
        return f"{self.user} · {self.period}"
