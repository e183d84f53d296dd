"""The dashboards: ``/home/``, where login lands, and ``/statistics/`` for staff and organisers.

The home shows a panel per role the user has (one person may be an organisation's member, an organiser and staff at
once): an organisation's postings with their match counts, what waits for its answer, its conversations (when the
conversations app is installed: the page renders without it), its coming events and its drafts; an organiser's
events with registrations against places; staff's queues; first steps for a user without an organisation.

The statistics page is for staff (everything) and organisers (platform aggregates without names or contacts, and
only their own events); anyone else gets 403. Every table downloads as CSV with ``?format=csv&table=<name>``.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts import onboarding
from accounts.models import Membership, User
from accounts.selectors import MEMBERSHIPS_VERSION, staff_may, user_memberships
from core.downloads import file_response
from core.page_cache import PAGES_VERSION
from core.versions import SharedVersion, kept_at
from marketplace.models import Status
from marketplace.selectors import POSTINGS_VERSION
from matching.selectors import MATCHES_VERSION

from . import selectors, tables

SHOWN = 10
PANELS_SECONDS = 60


def _status_badges(totals: dict[str, dict[str, int]]) -> dict[str, list[tuple[str, str, int]]]:
    return {
        kind: [(value, str(label), counts[value]) for value, label in Status.choices if counts.get(value)]
        for kind, counts in totals.items()
    }


def _first_steps(memberships: list[Membership]) -> list[onboarding.Step] | None:
    """The checklist of the user's first organisation (owned first) while a step is left (``accounts.onboarding``)."""
    organization = min(memberships, key=lambda m: (not m.is_owner, m.created_at)).organization
    totals = selectors.posting_totals(organization_ids=[organization.pk])
    posted = {kind: bool(counts) for kind, counts in totals.items()}
    posted["events"] = selectors.organiser_events(organization_ids=[organization.pk]).exists()
    steps = onboarding.onboarding_steps(organization=organization, posted=posted)
    return steps if onboarding.onboarding_pending(steps) else None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    staff_reader = staff_may(user, "matching.view_match")

    def panels() -> str:
        return render_to_string("dashboard/_panels.html", _panels_context(user, staff_reader), request=request)

    if staff_reader:  # staff's queues count what the engine writes in bulk, without signals: built every time
        html = panels()
    else:
        # A member's panels are kept until something they show changes (postings, organisations and events, their
        # memberships, conversations, matches: each moves its version on a change), at most PANELS_SECONDS.
        html = kept_at(_panel_versions(), f"dashboard:{user.pk}:{get_language()}", panels, PANELS_SECONDS)
    return render(request, "dashboard/home.html", {"panels_html": html})


def _panel_versions() -> list[SharedVersion]:
    versions = [POSTINGS_VERSION, PAGES_VERSION, MEMBERSHIPS_VERSION, MATCHES_VERSION]
    if apps.is_installed("conversations"):
        from conversations.selectors import UNREAD_VERSION

        versions.append(UNREAD_VERSION)
    return versions


def _panels_context(user: User, staff_reader: bool) -> dict[str, object]:
    memberships = list(user_memberships(user=user))
    organization_ids = [m.organization_id for m in memberships]
    context: dict[str, object] = {
        "memberships": memberships,
        "is_staff_reader": staff_reader,
        "statistics_role": selectors.statistics_role(user=user),
        "conversations_enabled": apps.is_installed("conversations"),
    }
    if organization_ids:
        context["first_steps"] = _first_steps(memberships)
        awaiting = selectors.matches_awaiting_answer(user=user, organization_ids=organization_ids)
        postings = selectors.home_postings(user=user, organization_ids=organization_ids, limit=SHOWN)
        totals = _status_badges(selectors.posting_totals(organization_ids=organization_ids))
        context.update(
            posting_panels=[(kind, rows, totals[kind]) for kind, rows in postings.items()],
            awaiting=list(awaiting[:SHOWN]),
            awaiting_count=awaiting.count(),
            registrations=list(selectors.upcoming_registrations(user=user, organization_ids=organization_ids)[:SHOWN]),
            waiting=selectors.postings_waiting(organization_ids=organization_ids, limit=SHOWN),
        )
    organiser_ids = selectors.organiser_organization_ids(user=user)
    if organiser_ids:
        context["organiser_events"] = list(selectors.organiser_events(organization_ids=organiser_ids)[:SHOWN])
    if staff_reader:
        context["queues"] = selectors.staff_queues()
    return context


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    role = selectors.statistics_role(user=request.user)
    if role is None:
        raise PermissionDenied(_("The statistics are for platform staff and event organisers."))
    if request.GET.get("format") == "csv":
        table = tables.statistics_table(user=request.user, role=role, name=request.GET.get("table", ""))
        if table is None:
            raise Http404
        return file_response(table.csv(), f"statistics-{table.name}.csv")
    sections = tables.statistics_sections(user=request.user, role=role)
    return render(request, "dashboard/statistics.html", {"sections": sections, "role": role})
