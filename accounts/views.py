from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from knox.models import AuthToken

from core.exceptions import ApplicationError
from core.forms import add_application_error

from . import services
from .forms import ProfileForm, SignUpForm
from .selectors import user_memberships


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_sign_up(
                email=data["email"],
                password=data["password1"],
                full_name=data["full_name"],
                organization_name=data["organization_name"],
                organization_kind=data["organization_kind"],
                location=data["location"],
                credit_code=data["credit_code"],
                website=data["website"],
                language=translation.get_language() or "zh-hans",
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome! Your organisation is registered; platform staff will verify it shortly."),
            )
            return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


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
            response.set_cookie("django_language", request.user.language)
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
