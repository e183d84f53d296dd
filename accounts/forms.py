from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from core.limits import PROFILE_MAX
from core.tasks import mail_on_commit
from reference.forms import city_field, clean_place, place_from, province_field

from .models import Organization, User
from .selectors import user_awaiting_verification


class EmailAuthenticationForm(auth_forms.AuthenticationForm):
    """Sign-in by e-mail. A wrong password and an unknown address get the same error; an account that has not opened
    its sign-up link is told so, with the way to get the link again, only once its password was given right."""

    username = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True}))
    unverified_email = ""

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError as error:
            if error.code != "invalid_login" or getattr(self.request, "axes_locked_out", False):
                raise
            user = user_awaiting_verification(
                email=self.cleaned_data.get("username") or "", password=self.cleaned_data.get("password") or ""
            )
            if user is None:
                raise
            self.unverified_email = user.email
            raise ValidationError(
                _(
                    "This account is not activated yet: open the link we e-mailed to %(email)s when you signed up. "
                    "No e-mail, or the link expired? Have it sent again."
                ),
                code="unverified",
                params={"email": user.email},
            ) from error


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's password reset, its e-mail sent the project's way (after commit, by the retrying mail task, so that
    the page takes as long for an unknown address as for a registered one) and in the account's language."""

    def send_mail(  # type: ignore[override]
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context.get("user")
        with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
            subject = render_to_string(subject_template_name, context).strip()
            body = render_to_string(email_template_name, context)
        mail_on_commit(subject=subject, body=body, recipients=[to_email])


class VerificationResendForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True}))


class SignUpForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)
    organization_name = forms.CharField(label=_("Organisation"), max_length=200)
    organization_kind = forms.ChoiceField(label=_("Kind of organisation"), choices=Organization.Kind.choices)
    location = forms.CharField(
        label=_("Location"),
        max_length=100,
        required=False,
        help_text=_(
            'Province and city, a county or a development zone, e.g. "Hefei, Anhui", "Kunshan" or "Suzhou Industrial '
            'Park"; Chinese names work too.'
        ),
    )
    province = province_field()
    city = city_field()
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=30, required=False, help_text=_("Optional.")
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        clean_place(self, data)
        return data


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "language"]

    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)


class OrganizationContactForm(forms.ModelForm):
    """The organisation's own contact (an owner's, on "my organisation"); the rules are
    ``services.organization_contact_update``'s."""

    class Meta:
        model = Organization
        fields = ["contact_name", "contact_phone", "contact_email"]


class OrganizationProfileForm(forms.Form):
    """The organisation completed by an owner (its first step after sign-up): what partners read about it, its place
    (typed or picked) and its contact; the rules are ``services.organization_profile_update``'s."""

    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=PROFILE_MAX,
        help_text=_("What the organisation does and what it looks for: partners read it beside its postings."),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    location = forms.CharField(
        label=_("Location"),
        max_length=100,
        required=False,
        help_text=_(
            'Province and city, a county or a development zone, e.g. "Hefei", "Suzhou Industrial Park"; Chinese names '
            "work too."
        ),
    )
    province = province_field()
    city = city_field()
    contact_name = forms.CharField(label=_("Contact name"), max_length=100)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)

    @classmethod
    def initial_from(cls, organization: Organization) -> dict[str, Any]:
        names = [name for name in cls.base_fields if name not in {"province", "city"}]  # the text holds the place
        initial = {name: getattr(organization, name) for name in names if hasattr(organization, name)}
        initial["location"] = organization.location_label
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("contact_phone") or data.get("contact_email")) and "contact_email" not in self.errors:
            self.add_error("contact_phone", _("Give a phone number or an e-mail address (or both)."))
        clean_place(self, data)
        return data

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``organization_profile_update`` (the place resolved: ``ApplicationError``)."""
        data = dict(self.cleaned_data)
        data["province"], data["city"] = place_from(data)
        del data["location"]
        return data
