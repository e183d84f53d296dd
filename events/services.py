"""Writes with rules for events: create, edit and publish, register within capacity (else the waiting list), cancel
with first-come first-served promotion, check in (on the event's days only).

Creating and editing share one set of checks (``_check_event_fields``). Places left while people wait (a cancelled
place, a raised capacity) always go to the waiting list first, in queue order (``_fill_places``), so that a newcomer
never takes a place ahead of those already waiting.

Booking follows the pattern of ticketing systems: one transaction locks the event row as late as possible,
re-checks the places left and writes; e-mails go out only once it commits. The event's ``confirmed_count`` moves in
the same transaction, and a database constraint keeps it within the capacity whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.language import mail_in_language_on_commit
from accounts.models import Organization, User
from accounts.selectors import acts_for, staff_may
from accounts.services import organization_notify
from core.exceptions import ApplicationError, PermissionDenied, model_validate
from core.i18n import message
from core.site import absolute_url

from .models import Event, Meeting, MeetingSeat, Registration, SchedulingMode


def is_organizer(user: User, event: Event) -> bool:
    return acts_for(user, event.organizer_id, permission="events.change_event")


EDITABLE_FIELDS = frozenset({
    "kind", "title", "description", "venue", "city", "city_id", "online_url", "starts_at", "ends_at",
    "registration_opens_at", "registration_closes_at", "capacity", "meeting_suggestions",
    # Docking events' meetings (events.meetings, events.scheduling)
    "scheduling_mode", "request_mode", "request_deadline", "max_open_requests", "max_meetings_per_participant",
    "max_consecutive_meetings",
})  # fmt: skip


def _check_event_fields(
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    registration_opens_at: datetime | None,
    registration_closes_at: datetime | None,
) -> None:
    """The rules an event's fields meet, whether it is created or edited (``event_create``, ``event_update``)."""
    if not title.strip():
        raise ApplicationError(_("The event needs a title."), field="title")
    if ends_at <= starts_at:
        raise ApplicationError(_("The event must end after it starts."), field="ends_at")
    if capacity < 1:
        raise ApplicationError(_("The capacity is at least one place."), field="capacity")
    if registration_opens_at and registration_closes_at and registration_closes_at <= registration_opens_at:
        raise ApplicationError(_("Registration must close after it opens."), field="registration_closes_at")
    if registration_closes_at and registration_closes_at > ends_at:
        raise ApplicationError(_("Registration must close by the time the event ends."), field="registration_closes_at")
    if registration_opens_at and registration_opens_at >= ends_at:
        raise ApplicationError(_("Registration must open before the event ends."), field="registration_opens_at")


@transaction.atomic
def event_create(
    *,
    organizer: Organization,
    by: User,
    kind: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    domain_codes: Iterable[str] = (),
    cluster_codes: Iterable[str] = (),
    **fields: Any,
) -> Event:
    """An organiser's member creates a draft event."""
    if organizer.kind != Organization.Kind.ORGANISER and not staff_may(by, "events.add_event"):
        raise PermissionDenied(_("Events are run by organiser organisations."))
    if not acts_for(by, organizer.pk, permission="events.add_event"):
        raise PermissionDenied(_("Only members of the organiser create its events."))
    _check_event_fields(
        title=title, starts_at=starts_at, ends_at=ends_at, capacity=capacity,
        registration_opens_at=fields.get("registration_opens_at"),
        registration_closes_at=fields.get("registration_closes_at"),
    )  # fmt: skip
    event = Event(
        organizer=organizer, created_by=by, kind=kind, title=title.strip(), starts_at=starts_at, ends_at=ends_at,
        capacity=capacity, **fields,
    )  # fmt: skip
    model_validate(event, exclude=["organizer", "created_by"])  # lengths, choices, the online link
    event.save()
    event.domains.set(list(domain_codes))
    event.clusters.set(list(cluster_codes))
    return event


