"""Reads with rules for events and registrations: who sees which event, whose registrations, whose contacts.

``event_visible_to`` is the one scoping function for events: the public sees published, cancelled and finished
events; members of the organiser also see its drafts; staff see everything. Every page, endpoint, export and
calendar starts from it, so a draft is a 404 everywhere for everyone else.

``registration_visible_to`` scopes the registrations of one event: the organiser's members and staff see them all;
other members see only their own organisations'; anonymous users none. A participant's e-mail and check-in code are
for the same people (``can_see_participant_contact``), never for another participating organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Organization, User
from accounts.selectors import organisers_acted_for, staff_may, user_organization_ids
from marketplace.models import Achievement, Need
from marketplace.models import Status as PostingStatus
from matching.models import Agreement, Match
from matching.selectors import released_q

from .models import (
    AgendaStatus,
    Event,
    Meeting,
    MeetingSlot,
    MeetingSuggestions,
    MeetingTable,
    PresentationApplication,
    Registration,
    SchedulePlan,
    SchedulingMode,
)

PUBLIC_STATUSES = (Event.Status.PUBLISHED, Event.Status.CANCELLED, Event.Status.FINISHED)


def event_visible_to(user: User | AnonymousUser) -> QuerySet[Event]:
    queryset = Event.objects.select_related("organizer", "city__province").prefetch_related("domains")
    if staff_may(user, "events.view_event"):
        return queryset
    public = Q(status__in=PUBLIC_STATUSES)
    organization_ids = user_organization_ids(user=user) if user.is_authenticated else set()
    if organization_ids:
        return queryset.filter(public | Q(organizer_id__in=organization_ids))
    return queryset.filter(public)


def event_calendar_order(queryset: QuerySet[Event], *, now: datetime | None = None) -> QuerySet[Event]:
    """Upcoming and running events first, soonest first; then past events, most recent first."""
    now = now or timezone.now()
    return queryset.annotate(
        is_past=Case(When(ends_at__lt=now, then=Value(1)), default=Value(0), output_field=IntegerField()),
        upcoming_start=Case(When(ends_at__gte=now, then=F("starts_at")), default=None),
    ).order_by("is_past", F("upcoming_start").asc(nulls_last=True), "-starts_at", "pk")


def is_event_organizer(user: User | AnonymousUser, event: Event) -> bool:
    """Members of the organiser and staff (the services' ``is_organizer``, read without a query when it can)."""
    if not user.is_authenticated:
        return False
    return staff_may(user, "events.change_event") or event.organizer_id in user_organization_ids(user=user)


def can_create_events(user: User | AnonymousUser) -> bool:
    return organizer_choices(user).exists()


def organizer_choices(user: User | AnonymousUser) -> QuerySet[Organization]:
    """The organiser organisations the user may create events for: their own (staff: every organiser)."""
    return organisers_acted_for(user, permission="events.add_event")


def registration_is_open(event: Event, *, now: datetime | None = None) -> bool:
    """Whether the event takes registrations now (the same rule the booking service enforces)."""
    return event.registration_problem(now or timezone.now()) is None


def with_waiting_position(queryset: QuerySet[Registration]) -> QuerySet[Registration]:
    """Annotate ``waiting_ahead``: how many waiting registrations of the same event came first (the queue is first
    come, first served by ``created_at`` then ``pk``, as the services promote)."""
    ahead = (
        Registration.objects.filter(event_id=OuterRef("event_id"), status=Registration.Status.WAITING)
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")))
        .values("event_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(waiting_ahead=Coalesce(Subquery(ahead), Value(0), output_field=IntegerField()))


def waiting_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None unless the registration is waiting."""
    if registration.status != Registration.Status.WAITING:
        return None
    ahead = getattr(registration, "waiting_ahead", None)
    if ahead is None:
        ahead = (
            Registration.objects.filter(event_id=registration.event_id, status=Registration.Status.WAITING)
            .filter(
                Q(created_at__lt=registration.created_at)
                | Q(created_at=registration.created_at, pk__lt=registration.pk)
            )
            .count()
        )
    return ahead + 1


def _registrations() -> QuerySet[Registration]:
    return with_waiting_position(
        Registration.objects.select_related("organization", "event__organizer", "registered_by")
    ).order_by("created_at", "pk")


def registration_visible_to(user: User | AnonymousUser, event: Event) -> QuerySet[Registration]:
    """The registrations of ``event`` the user may see: all for the organiser's members and staff, the user's own
    organisations' for other members, none for anonymous users."""
    queryset = _registrations().filter(event=event)
    if not user.is_authenticated:
        return queryset.none()
    if is_event_organizer(user, event):
        return queryset
    return queryset.filter(organization_id__in=user_organization_ids(user=user))


def registrations_of(user: User | AnonymousUser) -> QuerySet[Registration]:
    """Every registration the user may see, whatever the event: their organisations' and those of the events their
    organisations organise (staff: all). Registrations of events the user may not see are left out."""
    queryset = _registrations()
    if not user.is_authenticated:
        return queryset.none()
    if staff_may(user, "events.view_registration"):
        return queryset
    organization_ids = user_organization_ids(user=user)
    return queryset.filter(
        Q(organization_id__in=organization_ids) | Q(event__organizer_id__in=organization_ids),
        event__in=event_visible_to(user).values("pk"),
    )


def can_see_participant_contact(user: User | AnonymousUser, registration: Registration) -> bool:
    """The participant's e-mail and check-in code: the organiser's members, staff and the participant's own
    organisation."""
    if not user.is_authenticated:
        return False
    if staff_may(user, "events.view_registration"):
        return True
    organization_ids = user_organization_ids(user=user)
    return registration.organization_id in organization_ids or registration.event.organizer_id in organization_ids


def agenda_events_for(user: User | AnonymousUser) -> QuerySet[Event]:
    """The events the user has a confirmed place at: registrations in the user's name (their e-mail) or made by
    the user. Cancelled events stay, so that calendar clients learn of the cancellation."""
    if not user.is_authenticated:
        return Event.objects.none()
    mine = Registration.objects.filter(status=Registration.Status.CONFIRMED).filter(
        Q(person_email__iexact=user.email) | Q(registered_by=user)
    )
    return (
        Event.objects.filter(pk__in=mine.values("event_id"), status__in=PUBLIC_STATUSES)
        .select_related("organizer", "city__province")
        .order_by("starts_at", "pk")
    )


# --- Programme, meetings and outcomes --------------------------------------------------------------------------


def presentable_listings(user: User | AnonymousUser, event: Event) -> tuple[QuerySet[Achievement], QuerySet[Need]]:
    """What the user may apply to present at ``event``: their organisations' published achievements, and at a
    financing presentation their published needs too (the rule ``programme.presentation_apply`` enforces)."""
    organization_ids = user_organization_ids(user=user) if user.is_authenticated else set()
    achievements = Achievement.objects.filter(organization_id__in=organization_ids, status=PostingStatus.PUBLISHED)
    needs = Need.objects.filter(organization_id__in=organization_ids, status=PostingStatus.PUBLISHED)
    if event.kind != Event.Kind.FINANCING:
        needs = needs.none()
    return (
        achievements.select_related("organization").order_by("title", "pk"),
        needs.select_related("organization").order_by("title", "pk"),
    )


def applications_visible_to(user: User | AnonymousUser) -> QuerySet[PresentationApplication]:
    """Presentation applications: the organiser's members and staff see all of their events'; other members their
    own organisations'; anonymous users none. Applications to events the user may not see are left out."""
    queryset = PresentationApplication.objects.select_related(
        "event__organizer", "organization", "achievement", "need"
    ).order_by("event_id", "status", F("slot_starts_at").asc(nulls_last=True), "created_at", "pk")
    if not user.is_authenticated:
        return queryset.none()
    if staff_may(user, "events.view_presentationapplication"):
        return queryset
    organization_ids = user_organization_ids(user=user)
    return queryset.filter(
        Q(organization_id__in=organization_ids) | Q(event__organizer_id__in=organization_ids),
        event__in=event_visible_to(user).values("pk"),
    )


def acting_registrations(user: User | AnonymousUser, event: Event) -> QuerySet[Registration]:
    """The confirmed registrations of ``event`` the user acts for in meetings: their organisations' people."""
    if not user.is_authenticated:
        return Registration.objects.none()
    return (
        Registration.objects.filter(
            event=event, status=Registration.Status.CONFIRMED, organization_id__in=user_organization_ids(user=user)
        )
        .select_related("organization", "event")
        .order_by("created_at", "pk")
    )


def _meetings() -> QuerySet[Meeting]:
    return Meeting.objects.select_related(
        "event__organizer", "event__city", "requester__organization", "invitee__organization", "slot", "table"
    ).order_by(F("slot__starts_at").asc(nulls_last=True), "table__name", "pk")


def meetings_visible_to(user: User | AnonymousUser) -> QuerySet[Meeting]:
    """Meetings: the organiser's members and staff see all of their events'; other members those of their own
    organisations' participants; anonymous users none. Meetings at events the user may not see are left out."""
    queryset = _meetings()
    if not user.is_authenticated:
        return queryset.none()
    if staff_may(user, "events.view_meeting"):
        return queryset
    organization_ids = user_organization_ids(user=user)
    return queryset.filter(
        Q(requester__organization_id__in=organization_ids)
        | Q(invitee__organization_id__in=organization_ids)
        | Q(event__organizer_id__in=organization_ids),
        event__in=event_visible_to(user).values("pk"),
    )


def schedule_plans_visible_to(user: User | AnonymousUser) -> QuerySet[SchedulePlan]:
    """The scheduler's plans: those of the events the user's organisations organise (staff: all); nobody else's."""
    queryset = SchedulePlan.objects.select_related("event__organizer", "created_by").order_by("-created_at", "-pk")
    if not user.is_authenticated:
        return queryset.none()
    if staff_may(user, "events.view_scheduleplan"):
        return queryset
    return queryset.filter(event__organizer_id__in=user_organization_ids(user=user))


def meetings_of(registration: Registration) -> QuerySet[Meeting]:
    """Every meeting or request one participant is in, whatever its status."""
    return _meetings().filter(Q(requester=registration) | Q(invitee=registration))


@dataclass(frozen=True)
class GridRow:
    slot: MeetingSlot
    cells: list[Meeting | None]  # one per table, in the order of ``MeetingGrid.tables``


@dataclass(frozen=True)
class MeetingGrid:
    tables: list[MeetingTable]
    rows: list[GridRow]
    accepted: list[Meeting]
    requested: int

    @property
    def slots(self) -> list[MeetingSlot]:
        return [row.slot for row in self.rows]


def meeting_grid(event: Event) -> MeetingGrid:
    """The event's meeting grid: a row per slot, a cell per table holding the accepted meeting there (or None)."""
    tables = list(event.meeting_tables.order_by("name"))
    slots = list(event.meeting_slots.order_by("starts_at"))
    accepted = list(_meetings().filter(event=event, status=Meeting.Status.ACCEPTED))
    placed = {(meeting.slot_id, meeting.table_id): meeting for meeting in accepted}
    rows = [GridRow(slot, [placed.get((slot.pk, table.pk)) for table in tables]) for slot in slots]
    requested = event.meetings.filter(status=Meeting.Status.REQUESTED).count()
    return MeetingGrid(tables=tables, rows=rows, accepted=accepted, requested=requested)


def agenda_meetings_for(user: User | AnonymousUser) -> list[tuple[Meeting, Registration]]:
    """The accepted meetings of the user's agenda, each with the user's own side: meetings of the confirmed
    registrations in the user's name (their e-mail) or made by the user, at the events of ``agenda_events_for``;
    placed ones only, and where the organiser schedules, once the agenda is published."""
    if not user.is_authenticated:
        return []
    mine = {
        registration.pk: registration
        for registration in Registration.objects.filter(
            status=Registration.Status.CONFIRMED, event__in=agenda_events_for(user).values("pk")
        ).filter(Q(person_email__iexact=user.email) | Q(registered_by=user))
    }
    meetings = _meetings().filter(
        Q(requester_id__in=list(mine)) | Q(invitee_id__in=list(mine)), status=Meeting.Status.ACCEPTED,
        slot__isnull=False,
    ).exclude(event__scheduling_mode=SchedulingMode.ORGANISER, event__agenda_status=AgendaStatus.NONE)  # fmt: skip
    return [(meeting, mine.get(meeting.requester_id) or mine[meeting.invitee_id]) for meeting in meetings]


def event_agreements(event: Event) -> QuerySet[Agreement]:
    """The agreements signed at the event, newest first, with their listings and organisations."""
    return (
        Agreement.objects.filter(event_outcome__event=event)
        .select_related("achievement__organization", "need__organization")
        .order_by("-signed_on", "-pk")
    )


# --- Participants: their postings, the directory ---------------------------------------------------------------


def participant_organization_ids(event: Event) -> QuerySet[Registration]:
    """The ids of the organisations with a confirmed place at the event (as a subquery)."""
    return Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED).values("organization_id")


def participant_postings(event: Event, *, search: str = "") -> tuple[QuerySet[Achievement], QuerySet[Need]]:
    """The participants' published achievements and needs (those an agreement at the event may link), narrowed to
    titles containing ``search`` when given."""
    organizations = participant_organization_ids(event)
    achievements = Achievement.objects.filter(organization_id__in=organizations, status=PostingStatus.PUBLISHED)
    needs = Need.objects.filter(organization_id__in=organizations, status=PostingStatus.PUBLISHED)
    if search.strip():
        achievements = achievements.filter(title__icontains=search.strip())
        needs = needs.filter(title__icontains=search.strip())
    return (
        achievements.select_related("organization").order_by("title", "pk"),
        needs.select_related("organization").order_by("title", "pk"),
    )


def can_see_directory(user: User | AnonymousUser, event: Event) -> bool:
    """The participant directory: confirmed registrants of the event (members of an organisation with a confirmed
    place), its organiser's members and staff."""
    if not user.is_authenticated:
        return False
    if is_event_organizer(user, event):
        return True
    return Registration.objects.filter(
        event=event, status=Registration.Status.CONFIRMED, organization_id__in=user_organization_ids(user=user)
    ).exists()


@dataclass(frozen=True)
class DirectoryEntry:
    organization: Organization
    achievements: list[Achievement]
    needs: list[Need]


def participant_directory(event: Event, *, search: str = "") -> list[DirectoryEntry]:
    """The organisations with a confirmed place at the event, by name, with their published postings; ``search``
    narrows to organisations whose name, or one of whose published postings' domains, contains it. Contacts are
    not read: the entries carry names, kinds, regions and posting titles only."""
    organizations = Organization.objects.filter(pk__in=participant_organization_ids(event)).select_related(
        "province", "city"
    )
    term = search.strip()
    if term:
        domain_match = Q(domains__name_zh__icontains=term) | Q(domains__name_en__icontains=term)
        published = Q(status=PostingStatus.PUBLISHED)
        organizations = organizations.filter(
            Q(name__icontains=term)
            | Q(pk__in=Achievement.objects.filter(published, domain_match).values("organization_id"))
            | Q(pk__in=Need.objects.filter(published, domain_match).values("organization_id"))
        )
    organizations = list(organizations.order_by("name", "pk"))
    ids = [organization.pk for organization in organizations]
    achievements: dict[int, list[Achievement]] = {pk: [] for pk in ids}
    needs: dict[int, list[Need]] = {pk: [] for pk in ids}
    for achievement in Achievement.objects.filter(organization_id__in=ids, status=PostingStatus.PUBLISHED).order_by(
        "title", "pk"
    ):
        achievements[achievement.organization_id].append(achievement)
    for need in Need.objects.filter(organization_id__in=ids, status=PostingStatus.PUBLISHED).order_by("title", "pk"):
        needs[need.organization_id].append(need)
    return [DirectoryEntry(o, achievements[o.pk], needs[o.pk]) for o in organizations]


# --- The month calendar ----------------------------------------------------------------------------------------


def events_by_day(user: User | AnonymousUser, first: date, last: date) -> dict[date, list[Event]]:
    """The events the user may see on each day from ``first`` to ``last`` (in the project's time zone), in start
    order; an event of several days is on each of them."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    days: dict[date, list[Event]] = {}
    events = event_visible_to(user).filter(starts_at__lt=end, ends_at__gte=start).order_by("starts_at", "pk")
    for event in events:
        day = max(timezone.localtime(event.starts_at, zone).date(), first)
        final = min(timezone.localtime(event.ends_at, zone).date(), last)
        while day <= final:
            days.setdefault(day, []).append(event)
            day += timedelta(days=1)
    return days


# --- The printable per-table meeting schedule ------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    slot: MeetingSlot
    meeting: Meeting | None
    requester_postings: list[Achievement | Need]
    invitee_postings: list[Achievement | Need]


@dataclass(frozen=True)
class TableSchedule:
    table: MeetingTable
    rows: list[ScheduleRow]


def table_schedules(event: Event, *, postings_per_party: int = 3) -> list[TableSchedule]:
    """Each table of a docking event with its slots and the accepted meeting in each: the two parties and, for
    each, the postings the meeting is about: the pair of the best match between the two organisations (among the
    matches the event's "whom to meet" reads), else the organisation's first published postings."""
    grid = meeting_grid(event)
    organization_ids = {m.requester.organization_id for m in grid.accepted} | {
        m.invitee.organization_id for m in grid.accepted
    }
    matches = (
        Match.objects.exclude(status__in=[Match.Status.REJECTED, Match.Status.DECLINED, Match.Status.WITHDRAWN])
        .filter(achievement__organization_id__in=organization_ids, need__organization_id__in=organization_ids)
        .select_related("achievement", "need")
    )
    if event.meeting_suggestions != MeetingSuggestions.ALL:
        matches = matches.filter(released_q())
    best: dict[frozenset[int], Match] = {}
    for match in matches:
        pair = frozenset((match.achievement.organization_id, match.need.organization_id))
        if len(pair) == 2 and (pair not in best or match.score > best[pair].score):
            best[pair] = match
    published: dict[int, list[Achievement | Need]] = {pk: [] for pk in organization_ids}
    for model in (Achievement, Need):
        for posting in model.objects.filter(
            organization_id__in=organization_ids, status=PostingStatus.PUBLISHED
        ).order_by("title", "pk"):
            published[posting.organization_id].append(posting)

    def postings(organization_id: int, other_id: int) -> list[Achievement | Need]:
        match = best.get(frozenset((organization_id, other_id)))
        if match is not None:
            return [match.achievement if match.achievement.organization_id == organization_id else match.need]
        return published.get(organization_id, [])[:postings_per_party]

    schedules = []
    for index, table in enumerate(grid.tables):
        rows = []
        for row in grid.rows:
            meeting = row.cells[index]
            if meeting is None:
                rows.append(ScheduleRow(row.slot, None, [], []))
                continue
            mine, theirs = meeting.requester.organization_id, meeting.invitee.organization_id
            rows.append(ScheduleRow(row.slot, meeting, postings(mine, theirs), postings(theirs, mine)))
        schedules.append(TableSchedule(table, rows))
    return schedules
