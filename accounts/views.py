from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from knox.models import AuthToken

from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.site import absolute_url
from reference.selectors import place_zone_note

from . import onboarding, services
from .forms import (
    EmailAuthenticationForm,
    OrganizationContactForm,
    OrganizationProfileForm,
    ProfileForm,
    SignUpForm,
    VerificationResendForm,
)
from .language import set_language_cookie
from .models import User, normalize_email
from .selectors import user_memberships
from .tokens import email_verification_token

SENT_TO = "accounts_mailed_to"  # the session key of the address the last sign-up or resend page mailed


def _site(request: HttpRequest) -> str:
    """The scheme and host that links in e-mails start with (``core.site``: ``SITE_URL``, else this request's)."""
    return absolute_url("/").rstrip("/")


def signup(request: HttpRequest) -> HttpResponse:
    """Registration. Whether the address was new or registered already, the answer is the same page: a link is on
    its way (``user_sign_up`` e-mails the link, or tells the registered address someone tried)."""
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_sign_up(
                email=data["email"],
                password=data["password1"],
                full_name=data["full_name"],
                organization_name=data["organization_name"],
                organization_kind=data["organization_kind"],
                location=data["location"],
                province_code=data.get("province") or "",
                city_code=data.get("city") or "",
                credit_code=data["credit_code"],
                website=data["website"],
                language=translation.get_language() or "zh-hans",
                site=_site(request),
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            request.session[SENT_TO] = normalize_email(data["email"])
            note = None if data.get("province") else place_zone_note(text=data["location"])
            if note:
                messages.info(request, note)
            return redirect("accounts:signup-sent")
    return render(request, "accounts/signup.html", {"form": form})


def _mailed(request: HttpRequest, template: str) -> HttpResponse:
    email = request.session.get(SENT_TO)
    if not email:
        return redirect("accounts:signup")
    context = {"email": email, "days": settings.ACCOUNTS_VERIFY_DAYS}
    return render(request, template, context)


def signup_sent(request: HttpRequest) -> HttpResponse:
    return _mailed(request, "accounts/signup_sent.html")


def verify_resend(request: HttpRequest) -> HttpResponse:
    """The link again, for an address whose account waits for it; the same answer for any address."""
    form = VerificationResendForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        services.user_verification_resend(email=form.cleaned_data["email"], site=_site(request))
        request.session[SENT_TO] = normalize_email(form.cleaned_data["email"])
        return redirect("accounts:verify-resent")
    return render(request, "accounts/verify_resend.html", {"form": form})


def verify_resent(request: HttpRequest) -> HttpResponse:
    return _mailed(request, "accounts/verify_resent.html")


def verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link e-mailed at sign-up: verifies the address, activates the account and signs the user in, once."""
    try:
        user = User.objects.filter(pk=int(urlsafe_base64_decode(uidb64).decode())).first()
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        user = None
    if user is not None and email_verification_token.check_token(user, token) and services.user_verify_email(user=user):
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session.pop(SENT_TO, None)
        message = _(
            "Your e-mail address is confirmed and your account active. Your organisation is registered; platform "
            "staff will verify it shortly."
        )
        messages.success(request, message)
        return redirect(onboarding.first_step_url(user=user) or "accounts:profile")
    return render(request, "accounts/verify_invalid.html", {"days": settings.ACCOUNTS_VERIFY_DAYS})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(
                user=request.user, full_name=form.cleaned_data["full_name"], language=form.cleaned_data["language"]
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Your profile was saved."))
            response = redirect("accounts:profile")
            set_language_cookie(response, request.user.language)
            return response
    context = {
        "form": form,
        "memberships": user_memberships(user=request.user),
        "tokens": AuthToken.objects.filter(user=request.user).order_by("-created"),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def token_regenerate(request: HttpRequest) -> HttpResponse:
    """A new token replacing the user's others, its key shown on this response only (it is kept as a hash)."""
    record, key = services.api_token_regenerate(user=request.user)
    messages.success(request, _("A new API token was created; the old ones no longer work. Copy it now: it is not "
                                "shown again."))  # fmt: skip
    context = {
        "form": ProfileForm(instance=request.user),
        "memberships": user_memberships(user=request.user),
        "tokens": [record],
        "new_token": key,
    }
    response = render(request, "accounts/profile.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def organization_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """An owner saves the organisation's contact (the form on "my organisation"); another organisation is a 404."""
    membership = user_memberships(user=request.user).filter(organization_id=pk).select_related("organization").first()
    if membership is None:
        raise Http404
    form = OrganizationContactForm(request.POST, instance=membership.organization)
    if form.is_valid():
        try:
            services.organization_contact_update(by=request.user, organization=membership.organization,
                                                 **form.cleaned_data)  # fmt: skip
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The organisation's contact was saved."))
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
    return redirect(f"{reverse('marketplace:my-organization')}?org={pk}")


class LoginView(auth_views.LoginView):
    """Sign-in by e-mail; without a ``next`` page, an owner whose organisation is incomplete lands on its first step
    (``onboarding.first_step_url``), anyone else on the home page."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return onboarding.first_step_url(user=self.request.user) or super().get_default_redirect_url()


@login_required
def welcome(request: HttpRequest) -> HttpResponse:
    """The first step after sign-up: an owner completes the organisation (description, website, place, contact),
    then goes home, where the checklist leads on to the first posting. A member who is not an owner is shown what
    is missing and who completes it; another organisation is a 404."""
    memberships = list(user_memberships(user=request.user).order_by("-role", "created_at"))
    if not memberships:
        return redirect("dashboard:home")
    chosen = memberships[0]
    if request.GET.get("org"):
        chosen = next((m for m in memberships if str(m.organization_id) == request.GET["org"]), None)
        if chosen is None:
            raise Http404
    organization = chosen.organization
    form = None
    if chosen.is_owner:
        form = OrganizationProfileForm(request.POST or None, initial=OrganizationProfileForm.initial_from(organization))
        if request.method == "POST" and form.is_valid():
            try:
                services.organization_profile_update(
                    organization=organization, by=request.user, **form.service_arguments()
                )
            except ApplicationError as error:
                add_application_error(form, error)
            else:
                messages.success(request, _("Your organisation is complete. Next: your first posting."))
                return redirect("dashboard:home")
    context = {
        "organization": organization,
        "form": form,
        "missing": onboarding.organization_missing(organization),
        "next_step": onboarding.first_posting_title(organization),
    }
    return render(request, "accounts/welcome.html", context)
