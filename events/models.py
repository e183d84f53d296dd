"""Roadshows, docking (matchmaking) events and financing presentations, as bookable records."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.limits import BODY_MAX, NOTE_MAX, PROFILE_MAX, bounded


def new_check_in_code() -> str:
    return secrets.token_hex(4).upper()


class MeetingSuggestions(models.TextChoices):
    """Which matches a docking event's "whom to meet" reads (``events.meetings.whom_to_meet``)."""

    RELEASED = "released", _("matches released by the platform's rule")
    ALL = "all", _("every suggestion among registered participants")


class SchedulingMode(models.TextChoices):
    """Who places a docking event's accepted meetings in slots and at tables."""

    PARTICIPANTS = "participants", _("participants pick a slot when accepting")
    ORGANISER = "organiser", _("the organiser schedules every accepted request")


class RequestMode(models.TextChoices):
    APPROVAL = "approval", _("the invitee accepts or declines")
    AUTOMATIC = "automatic", _("requests are accepted at once")


class AgendaStatus(models.TextChoices):
    NONE = "none", _("not published")
    PRELIMINARY = "preliminary", _("preliminary agenda published")
    FINAL = "final", _("final agenda published")


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
    description = models.TextField(_("description"), blank=True, **bounded(BODY_MAX))
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
    meeting_suggestions = models.CharField(
        _("whom to meet: suggestions"),
        max_length=16,
        choices=MeetingSuggestions.choices,
        default=MeetingSuggestions.RELEASED,
        help_text=_(
            "Which matches rank the participants on “whom to meet”: those the platform released to both sides "
            "(its release rule), or every suggestion among the registered participants."
        ),
    )
    # Docking events: how meetings are scheduled and requested (events.scheduling, events.meetings).
    scheduling_mode = models.CharField(
        _("meeting scheduling"), max_length=16, choices=SchedulingMode.choices, default=SchedulingMode.PARTICIPANTS,
        help_text=_("Participants pick a slot when they accept (first come, first served), or the organiser places "
                    "every accepted meeting with the scheduler and publishes the agenda."),
    )  # fmt: skip
    request_mode = models.CharField(
        _("meeting requests"), max_length=16, choices=RequestMode.choices, default=RequestMode.APPROVAL
    )
    agenda_status = models.CharField(
        _("agenda"), max_length=16, choices=AgendaStatus.choices, default=AgendaStatus.NONE, editable=False
    )
    request_deadline = models.DateTimeField(
        _("meeting requests close"), null=True, blank=True,
        help_text=_("Requests not answered by then expire. Empty: open until the event ends."),
    )  # fmt: skip
    max_open_requests = models.PositiveIntegerField(
        _("open requests per participant"), null=True, blank=True,
        help_text=_("How many unanswered requests a participant may have out at once. Empty: no limit."),
    )  # fmt: skip
    max_meetings_per_participant = models.PositiveIntegerField(
        _("meetings per participant"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    max_consecutive_meetings = models.PositiveIntegerField(
        _("meetings in a row"), null=True, blank=True,
        help_text=_("A participant meets at most this many times in a row, then has a slot off. Empty or 0: no rule."),
    )  # fmt: skip
    confirmed_count = models.PositiveIntegerField(_("confirmed places"), default=0, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

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

    @property
    def agenda_visible(self) -> bool:
        """Whether participants see their meetings' times: always when they pick slots themselves; in organiser
        mode once a preliminary or final agenda is published."""
        return self.scheduling_mode != SchedulingMode.ORGANISER or self.agenda_status != AgendaStatus.NONE

    def registration_problem(self, now: datetime) -> str | None:
        """Why the event takes no registration at ``now``, or None when it does (the one rule pages and the
        booking service both read)."""
        if self.status != self.Status.PUBLISHED:
            return gettext("Registration is open for published events only.")
        if self.registration_opens_at and now < self.registration_opens_at:
            return gettext("Registration has not opened yet.")
        if now >= (self.registration_closes_at or self.ends_at):
            return gettext("Registration has closed.")
        return None


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
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    check_in_code = models.CharField(_("check-in code"), max_length=16, unique=True, default=new_check_in_code)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    promoted_at = models.DateTimeField(_("promoted from the waiting list at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Docking events: the participant's breaks and own limit, and the one reminder to book meetings.
    unavailable_slots = models.ManyToManyField(
        "MeetingSlot", blank=True, related_name="unavailable_registrations", verbose_name=_("unavailable slots"),
        help_text=_("Slots the participant takes off: no meeting is placed there."),
    )  # fmt: skip
    max_meetings = models.PositiveIntegerField(
        _("most meetings"), null=True, blank=True, help_text=_("Empty: the event's limit.")
    )
    meeting_reminder_sent_at = models.DateTimeField(_("reminded to book meetings at"), null=True, blank=True)

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


class PresentationApplication(models.Model):
    """A presenter applies to pitch an achievement (or a financing need) at a roadshow; the organiser accepts it
    and places it in a timed slot of the public programme."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("applied")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="applications", verbose_name=_("event"))
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    achievement = models.ForeignKey(
        "marketplace.Achievement", verbose_name=_("achievement"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    need = models.ForeignKey(
        "marketplace.Need", verbose_name=_("need"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pitch = models.TextField(_("what the presenter will show"), blank=True, **bounded(PROFILE_MAX))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.APPLIED)
    slot_starts_at = models.DateTimeField(_("slot starts"), null=True, blank=True)
    slot_ends_at = models.DateTimeField(_("slot ends"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    class Meta:
        ordering = ["slot_starts_at", "created_at"]
        verbose_name = _("presentation application")
        verbose_name_plural = _("presentation applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(achievement__isnull=False, need__isnull=True)
                | Q(achievement__isnull=True, need__isnull=False),
                name="application_one_listing",
            ),
            models.UniqueConstraint(
                fields=["event", "slot_starts_at"], condition=Q(status="accepted"), name="application_one_per_slot"
            ),
            models.CheckConstraint(
                condition=Q(slot_starts_at__isnull=True) | Q(slot_ends_at__gt=F("slot_starts_at")),
                name="application_slot_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(self.achievement or self.need)

    @property
    def listing(self) -> object:
        return self.achievement or self.need


class MeetingSlot(models.Model):
    """A time for 1:1 meetings at a docking event."""

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="meeting_slots")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("meeting slot")
        verbose_name_plural = _("meeting slots")
        constraints = [
            models.UniqueConstraint(fields=["event", "starts_at"], name="meeting_slot_unique_time"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="meeting_slot_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class MeetingTable(models.Model):
    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="meeting_tables")
    name = models.CharField(_("table"), max_length=40)

    class Meta:
        ordering = ["name"]
        verbose_name = _("meeting table")
        verbose_name_plural = _("meeting tables")
        constraints = [models.UniqueConstraint(fields=["event", "name"], name="meeting_table_unique_name")]

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    """A requested 1:1 meeting between two registered participants; once accepted it has a slot and a table."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="meetings")
    requester = models.ForeignKey(
        Registration, verbose_name=_("requester"), on_delete=models.CASCADE, related_name="meetings_requested"
    )
    invitee = models.ForeignKey(
        Registration, verbose_name=_("invitee"), on_delete=models.CASCADE, related_name="meetings_invited"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    slot = models.ForeignKey(
        MeetingSlot, verbose_name=_("meeting slot"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="meetings",
    )  # fmt: skip
    table = models.ForeignKey(
        MeetingTable, verbose_name=_("table"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="meetings",
    )  # fmt: skip
    note = models.TextField(_("note"), blank=True, **bounded(NOTE_MAX))
    pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("The scheduler keeps a pinned meeting in its slot and at its table.")
    )
    # Bumped each time the meeting's place changes, for calendar clients (the VEVENT's SEQUENCE, RFC 5545).
    sequence = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["slot__starts_at", "pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(condition=~Q(requester=F("invitee")), name="meeting_two_people"),
            # No table holds two meetings in one slot.
            models.UniqueConstraint(
                fields=["slot", "table"], condition=Q(status="accepted"), name="meeting_table_once_per_slot"
            ),
            # Placed (slot and table), or in organiser mode waiting for the schedule (neither).
            models.CheckConstraint(
                condition=~Q(status="accepted")
                | Q(slot__isnull=False, table__isnull=False)
                | Q(slot__isnull=True, table__isnull=True),
                name="meeting_accepted_is_placed",
            ),
            models.CheckConstraint(
                condition=Q(pinned=False) | ~Q(status="accepted") | Q(slot__isnull=False),
                name="meeting_pinned_is_placed",
            ),
            # Two participants have at most one open request or meeting between them, whoever asked.
            models.UniqueConstraint(
                Least("requester", "invitee"),
                Greatest("requester", "invitee"),
                condition=Q(status__in=["requested", "accepted"]),
                name="meeting_one_open_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester.person_name} ⇄ {self.invitee.person_name}"


class MeetingSeat(models.Model):
    """One participant's place in an accepted meeting: unique per participant and slot, so nobody is in two
    meetings at once, whatever the concurrency."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="seats")
    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="seats"
    )
    slot = models.ForeignKey(
        MeetingSlot, verbose_name=_("meeting slot"), on_delete=models.CASCADE, related_name="seats"
    )

    class Meta:
        verbose_name = _("meeting seat")
        verbose_name_plural = _("meeting seats")
        constraints = [models.UniqueConstraint(fields=["registration", "slot"], name="seat_one_meeting_per_slot")]

    def __str__(self) -> str:
        return f"{self.registration} @ {self.slot}"


class SchedulePlan(models.Model):
    """A schedule the scheduler proposed for a docking event's accepted meetings: what the organiser previews and,
    unchanged, applies. ``basis`` fingerprints what it was computed from (the accepted meetings, their places and
    pins, the slots, tables, breaks and limits); applying refuses a plan whose basis no longer holds (stale)."""

    class Kind(models.TextChoices):
        FULL = "full", _("full schedule")
        REPAIR = "repair", _("repair (fewest moves)")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPLIED = "applied", _("applied")
        DISCARDED = "discarded", _("discarded")
        STALE = "stale", _("stale")
        FAILED = "failed", _("failed")

    class SolverStatus(models.TextChoices):  # events.scheduling.engine.Solution.status
        OPTIMAL = "optimal", _("proven best")
        COUNT_OPTIMAL = "count_optimal", _("the most meetings, proven")
        FEASIBLE = "feasible", _("the best found in time")
        UNKNOWN = "unknown", _("nothing better than first come, first served in time")

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="schedule_plans")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FULL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    placements = models.JSONField(_("placements"), default=list, blank=True)  # [{meeting, slot, table}]
    unplaced = models.JSONField(_("unplaced"), default=list, blank=True)  # [{meeting, reason, people}]
    requests_count = models.PositiveIntegerField(_("accepted meetings"), default=0)
    placed_count = models.PositiveIntegerField(_("placed"), default=0)
    moved_count = models.PositiveIntegerField(_("moved"), default=0)
    bound = models.PositiveIntegerField(_("upper bound"), default=0)
    solver_status = models.CharField(_("solver status"), max_length=16, blank=True, choices=SolverStatus.choices)
    solve_seconds = models.FloatField(_("solve time (s)"), default=0.0)
    basis = models.CharField(_("basis"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("schedule plan")
        verbose_name_plural = _("schedule plans")
        indexes = [models.Index(fields=["event", "status"], name="schedule_plan_event_status")]

    def __str__(self) -> str:
        return f"{self.event} · {self.get_kind_display()} · {self.get_status_display()}"

    @property
    def solving(self) -> bool:
        return self.status == self.Status.PROPOSED and self.solved_at is None


class EventAgreement(models.Model):
    """An agreement signed at the event (the agreement itself is matching's), for the event's report."""

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="outcomes")
    agreement = models.OneToOneField(
        "matching.Agreement", verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="event_outcome"
    )

    class Meta:
        verbose_name = _("agreement signed at the event")
        verbose_name_plural = _("agreements signed at the event")

    def __str__(self) -> str:
        return f"{self.event}: {self.agreement}"
