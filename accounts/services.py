"""Writes with rules for users, organisations and memberships. Every interface calls these."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Length
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from knox.models import AuthToken

from core.audit import Kind as AuditKind
from core.audit import audit_record
from core.exceptions import ApplicationError, PermissionDenied, model_validate
from core.i18n import Text, render
from core.site import absolute_url
from core.tasks import mail_on_commit
from reference.models import City, Province
from reference.selectors import place_pick, place_resolve

from . import names
from .language import mail_in_language_on_commit
from .models import Membership, Notification, Organization, User, normalize_email
from .selectors import acts_for, staff_may, user_primary_membership
from .tokens import verification_path
from .validators import normalize_credit_code


def _full_clean(obj: User | Organization | Membership, **options: Any) -> None:
    model_validate(obj, **options)


def _mail_due(kind: str, email: str) -> bool:
    """Whether this address may be sent a sign-up e-mail of this kind now: one per ``ACCOUNTS_MAIL_INTERVAL_SECONDS``
    at most, so that nobody floods an inbox by signing up or asking for links with its address (the page answers the
    same either way)."""
    interval = settings.ACCOUNTS_MAIL_INTERVAL_SECONDS
    if interval <= 0:
        return True
    digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()
    return bool(cache.add(f"accounts:mail:{kind}:{digest}", 1, timeout=interval))


def _mail_user(user: User, template: str, context: dict[str, Any]) -> None:
    """E-mail the user (``templates/accounts/email/<template>_subject.txt`` and ``_body.txt``), in their language,
    once the transaction commits; at most one of a kind per interval (``_mail_due``)."""
    if not _mail_due(template, user.email):
        return
    context = {"user": user, "email": user.email, "days": settings.ACCOUNTS_VERIFY_DAYS, **context}
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"accounts/email/{template}_body.txt", context)
    mail_on_commit(subject=subject, body=body, recipients=[user.email])


def user_verification_send(*, user: User, site: str) -> None:
    """E-mail the user a fresh link verifying their address (``site``: the scheme and host the links start with)."""
    _mail_user(user, "verify", {"link": site + verification_path(user)})


def _sign_up_attempt_mail(user: User, site: str) -> None:
    """Tell an address that already has an account that someone tried to sign up with it: sign in or reset the
    password (or, while the account is not activated, how to get its link again)."""
    _mail_user(
        user,
        "signup_attempt",
        {
            "verified": user.email_verified_at is not None,
            "login_link": site + reverse("accounts:login"),
            "reset_link": site + reverse("accounts:password_reset"),
            "resend_link": site + reverse("accounts:verify-resend"),
        },
    )


def organization_name_check(
    *, name: str, exclude_pk: int | None = None, field: str = "name"
) -> tuple[str, Organization | None]:
    """A new or changed organisation name, checked against the others as ``accounts.names`` compares them: the same
    name written differently (case, spaces, punctuation, full-width forms) is refused; a name containing a verified
    organisation's is allowed, and that organisation returned, to be stored in ``resembles`` for staff to check
    before they verify it. Returns the name as stored (trimmed) and that organisation (or None)."""
    name = name.strip()
    key = names.name_key(name)
    if not key:
        raise ApplicationError(_("An organisation's name needs letters or characters, not only punctuation."),
                               field=field)  # fmt: skip
    others = Organization.objects.exclude(pk=exclude_pk) if exclude_pk is not None else Organization.objects.all()
    same = others.filter(name_key=key).only("name").first()
    if same is not None:
        message = _(
            "An organisation with this name is already registered as “%(name)s” (names are compared without case, "
            "spaces or punctuation). If it is yours, ask its owner to add you as a member."
        )
        raise ApplicationError(message % {"name": same.name}, field=field)
    resembled = (
        others.filter(verified=True)
        .annotate(key_length=Length("name_key"))
        .filter(key_length__gte=names.RESEMBLANCE_MIN_LENGTH)
        .alias(typed=Value(key, output_field=CharField()))
        .filter(typed__contains=F("name_key"))
        .order_by("-key_length", "pk")
        .first()
    )
    return name, resembled


def _registered(email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first()


@transaction.atomic
def user_sign_up(
    *,
    email: str,
    password: str,
    full_name: str,
    organization_name: str,
    organization_kind: str,
    location: str,
    site: str,
    credit_code: str = "",
    website: str = "",
    description: str = "",
    language: str = "zh-hans",
    province_code: str = "",
    city_code: str = "",
) -> User | None:
    """Register a user, a new (unverified) organisation and the owner membership that joins them, and e-mail the user
    a link (``site``: the scheme and host it starts with) that verifies the address and activates the account: until
    then the user cannot sign in.

    An address that already has an account gets exactly what a new one gets (the same checks, in the same order,
    then success): nothing is created, and that address is e-mailed that someone tried to sign up with it, so that
    sign-up never tells whether an address is registered. Returns the new user, or None for such an address.

    The place is ``location`` as typed, or the province and city chosen from the lists (``province_code``, which
    then wins over the text)."""
    email = normalize_email(email)
    name, resembled = organization_name_check(name=organization_name, field="organization_name")
    if province_code:
        province, city = place_pick(province_code=province_code, city_code=city_code or None)
    else:
        province, city = place_resolve(text=location, field="location")
    user = User(email=email, full_name=full_name.strip(), language=language, is_active=False)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), field="password") from error
    user.set_password(password)  # hashed whether or not the address is registered: the same time either way
    _full_clean(user, validate_unique=False, validate_constraints=False)  # the address's uniqueness: below, unsaid
    organization = Organization(
        name=name,
        kind=organization_kind,
        province=province,
        city=city,
        credit_code=normalize_credit_code(credit_code),
        website=website.strip(),
        description=description.strip(),
        resembles=resembled,
    )
    try:
        _full_clean(organization)
    except ApplicationError as error:
        error.field = {"name": "organization_name", "kind": "organization_kind"}.get(error.field or "", error.field)
        raise
    existing = _registered(email)
    if existing is None:
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # a concurrent sign-up took the address first: the same as a registered one
            existing = _registered(email)
            if existing is None:
                raise
    if existing is not None:
        _sign_up_attempt_mail(existing, site)
        return None
    try:
        with transaction.atomic():
            organization.save()
    except IntegrityError as error:  # a concurrent sign-up took the name (or the credit code) first
        raise ApplicationError(
            _("An organisation with this name or credit code was just registered; ask its owner to add you."),
            field="organization_name",
        ) from error
    Membership.objects.create(user=user, organization=organization, role=Membership.Role.OWNER)
    user_verification_send(user=user, site=site)
    return user


def user_verification_resend(*, email: str, site: str) -> None:
    """E-mail a new verification link to the address if an account there still waits for one; nothing otherwise
    (the page answers the same)."""
    user = User.objects.filter(
        email__iexact=normalize_email(email), email_verified_at__isnull=True, is_active=False
    ).first()
    if user is not None:
        user_verification_send(user=user, site=site)


@transaction.atomic
def user_verify_email(*, user: User) -> bool:
    """The user opened their link (its token checked by the caller): their address is verified and the account
    activated. Idempotent, and once only: a user whose address is verified already is left as is (False), so that a
    user deactivated by staff never reactivates themselves with an old link."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.email_verified_at is not None:
        return False
    locked.email_verified_at = timezone.now()
    locked.is_active = True
    locked.save(update_fields=["email_verified_at", "is_active"])
    user.email_verified_at, user.is_active = locked.email_verified_at, locked.is_active
    return True