@transaction.atomic
def event_update(
    *,
    event: Event,
    by: User,
    domain_codes: Iterable[str] | None = None,
    cluster_codes: Iterable[str] | None = None,
    **fields: Any,
) -> Event:
    """The organiser's members (or staff) edit a draft or published event under the rules of creation. The
    capacity may be raised, which gives the new places to the waiting list in order (its people are told by
    e-mail), or lowered down to the confirmed places, never below. One transaction locks the event row first, then
    the waiting registrations, as booking does."""
    if not is_organizer(by, event):
        raise PermissionDenied(_("Only the organiser edits the event."))
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields are not edited here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    event = Event.objects.select_for_update().get(pk=event.pk)
    previous_mode = event.scheduling_mode
    if event.status not in (Event.Status.DRAFT, Event.Status.PUBLISHED):
        raise ApplicationError(
            _("A %(status)s event is no longer edited.") % {"status": event.get_status_display()}, field="status"
        )
    if "kind" in fields and fields["kind"] != event.kind and event.status != Event.Status.DRAFT:
        raise ApplicationError(_("The kind of a published event does not change."), field="kind")
    if "title" in fields:
        fields["title"] = fields["title"].strip()
    for name, value in fields.items():
        setattr(event, name, value)
    _check_event_fields(
        title=event.title, starts_at=event.starts_at, ends_at=event.ends_at, capacity=event.capacity,
        registration_opens_at=event.registration_opens_at, registration_closes_at=event.registration_closes_at,
    )  # fmt: skip
    if event.capacity < event.confirmed_count:
        raise ApplicationError(
            _("The capacity cannot be lower than the %(count)d confirmed places; cancel registrations first.")
            % {"count": event.confirmed_count},
            field="capacity",
        )
    _check_scheduled_within(event)
    _check_meeting_rules(event, previous_mode)
    model_validate(event, exclude=["organizer", "created_by"])
    event.save()
    if domain_codes is not None:
        event.domains.set(list(domain_codes))
    if cluster_codes is not None:
        event.clusters.set(list(cluster_codes))
    _fill_places(event)
    event.refresh_from_db()
    return event


def _check_meeting_rules(event: Event, previous_mode: str) -> None:
    """The meeting settings of a docking event: requests close by the end of the event; participants pick slots
    again only once no accepted meeting waits for the organiser's schedule."""
    if event.request_deadline and event.request_deadline > event.ends_at:
        raise ApplicationError(_("Meeting requests must close by the time the event ends."), field="request_deadline")
    if (
        previous_mode == SchedulingMode.ORGANISER
        and event.scheduling_mode == SchedulingMode.PARTICIPANTS
        and event.meetings.filter(status=Meeting.Status.ACCEPTED, slot__isnull=True).exists()
    ):
        raise ApplicationError(
            _("Some accepted meetings wait for the organiser's schedule: place them (run the scheduler) before "
              "participants pick slots again."),
            field="scheduling_mode",
        )  # fmt: skip


def _check_scheduled_within(event: Event) -> None:
    """Meeting slots and accepted presentation slots stay within the event's (new) times."""
    outside = Q(starts_at__lt=event.starts_at) | Q(ends_at__gt=event.ends_at)
    if event.meeting_slots.filter(outside).exists():
        raise ApplicationError(_("Some meeting slots would lie outside the event's new times."), field="starts_at")
    slots_outside = Q(slot_starts_at__lt=event.starts_at) | Q(slot_ends_at__gt=event.ends_at)
    if event.applications.filter(slots_outside, status="accepted").exists():
        raise ApplicationError(_("Some presentations would lie outside the event's new times."), field="starts_at")


