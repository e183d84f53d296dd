"""The achievements and needs API: /api/v1/achievements/ and /api/v1/needs/.

Reads start from ``posting_visible_to`` (a posting the user may not see is a 404 on every path) and use the list
pages' FilterSets. Writes go through ``marketplace.services``; their ``ApplicationError`` and ``PermissionDenied``
become 400 and 403 responses in ``core.api.exception_handler``. There is no DELETE: a posting is closed.

Who may do what (after the 404 for postings the user may not see):

* read: anyone sees published postings; members of the owner and staff see every posting of it;
* create: any authenticated user, for one of their organisations (staff for any);
* update, submit, close, reopen, extend (a need's deadline): members of the owner and staff;
* approve, reject: staff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import F, QuerySet
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts.selectors import MEMBERSHIPS_VERSION
from core.api import ErrorSerializer, FieldErrorsSerializer, PageNumberPagination
from core.exceptions import PermissionDenied
from core.page_cache import PAGES_VERSION, public_data
from core.versions import kept_at

from . import services
from .filters import AchievementFilterSet, NeedFilterSet
from .models import Achievement, Need
from .selectors import POSTINGS_VERSION, CachedCountPaginator, needs_with_last_reason, posting_visible_to
from .serializers import (
    AchievementInputSerializer,
    AchievementSerializer,
    AchievementUpdateSerializer,
    NeedExtendSerializer,
    NeedInputSerializer,
    NeedSerializer,
    NeedUpdateSerializer,
    PostingCloseSerializer,
    PostingRejectSerializer,
)


class PostingPagination(PageNumberPagination):
    """The total of a list comes from ``cached_count`` (counting 100,000 postings took 220 ms a request)."""

    django_paginator_class = CachedCountPaginator


MEMBER_DATA_SECONDS = 60


def _kept_data(request: Request, build: Callable[[], Any]) -> Any:
    """A read's data, kept: a visitor's as everybody's (``core.page_cache``); a member's as theirs (their
    organisations' drafts and contacts are in it) until a posting, an organisation or their memberships change, at
    most ``MEMBER_DATA_SECONDS``. Staff, whose rights come from permissions no version follows, get it built."""
    user = request.user
    if not user.is_authenticated or user.is_staff:
        return public_data(request, build)
    name = f"api-data:{user.pk}:{get_language()}:{request.get_full_path()}"
    return kept_at([POSTINGS_VERSION, PAGES_VERSION, MEMBERSHIPS_VERSION], name, build, MEMBER_DATA_SECONDS)


class PostingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What the achievement and need endpoints share; subclasses name the model and serializers."""

    model: type[Achievement | Need]
    serializer_class: type[BaseSerializer]  # output
    input_serializer_class: type[BaseSerializer]  # create
    update_serializer_class: type[BaseSerializer]  # update, partial update
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = PostingPagination

    def get_queryset(self) -> QuerySet[Any]:
        # Published first, newest first, then drafts; the pk keeps pages stable.
        return posting_visible_to(model=self.model, user=self.request.user).order_by(
            F("published_at").desc(nulls_last=True), "-created_at", "-pk"
        )

    # Kept after authentication and throttling have run for the request (_kept_data).
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(_kept_data(request, lambda: super(PostingViewSet, self).list(request, *args, **kwargs).data))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        build = lambda: super(PostingViewSet, self).retrieve(request, *args, **kwargs).data  # noqa: E731
        return Response(_kept_data(request, build))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.input_serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        posting = services.posting_create(
            model=self.model,
            organization=data.pop("organization"),
            by=request.user,
            domain_codes=data.pop("domains", []),
            **data,
        )
        return Response(self._output(posting), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        posting = self.get_object()
        if not services.can_edit(request.user, posting):  # refuse before judging the input
            raise PermissionDenied(_("Only members of the organisation edit its postings."))
        serializer = self.update_serializer_class(
            posting, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        posting = services.posting_update(
            posting=posting, by=request.user, domain_codes=data.pop("domains", None), **data
        )
        return Response(self._output(posting))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._output(services.posting_submit(posting=self.get_object(), by=request.user)))

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._output(services.posting_approve(posting=self.get_object(), by=request.user)))

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        posting = self.get_object()
        serializer = PostingRejectSerializer(data=request.data)
        # A missing reason is the service's to refuse (400 on "reason"), after it has refused non-staff (403).
        reason = serializer.validated_data["reason"] if serializer.is_valid() else ""
        posting = services.posting_reject(posting=posting, by=request.user, reason=reason)
        return Response(self._output(posting))

    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        posting = self.get_object()
        serializer = PostingCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        posting = services.posting_close(posting=posting, by=request.user, reason=serializer.validated_data["reason"])
        return Response(self._output(posting))

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._output(services.posting_reopen(posting=self.get_object(), by=request.user)))

    def _output(self, posting: Achievement | Need) -> dict[str, Any]:
        return self.get_serializer(posting).data


