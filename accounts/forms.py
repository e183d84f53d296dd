from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import Organization, User


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True}))


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
