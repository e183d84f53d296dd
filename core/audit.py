"""Writing the audit log (``core.models.AuditEvent``), which staff read in admin.

``audit_record`` writes one row in the caller's transaction: a service that records an act calls it inside its own
``transaction.atomic``, so the act and its row commit or roll back together. Who writes what:

* sign-ins, failed sign-ins and lockouts: ``accounts.audit`` (Django's and django-axes' signals);
* API tokens: ``accounts.services.api_token_issue``;
* status changes: the services that record them (``marketplace.services`` for postings, ``matching.services`` for
  matches), in the same transaction as the change;
* contacts of a match viewed: ``matching.services.match_contacts_seen``, the first time a user is shown them;
* exports and staff actions through the API: ``AuditMiddleware`` below, from the response (every download the
  product writes is a ``core.downloads.file_response``; every staff right is granted by
  ``accounts.selectors.staff_may``, which notes it with ``note_staff_permission``);
* management commands that export: the command itself.

Addresses are read as the lockout and the API throttling read them (``NUM_PROXIES``), and kept only when they are
addresses. A row never holds a confidential value: ``detail`` refuses keys that name one (passwords, tokens, contacts,
e-mails, check-in codes) and keeps its texts short.
"""

from __future__ import annotations

import getpass
import ipaddress
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle

from .models import AuditEvent

Kind = AuditEvent.Kind

# Keys ``detail`` may not hold (a part of the key is enough): the values would be confidential.
REFUSED_DETAIL_KEYS = ("password", "secret", "token", "contact", "phone", "email", "check_in", "code", "key")
TEXT_MAX = 200
# Set on the user object by ``note_staff_permission`` for the length of a request.
STAFF_PERMISSIONS_USED = "_audit_staff_permissions_used"
API_PREFIX = "/api/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_current_request", default=None)


def current_request() -> HttpRequest | None:
    """The request this thread is serving (set by ``AuditMiddleware``): services, which take no request, still have
    their rows carry the client's address."""
    return _current_request.get()


def client_ip(request: Any) -> str | None:
    """The client's address as the lockout and the throttling read it (``NUM_PROXIES``), or None when it is not an
    address (no request, a test request, a malformed header)."""
    if request is None:
        return None
    ident = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    try:
        return str(ipaddress.ip_address((ident or "").strip()))
    except ValueError:
        return None


def _clean_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in (detail or {}).items():
        lowered = str(key).lower()
        if any(part in lowered for part in REFUSED_DETAIL_KEYS):
            raise ValueError(f"The audit log keeps no confidential values; refused detail key {key!r}.")
        if isinstance(value, dict):
            value = _clean_detail(value)
        elif isinstance(value, str):
            value = value[:TEXT_MAX]
        elif isinstance(value, list | tuple):
            value = [item[:TEXT_MAX] if isinstance(item, str) else item for item in value]
        cleaned[str(key)] = value
    return cleaned


def audit_event(
    kind: str,
    *,
    actor: Any = None,
    organization: Any = None,
    target: models.Model | None = None,
    label: str | None = None,
    request: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """An audit row, not saved yet. ``actor`` is a user (an anonymous user counts as none); ``organization`` the
    organisation the act concerns (any model with a primary key and a name); ``target`` the record acted on, shown
    as ``label`` (default: its text); ``request`` (default: the request being served) gives the address."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = AuditEvent(
        kind=kind,
        actor=actor,
        actor_email=(getattr(actor, "email", "") or "")[:254] if actor is not None else "",
        ip=client_ip(request if request is not None else current_request()),
        detail=_clean_detail(detail),
    )
    if organization is not None:
        event.organization_id = organization.pk
        event.organization_name = str(organization)[:TEXT_MAX]
    if target is not None:
        event.target_type = ContentType.objects.get_for_model(target)
        event.target_id = str(target.pk)
    if label is not None or target is not None:
        event.target_label = (label if label is not None else str(target))[:TEXT_MAX]
    return event


def audit_record(kind: str, **fields: Any) -> AuditEvent:
    """Write one audit row (the arguments of ``audit_event``), in the caller's transaction."""
    event = audit_event(kind, **fields)
    event.save()
    return event


def audit_record_first(events: Iterable[AuditEvent]) -> None:
    """Write the rows that are not there yet: contacts viewed are recorded once per user and match (a unique
    constraint decides, so two requests at once still write one)."""
    events = list(events)
    if events:
        AuditEvent.objects.bulk_create(events, ignore_conflicts=True)


def audit_command_export(command: str, *, organization: Any = None, detail: dict[str, Any]) -> AuditEvent:
    """An export written by a management command: no signed-in actor, so the row names the command and the
    operating-system account that ran it."""
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):  # no name for this process's user (a bare container)
        operator = ""
    return audit_record(
        Kind.EXPORT,
        organization=organization,
        label=command,
        detail={"command": command, "os_user": operator, **detail},
    )


