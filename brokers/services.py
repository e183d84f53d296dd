"""Writes with rules for brokers: an organisation's owners appoint a service agency's member as its broker for chosen
listings, change the listings, and revoke the appointment; the broker may step down.

Every interface (pages, API, admin, the demo) calls these. Each change is in the audit log (kind "broker", the
appointing organisation's) and told to the other party; what members and brokers are shown of matches is built again
(``MEMBERSHIPS_VERSION``: an appointment opens listings' matches to a person, as a membership does).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organization, User, normalize_email
from accounts.selectors import MEMBERSHIPS_VERSION, acts_for, is_member
from accounts.services import organization_notify
from core.audit import Kind as AuditKind
from core.audit import audit_record
from core.exceptions import ApplicationError, PermissionDenied
from core.i18n import message
from core.limits import NOTE_MAX
from marketplace.models import Achievement, Need

from .models import BrokerAppointment

PERMISSION = "brokers.change_brokerappointment"
AGENCY = Organization.Kind.SERVICE_AGENCY


def may_appoint(user: User, organization: Organization) -> bool:
    """The organisation's owners appoint and revoke its brokers (or staff with the permission)."""
    return acts_for(user, organization.pk, permission=PERMISSION, owner=True)


def _check_appointer(user: User, organization: Organization) -> None:
    if not may_appoint(user, organization):
        raise PermissionDenied(_("Only the organisation's owners appoint and revoke its brokers."))


def _lock(appointment: BrokerAppointment) -> BrokerAppointment:
    return BrokerAppointment.objects.select_for_update().select_related("organization", "broker", "agency").get(
        pk=appointment.pk
    )


def _agency_of(broker: User) -> Organization | None:
    """The service agency the broker belongs to (the oldest membership, if several)."""
    membership = (
        broker.memberships.filter(organization__kind=AGENCY).select_related("organization").order_by("created_at")
    ).first()
    return membership.organization if membership else None


def _listings(
    organization: Organization, achievement_ids: Iterable[int], need_ids: Iterable[int]
) -> tuple[list[Achievement], list[Need]]:
    """The organisation's own postings of these ids; an id that is not one of them is refused by name."""
    achievement_ids, need_ids = sorted(set(achievement_ids)), sorted(set(need_ids))
    achievements = list(Achievement.objects.filter(organization=organization, pk__in=achievement_ids))
    needs = list(Need.objects.filter(organization=organization, pk__in=need_ids))
    for field, asked, found in (("achievements", achievement_ids, achievements), ("needs", need_ids, needs)):
        missing = sorted(set(asked) - {posting.pk for posting in found})
        if missing:
            raise ApplicationError(
                _("Postings %(ids)s are not listings of %(organization)s.")
                % {"ids": ", ".join(map(str, missing)), "organization": organization.name},
                field=field,
            )
    if not achievements and not needs:
        raise ApplicationError(_("Choose at least one listing for the broker."), field="achievements")
    return achievements, needs


def _note(text: str, field: str = "note") -> str:
    text = text.strip()
    if len(text) > NOTE_MAX:
        raise ApplicationError(_("At most %(count)s characters.") % {"count": NOTE_MAX}, field=field)
    return text


def _audit(appointment: BrokerAppointment, *, by: User, action: str, reason: str = "") -> None:
    audit_record(
        AuditKind.BROKER,
        actor=by,
        organization=appointment.organization,
        target=appointment,
        label=f"{appointment.broker.email} ({appointment.agency.name})",
        detail={
            "action": action,
            "broker": appointment.broker.email,
            "agency": appointment.agency.name,
            "achievements": sorted(appointment.achievements.values_list("pk", flat=True)),
            "needs": sorted(appointment.needs.values_list("pk", flat=True)),
            "reason": reason,
        },
    )
    transaction.on_commit(MEMBERSHIPS_VERSION.bump)


def _tell_broker(appointment: BrokerAppointment, subject: str) -> None:
    organization_notify(
        organization=appointment.agency,
        user=appointment.broker,
        subject=message(subject, organization=appointment.organization.name),
        link="/brokers/",
    )


