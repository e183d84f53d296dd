"""Matching: the weights staff tune, the runs of the engine, and the matches it suggests."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.limits import NOTE_MAX, bounded
from marketplace.models import CooperationMode

from .engine import EngineConfig

_DEFAULTS = EngineConfig()
_UNIT = [MinValueValidator(0.0), MaxValueValidator(1.0)]
_POSITIVE = [MinValueValidator(0.0)]


class ReleaseRule(models.TextChoices):
    """How suggested matches reach the two sides (``matching.release``)."""

    REVIEW = "review", _("staff review every pair")
    THRESHOLD = "threshold", _("release at or above the threshold; staff review the rest")
    ALL = "all", _("release every pair")


class MatchingConfig(models.Model):
    """The one row of engine settings (weights and thresholds), edited by staff in admin, and the release rule: how
    new suggestions reach the two sides, and the floor under which the review queue hides pairs."""

    w_text = models.FloatField(_("weight: text relevance"), default=_DEFAULTS.w_text, validators=_POSITIVE)
    w_domain = models.FloatField(_("weight: domain"), default=_DEFAULTS.w_domain, validators=_POSITIVE)
    w_region = models.FloatField(_("weight: region"), default=_DEFAULTS.w_region, validators=_POSITIVE)
    w_readiness = models.FloatField(_("weight: readiness"), default=_DEFAULTS.w_readiness, validators=_POSITIVE)
    w_price = models.FloatField(_("weight: price"), default=_DEFAULTS.w_price, validators=_POSITIVE)
    w_mode = models.FloatField(_("weight: cooperation mode"), default=_DEFAULTS.w_mode, validators=_POSITIVE)
    constraint_penalty = models.FloatField(
        _("factor per broken hard constraint"),
        default=_DEFAULTS.constraint_penalty,
        validators=_UNIT,
        help_text=_("A pair that breaks a hard constraint has its total multiplied by this, once per constraint."),
    )
    text_relative = models.FloatField(
        _("text: share relative to the best fit"), default=_DEFAULTS.text_relative, validators=_UNIT
    )
    text_saturation = models.FloatField(
        _("text: cosine counted as a full fit"), default=_DEFAULTS.text_saturation, validators=_UNIT
    )
    title_weight = models.FloatField(_("title weight"), default=_DEFAULTS.title_weight, validators=_POSITIVE)
    keyword_weight = models.FloatField(_("keyword weight"), default=_DEFAULTS.keyword_weight, validators=_POSITIVE)
    bridge_weight = models.FloatField(
        _("weight of glossary translations"), default=_DEFAULTS.bridge_weight, validators=_POSITIVE
    )
    cedict_weight = models.FloatField(
        _("weight of dictionary translations"), default=_DEFAULTS.cedict_weight, validators=_POSITIVE
    )
    domain_same_parent = models.FloatField(
        _("domain: same top-level domain"), default=_DEFAULTS.domain_same_parent, validators=_UNIT
    )
    domain_unknown = models.FloatField(_("domain: unknown"), default=_DEFAULTS.domain_unknown, validators=_UNIT)
    candidates = models.PositiveIntegerField(
        _("candidates per record"), default=_DEFAULTS.candidates, validators=[MinValueValidator(1)]
    )
    top_k = models.PositiveIntegerField(
        _("matches kept per record (K)"), default=_DEFAULTS.top_k, validators=[MinValueValidator(1)]
    )
    release_rule = models.CharField(
        _("release rule"),
        max_length=16,
        choices=ReleaseRule.choices,
        default=ReleaseRule.REVIEW,
        help_text=_(
            "How new suggestions reach the two sides. It applies to pairs suggested from now on; the suggestions "
            "already waiting are released by the queue's action “Release what the rule now allows”."
        ),
    )
    release_threshold = models.FloatField(
        _("release threshold"),
        default=0.6,
        validators=_UNIT,
        help_text=_("With threshold release: pairs scoring at least this reach both sides at once."),
    )
    queue_floor = models.FloatField(
        _("review queue floor"),
        default=0.3,
        validators=_UNIT,
        help_text=_("The review queue hides suggested pairs scoring below this unless staff ask for them."),
    )
    # When the release rule (or its threshold) last changed: only pairs suggested since are released by runs.
    release_since = models.DateTimeField(_("release rule in force since"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )  # fmt: skip

    RELEASE_FIELDS = ("release_rule", "release_threshold")

    class Meta:
        verbose_name = _("matching settings")
        verbose_name_plural = _("matching settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="matching_config_single_row")]

    def __str__(self) -> str:
        return str(_("Matching settings"))

    @classmethod
    def get_solo(cls) -> MatchingConfig:
        config, _created = cls.objects.get_or_create(pk=1)
        return config

    def release_q(self) -> Q | None:
        """The suggested matches the rule releases, as a filter; None when it releases none (staff review all)."""
        if self.release_rule == ReleaseRule.ALL:
            return Q()
        if self.release_rule == ReleaseRule.THRESHOLD:
            return Q(score__gte=self.release_threshold)
        return None

    def engine_config(self) -> EngineConfig:
        names = {f.name for f in dataclass_fields(EngineConfig)}
        return EngineConfig().replace(
            **{f.name: getattr(self, f.name) for f in self._meta.concrete_fields if f.name in names}
        )


class MatchRun(models.Model):
    class Kind(models.TextChoices):
        INCREMENTAL = "incremental", _("incremental")
        FULL = "full", _("full rebuild")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    trigger = models.CharField(_("trigger"), max_length=32, help_text=_("command, publish, schedule or admin"))
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("triggered by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        constraints = [
            models.CheckConstraint(condition=Q(progress_done__lte=models.F("progress_total")), name="run_progress_le")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


class Match(models.Model):
    """A suggested introduction between an achievement and a need, and how far it got.

    suggested -> approved (by staff; both sides see it) -> in contact (both sides accepted; contacts revealed)
    -> deal (an agreement was recorded). Staff may reject a suggestion; either side may decline an approved match.
    A suggested or approved match whose need closes at its deadline is withdrawn (and suggested again if the need is
    published again).
    """

    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("suggested")
        APPROVED = "approved", _("released to both sides")  # by staff, or by the release rule
        REJECTED = "rejected", _("rejected by staff")
        DECLINED = "declined", _("declined")
        IN_CONTACT = "in_contact", _("in contact")
        DEAL = "deal", _("deal")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Decision(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    ACTED_ON = (Status.APPROVED, Status.REJECTED, Status.DECLINED, Status.IN_CONTACT, Status.DEAL)
    # Not yet taken up by both sides: withdrawn when the need closes at its deadline.
    OPEN = (Status.SUGGESTED, Status.APPROVED)

    # No index of their own: the unique pair and the (achievement, score) index serve lookups by achievement, the
    # (need, score) index those by need; two more indexes slowed every write of a rebuild's millions of rows.
    achievement = models.ForeignKey(
        "marketplace.Achievement",
        on_delete=models.CASCADE,
        related_name="matches",
        verbose_name=_("achievement"),
        db_index=False,
    )
    need = models.ForeignKey(
        "marketplace.Need", on_delete=models.CASCADE, related_name="matches", verbose_name=_("need"), db_index=False
    )
    score = models.FloatField(_("score"), validators=_UNIT)
    components = models.JSONField(_("components"), default=dict)
    # None until explained: a full rebuild explains each record's first matches and leaves the rest to be explained
    # when first shown or by the workers afterwards (``matching.explaining``).
    reasons = models.JSONField(_("reasons"), default=list, null=True, blank=True)
    broken = models.JSONField(_("broken hard constraints"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUGGESTED)
    achievement_decision = models.CharField(
        _("achievement side"), max_length=16, choices=Decision.choices, default=Decision.PENDING
    )
    need_decision = models.CharField(_("need side"), max_length=16, choices=Decision.choices, default=Decision.PENDING)
    review_reason = models.TextField(_("staff's reason"), blank=True, **bounded(NOTE_MAX))
    decline_reason = models.TextField(_("reason for declining"), blank=True, **bounded(NOTE_MAX))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    contact_revealed_at = models.DateTimeField(_("contacts revealed at"), null=True, blank=True)
    run = models.ForeignKey(
        MatchRun, verbose_name=_("matching run"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="matches",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-score"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(fields=["achievement", "need"], name="match_unique_pair"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="match_score_0_1"),
            models.CheckConstraint(
                condition=~Q(status__in=["in_contact", "deal"])
                | Q(achievement_decision="accepted", need_decision="accepted"),
                name="match_contact_needs_both_accepted",
            ),
        ]
        indexes = [
            models.Index(fields=["need", "-score"], name="match_need_score"),
            models.Index(fields=["achievement", "-score"], name="match_achievement_score"),
            models.Index(fields=["status", "-score"], name="match_status_score"),
        ]

    def __str__(self) -> str:
        return f"{self.need} ⇄ {self.achievement} ({self.score:.2f})"


class MatchEvent(models.Model):
    """One change of a match: who, when, from, to, and why."""

    match = models.ForeignKey(Match, verbose_name=_("match"), on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=16, choices=Match.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Match.Status.choices)
    side = models.CharField(_("side"), max_length=16, blank=True, help_text=_("achievement, need or staff"))
    action = models.CharField(_("action"), max_length=32)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    by_broker = models.BooleanField(
        _("by a broker"), default=False, help_text=_("Done by the side's broker, on the organisation's behalf.")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True, **bounded(NOTE_MAX))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("match event")
        verbose_name_plural = _("match events")

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '-'} → {self.get_to_status_display()}"


class Agreement(models.Model):
    """An agreement signed between the two sides of a match (or, later, at an event)."""

    match = models.ForeignKey(
        Match, on_delete=models.PROTECT, null=True, blank=True, related_name="agreements", verbose_name=_("match")
    )
    achievement = models.ForeignKey(
        "marketplace.Achievement", verbose_name=_("achievement"), on_delete=models.PROTECT, related_name="agreements"
    )
    need = models.ForeignKey(
        "marketplace.Need", verbose_name=_("need"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="agreements",
    )  # fmt: skip
    mode = models.CharField(_("cooperation mode"), max_length=16, choices=CooperationMode.choices)
    amount_wan = models.DecimalField(
        _("amount (10k CNY)"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    signed_on = models.DateField(_("signed on"))
    note = models.TextField(_("note"), blank=True, **bounded(NOTE_MAX))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-pk"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_wan__isnull=True) | Q(amount_wan__gte=0), name="agreement_amount_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.achievement} ⇄ {self.need or '-'} ({self.get_mode_display()})"


class RecordTokens(models.Model):
    """A posting's token bag, kept so that rebuilds and incremental runs do not tokenise it again.

    ``fingerprint`` covers the posting's text and the tokenizer's settings; a changed posting or setting gets a new
    bag on the next run.
    """

    class Kind(models.TextChoices):
        ACHIEVEMENT = "a", _("achievement")
        NEED = "n", _("need")

    kind = models.CharField(_("kind"), max_length=1, choices=Kind.choices)
    posting_id = models.PositiveBigIntegerField(_("posting ID"))
    fingerprint = models.CharField(_("fingerprint"), max_length=40)
    bag = models.JSONField(_("token bag"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("token cache")
        verbose_name_plural = _("token cache")
        constraints = [models.UniqueConstraint(fields=["kind", "posting_id"], name="record_tokens_unique")]

    def __str__(self) -> str:
        return f"{self.kind}{self.posting_id}"


class PendingMatch(models.Model):
    """The matching outbox: a published posting whose matching has not yet been done. Written in the transaction that
    publishes it, deleted by the run that matches it (``matching.pending``); a row left over (the broker was down, the
    message or the run lost) is matched by the periodic sweep, which gives up on a row after ``SWEEP_ATTEMPTS`` failed
    runs (it stays here, with the error, for staff). Publishing it again moves ``queued_at`` on and starts afresh."""

    SWEEP_ATTEMPTS = 5

    kind = models.CharField(_("kind"), max_length=1, choices=RecordTokens.Kind.choices)
    posting_id = models.PositiveBigIntegerField(_("posting ID"))
    queued_at = models.DateTimeField(_("queued at"))
    attempts = models.PositiveSmallIntegerField(_("sweep attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("publication waiting for matching")
        verbose_name_plural = _("publications waiting for matching")
        constraints = [models.UniqueConstraint(fields=["kind", "posting_id"], name="pending_match_unique")]
        indexes = [models.Index(fields=["queued_at"], name="pending_match_queued")]

    def __str__(self) -> str:
        return f"{self.kind}{self.posting_id}"
