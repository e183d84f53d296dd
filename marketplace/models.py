"""Achievements (what universities and institutes offer) and needs (what enterprises ask for).

Both are postings: they share the owner, the place, the domains and keywords, the confidential contact, the external
reference and the life cycle draft -> submitted -> published -> closed (or rejected, with the staff's reason).
Every change of status goes through ``marketplace.services`` and is recorded as a ``PostingTransition``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.limits import BODY_MAX, KEYWORD_MAX, NOTE_MAX, bounded

TRL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(9)]
MAX_KEYWORDS = 8


class CooperationMode(models.TextChoices):
    TRANSFER = "transfer", _("transfer")
    LICENSE = "license", _("licence")
    CO_DEVELOPMENT = "co_development", _("co-development")
    EQUITY = "equity", _("equity")
    SERVICE = "service", _("technical service")


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    PUBLISHED = "published", _("published")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")


class Language(models.TextChoices):
    ZH = "zh", _("Chinese")
    EN = "en", _("English")


def validate_modes(value: object) -> None:
    if not isinstance(value, list) or any(mode not in CooperationMode.values for mode in value):
        raise ValidationError(
            _("Cooperation modes must be a list drawn from: %(modes)s."),
            params={"modes": ", ".join(CooperationMode.values)},
            code="modes",
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("A cooperation mode is listed twice."), code="modes_duplicate")


def validate_keywords(value: object) -> None:
    if not isinstance(value, list) or any(not isinstance(word, str) or not word.strip() for word in value):
        raise ValidationError(_("Keywords must be a list of non-empty words."), code="keywords")
    if any(len(word) > KEYWORD_MAX for word in value):
        raise ValidationError(
            _("A keyword has at most %(max)d characters."), params={"max": KEYWORD_MAX}, code="keyword_length"
        )
    if len(value) > MAX_KEYWORDS:
        raise ValidationError(
            _("At most %(max)d keywords; %(count)d given."),
            params={"max": MAX_KEYWORDS, "count": len(value)},
            code="keywords_count",
        )


class Posting(models.Model):
    """What achievements and needs share."""

    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    external_ref = models.CharField(
        _("reference"),
        max_length=64,
        blank=True,
        help_text=_("The organisation's own reference; unique within the organisation. Imports update by it."),
    )
    title = models.CharField(_("title"), max_length=200)
    domains = models.ManyToManyField("reference.Domain", verbose_name=_("domains"), blank=True, related_name="+")
    keywords = models.JSONField(_("keywords"), default=list, blank=True, validators=[validate_keywords])
    modes = models.JSONField(_("cooperation modes"), default=list, blank=True, validators=[validate_modes])
    province = models.ForeignKey(
        "reference.Province", verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    city = models.ForeignKey(
        "reference.City", verbose_name=_("city"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ZH)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True, **bounded(NOTE_MAX))
    search_document = models.TextField(_("search document"), editable=False, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # An edit of a published posting held for staff review (``services.posting_update``): the new values, kept apart
    # from the public ones until staff approve them.
    held_edit = models.JSONField(_("edit waiting for review"), null=True, blank=True, editable=False)
    held_reason = models.CharField(_("why the edit waits"), max_length=200, blank=True, editable=False)
    held_at = models.DateTimeField(_("edit held at"), null=True, blank=True, editable=False)

    CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")

    class Meta:
        abstract = True
        ordering = ["-published_at", "-created_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.city_id and self.province_id and self.city.province_id != self.province_id:
            raise ValidationError({"city": _("The city is not in the chosen province.")})

    @property
    def body(self) -> str:
        raise NotImplementedError

    @property
    def mode_labels(self) -> list[str]:
        return [str(CooperationMode(mode).label) for mode in self.modes if mode in CooperationMode.values]

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED

    @classmethod
    def shared_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.UniqueConstraint(
                fields=["organization", "external_ref"],
                condition=~Q(external_ref=""),
                name=f"{prefix}_unique_ref_per_org",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.PUBLISHED, published_at__isnull=False) | ~Q(status=Status.PUBLISHED),
                name=f"{prefix}_published_has_date",
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name=f"{prefix}_status_valid"),
        ]


class Achievement(Posting):
    class IPStatus(models.TextChoices):
        GRANTED_PATENT = "granted_patent", _("granted patent")
        PENDING_PATENT = "pending_patent", _("pending patent")
        SOFTWARE_COPYRIGHT = "software_copyright", _("software copyright")
        KNOW_HOW = "know_how", _("know-how")
        NONE = "none", _("none")

    summary = models.TextField(_("public summary"), **bounded(BODY_MAX))
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level"), null=True, blank=True, validators=TRL_VALIDATORS
    )
    ip_status = models.CharField(_("IP status"), max_length=24, choices=IPStatus.choices, default=IPStatus.NONE)
    patent_numbers = models.JSONField(_("patent numbers"), default=list, blank=True)
    price_min_wan = models.DecimalField(
        _("asking price from (10k CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    price_max_wan = models.DecimalField(
        _("asking price up to (10k CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta(Posting.Meta):
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")
        constraints = [
            *Posting.shared_constraints("achievement"),
            models.CheckConstraint(
                condition=Q(trl__isnull=True) | Q(trl__gte=1, trl__lte=9), name="achievement_trl_1_9"
            ),
            models.CheckConstraint(
                condition=Q(price_min_wan__isnull=True)
                | Q(price_max_wan__isnull=True)
                | Q(price_min_wan__lte=F("price_max_wan")),
                name="achievement_price_min_le_max",
            ),
            models.CheckConstraint(
                condition=(Q(price_min_wan__isnull=True) | Q(price_min_wan__gte=0))
                & (Q(price_max_wan__isnull=True) | Q(price_max_wan__gte=0)),
                name="achievement_price_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["status", "-published_at"], name="achievement_status_pub")]

    @property
    def body(self) -> str:
        return self.summary

    def clean(self) -> None:
        super().clean()
        if (
            self.price_min_wan is not None
            and self.price_max_wan is not None
            and self.price_min_wan > self.price_max_wan
        ):
            raise ValidationError({"price_max_wan": _("The highest asking price is below the lowest.")})


class Need(Posting):
    class RegionScope(models.TextChoices):
        PROVINCE = "province", _("same province")
        CLUSTER = "cluster", _("same regional cluster")
        NATIONAL = "national", _("anywhere in China")

    description = models.TextField(_("description"), **bounded(BODY_MAX))
    min_trl = models.PositiveSmallIntegerField(
        _("lowest acceptable readiness level"), null=True, blank=True, validators=TRL_VALIDATORS
    )
    budget_wan = models.DecimalField(_("budget (10k CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    region_scope = models.CharField(
        _("region scope"), max_length=16, choices=RegionScope.choices, default=RegionScope.NATIONAL
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)

    class Meta(Posting.Meta):
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        constraints = [
            *Posting.shared_constraints("need"),
            models.CheckConstraint(
                condition=Q(min_trl__isnull=True) | Q(min_trl__gte=1, min_trl__lte=9), name="need_min_trl_1_9"
            ),
            models.CheckConstraint(
                condition=Q(budget_wan__isnull=True) | Q(budget_wan__gte=0), name="need_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(region_scope__in=["province", "cluster", "national"]), name="need_region_scope_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "-published_at"], name="need_status_pub")]

    @property
    def body(self) -> str:
        return self.description

    # --- Deadlines ------------------------------------------------------------------------------------------------
    # The one definition of "expired", in its query form and its Python form side by side: a published need whose
    # deadline is before today (the local date, settings.TIME_ZONE). Every read that shows needs to the public or
    # feeds the engine excludes ``expired_q()`` (see ``marketplace.selectors``), so a need drops out at midnight even
    # before the daily task (``marketplace.services.need_expire_overdue``) closes it.

    @staticmethod
    def expired_q(*, prefix: str = "", today: date | None = None) -> Q:
        """Expired needs as a condition; ``prefix`` reaches them through a relation (``"need__"``)."""
        return Q(**{f"{prefix}status": Status.PUBLISHED, f"{prefix}deadline__lt": today or timezone.localdate()})

    @property
    def is_expired(self) -> bool:
        """Published and past its deadline (the Python form of ``expired_q``)."""
        return self.status == Status.PUBLISHED and self.deadline is not None and self.deadline < timezone.localdate()

    @property
    def closed_at_deadline(self) -> bool:
        """Closed by the daily task because its deadline passed (not by its owner): its latest status change says
        so. Reads the ``last_transition_reason`` annotation when a list has it (``needs_with_last_reason``)."""
        if self.status != Status.CLOSED:
            return False
        reason = getattr(self, "last_transition_reason", None)
        if reason is None:
            reason = self.transitions.order_by("-at", "-pk").values_list("reason", flat=True).first()
        return reason == PostingTransition.DEADLINE_PASSED

    @property
    def extendable(self) -> bool:
        """Whether its deadline can be extended: published, or closed because its deadline passed."""
        return self.status == Status.PUBLISHED or self.closed_at_deadline

    @property
    def deadline_lapsed(self) -> bool:
        """What the owner sees as expired (过期): expired, or closed because it expired; the owner may extend it."""
        return self.is_expired or self.closed_at_deadline


class PostingTransition(models.Model):
    """One change of a posting's status: who, when, from, to, and why."""

    # The reasons the deadline rules record (kept in English in the data, translated where shown).
    DEADLINE_PASSED = gettext_noop("system: deadline passed")
    DEADLINE_EXTENDED = gettext_noop("deadline extended")

    achievement = models.ForeignKey(
        Achievement, verbose_name=_("achievement"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="transitions",
    )  # fmt: skip
    need = models.ForeignKey(
        Need, verbose_name=_("need"), on_delete=models.CASCADE, null=True, blank=True, related_name="transitions"
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True, **bounded(NOTE_MAX))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        constraints = [
            models.CheckConstraint(
                condition=Q(achievement__isnull=False, need__isnull=True)
                | Q(achievement__isnull=True, need__isnull=False),
                name="transition_exactly_one_posting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '-'} → {self.get_to_status_display()}"


class SearchTerm(models.Model):
    """One token of a posting's ranked-search document and its impact (``marketplace.search.document_terms``); the
    rows of a posting are rewritten whenever its text is saved (``marketplace.search_index``)."""

    token = models.CharField(_("token"), max_length=64)
    impact = models.FloatField(_("impact"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.token} {self.impact:.3f}"


class AchievementSearchTerm(SearchTerm):
    pk = models.CompositePrimaryKey("posting_id", "token")
    # No database constraint: these rows are derived from the posting and rewritten with it; checking millions of
    # them against the postings at commit (a deferred check each) was a fifth of a large import. Deleting a posting
    # deletes its rows (Django's cascade).
    posting = models.ForeignKey(
        Achievement, verbose_name=_("achievement"), on_delete=models.CASCADE, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip

    class Meta:
        verbose_name = _("achievement search term")
        verbose_name_plural = _("achievement search terms")
        indexes = [models.Index(fields=["token", "-impact", "posting"], name="achievement_term_token")]


class NeedSearchTerm(SearchTerm):
    pk = models.CompositePrimaryKey("posting_id", "token")
    # No database constraint: these rows are derived from the posting and rewritten with it; checking millions of
    # them against the postings at commit (a deferred check each) was a fifth of a large import. Deleting a posting
    # deletes its rows (Django's cascade).
    posting = models.ForeignKey(
        Need, verbose_name=_("need"), on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )

    class Meta:
        verbose_name = _("need search term")
        verbose_name_plural = _("need search terms")
        indexes = [models.Index(fields=["token", "-impact", "posting"], name="need_term_token")]


class ImportJob(models.Model):
    """A file of achievements or needs imported in the background (``marketplace.import_jobs``): the upload page and
    the admin create one, a Celery task runs ``importers.import_records`` on it (validate every row, then write all
    in one transaction, or nothing), and the page follows it. The file is kept until the job ends, except a dry run's
    that passed: its owner may import it as it is (``import_jobs.import_job_commit``) for ``DRY_RUN_KEEP``."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("imported")
        REFUSED = "refused", _("refused: nothing imported")
        FAILED = "failed", _("failed: nothing imported")

    ENDED = (State.DONE, State.REFUSED, State.FAILED)
    MAX_ATTEMPTS = 3

    kind = models.CharField(_("kind"), max_length=16, choices=[("achievements", _("achievements")),
                                                                ("needs", _("needs"))])  # fmt: skip
    filename = models.CharField(_("file"), max_length=200)
    data = models.BinaryField(_("data"), editable=False, blank=True, default=b"")
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("organisation"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="import_jobs", help_text=_("The owner of every row; empty: the rows name their owners."),
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    create_orgs = models.BooleanField(_("create the organisations the rows name"), default=False)
    publish = models.BooleanField(_("publish"), default=False)
    dry_run = models.BooleanField(_("only check"), default=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    published = models.PositiveIntegerField(_("published"), default=0)
    held = models.PositiveIntegerField(_("edits waiting for review"), default=0)
    organizations_created = models.PositiveIntegerField(_("organisations created"), default=0)
    # The first IMPORT_MAX_ERRORS [row, column, {language: reason}] (``import_jobs`` says why each language).
    errors = models.JSONField(_("errors"), default=list, blank=True)
    errors_total = models.PositiveIntegerField(_("errors in all"), default=0)
    message = models.TextField(_("message"), blank=True)
    digest = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True, editable=False)
    preview = models.JSONField(_("preview"), default=list, blank=True)  # a dry run's first rows as they would be
    source = models.ForeignKey(
        "self", verbose_name=_("checked first by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="commits", help_text=_("The dry run whose file this import wrote."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="import_job_state")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def ended(self) -> bool:
        return self.state in self.ENDED

    @property
    def errors_unlisted(self) -> int:
        return max(self.errors_total - len(self.errors), 0)