@transaction.atomic
def event_set_status(*, event: Event, by: User, status: str) -> Event:
    """Publish, cancel or finish an event (organiser members or staff)."""
    if not is_organizer(by, event):
        raise PermissionDenied(_("Only the organiser changes the event's status."))
    allowed = {
        Event.Status.DRAFT: {Event.Status.PUBLISHED, Event.Status.CANCELLED},
        Event.Status.PUBLISHED: {Event.Status.CANCELLED, Event.Status.FINISHED},
    }
    event = Event.objects.select_for_update().select_related("organizer").get(pk=event.pk)
    if status not in allowed.get(event.status, set()):
        raise ApplicationError(
            _("A %(current)s event cannot become %(to)s.")
            % {"current": event.get_status_display(), "to": dict(Event.Status.choices).get(status, status)},
            field="status",
        )
    if status == Event.Status.PUBLISHED and not event.organizer.verified and not staff_may(by, "events.change_event"):
        # Anyone may sign up an organiser named after a famous institution: its events reach the public only once
        # platform staff have verified the organisation (or staff publish the event themselves).
        raise ApplicationError(
            _("Your organisation is not verified yet: platform staff verify it before its events are public. The "
              "event stays a draft meanwhile."),
            field="status",
        )  # fmt: skip
    event.status = status
    event.save(update_fields=["status", "updated_at"])
    return event


def _check_window(event: Event, now: datetime) -> None:
    problem = event.registration_problem(now)
    if problem:
        raise ApplicationError(problem, field="event")


@transaction.atomic
def registration_create(
    *, event: Event, organization: Organization, person_name: str, person_email: str, by: User
) -> Registration:
    """A member registers one of the organisation's people: a confirmed place while places are left, else a place
    on the waiting list. Safe under concurrent requests: the event row is locked while the place is taken."""
    if not acts_for(by, organization.pk, permission="events.add_registration"):
        raise PermissionDenied(_("Members register their own organisation's people."))
    email = person_email.strip().lower()
    if not person_name.strip() or not email:
        raise ApplicationError(_("Name and e-mail of the participant are required."), field="person_email")
    event = Event.objects.select_for_update().get(pk=event.pk)
    _check_window(event, timezone.now())
    if event.registrations.filter(person_email=email).exclude(status=Registration.Status.CANCELLED).exists():
        raise ApplicationError(
            _("%(email)s is already registered for this event.") % {"email": email}, field="person_email"
        )
    # Places freed while people wait (a capacity raised elsewhere, say) go to the waiting list first: a newcomer
    # never takes a place ahead of those already waiting.
    _fill_places(event)
    event.refresh_from_db(fields=["capacity", "confirmed_count"])
    waiting = event.registrations.filter(status=Registration.Status.WAITING).exists()
    confirmed = event.confirmed_count < event.capacity and not waiting
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                event=event, organization=organization, person_name=person_name.strip(), person_email=email,
                registered_by=by,
                status=Registration.Status.CONFIRMED if confirmed else Registration.Status.WAITING,
            )  # fmt: skip
    except IntegrityError as error:
        raise ApplicationError(
            _("%(email)s is already registered for this event.") % {"email": email}, field="person_email"
        ) from error
    if confirmed:
        Event.objects.filter(pk=event.pk).update(confirmed_count=F("confirmed_count") + 1)
    _mail_on_commit(registration, confirmed=confirmed)
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration, by: User) -> Registration:
    """Cancel a registration; a freed place goes to the earliest on the waiting list, who is told by e-mail."""
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if not (
        acts_for(by, registration.organization_id, permission="events.change_registration") or is_organizer(by, event)
    ):
        raise PermissionDenied(_("Only the participant's organisation or the organiser cancels a registration."))
    return _cancel(event, registration)


def _cancel(event: Event, registration: Registration) -> Registration:
    """Cancel a registration of the locked event, promoting the first on the waiting list into a freed place."""
    if registration.status == Registration.Status.CANCELLED:
        return registration
    was_confirmed = registration.status == Registration.Status.CONFIRMED
    registration.status, registration.cancelled_at = Registration.Status.CANCELLED, timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    _meetings_cancel_for(registration)
    if was_confirmed:
        Event.objects.filter(pk=event.pk).update(confirmed_count=F("confirmed_count") - 1)
        _fill_places(event)
    return registration


