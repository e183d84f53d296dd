"""Writes with rules for events: create and publish, register within capacity (else the waiting list), cancel with
first-come first-served promotion, check in.

Booking follows the pattern of ticketing systems: one transaction locks the event row as late as possible,
re-checks the places left and writes; e-mails go out only once it commits. The event's ``confirmed_count`` moves in
the same transaction, and a database constraint keeps it within the capacity whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organization, User
from accounts.selectors import acts_for, staff_may
from accounts.services import organization_notify
from core.exceptions import ApplicationError, PermissionDenied
from core.i18n import bilingual
from core.site import absolute_url
from core.tasks import mail_on_commit

from .models import Event, Registration


def is_organizer(user: User, event: Event) -> bool:
    return acts_for(user, event.organizer_id, permission="events.change_event")


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
    if ends_at <= starts_at:
        raise ApplicationError(_("The event must end after it starts."), field="ends_at")
    if capacity < 1:
        raise ApplicationError(_("The capacity is at least one place."), field="capacity")
    closes = fields.get("registration_closes_at")
    opens = fields.get("registration_opens_at")
    if opens and closes and closes <= opens:
        raise ApplicationError(_("Registration must close after it opens."), field="registration_closes_at")
    event = Event.objects.create(
        organizer=organizer, created_by=by, kind=kind, title=title.strip(), starts_at=starts_at, ends_at=ends_at,
        capacity=capacity, **fields,
    )  # fmt: skip
    event.domains.set(list(domain_codes))
    event.clusters.set(list(cluster_codes))
    return event


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
            _("A %(current)s event cannot become %(to)s.") % {"current": event.status, "to": status}, field="status"
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
    confirmed = event.confirmed_count < event.capacity
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
    if was_confirmed:
        Event.objects.filter(pk=event.pk).update(confirmed_count=F("confirmed_count") - 1)
        _promote_waiting(event)
    return registration


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
        subject=bilingual(gettext_noop("A registration was cancelled by the person it named: %(event)s"),
                          event=event.title)[:200],
        body=bilingual(gettext_noop("%(email)s says they did not ask to be registered for this event; the "
                                    "registration is cancelled."), email=registration.person_email),
        link=reverse("events:detail", kwargs={"pk": event.pk}),
    )  # fmt: skip
    return registration


def _promote_waiting(event: Event) -> Registration | None:
    """Give the freed place to the first on the waiting list (first come, first served). The event row is locked."""
    waiting = (
        Registration.objects.select_for_update()
        .filter(event=event, status=Registration.Status.WAITING)
        .order_by("created_at", "pk")
        .first()
    )
    if waiting is None:
        return None
    waiting.status, waiting.promoted_at = Registration.Status.CONFIRMED, timezone.now()
    waiting.save(update_fields=["status", "promoted_at"])
    Event.objects.filter(pk=event.pk).update(confirmed_count=F("confirmed_count") + 1)
    _mail_on_commit(waiting, confirmed=True, promoted=True)
    return waiting


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
    if registration.status != Registration.Status.CONFIRMED:
        message = _("This registration is %(status)s; only confirmed places check in.")
        raise ApplicationError(message % {"status": registration.status}, field="code")
    if registration.checked_in_at is None:
        registration.checked_in_at = timezone.now()
        registration.save(update_fields=["checked_in_at"])
    return registration


def _mail_on_commit(registration: Registration, *, confirmed: bool, promoted: bool = False) -> None:
    event = registration.event
    if promoted:
        subject = f"您已从候补转为正式参会 / A place is yours: {event.title}"
    elif confirmed:
        subject = f"报名成功 / Registration confirmed: {event.title}"
    else:
        subject = f"已进入候补名单 / On the waiting list: {event.title}"
    not_me = absolute_url(reverse("events:not-me", kwargs={"token": registration_not_me_token(registration)}))
    body = (
        f"{registration.person_name}：\n{event.title}\n{timezone.localtime(event.starts_at):%Y-%m-%d %H:%M}\n"
        f"签到码 / check-in code: {registration.check_in_code if confirmed else '-'}\n\n"
        + bilingual(
            gettext_noop("Registered by %(organization)s. Not you, or not asked for? Cancel it here: %(link)s"),
            separator="\n", organization=registration.organization.name, link=not_me,
        )
    )  # fmt: skip
    mail_on_commit(subject=subject, body=body, recipients=[registration.person_email])
