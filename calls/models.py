"""Open calls: an organiser (an alliance, a technology market) publishes a call with a theme, the domains and regions
it is about and a window; enterprises enter their published needs into it during the window; universities and
research institutes submit solution proposals for the needs entered (one of their published achievements with a
short plan, a budget and a timeline); the need's enterprise and the organiser review them, shortlist, decline, and
award one or more. An award becomes an accepted match with an agreement (``matching.awards.match_award``).

* ``Call``: the organiser's, draft -> published -> closed. Only a draft is edited. Needs are entered and proposals
  submitted while it is published and its window is open (``opens_at`` <= now < ``closes_at``); proposals are
  reviewed while it is published or closed.
* ``CallNeed``: a need entered in a call (once), by a member of the need's organisation.
* ``Proposal``: an institution's proposal for a need of a call (one per achievement and need), submitted ->
  shortlisted -> awarded or declined, or withdrawn by its proposer before a decision. Proposals are confidential:
  seen by the proposer, the need's enterprise, the organiser and staff only (``calls.selectors``).
* ``Invitation``: the organiser or the need's enterprise invites an achievement's organisation to propose (the
  engine's suggestions, ``calls.selectors.suggested_achievements``).

Every write with a rule goes through ``calls.services``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.limits import BODY_MAX, NOTE_MAX, PROFILE_MAX, bounded
from marketplace.models import CooperationMode

MONEY = {"max_digits": 12, "decimal_places": 2}


class Window(models.TextChoices):
    """Where a call's window stands now (not stored: read from ``opens_at``, ``closes_at`` and the status)."""

    UPCOMING = "upcoming", _("opens later")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Call(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        CLOSED = "closed", _("closed")

    organizer = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="calls", verbose_name=_("organiser")
    )
    title = models.CharField(_("title"), max_length=200)
    theme = models.TextField(_("theme"), **bounded(BODY_MAX))
    domains = models.ManyToManyField(
        "reference.Domain", blank=True, related_name="+", verbose_name=_("domains"),
        help_text=_("The needs entered have at least one of these domains (or a subdomain of one); none: any."),
    )  # fmt: skip
    provinces = models.ManyToManyField(
        "reference.Province", blank=True, related_name="+", verbose_name=_("regions"),
        help_text=_("The needs entered are in one of these provinces; none: anywhere."),
    )  # fmt: skip
    opens_at = models.DateTimeField(_("window opens"))
    closes_at = models.DateTimeField(_("window closes"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-opens_at", "-pk"]
        verbose_name = _("open call")
        verbose_name_plural = _("open calls")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="call_closes_after_opens"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False), name="call_published_has_date"
            ),
        ]
        indexes = [models.Index(fields=["status", "-opens_at"], name="call_status_opens")]

    def __str__(self) -> str:
        return self.title

    def window(self, now: datetime | None = None) -> str:
        """``Window``: closed once the call is closed or its window has passed; opens later before ``opens_at``."""
        now = now or timezone.now()
        if self.status == self.Status.CLOSED or now >= self.closes_at:
            return Window.CLOSED
        return Window.UPCOMING if now < self.opens_at else Window.OPEN

    def get_window_display(self) -> str:
        return str(Window(self.window()).label)

    @property
    def collecting(self) -> bool:
        """Published with its window open: needs are entered and proposals submitted now."""
        return self.status == self.Status.PUBLISHED and self.window() == Window.OPEN


class CallNeed(models.Model):
    """A need entered in a call."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="entries", verbose_name=_("call"))
    need = models.ForeignKey(
        "marketplace.Need", on_delete=models.CASCADE, related_name="call_entries", verbose_name=_("need")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("entered by"),
    )  # fmt: skip
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        ordering = ["call", "entered_at", "pk"]
        verbose_name = _("need of a call")
        verbose_name_plural = _("needs of calls")
        constraints = [models.UniqueConstraint(fields=["call", "need"], name="call_need_once")]

    def __str__(self) -> str:
        return f"{self.call} · {self.need}"


class Proposal(models.Model):
    """An institution's solution proposal for a need of a call: one of its published achievements, with a plan, a
    budget (10k CNY) and a timeline (months)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        SHORTLISTED = "shortlisted", _("shortlisted")
        AWARDED = "awarded", _("awarded")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")

    OPEN = (Status.SUBMITTED, Status.SHORTLISTED)  # not yet decided: reviewed, or withdrawn by the proposer

    call_need = models.ForeignKey(
        CallNeed, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("need of a call")
    )
    achievement = models.ForeignKey(
        "marketplace.Achievement", on_delete=models.CASCADE, related_name="call_proposals",
        verbose_name=_("achievement"),
    )  # fmt: skip
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="call_proposals",
        verbose_name=_("proposing organisation"),
    )  # fmt: skip
    plan = models.TextField(_("plan"), **bounded(PROFILE_MAX))
    budget_wan = models.DecimalField(_("budget (10k CNY)"), null=True, blank=True, **MONEY)
    months = models.PositiveSmallIntegerField(_("timeline (months)"), validators=[MinValueValidator(1)])
    mode = models.CharField(_("cooperation mode"), max_length=16, choices=CooperationMode.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("submitted by"),
    )  # fmt: skip
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True, **bounded(NOTE_MAX))
    agreement = models.ForeignKey(
        "matching.Agreement", on_delete=models.SET_NULL, null=True, blank=True, related_name="call_proposals",
        verbose_name=_("agreement"),
    )  # fmt: skip

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        constraints = [
            models.UniqueConstraint(fields=["call_need", "achievement"], name="proposal_once_per_achievement"),
            models.CheckConstraint(
                condition=Q(budget_wan__isnull=True) | Q(budget_wan__gte=0), name="proposal_budget_not_negative"
            ),
            models.CheckConstraint(condition=Q(months__gte=1), name="proposal_months_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "withdrawn"]) | Q(decided_at__isnull=False),
                name="proposal_decision_has_date",
            ),
        ]
        indexes = [models.Index(fields=["organization", "-submitted_at"], name="proposal_org_submitted")]

    def __str__(self) -> str:
        return f"{self.achievement} → {self.call_need.need}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Invitation(models.Model):
    """The organiser or the need's enterprise invites an achievement's organisation to propose it for a need."""

    call_need = models.ForeignKey(
        CallNeed, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("need of a call")
    )
    achievement = models.ForeignKey(
        "marketplace.Achievement", on_delete=models.CASCADE, related_name="call_invitations",
        verbose_name=_("achievement"),
    )  # fmt: skip
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("invited by"),
    )  # fmt: skip
    invited_at = models.DateTimeField(_("invited at"), auto_now_add=True)

    class Meta:
        ordering = ["-invited_at", "-pk"]
        verbose_name = _("invitation to propose")
        verbose_name_plural = _("invitations to propose")
        constraints = [
            models.UniqueConstraint(fields=["call_need", "achievement"], name="invitation_once_per_achievement")
        ]

    def __str__(self) -> str:
        return f"{self.achievement} → {self.call_need.need}"
