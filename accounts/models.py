"""Users (who log in by e-mail), organisations and the memberships that join them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.i18n import render
from core.limits import PROFILE_MAX, bounded

from . import names
from .validators import normalize_credit_code, validate_credit_code


def normalize_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively everywhere; they are stored lower-cased."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        """A user able to sign in at once, address taken as verified (commands, the demo, admin's staff). Sign-up
        makes its users through ``accounts.services.user_sign_up`` instead: inactive until the link is opened."""
        extra_fields.setdefault("email_verified_at", timezone.now())
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        extra_fields.setdefault("email_verified_at", timezone.now())
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=normalize_email(username or ""))


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGES[0][0]
    )
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Platform operators who may use the admin site.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    email_verified_at = models.DateTimeField(
        _("e-mail verified at"),
        null=True,
        blank=True,
        help_text=_("When the user opened the link sent at sign-up; empty: not verified, and not active until then."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A changed password (``set_password``: the password change and reset pages, admin, the shell) revokes
        the user's API tokens: a token taken with the old password stops working with it."""
        password_changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            from knox.models import AuthToken

            AuthToken.objects.filter(user=self).delete()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


class Organization(models.Model):
    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("university")
        RESEARCH_INSTITUTE = "research_institute", _("research institute")
        ENTERPRISE = "enterprise", _("enterprise")
        ORGANISER = "organiser", _("organiser")
        SERVICE_AGENCY = "service_agency", _("service agency")

    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(
        _("name as compared"),
        max_length=names.KEY_MAX_LENGTH,
        blank=True,
        editable=False,
        help_text=_("The name without case, spaces or punctuation (accounts.names): unique among organisations."),
    )
    resembles = models.ForeignKey(
        "self",
        verbose_name=_("resembles"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("A verified organisation whose name this one's contains: check it is theirs before verifying."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    province = models.ForeignKey(
        "reference.Province", verbose_name=_("province"), on_delete=models.PROTECT, related_name="organizations"
    )
    city = models.ForeignKey(
        "reference.City",
        verbose_name=_("city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
        help_text=_("Unified social credit code: optional; checked when given."),
    )
    description = models.TextField(_("description"), blank=True, **bounded(PROFILE_MAX))
    website = models.URLField(_("website"), blank=True)
    # The organisation's own contact, confidential like a posting's: shown only where a posting's would be (both
    # sides accepted a match), as the fallback for a posting that names no contact of its own.
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    verified = models.BooleanField(_("verified"), default=False, help_text=_("Set by platform staff."))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("verified by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organization_name_unique_ci"),
            models.UniqueConstraint(
                fields=["name_key"], condition=~Q(name_key=""), name="organization_name_key_unique"
            ),
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="organization_credit_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(credit_code="") | Q(credit_code__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                name="organization_credit_code_format",
            ),
            models.CheckConstraint(
                condition=Q(verified=False) | Q(verified_at__isnull=False), name="organization_verified_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The name's key follows the name (``accounts.names.name_key``)."""
        self.name_key = names.name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.credit_code = normalize_credit_code(self.credit_code)
        if self.city_id and self.province_id and self.city.province_id != self.province_id:
            raise ValidationError({"city": _("The city is not in the chosen province.")})

    @property
    def location_label(self) -> str:
        if self.city_id and self.city.name_zh != self.province.name_zh:
            return f"{self.province.name_zh}{self.city.name_zh}"
        return self.province.name_zh

    @property
    def place_label(self) -> str:
        """The province and city in the reader's language ("安徽省合肥市", "Hefei, Anhui"), to show."""
        if not (get_language() or "zh-hans").startswith("en"):
            return self.location_label
        if self.city_id and self.city.name_en != self.province.name_en:
            return f"{self.city.name_en}, {self.province.name_en}"
        return self.province.name_en


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        MEMBER = "member", _("member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization__name", "user__email"]
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


class Notification(models.Model):
    """A message to an organisation (or to one of its members), shown on its pages (and sent by e-mail)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="notifications"
    )
    # Set for a notification meant for one member (an alert of that user's): only they see it. Empty: the whole
    # organisation's.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    # The message as written, language-neutral (``core.i18n``: msgids and parameters), read in the reader's language
    # (``subject_text``, ``body_text``); ``subject`` and ``body`` then hold it untranslated. Empty: a notification
    # stored as text before (shown as it was stored).
    text = models.JSONField(_("message as written"), null=True, blank=True, editable=False)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.subject_text

    @property
    def subject_text(self) -> str:
        """The subject in the active language (the reader's)."""
        return render(self.text["subject"]) if self.text else self.subject

    @property
    def body_text(self) -> str:
        """The message in the active language (the reader's)."""
        return render(self.text.get("body")) if self.text else self.body