# --- Schema ----------------------------------------------------------------------------------------------------

INVALID = OpenApiResponse(FieldErrorsSerializer, description="Invalid input: the fields at fault with their messages.")
NOT_ALLOWED = OpenApiResponse(
    ErrorSerializer, description="Not logged in, or the user may not do this to this posting."
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such posting, or the user may not see it.")


def posting_schema(
    *,
    tag: str,
    noun: str,
    output: type[BaseSerializer],
    create_input: type[BaseSerializer],
    update_input: type[BaseSerializer],
) -> Callable[[type[PostingViewSet]], type[PostingViewSet]]:
    """The schema of one kind's endpoints (the view code is shared, the serializers differ)."""

    def moved(summary: str, description: str, request: Any = None) -> Any:
        return extend_schema(
            tags=[tag],
            summary=summary,
            description=description,
            request=request,
            responses={200: output, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
        )

    return extend_schema_view(
        list=extend_schema(
            tags=[tag],
            summary=f"List {noun}s",
            description=(
                f"The {noun}s the user may see: published ones, plus every {noun} of the user's organisations "
                "(staff: all). Contacts appear only for members of the owner and staff. With `q`, a ranked search "
                "in both languages (a Chinese query finds English records and the reverse): the best matches first, "
                "or the newest first with `sort=newest`; at most 1,000 results."
            ),
            responses={200: output(many=True), 400: INVALID},
        ),
        retrieve=extend_schema(tags=[tag], summary=f"Read a {noun}", responses={200: output, 404: NOT_FOUND}),
        create=extend_schema(
            tags=[tag],
            summary=f"Create a draft {noun}",
            description=(
                "For one of the user's organisations (by default the primary one; staff: any). "
                "The posting is a draft until submitted."
            ),
            request=create_input,
            responses={201: output, 400: INVALID, 403: NOT_ALLOWED},
        ),
        update=extend_schema(
            tags=[tag],
            summary=f"Replace a {noun}'s fields",
            description="Members of the owning organisation and staff. A published posting stays published.",
            request=update_input,
            responses={200: output, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
        ),
        partial_update=extend_schema(
            tags=[tag],
            summary=f"Edit some of a {noun}'s fields",
            description=(
                "Members of the owning organisation and staff. Giving only the city keeps the province; giving "
                "the province alone drops the city."
            ),
            request=update_input,
            responses={200: output, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
        ),
        submit=moved(
            f"Submit a {noun}",
            "Members of the owner: a draft or rejected posting goes to moderation (a verified organisation's "
            "is published at once when the platform allows it).",
        ),
        approve=moved(f"Approve a {noun}", "Staff: a submitted posting is published."),
        reject=moved(
            f"Reject a {noun}",
            "Staff: a submitted posting is refused; the reason is required and shown to the owner.",
            PostingRejectSerializer,
        ),
        close=moved(
            f"Close a {noun}", "Members of the owner and staff; the reason is optional.", PostingCloseSerializer
        ),
        reopen=moved(f"Reopen a {noun}", "Members of the owner and staff: a closed or rejected posting back to draft."),
    )


@posting_schema(
    tag="achievements",
    noun="achievement",
    output=AchievementSerializer,
    create_input=AchievementInputSerializer,
    update_input=AchievementUpdateSerializer,
)
class AchievementViewSet(PostingViewSet):
    """Achievements: technologies universities and institutes offer."""

    model = Achievement
    serializer_class = AchievementSerializer
    input_serializer_class = AchievementInputSerializer
    update_serializer_class = AchievementUpdateSerializer
    filterset_class = AchievementFilterSet


@posting_schema(
    tag="needs",
    noun="need",
    output=NeedSerializer,
    create_input=NeedInputSerializer,
    update_input=NeedUpdateSerializer,
)
class NeedViewSet(PostingViewSet):
    """Needs: technologies enterprises ask for."""

    model = Need
    serializer_class = NeedSerializer
    input_serializer_class = NeedInputSerializer
    update_serializer_class = NeedUpdateSerializer
    filterset_class = NeedFilterSet

    def get_queryset(self) -> QuerySet[Any]:
        return needs_with_last_reason(super().get_queryset())  # "expired" without a query per closed need

    @extend_schema(
        tags=["needs"],
        summary="Extend a need's deadline",
        description=(
            "Members of the owner and staff. The new deadline must be after today. A published need keeps its "
            "status; a need closed because its deadline passed is published again (and matched again)."
        ),
        request=NeedExtendSerializer,
        responses={200: NeedSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        need = self.get_object()
        if not services.can_edit(request.user, need):  # refuse before judging the input
            raise PermissionDenied(gettext("Only members of the organisation extend its needs."))
        serializer = NeedExtendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deadline = serializer.validated_data["deadline"]
        need = services.need_extend_deadline(need=need, new_deadline=deadline, by=request.user)
        return Response(self._output(need))
