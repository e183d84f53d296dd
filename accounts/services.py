"""Writes with rules for users, organisations and memberships. Every interface calls these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from core.audit import Kind as AuditKind
from core.audit import audit_record
from core.exceptions import ApplicationError, PermissionDenied
from core.tasks import mail_on_commit
from reference.selectors import place_resolve

from .models import Membership, Notification, Organization, User, normalize_email
from .selectors import acts_for, staff_may, user_primary_membership
from .validators import normalize_credit_code


def _full_clean(obj: User | Organization | Membership, **options: Any) -> None:
    """Model validation (``options`` as ``full_clean`` takes them) turned into the domain error, naming the first
    field at fault."""
    try:
        obj.full_clean(**options)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ApplicationError(" ".join(messages), field=None if field == "__all__" else field) from error


@transaction.atomic
def user_sign_up(
    *,
    email: str,
    password: str,
    full_name: str,
    organization_name: str,
    organization_kind: str,
    location: str,
    credit_code: str = "",
    website: str = "",
    description: str = "",
    language: str = "zh-hans",
) -> User:
    """Create a user, a new (unverified) organisation and the owner membership that joins them."""
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(_("An account with this e-mail address already exists."), field="email")
    name = organization_name.strip()
    if Organization.objects.filter(name__iexact=name).exists():
        raise ApplicationError(
            _("An organisation with this name is already registered; ask its owner to add you as a member."),
            field="organization_name",
        )
    province, city = place_resolve(text=location, field="location")
    user = User(email=email, full_name=full_name.strip(), language=language)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), field="password") from error
    user.set_password(password)
    _full_clean(user)
    organization = Organization(
        name=name,
        kind=organization_kind,
        province=province,
        city=city,
        credit_code=normalize_credit_code(credit_code),
        website=website.strip(),
        description=description.strip(),
    )
    try:
        _full_clean(organization)
    except ApplicationError as error:
        error.field = {"name": "organization_name", "kind": "organization_kind"}.get(error.field or "", error.field)
        raise
    try:
        user.save()
        organization.save()
    except IntegrityError as error:  # a concurrent sign-up took the e-mail or the name first
        raise ApplicationError(_("This e-mail address or organisation was just registered."), field="email") from error
    Membership.objects.create(user=user, organization=organization, role=Membership.Role.OWNER)
    return user


@transaction.atomic
def user_update_profile(*, user: User, full_name: str, language: str) -> User:
    user.full_name = full_name.strip()
    user.language = language
    _full_clean(user)
    user.save(update_fields=["full_name", "language"])
    return user


@transaction.atomic
def organization_set_verified(*, organization: Organization, verified: bool, by: User | None) -> Organization:
    """Staff mark an organisation as verified (or withdraw it). ``by=None`` is the system (demo, imports)."""
    if by is not None and not staff_may(by, "accounts.change_organization"):
        raise PermissionDenied(_("Only platform staff verify organisations."))
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if organization.verified == verified:
        return organization
    organization.verified = verified
    organization.verified_at = timezone.now() if verified else None
    organization.verified_by = by if verified else None
    organization.save(update_fields=["verified", "verified_at", "verified_by", "updated_at"])
    return organization


@transaction.atomic
def membership_add(*, organization: Organization, email: str, role: str, by: User) -> Membership:
    """An owner of the organisation (or staff) adds an existing user as a member or owner."""
    if not acts_for(by, organization.pk, owner=True, permission="accounts.add_membership"):
        raise PermissionDenied(_("Only an owner of the organisation adds members."))
    try:
        user = User.objects.get(email__iexact=normalize_email(email))
    except User.DoesNotExist as error:
        raise ApplicationError(_("No user has this e-mail address; they sign up first."), field="email") from error
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def api_token_issue(*, user: User) -> tuple[AuthToken, str]:
    """A new API token for the user: its record (kept as a hash, with its expiry) and the key, which is shown this
    once. A user holds at most ``API_TOKENS_PER_USER``; the oldest beyond that are revoked. Recorded in the audit log
    (never the key nor its hash)."""
    record, key = AuthToken.objects.create(user=user)
    keep = AuthToken.objects.filter(user=user).order_by("-created").values_list("pk", flat=True)[
        : settings.API_TOKENS_PER_USER
    ]
    revoked = AuthToken.objects.filter(user=user).exclude(pk__in=list(keep)).delete()[0]
    membership = user_primary_membership(user=user)
    audit_record(
        AuditKind.TOKEN_ISSUED,
        actor=user,
        organization=membership.organization if membership is not None else None,
        target=user,
        label=user.email,
        detail={"expires": record.expiry.isoformat() if record.expiry else None, "revoked_oldest": revoked},
    )
    return record, key


def api_tokens_revoke(*, user: User) -> int:
    """Revoke every API token of the user (a password change does it too: ``User.save``)."""
    return AuthToken.objects.filter(user=user).delete()[0]


@transaction.atomic
def organization_create(*, name: str, kind: str, province_id: str, city_id: str | None) -> Organization:
    """An organisation created for imported postings: unverified, without members (its people sign up and are
    added by staff)."""
    organization = Organization(name=name.strip(), kind=kind, province_id=province_id, city_id=city_id)
    # The importer resolved the place and matched names against existing organisations; the database enforces the
    # unique name (a query per constraint and per key for each of thousands of imported organisations was a third
    # of a large import's time).
    _full_clean(organization, exclude=["province", "city"], validate_unique=False, validate_constraints=False)
    organization.save()
    return organization


@transaction.atomic
def api_token_regenerate(*, user: User) -> tuple[AuthToken, str]:
    """Replace the user's API tokens with a new one (the old ones stop working at once); the key is shown once."""
    api_tokens_revoke(user=user)
    return api_token_issue(user=user)


def organization_notify(*, organization: Organization, subject: str, body: str = "", link: str = "") -> None:
    """Tell an organisation something: a notification on its pages, and an e-mail to its members once the
    transaction that caused it commits."""
    Notification.objects.create(organization=organization, subject=subject, body=body, link=link)
    recipients = list(organization.memberships.values_list("user__email", flat=True))
    if recipients:
        mail_on_commit(subject=subject, body=f"{body}\n\n{link}" if link else body, recipients=recipients)


def notifications_mark_read(*, organization_ids: Iterable[int], ids: Iterable[int]) -> int:
    """Mark the given unread notifications of these organisations as read, in one UPDATE."""
    return Notification.objects.filter(
        organization_id__in=list(organization_ids), pk__in=list(ids), read_at__isnull=True
    ).update(read_at=timezone.now())
