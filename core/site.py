"""Absolute links for e-mails: ``SITE_URL`` when the deployment sets it (it should: mails are often written by a
Celery worker, outside any request), else the host of the request being served, else the bare path."""

from __future__ import annotations

from django.conf import settings

from .audit import current_request


def absolute_url(path: str) -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if base:
        return f"{base}{path}"
    request = current_request()
    return request.build_absolute_uri(path) if request is not None else path
