"""The participant directory of an event: the organisations with a confirmed place, with their kinds, regions and
published postings (titles linking to them), so that participants know whom they will meet. No contacts: no
person, e-mail or phone is on the page.

Who may see it (after the 404 for events the user may not see): members of an organisation with a confirmed place
at the event, the organiser's members and staff (others: 403; anonymous users are sent to log in).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import can_see_directory, is_event_organizer, participant_directory
from .views import _event


@login_required
def directory_page(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    if not can_see_directory(request.user, event):
        raise DjangoPermissionDenied
    search = request.GET.get("q", "").strip()[:100]
    context = {
        "event": event,
        "entries": participant_directory(event, search=search),
        "search": search,
        "is_organizer": is_event_organizer(request.user, event),
    }
    return render(request, "events/participants.html", context)