@transaction.atomic
def organization_save_by_staff(*, organization: Organization, name_changed: bool) -> Organization:
    """An organisation added or edited in admin: a new or changed name is checked as at sign-up and whether it
    resembles a verified organisation's is recorded; the rest as admin's form validated it."""
    if organization.pk is None or name_changed:
        organization.name, organization.resembles = organization_name_check(
            name=organization.name, exclude_pk=organization.pk
        )
    organization.save()
    return organization


@transaction.atomic
def user_save_by_staff(*, user: User) -> User:
    """An account staff create in admin is active at once, its address taken as verified (as ``create_user``)."""
    if user.pk is None and user.email_verified_at is None:
        user.email_verified_at = timezone.now()
    user.save()
    return user


@transaction.atomic
def user_update_profile(*, user: User, full_name: str, language: str) -> User:
    user.full_name = full_name.strip()
    user.language = language
    _full_clean(user)
    user.save(update_fields=["full_name", "language"])
    return user


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """The user's preferred language (the language switcher, signed in): the language they are e-mailed and
    notified in, and that their pages take when they sign in."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ApplicationError(_("%(language)s is not a language of the site.") % {"language": language},
                               field="language")  # fmt: skip
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


@transaction.atomic
def organization_contact_update(
    *, organization: Organization, by: User, contact_name: str, contact_phone: str, contact_email: str
) -> Organization:
    """An owner sets the organisation's contact: confidential like a posting's, shown only where a posting's would be
    (to the other side of a match both accepted), for the organisation's postings that name no contact of their own
    (``matching.selectors.posting_contact``)."""
    if not acts_for(by, organization.pk, permission="accounts.change_organization", owner=True):
        raise PermissionDenied(_("Only an owner of the organisation changes its contact."))
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    organization.contact_name = contact_name.strip()
    organization.contact_phone = contact_phone.strip()
    organization.contact_email = normalize_email(contact_email)
    _full_clean(organization, validate_unique=False, validate_constraints=False)
    organization.save(update_fields=["contact_name", "contact_phone", "contact_email", "updated_at"])
    return organization


@transaction.atomic
def organization_profile_update(
    *,
    organization: Organization,
    by: User,
    description: str,
    website: str,
    province: Province,
    city: City | None,
    contact_name: str,
    contact_phone: str,
    contact_email: str,
) -> Organization:
    """An owner completes the organisation (its first step after sign-up): description, website, place, and its
    contact (as ``organization_contact_update``, whose rules apply), in one transaction."""
    organization = organization_contact_update(
        organization=organization,
        by=by,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
    )
    if city is not None and city.province_id != province.pk:
        raise ApplicationError(_("The city is not in the province chosen."), field="city")
    organization.description = description.strip()
    organization.website = website.strip()
    organization.province, organization.city = province, city
    _full_clean(organization, validate_unique=False, validate_constraints=False)
    organization.save(update_fields=["description", "website", "province", "city", "updated_at"])
    return organization


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
    if verified and len(organization.name_key) >= names.RESEMBLANCE_MIN_LENGTH:
        # Unverified organisations registered earlier under a name containing this one's are flagged for staff now.
        Organization.objects.filter(
            verified=False, resembles__isnull=True, name_key__contains=organization.name_key
        ).exclude(pk=organization.pk).update(resembles=organization)
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
    keep = (
        AuthToken.objects.filter(user=user)
        .order_by("-created")
        .values_list("pk", flat=True)[: settings.API_TOKENS_PER_USER]
    )
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
    added by staff). Its name is checked as every organisation's is (``organization_name_check``)."""
    name, resembled = organization_name_check(name=name)
    organization = Organization(name=name, kind=kind, province_id=province_id, city_id=city_id, resembles=resembled)
    # The importer resolved the place and matched names against existing organisations; the database enforces the
    # unique name (a query per constraint and per key for each of thousands of imported organisations was a third
    # of a large import's time).
    _full_clean(organization, exclude=["province", "city"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            organization.save()
    except IntegrityError as error:  # created meanwhile by a concurrent transaction
        raise ApplicationError(_("An organisation with this name was just registered."), field="name") from error
    return organization


@transaction.atomic
def api_token_regenerate(*, user: User) -> tuple[AuthToken, str]:
    """Replace the user's API tokens with a new one (the old ones stop working at once); the key is shown once."""
    api_tokens_revoke(user=user)
    return api_token_issue(user=user)


def organization_notify(
    *,
    organization: Organization,
    subject: Text,
    body: Text = "",
    link: str = "",
    user: User | None = None,
    mail: bool = True,
) -> Notification:
    """Tell an organisation something: a notification on its pages, and an e-mail to its members once the
    transaction that caused it commits. With ``user``, only that member sees it and is mailed. With ``mail=False``,
    the notification alone (the caller sends its own e-mail, as the alerts' digest does).

    ``subject`` and ``body`` are ``core.i18n`` messages (a msgid marked with ``gettext_noop`` and its parameters),
    stored as written and translated when read, in the reader's language; each member is mailed in their own
    preferred language. A plain string is text as typed (a reason), shown as it is; or text already written in the
    one reader's language (the alerts' digest, addressed to one member and rendered in theirs, as its e-mail is)."""
    written = {"subject": subject, "body": body}
    with translation.override("en"):  # the columns of text hold it untranslated (admin's search, old readers)
        notification = Notification.objects.create(
            organization=organization, user=user, subject=render(subject)[:200], body=render(body), text=written,
            link=link,
        )  # fmt: skip
    if not mail:
        return notification
    if user is not None:
        recipients = [user]
    else:
        recipients = list(User.objects.filter(memberships__organization=organization).order_by("pk"))

    def rendered() -> tuple[str, str]:
        text = render(body)
        return render(subject)[:200], f"{text}\n\n{absolute_url(link)}" if link else text

    mail_in_language_on_commit(recipients=recipients, rendered=rendered)
    return notification


def notifications_mark_read(*, organization_ids: Iterable[int], ids: Iterable[int]) -> int:
    """Mark the given unread notifications of these organisations as read, in one UPDATE."""
    return Notification.objects.filter(
        organization_id__in=list(organization_ids), pk__in=list(ids), read_at__isnull=True
    ).update(read_at=timezone.now())