def _meetings_cancel_for(registration: Registration) -> None:
    """Whoever no longer comes meets nobody: the cancelled registration's requests and accepted meetings are
    cancelled, their seats freed (the slot and table are free for others; the record keeps where it was), and the
    other side's organisation is told of each accepted meeting. Runs under the event's lock, as booking does."""
    meetings = list(
        Meeting.objects.select_for_update(of=("self",))
        .filter(Q(requester=registration) | Q(invitee=registration),
                status__in=[Meeting.Status.REQUESTED, Meeting.Status.ACCEPTED])
        .select_related("requester", "invitee", "slot", "table")
    )  # fmt: skip
    if not meetings:
        return
    MeetingSeat.objects.filter(meeting__in=meetings).delete()
    Meeting.objects.filter(pk__in=[m.pk for m in meetings]).update(
        status=Meeting.Status.CANCELLED, responded_at=timezone.now()
    )
    event = registration.event
    for meeting in meetings:
        if meeting.status != Meeting.Status.ACCEPTED:
            continue
        placed = meeting.slot_id is not None and event.agenda_visible
        other = meeting.invitee if meeting.requester_id == registration.pk else meeting.requester
        organization_notify(
            organization=other.organization,
            subject=message(gettext_noop("A meeting at %(event)s is cancelled"), event=registration.event.title),
            body=message(
                gettext_noop("%(name)s of %(organization)s no longer comes to %(event)s: your meeting at %(time)s, "
                             "table %(table)s, is cancelled and the slot is free again."),
                name=registration.person_name, organization=registration.organization.name,
                event=registration.event.title,
                time=timezone.localtime(meeting.slot.starts_at).strftime("%m-%d %H:%M") if placed else "-",
                table=meeting.table.name if placed else "-",
            ),
            link=reverse("events:meet", args=[registration.event_id]),
        )  # fmt: skip
    if any(meeting.status == Meeting.Status.ACCEPTED for meeting in meetings):
        from .scheduling.service import schedule_repair_offer  # the scheduler builds on these services

        schedule_repair_offer(event)


# --- "Not me": the person a registration names disowns it ------------------------------------------------------
# An organisation registers people by e-mail address; anyone's address can be typed. Every registration e-mail
# names the organisation that registered the person and carries a signed link: the owner of the address cancels a
# registration they did not ask for (which also frees the address for their own organisation to register it).

_NOT_ME_SALT = "events.registration.not-me"


def registration_not_me_token(registration: Registration) -> str:
    return signing.dumps([registration.pk, registration.person_email], salt=_NOT_ME_SALT, compress=True)


def registration_from_not_me_token(token: str) -> Registration:
    """The registration a "not me" link names (valid for 60 days), or an error saying the link is not valid."""
    try:
        pk, email = signing.loads(token, salt=_NOT_ME_SALT, max_age=timedelta(days=60))
        return Registration.objects.select_related("event", "organization").get(pk=pk, person_email=email)
    except (signing.BadSignature, Registration.DoesNotExist, ValueError, TypeError) as error:
        raise ApplicationError(_("This link is not valid (or no longer)."), field="token") from error


@transaction.atomic
def registration_disown(*, token: str) -> Registration:
    """The person a registration names says it is not theirs: it is cancelled (the place goes to the waiting list)
    and its organisation told. Needs no account: the signed link came to that person's address."""
    registration = registration_from_not_me_token(token)
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        return registration
    registration = _cancel(event, registration)
    organization_notify(
        organization=registration.organization,
        subject=message(gettext_noop("A registration was cancelled by the person it named: %(event)s"),
                        event=event.title[:150]),
        body=message(gettext_noop("%(email)s says they did not ask to be registered for this event; the "
                                  "registration is cancelled."), email=registration.person_email),
        link=reverse("events:detail", kwargs={"pk": event.pk}),
    )  # fmt: skip
    return registration


