"""Collections' pages: the public list and page, the printable catalogue and the XLSX export (published ones for
everybody; drafts for their curators), and the curators' pages to create, fill, order and publish them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.downloads import file_response
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.page_cache import public_page

from . import services
from .exports import collection_xlsx
from .forms import AddPostingsForm, CollectionForm
from .models import Collection
from .selectors import (
    collection_items,
    collection_summary,
    collections_published,
    collections_visible_to,
    curator_organizers,
)


def _visible(request: HttpRequest, pk: int) -> Collection:
    return get_object_or_404(collections_visible_to(user=request.user), pk=pk)


def _curated(request: HttpRequest, pk: int) -> Collection:
    collection = _visible(request, pk)
    if not services.may_curate(request.user, collection):
        raise DjangoPermissionDenied
    return collection


@public_page
def collection_list(request: HttpRequest) -> HttpResponse:
    context = {
        "collections": collections_published(),
        "can_create": request.user.is_authenticated and curator_organizers(request.user).exists(),
    }
    return render(request, "catalogues/collection_list.html", context)


@public_page
def collection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    collection = _visible(request, pk)
    curator = services.may_curate(request.user, collection)
    items = collection_items(collection=collection, everything=curator)
    context = {
        "collection": collection,
        "items": items,
        "summary": collection_summary([item for item in items if item.posting.status == "published"]),
        "curator": curator,
        "kind_slug": collection.kind,
    }
    return render(request, "catalogues/collection_detail.html", context)


@public_page
def collection_catalogue(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable catalogue: a cover with the figures, then every posting with its full public text."""
    collection = _visible(request, pk)
    items = collection_items(collection=collection)
    context = {"collection": collection, "items": items, "summary": collection_summary(items)}
    return render(request, "catalogues/collection_catalogue.html", context)


def collection_export(request: HttpRequest, pk: int) -> HttpResponse:
    collection = _visible(request, pk)
    data = collection_xlsx(collection, collection_items(collection=collection))
    return file_response(data, f"collection-{collection.pk}.xlsx", target=collection)


@login_required
def collection_create(request: HttpRequest) -> HttpResponse:
    organizers = curator_organizers(request.user)
    if not organizers.exists():
        raise DjangoPermissionDenied
    form = CollectionForm(request.POST or None, organizers=organizers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            collection = services.collection_create(
                organizer=data["organizer"], by=request.user, title=data["title"], kind=data["kind"],
                description=data["description"],
            )  # fmt: skip
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Saved as a draft: add postings, then publish it."))
            return redirect("catalogues:edit", pk=collection.pk)
    return render(request, "catalogues/collection_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def collection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The curators' page: the title and introduction, the postings in order (up, down, remove), adding postings,
    publishing."""
    collection = _curated(request, pk)
    form = CollectionForm(
        request.POST if request.POST.get("form") == "details" else None, collection=collection
    )
    add_form = AddPostingsForm(request.POST if request.POST.get("form") == "add" else None)
    if request.method == "POST":
        try:
            if form.is_bound and form.is_valid():
                services.collection_update(
                    collection=collection, by=request.user, title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                )  # fmt: skip
                messages.success(request, _("The collection is saved."))
                return redirect("catalogues:edit", pk=collection.pk)
            if add_form.is_bound and add_form.is_valid():
                added = services.collection_add(
                    collection=collection, by=request.user, posting_ids=add_form.cleaned_data["postings"],
                    note=add_form.cleaned_data["note"],
                )  # fmt: skip
                messages.success(request, _("%(count)s added.") % {"count": len(added)})
                return redirect("catalogues:edit", pk=collection.pk)
        except ApplicationError as error:
            add_application_error(add_form if add_form.is_bound else form, error)
    context = {
        "collection": collection,
        "form": form,
        "add_form": add_form,
        "items": collection_items(collection=collection, everything=True),
    }
    status = 400 if form.errors or add_form.errors else 200
    return render(request, "catalogues/collection_edit.html", context, status=status)


@login_required
@require_POST
def collection_item_action(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    collection = _curated(request, pk)
    action = "remove" if request.POST.get("remove") else request.POST.get("action")
    try:
        if action in ("up", "down"):
            offset = -1 if action == "up" else 1
            services.collection_move(collection=collection, by=request.user, item_id=item_id, offset=offset)
        elif action == "remove":
            services.collection_remove(collection=collection, by=request.user, item_id=item_id)
            messages.success(request, _("Removed from the collection."))
        else:
            messages.error(request, _("Unknown action."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("catalogues:edit", pk=collection.pk)


@login_required
@require_POST
def collection_publish(request: HttpRequest, pk: int) -> HttpResponse:
    collection = _curated(request, pk)
    published = request.POST.get("published") == "1"
    try:
        services.collection_set_published(collection=collection, by=request.user, published=published)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Published.") if published else _("Back to draft: only your organisation sees it."))
    return redirect("catalogues:edit", pk=collection.pk)
