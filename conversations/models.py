"""Conversations: a thread of plain-text messages between two organisations, and who has read how far.

A thread is either a match's (one per match, opened once both sides accepted: the achievement's organisation is the
first party, the need's the second) or an enquiry about a published achievement or need, from another
organisation (first party) to the posting's owner (second party). Storing both parties on the thread lets one
indexed filter scope every read (``selectors.thread_visible_to``), whatever the kind.

An enquiry may be held for staff review (``state``): the owner sees it only once it is open. A message is plain
text; an agreement proposal is a message of its own kind carrying the terms and their answer, so that the thread
reads as one history. ``ReadMarker`` keeps, per thread and user, the last message read (unread counts compare ids,
which only grow) and when the user was last mailed about the thread (the mail throttle).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.limits import NOTE_MAX, bounded
from marketplace.models import CooperationMode

MESSAGE_MAX = 4_000  # characters in one message: a few paragraphs
SUBJECT_MAX = 200


class Thread(models.Model):
    class Kind(models.TextChoices):
        MATCH = "match", _("match")
        ENQUIRY = "enquiry", _("enquiry")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        HELD = "held", _("awaiting review")
        REJECTED = "rejected", _("rejected by staff")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    match = models.OneToOneField(
        "matching.Match", on_delete=models.CASCADE, null=True, blank=True, related_name="thread",
        verbose_name=_("match"),
    )  # fmt: skip
    achievement = models.ForeignKey(
        "marketplace.Achievement", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("achievement"),
    )  # fmt: skip
    need = models.ForeignKey(
        "marketplace.Need", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("need")
    )
    first_party = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("first party"), help_text=_("The enquirer, or the achievement's organisation."),
    )  # fmt: skip
    second_party = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("second party"), help_text=_("The posting's owner, or the need's organisation."),
    )  # fmt: skip
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    held_reason = models.CharField(_("why held"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="match", match__isnull=False) | Q(kind="enquiry", match__isnull=True))
                & (
                    Q(kind="match")
                    | Q(achievement__isnull=False, need__isnull=True)
                    | Q(achievement__isnull=True, need__isnull=False)
                ),
                name="thread_kind_fields",
            ),
            models.CheckConstraint(condition=Q(kind="enquiry") | Q(state="open"), name="thread_match_open"),
            models.UniqueConstraint(
                fields=["first_party", "achievement"],
                condition=Q(kind="enquiry", achievement__isnull=False),
                name="thread_one_enquiry_per_achievement",
            ),
            models.UniqueConstraint(
                fields=["first_party", "need"],
                condition=Q(kind="enquiry", need__isnull=False),
                name="thread_one_enquiry_per_need",
            ),
        ]
        indexes = [
            models.Index(fields=["first_party", "-last_message_at"], name="thread_first_party"),
            models.Index(fields=["second_party", "-last_message_at"], name="thread_second_party"),
            models.Index(fields=["state", "kind"], name="thread_state_kind"),
        ]

    def __str__(self) -> str:
        return self.subject

    def _held_reason_text(self) -> str:
        """Why the enquiry is held, in the reader's language (``held_reason`` holds codes)."""
        from .moderation import hold_reason_text

        return hold_reason_text(self.held_reason)

    _held_reason_text.short_description = _("why held")  # type: ignore[attr-defined]
    held_reason_text = property(_held_reason_text)

    @property
    def posting(self) -> object:
        """The enquiry's achievement or need (None for a match's thread)."""
        return self.achievement or self.need

    def party_ids(self) -> set[int]:
        return {self.first_party_id, self.second_party_id}


class Message(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("message")
        PROPOSAL = "proposal", _("agreement proposal")

    class ProposalState(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")

    thread = models.ForeignKey(
        Thread, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("author"),
    )  # fmt: skip
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    body = models.TextField(_("message"), blank=True, **bounded(MESSAGE_MAX))
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    hidden = models.BooleanField(_("hidden by staff"), default=False)
    hidden_reason = models.CharField(_("why hidden"), max_length=200, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("hidden by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    # An agreement proposal's terms and answer (kind "proposal" only).
    mode = models.CharField(_("cooperation mode"), max_length=16, choices=CooperationMode.choices, blank=True)
    amount_wan = models.DecimalField(
        _("amount (10k CNY)"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    proposal_state = models.CharField(_("proposal state"), max_length=16, choices=ProposalState.choices, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_note = models.TextField(_("answer note"), blank=True, **bounded(NOTE_MAX))
    agreement = models.OneToOneField(
        "matching.Agreement", verbose_name=_("agreement"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="text", proposal_state="")
                | Q(kind="proposal", signed_on__isnull=False) & ~Q(proposal_state="") & ~Q(mode=""),
                name="message_proposal_fields",
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "id"], name="message_thread_id"),
            models.Index(fields=["author", "created_at"], name="message_author_time"),
        ]

    def __str__(self) -> str:
        return self.body[:60] or self.get_kind_display()


class ReadMarker(models.Model):
    """How far a user has read a thread, and when they were last mailed about it."""

    thread = models.ForeignKey(
        Thread, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="read_markers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    last_read_id = models.PositiveBigIntegerField(_("last message read"), default=0)
    last_read_at = models.DateTimeField(_("last read at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("read marker")
        verbose_name_plural = _("read markers")
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="read_marker_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.thread_id}: {self.last_read_id}"