def _fill_places(event: Event) -> list[Registration]:
    """Give the places left to the waiting list, first come first served (by ``created_at``, then ``pk``), and
    tell each promoted person by e-mail once the transaction commits. The caller holds the lock on the event row;
    the waiting registrations are locked here, in queue order."""
    capacity, confirmed = Event.objects.filter(pk=event.pk).values_list("capacity", "confirmed_count").get()
    free = capacity - confirmed
    if free <= 0:
        return []
    promoted = list(
        Registration.objects.select_for_update()
        .filter(event=event, status=Registration.Status.WAITING)
        .order_by("created_at", "pk")[:free]
    )
    if not promoted:
        return []
    now = timezone.now()
    for registration in promoted:
        registration.status, registration.promoted_at = Registration.Status.CONFIRMED, now
        registration.save(update_fields=["status", "promoted_at"])
    Event.objects.filter(pk=event.pk).update(confirmed_count=F("confirmed_count") + len(promoted))
    for registration in promoted:
        _mail_on_commit(registration, confirmed=True, promoted=True)
    return promoted


def check_in_window(event: Event) -> tuple[datetime, datetime]:
    """When check-in is open: from the start of the event's first day to the end of its last day, in the
    project's time zone (``TIME_ZONE``)."""
    zone = timezone.get_default_timezone()
    first, last = event_days(event)
    opens = datetime.combine(first, time.min, tzinfo=zone)
    closes = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    return opens, closes


def event_days(event: Event) -> tuple[date, date]:
    """The event's first and last day, in the project's time zone."""
    zone = timezone.get_default_timezone()
    return timezone.localtime(event.starts_at, zone).date(), timezone.localtime(event.ends_at, zone).date()


@transaction.atomic
def registration_check_in(*, event: Event, code: str, by: User) -> Registration:
    """The organiser checks a participant in with the registration's code (checking in twice is harmless)."""
    if not is_organizer(by, event):
        raise PermissionDenied(_("Only the organiser checks participants in."))
    try:
        registration = Registration.objects.select_for_update().get(event=event, check_in_code=code.strip().upper())
    except Registration.DoesNotExist as error:
        raise ApplicationError(
            _('No registration of this event has the code "%(code)s".') % {"code": code}, field="code"
        ) from error
    opens, closes = check_in_window(event)
    now = timezone.now()
    if now < opens:
        raise ApplicationError(
            _("Check-in opens on the event's first day, %(day)s.") % {"day": f"{opens:%Y-%m-%d}"}, field="code"
        )
    if now >= closes:
        raise ApplicationError(_("Check-in closed at the end of the event's last day."), field="code")
    if registration.status != Registration.Status.CONFIRMED:
        message = _("This registration is %(status)s; only confirmed places check in.")
        raise ApplicationError(message % {"status": registration.get_status_display()}, field="code")
    if registration.checked_in_at is None:
        registration.checked_in_at = timezone.now()
        registration.save(update_fields=["checked_in_at"])
    return registration


def _mail_on_commit(registration: Registration, *, confirmed: bool, promoted: bool = False) -> None:
    """E-mail the registered person, in their preferred language when the address has an account (else the
    language of the request that registered them)."""
    event = registration.event
    not_me = absolute_url(reverse("events:not-me", kwargs={"token": registration_not_me_token(registration)}))
    starts = f"{timezone.localtime(event.starts_at):%Y-%m-%d %H:%M}"

    def rendered() -> tuple[str, str]:
        if promoted:
            subject = _("A place is yours: %(event)s")
        elif confirmed:
            subject = _("Registration confirmed: %(event)s")
        else:
            subject = _("On the waiting list: %(event)s")
        body = (
            _("Dear %(name)s,") % {"name": registration.person_name} + f"\n{event.title}\n{starts}\n"
            + _("Check-in code: %(code)s") % {"code": registration.check_in_code if confirmed else "-"} + "\n\n"
            + _("Registered by %(organization)s. Not you, or not asked for? Cancel it here: %(link)s")
            % {"organization": registration.organization.name, "link": not_me}
        )  # fmt: skip
        return subject % {"event": event.title}, body

    mail_in_language_on_commit(recipients=[registration.person_email], rendered=rendered)