def note_staff_permission(user: Any, permission: str) -> None:
    """Note that a staff permission allowed something in this request (``accounts.selectors.staff_may`` calls it):
    a write through the API that succeeds after it is recorded as a staff action."""
    used = getattr(user, STAFF_PERMISSIONS_USED, None)
    if used is None:
        used = set()
        setattr(user, STAFF_PERMISSIONS_USED, used)
    used.add(permission)


def _staff_permissions_taken(user: Any) -> set[str]:
    """The staff permissions noted on the user in this request, forgotten at once (a test client reuses the user)."""
    used = getattr(user, STAFF_PERMISSIONS_USED, None)
    if used is not None:
        delattr(user, STAFF_PERMISSIONS_USED)
    return set(used or ())


def _attachment_name(response: HttpResponse) -> str | None:
    disposition = response.get("Content-Disposition", "") if hasattr(response, "get") else ""
    if not disposition.startswith("attachment"):
        return None
    _before, _sep, name = disposition.partition("filename=")
    return name.strip().strip('"') or "-"


def _label_of(record: models.Model) -> str:
    """A record named by its kind, id and title: never by its text at large (a registration's names a person)."""
    title = getattr(record, "title", None)
    named = f"{record._meta.verbose_name} #{record.pk}"
    return f"{named}: {title}" if isinstance(title, str) else named


def _organization_of(record: models.Model) -> Any:
    """The organisation a record belongs to, when it names one (a posting's, a registration's, an event's
    organiser)."""
    for name in ("organization", "organizer"):
        if any(field.name == name for field in record._meta.get_fields()):
            return getattr(record, name, None)
    return None


class AuditMiddleware:
    """Keeps the request at hand for the rows written while it is served, and records from each response:

    * a download (``Content-Disposition: attachment``) for a signed-in user: an export, with the target and
      organisation the page named to ``file_response``. Anonymous downloads are public files only (the calendar of
      a published event, the blank import templates) and are not recorded;
    * a successful write through the API (POST, PUT, PATCH, DELETE under ``/api/``) that a staff permission allowed
      (``note_staff_permission``): a staff action, with the endpoint, the record and the permissions used.

    The row is written before the response leaves: if it cannot be written the request fails (a 500), it is never
    skipped silently.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
            self._record(request, response)
        finally:
            _current_request.reset(token)
        return response

    def _record(self, request: HttpRequest, response: HttpResponse) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        staff_permissions = _staff_permissions_taken(user)
        name = _attachment_name(response)
        if name is not None and response.status_code == 200:
            about = getattr(response, "audit_export", None) or {}
            match = request.resolver_match
            audit_record(
                Kind.EXPORT,
                actor=user,
                organization=about.get("organization"),
                target=about.get("target"),
                label=about.get("label") or (None if about.get("target") is not None else name),
                request=request,
                detail={
                    "file": name,
                    "view": match.view_name if match else "",
                    "path": request.get_full_path(),
                    "bytes": len(response.content) if not response.streaming else None,
                },
            )
        elif (
            staff_permissions
            and request.path.startswith(API_PREFIX)
            and request.method not in SAFE_METHODS
            and response.status_code < 400
        ):
            self._record_staff_action(request, response, user, staff_permissions)

    def _record_staff_action(
        self, request: HttpRequest, response: HttpResponse, user: Any, permissions: set[str]
    ) -> None:
        view = (getattr(response, "renderer_context", None) or {}).get("view")
        target = None
        if view is not None and hasattr(view, "get_queryset"):
            pk = view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk"))
            data = getattr(response, "data", None)
            if pk is None and isinstance(data, dict):
                pk = data.get("id")
            if pk is not None:
                target = view.get_queryset().model._default_manager.filter(pk=pk).first()
        match = request.resolver_match
        audit_record(
            Kind.STAFF_API_ACTION,
            actor=user,
            organization=_organization_of(target) if target is not None else None,
            target=target,
            label=_label_of(target) if target is not None else request.path,
            request=request,
            detail={
                "method": request.method,
                "endpoint": match.view_name if match else "",
                "path": request.path,
                "status": response.status_code,
                "permissions": sorted(permissions),
            },
        )
