"""Sign-ins in the audit log (``core.audit``): successful sign-ins (site and admin), failed ones, and lockouts.

Django sends ``user_logged_in`` and ``user_login_failed`` wherever a sign-in happens (the sign-in page, admin's, the
API's token endpoint, which authenticates without signing in). The receivers are connected in
``AccountsConfig.ready``, after django-axes' own, so a failed attempt is seen with axes' verdict on it: whether it
imposed a lock (django-axes' own ``user_locked_out`` signal is not used: it comes before the failure that caused it,
and again at every attempt refused during the lock).

* a sign-in: the user, their primary organisation, the page it happened on;
* a failed sign-in: no actor (nobody proved who they are); the account tried when it exists, and the e-mail typed
  only when it looks like one (a password typed in the e-mail field is never kept); whether the attempt was refused
  because the pair was already locked out;
* a lockout: one row when the lock is imposed (the attempt that reached the limit), not one per refused attempt
  afterwards (those are failed sign-ins marked as refused).
Passwords are never read: Django hands the receivers the credentials with the password masked, and only the e-mail
is taken from them.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_failure_limit
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.audit import Kind, audit_record

from .lockout import username_of
from .models import User
from .selectors import user_primary_membership


def _organization(user: User | None) -> Any:
    membership = user_primary_membership(user=user) if user is not None else None
    return membership.organization if membership is not None else None


def _attempted(request: Any, credentials: dict | None) -> tuple[User | None, str]:
    """The account a sign-in tried (when one has that e-mail) and the e-mail typed (empty unless it is one)."""
    email = username_of(request, credentials) or ""
    try:
        validate_email(email)
    except ValidationError:
        return None, ""
    return User.objects.filter(email__iexact=email).first(), email


def on_logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    audit_record(
        Kind.LOGIN,
        actor=user,
        organization=_organization(user),
        target=user,
        label=user.email,
        request=request,
        detail={"path": getattr(request, "path", "") or ""},
    )


def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    """A failed sign-in, and the lockout when this failure reached the limit. django-axes has judged the attempt
    by now: ``axes_locked_out`` says the pair is locked, ``axes_failures_since_start`` how many failures it counted
    with this one (none when it does not count attempts refused during a lock). The lock is imposed by the failure
    that reaches the limit exactly; a later one was refused during the lock (and, by axes' default, renewed it)."""
    user, email = _attempted(request, credentials)
    path = getattr(request, "path", "") or ""
    locked = bool(getattr(request, "axes_locked_out", False))
    failures = getattr(request, "axes_failures_since_start", None)
    imposed = locked and failures is not None and failures == get_failure_limit(request, credentials)
    fields = {"organization": _organization(user), "target": user, "label": email or "-", "request": request}
    audit_record(Kind.LOGIN_FAILED, detail={"path": path, "refused_while_locked_out": locked and not imposed}, **fields)
    if imposed:
        audit_record(Kind.LOCKOUT, detail={"path": path, "failures": failures}, **fields)
