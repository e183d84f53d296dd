"""First steps after sign-up: complete the organisation, then post its first achievement, need or event.

Reads only (no writes). The organisation's own step is decided here; whether it has posted is told by the caller
(``posted``: the dashboard, which reads every app), since accounts depends on none of the apps that hold postings.
Links are by URL name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Organization, User
from .selectors import user_primary_membership

# What an organisation of each kind posts first: the ``posted`` key, the page that creates it, and the step's title.
_FIRST_POSTING = {
    Organization.Kind.UNIVERSITY: ("achievements", "marketplace:create", {"kind": "achievements"}),
    Organization.Kind.RESEARCH_INSTITUTE: ("achievements", "marketplace:create", {"kind": "achievements"}),
    Organization.Kind.SERVICE_AGENCY: ("achievements", "marketplace:create", {"kind": "achievements"}),
    Organization.Kind.ENTERPRISE: ("needs", "marketplace:create", {"kind": "needs"}),
    Organization.Kind.ORGANISER: ("events", "events:create", {}),
}
_POSTING_TITLES = {
    "achievements": _("Post your first achievement"),
    "needs": _("Post your first need"),
    "events": _("Create your first event"),
}


@dataclass(frozen=True)
class Step:
    key: str  # "verified", "organization", "posting"
    title: str
    done: bool
    url: str
    detail: str = ""


def organization_missing(organization: Organization) -> list[str]:
    """What the organisation still lacks to be complete, as field labels: a description and a contact (a name and a
    phone or an e-mail). Its place is set at sign-up."""
    missing = []
    if not organization.description.strip():
        missing.append(str(_("description")))
    if not organization.contact_name.strip():
        missing.append(str(_("contact name")))
    if not (organization.contact_phone.strip() or organization.contact_email.strip()):
        missing.append(str(_("contact phone or e-mail")))
    return missing


def first_posting_kind(organization: Organization) -> str:
    """The ``posted`` key of the organisation's first posting: "achievements", "needs" or "events"."""
    return _FIRST_POSTING.get(organization.kind, _FIRST_POSTING[Organization.Kind.UNIVERSITY])[0]


def first_posting_title(organization: Organization) -> str:
    """The title of the organisation's first-posting step ("Post your first need"), in the active language."""
    return str(_POSTING_TITLES[first_posting_kind(organization)])


def onboarding_steps(*, organization: Organization, posted: Mapping[str, bool]) -> list[Step]:
    """The checklist of a new organisation: address verified (always, once signed in), organisation complete, first
    posting of its kind made (``posted``: kind -> whether the organisation has one, in any status)."""
    kind, url_name, kwargs = _FIRST_POSTING.get(organization.kind, _FIRST_POSTING[Organization.Kind.UNIVERSITY])
    missing = organization_missing(organization)
    return [
        Step("verified", str(_("Confirm your e-mail address")), True, reverse("accounts:profile")),
        Step(
            "organization",
            str(_("Complete your organisation: description and contact")),
            not missing,
            f"{reverse('accounts:welcome')}?org={organization.pk}",
            str(_("Missing: %(fields)s")) % {"fields": ", ".join(missing)} if missing else "",
        ),
        Step("posting", str(_POSTING_TITLES[kind]), bool(posted.get(kind)), reverse(url_name, kwargs=kwargs)),
    ]


def onboarding_pending(steps: list[Step]) -> bool:
    """Whether the checklist still has a step to do (the dashboard shows it until none is left)."""
    return any(not step.done for step in steps)


def first_step_url(*, user: User) -> str | None:
    """Where a signed-in owner of an incomplete organisation goes first (after verifying, at login): the page that
    completes it. None for anyone else (members who are not owners, complete organisations, no organisation)."""
    membership = user_primary_membership(user=user)
    if membership is None or not membership.is_owner or not organization_missing(membership.organization):
        return None
    return f"{reverse('accounts:welcome')}?org={membership.organization_id}"
