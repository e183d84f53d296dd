"""Pages of alerts: "save this search" (posted from the list page), the user's alerts at ``/alerts/`` (rename,
frequency, pause, delete; follow domains, regions and clusters), and the one-click unsubscribe of the digest's links.

Each user reaches only their own alerts: another's is a 404. The unsubscribe page needs no login (the link's signed
token is the proof): GET asks to confirm, POST unsubscribes; the POST is exempt from CSRF, because mail clients post
the List-Unsubscribe one-click without a form of ours (and the token, not a session, authorises it).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError

from . import services, tokens
from .criteria import describe, list_url
from .digests import alert_title
from .forms import FollowForm, FrequencyForm, SavedSearchForm, SaveSearchForm
from .selectors import follows_of, saved_searches_of, unsubscribe_targets


@login_required
def index(request: HttpRequest) -> HttpResponse:
    searches = [
        {
            "search": search,
            "filters": describe(kind=search.kind, params=search.params),
            "url": list_url(search.kind, search.params),
            "form": SavedSearchForm(
                initial={"name": search.name, "frequency": search.frequency}, prefix=f"search-{search.pk}"
            ),
        }
        for search in saved_searches_of(user=request.user)
    ]
    follows = [
        {
            "follow": follow,
            "title": alert_title(follow),
            "form": FrequencyForm(initial={"frequency": follow.frequency}, prefix=f"follow-{follow.pk}"),
        }
        for follow in follows_of(user=request.user)
    ]
    follow_forms = [
        (target, FollowForm(initial={"target": target}, auto_id=f"id_follow_{target}_%s"))
        for target in services.TARGET_MODELS
    ]
    context = {
        "searches": searches,
        "follows": follows,
        "follow_forms": follow_forms,
        "max_searches": services.MAX_SAVED_SEARCHES,
        "max_follows": services.MAX_FOLLOWS,
    }
    return render(request, "alerts/index.html", context)


def _error(request: HttpRequest, form_errors: dict) -> None:
    for errors in form_errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_POST
def search_save(request: HttpRequest) -> HttpResponse:
    form = SaveSearchForm(request.POST)
    if not form.is_valid():
        _error(request, form.errors)
        kind = request.POST.get("kind")
        return redirect("marketplace:list", kind=kind if kind in ("achievements", "needs") else "achievements")
    kind, query = form.cleaned_data["kind"], form.cleaned_data["query"]
    back = reverse("marketplace:list", kwargs={"kind": kind}) + (f"?{query}" if query else "")
    try:
        search = services.saved_search_create(
            user=request.user,
            kind=kind,
            data=QueryDict(query),
            name=form.cleaned_data["name"],
            frequency=form.cleaned_data["frequency"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Search saved as “%(name)s”. New results come by e-mail; manage your alerts under Alerts.")
            % {"name": search.name},
        )
    return redirect(back)


@login_required
@require_POST
def search_update(request: HttpRequest, pk: int) -> HttpResponse:
    search = get_object_or_404(saved_searches_of(user=request.user), pk=pk)
    form = SavedSearchForm(request.POST, prefix=f"search-{pk}")
    if form.is_valid():
        try:
            services.saved_search_update(search=search, user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Saved."))
    else:
        _error(request, form.errors)
    return redirect("alerts:index")


@login_required
@require_POST
def search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    search = get_object_or_404(saved_searches_of(user=request.user), pk=pk)
    services.saved_search_delete(search=search, user=request.user)
    messages.success(request, _("The saved search was deleted."))
    return redirect("alerts:index")


@login_required
@require_POST
def follow_create(request: HttpRequest) -> HttpResponse:
    form = FollowForm(request.POST)
    if form.is_valid():
        try:
            follow = services.follow_create(
                user=request.user,
                target=form.cleaned_data["target"],
                value=form.value,
                frequency=form.cleaned_data["frequency"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("You now follow %(name)s.") % {"name": alert_title(follow)})
    else:
        _error(request, form.errors)
    return redirect("alerts:index")


@login_required
@require_POST
def follow_update(request: HttpRequest, pk: int) -> HttpResponse:
    follow = get_object_or_404(follows_of(user=request.user), pk=pk)
    form = FrequencyForm(request.POST, prefix=f"follow-{pk}")
    if form.is_valid():
        services.follow_update(follow=follow, user=request.user, frequency=form.cleaned_data["frequency"])
        messages.success(request, _("Saved."))
    else:
        _error(request, form.errors)
    return redirect("alerts:index")


@login_required
@require_POST
def follow_delete(request: HttpRequest, pk: int) -> HttpResponse:
    follow = get_object_or_404(follows_of(user=request.user), pk=pk)
    services.follow_delete(follow=follow, user=request.user)
    messages.success(request, _("You no longer follow this."))
    return redirect("alerts:index")


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: confirm; POST: unsubscribe (the one-click POST of List-Unsubscribe too). A token not ours is a 404."""
    link = tokens.read(token)
    if link is None:
        raise Http404
    if request.method == "POST":
        paused = services.unsubscribe(token=token)
        return render(request, "alerts/unsubscribed.html", {"paused": paused})
    if request.method != "GET":
        return HttpResponse(status=405)
    targets = unsubscribe_targets(user_id=link.user_id, what=link.what, alert_id=link.alert_id)
    context = {"titles": [alert_title(alert) for alert in targets], "all": link.what == tokens.ALL}
    return render(request, "alerts/unsubscribe.html", context)
