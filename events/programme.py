"""Roadshow programmes (services): presenters apply with a listing; the organiser accepts and places them in slots."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.selectors import is_member
from core.exceptions import ApplicationError, PermissionDenied
from marketplace.models import Achievement, Need, Status

from .models import Event, PresentationApplication
from .services import is_organizer


@transaction.atomic
def presentation_apply(
    *, event: Event, organization: Organization, by: User, listing: Achievement | Need, pitch: str = ""
) -> PresentationApplication:
    """A member applies to present one of the organisation's published listings (an achievement, or a need at a
    financing presentation)."""
    if not is_member(by, organization.pk):
        raise PermissionDenied(_("Members apply for their own organisation."))
    if event.kind == Event.Kind.DOCKING or event.status != Event.Status.PUBLISHED:
        raise ApplicationError(
            _("Presentations are for published roadshows and financing presentations."), field="event"
        )
    if listing.organization_id != organization.pk or listing.status != Status.PUBLISHED:
        raise ApplicationError(_("Present one of your organisation's published listings."), field="listing")
    if isinstance(listing, Need) and event.kind != Event.Kind.FINANCING:
        raise ApplicationError(_("Needs are presented at financing presentations."), field="listing")
    fields = {"achievement": listing} if isinstance(listing, Achievement) else {"need": listing}
    return PresentationApplication.objects.create(event=event, organization=organization, applied_by=by, pitch=pitch,
                                                  **fields)  # fmt: skip


@transaction.atomic
def presentation_schedule(
    *, application: PresentationApplication, by: User, starts_at: datetime, ends_at: datetime
) -> PresentationApplication:
    """The organiser accepts an application and places it in a timed slot (one presenter per slot)."""
    event = Event.objects.select_for_update().get(pk=application.event_id)
    if not is_organizer(by, event):
        raise PermissionDenied(_("Only the organiser builds the programme."))
    if ends_at <= starts_at or starts_at < event.starts_at or ends_at > event.ends_at:
        raise ApplicationError(_("The slot lies within the event and ends after it starts."), field="starts_at")
    overlapping = event.applications.filter(
        status=PresentationApplication.Status.ACCEPTED, slot_starts_at__lt=ends_at, slot_ends_at__gt=starts_at
    ).exclude(pk=application.pk)
    if overlapping.exists():
        raise ApplicationError(_("Another presentation holds that time."), field="starts_at")
    application = PresentationApplication.objects.select_for_update().get(pk=application.pk)
    application.status = PresentationApplication.Status.ACCEPTED
    application.slot_starts_at, application.slot_ends_at = starts_at, ends_at
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as error:
        raise ApplicationError(_("Another presentation starts at that time."), field="starts_at") from error
    return application


@transaction.atomic
def presentation_decline(*, application: PresentationApplication, by: User) -> PresentationApplication:
    if not is_organizer(by, application.event):
        raise PermissionDenied(_("Only the organiser decides on applications."))
    application.status = PresentationApplication.Status.DECLINED
    application.slot_starts_at = application.slot_ends_at = None
    application.save(update_fields=["status", "slot_starts_at", "slot_ends_at"])
    return application


def programme(*, event: Event) -> list[PresentationApplication]:
    """The public programme: accepted presentations in time order, with their listings."""
    return list(
        event.applications.filter(status=PresentationApplication.Status.ACCEPTED)
        .select_related("achievement", "need", "organization")
        .order_by("slot_starts_at")
    )