def _tell_organization(appointment: BrokerAppointment, subject: str, reason: str = "") -> None:
    organization_notify(
        organization=appointment.organization,
        subject=message(subject, broker=appointment.broker.get_short_name(), agency=appointment.agency.name),
        body=reason,
        link="/brokers/",
    )


@transaction.atomic
def broker_appoint(
    *,
    organization: Organization,
    by: User,
    broker_email: str,
    achievement_ids: Iterable[int] = (),
    need_ids: Iterable[int] = (),
    note: str = "",
) -> BrokerAppointment:
    """An owner appoints a service agency's member as the organisation's broker for some of its listings."""
    _check_appointer(by, organization)
    if organization.kind == AGENCY:
        raise ApplicationError(_("A service agency does not appoint brokers; its members are brokers."),
                               field="organization")  # fmt: skip
    broker = User.objects.filter(email__iexact=normalize_email(broker_email or ""), is_active=True).first()
    if broker is None:
        raise ApplicationError(_("No one on the platform has the e-mail %(email)s.") % {"email": broker_email},
                               field="broker")  # fmt: skip
    agency = _agency_of(broker)
    if agency is None:
        raise ApplicationError(_("%(email)s is not a member of a service agency; only brokers of a service agency are "
                                 "appointed.") % {"email": broker.email}, field="broker")  # fmt: skip
    if is_member(broker, organization.pk):
        raise ApplicationError(
            _("%(email)s is a member of %(organization)s already.")
            % {"email": broker.email, "organization": organization.name},
            field="broker",
        )
    Organization.objects.select_for_update().filter(pk=organization.pk).first()  # one appointment at a time
    if BrokerAppointment.objects.filter(organization=organization, broker=broker, revoked_at__isnull=True).exists():
        raise ApplicationError(_("%(email)s is already this organisation's broker: change the listings instead.")
                               % {"email": broker.email}, field="broker")  # fmt: skip
    achievements, needs = _listings(organization, achievement_ids, need_ids)
    appointment = BrokerAppointment.objects.create(
        organization=organization, broker=broker, agency=agency, note=_note(note), appointed_by=by
    )
    appointment.achievements.set(achievements)
    appointment.needs.set(needs)
    _audit(appointment, by=by, action="appoint")
    _tell_broker(appointment, gettext_noop("%(organization)s appointed you as its broker"))
    return appointment


@transaction.atomic
def broker_set_listings(
    *, appointment: BrokerAppointment, by: User, achievement_ids: Iterable[int] = (), need_ids: Iterable[int] = ()
) -> BrokerAppointment:
    """An owner changes which listings the broker works (at least one)."""
    appointment = _lock(appointment)
    _check_appointer(by, appointment.organization)
    if not appointment.active:
        raise ApplicationError(_("This appointment was revoked; appoint the broker again."), field="status")
    achievements, needs = _listings(appointment.organization, achievement_ids, need_ids)
    appointment.achievements.set(achievements)
    appointment.needs.set(needs)
    _audit(appointment, by=by, action="listings")
    _tell_broker(appointment, gettext_noop("%(organization)s changed the listings you broker"))
    return appointment


@transaction.atomic
def broker_revoke(*, appointment: BrokerAppointment, by: User, reason: str = "") -> BrokerAppointment:
    """An owner revokes the appointment, or the broker steps down: from now on the broker sees and does nothing more
    for the organisation. Revoking twice is refused (nothing changes)."""
    appointment = _lock(appointment)
    stepping_down = by.pk == appointment.broker_id
    if not stepping_down:
        _check_appointer(by, appointment.organization)
    if not appointment.active:
        raise ApplicationError(_("This appointment was revoked already."), field="status")
    appointment.revoked_at, appointment.revoked_by = timezone.now(), by
    appointment.revoke_reason = _note(reason, "reason")
    appointment.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    _audit(appointment, by=by, action="step_down" if stepping_down else "revoke", reason=appointment.revoke_reason)
    if stepping_down:
        _tell_organization(appointment, gettext_noop("%(broker)s (%(agency)s) stepped down as your broker"),
                           appointment.revoke_reason)  # fmt: skip
    else:
        _tell_broker(appointment, gettext_noop("%(organization)s revoked your appointment as its broker"))
    return appointment

