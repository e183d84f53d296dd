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

from core.tasks import mail_on_commit

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
        help_text=_('Province and city, e.g. "安徽省合肥市", "合肥" or "Hefei".'),
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=30, required=False, help_text=_("Optional.")
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
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
