"""Public pages kept whole for visitors: what an anonymous visitor sees of the market is the same for every visitor,
so it is rendered once and served from the shared cache (Redis in production) until something it shows changes.

Kept: the answer to a GET by a visitor without a session (no session cookie, no pending message, no credentials),
when it is a 200 that sets no cookie and did not use a CSRF token (a form's token is one visitor's own: such a page is
never kept). The key is the path with its query, the language and the pages' version, which every app bumps when
something public pages show changes (``pages_show`` for its models' saves and deletions, ``pages_changed`` for its
bulk changes: postings published in a batch, needs expired). So a change shows at once; what changes without any
signal shows within ``PAGE_SECONDS``. Members' pages are never kept whole: they depend on who asks.

``public_page`` marks a view whose answers to visitors ``KeptPageMiddleware`` keeps (whole, with the headers the
middleware gave them) and serves again before sessions, language and the rest of the middleware run;
``public_data`` keeps an API view's data for visitors (after authentication and throttling ran, so the API's limits
still count every request); ``public_fragment`` keeps a part of a page that reads the same for every reader, members
included (the posting cards of a list).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import get_language

from .versions import SharedVersion

F = TypeVar("F")

PAGE_SECONDS = 60
PAGES_VERSION_KEY = "pages:version"


PAGES_VERSION = SharedVersion(PAGES_VERSION_KEY)
pages_version = PAGES_VERSION.get
# Something public pages show changed: they are built again (now and once more at commit).
pages_changed = PAGES_VERSION.changed


def _plain_visitor(request: HttpRequest) -> bool:
    """A GET without a session, a pending message or credentials (known before any middleware ran)."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def is_visitor(request: HttpRequest) -> bool:
    """A visitor whose pages are everybody's: a GET without a session, a pending message or credentials."""
    return _plain_visitor(request) and not request.user.is_authenticated


def _key(request: HttpRequest, kind: str, language: str | None = None) -> str:
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"{kind}:{pages_version()}:{language or get_language()}:{digest}"


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view's answers to visitors are everybody's: ``KeptPageMiddleware`` keeps them and serves them again (see
    the module's note)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_visitor(request):
            request.keep_page = True  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


class KeptPageMiddleware:
    """Serves a visitor's GET the page kept for visitors before sessions, language, CSRF, sign-in, messages and the
    rest of the middleware run (placed before ``SessionMiddleware``; those it skips would change nothing for a visitor
    without a session, a pending message or credentials, and their headers were kept with the page: ``Vary``,
    ``Content-Language``, ``X-Frame-Options``), and keeps, whole with those headers, what a ``public_page`` view
    built for one. The middleware above it (security headers, CSP) runs for every answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _plain_visitor(request):
            return self.get_response(request)
        key = _key(request, "page", translation.get_language_from_request(request))
        kept = cache.get(key)
        if kept is not None:
            content, headers = kept
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            return response
        response = self.get_response(request)
        if getattr(request, "keep_page", False) and _keepable(request, response):
            headers = [(name, value) for name, value in response.items() if name.lower() != "set-cookie"]
            cache.set(key, (response.content, headers), PAGE_SECONDS)
        return response


def public_data(request: HttpRequest, build: Callable[[], Any]) -> Any:
    """An API view's data for a visitor, kept as pages are; built by ``build`` when not kept."""
    return public_fragment(request, "api-data", build) if is_visitor(request) else build()


def public_fragment(request: HttpRequest, name: str, build: Callable[[], F]) -> F:
    """A part of a page (rendered HTML, or a dict of such parts) that reads the same for every reader (the caller
    knows it: the postings on the market, say), kept for members and visitors alike under the page's path and query,
    the language and the versions; built by ``build`` when not kept."""
    key = _key(request, f"fragment:{name}")
    kept = cache.get(key)
    if kept is None:
        kept = build()
        cache.set(key, kept, PAGE_SECONDS)
    return kept


def _keepable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # the page carries a visitor's own form token
        and not request.session.modified
        and not response.has_header("Cache-Control")  # a view that said how it may be kept decides
    )


def pages_show(*models: type) -> None:
    """Public pages show these models: saving or deleting one (or changing its many-to-many links) changes the
    pages' version. Called by each app for its own models (``AppConfig.ready``)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in models:
        label = model._meta.label
        for signal in (post_save, post_delete):
            signal.connect(pages_changed, sender=model, dispatch_uid=f"pages-{label}-{id(signal)}")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(pages_changed, sender=field.remote_field.through, dispatch_uid=f"pages-{label}-m2m")
