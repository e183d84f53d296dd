"""Sign-in lockout (django-axes): after ``AXES_FAILURE_LIMIT`` failed sign-ins for one e-mail from one address,
that pair is locked for ``AXES_COOLOFF_TIME``, on the site, in admin and at the API's token endpoint alike.

Addresses are read as the API throttling reads them (``NUM_PROXIES``: behind one reverse proxy, the address it
appended to ``X-Forwarded-For``; without one, the peer), so a client cannot pick its own by sending the header.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle


def username_of(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The e-mail a sign-in tried: from the credentials given to ``authenticate``, else the form (``username``) or
    the API's JSON body (``email``)."""
    if credentials and credentials.get("username"):
        return str(credentials["username"]).strip().lower()
    data = getattr(request, "data", None)
    if data is not None and hasattr(data, "get") and data.get("email"):
        return str(data.get("email")).strip().lower()
    value = request.POST.get("username") if hasattr(request, "POST") else None
    return value.strip().lower() if value else None


def client_ip(request: HttpRequest) -> str:
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return _("Too many failed sign-ins for this account from your address; try again in %(minutes)d minutes.") % {
        "minutes": cooloff_minutes()
    }


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    minutes = cooloff_minutes()
    message = lockout_message()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
