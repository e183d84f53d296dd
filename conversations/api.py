"""The conversations API: /api/v1/threads/.

Reads start from ``thread_visible_to`` (a thread the user may not see is a 404 on every path); writes go through
``conversations.services``, whose ``ApplicationError`` / ``PermissionDenied`` become 400 / 403 in
``core.api.exception_handler``. Reading a thread's messages marks them read for a party (never for staff).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import staff_may
from core.api import ErrorSerializer, FieldErrorsSerializer, PageNumberPagination
from marketplace.models import Achievement, Need
from marketplace.selectors import posting_live, posting_visible_to
from matching.selectors import match_visible_to

from . import services
from .models import Message, Thread
from .selectors import VIEW_PERMISSION, thread_messages, thread_visible_to, with_unread
from .serializers import (
    EnquiryInputSerializer,
    MatchThreadInputSerializer,
    MessageInputSerializer,
    MessageSerializer,
    ProposalAnswerSerializer,
    ProposalInputSerializer,
    ThreadSerializer,
)

INVALID = OpenApiResponse(
    FieldErrorsSerializer, description="Invalid input, a rule broken, or a size or rate limit reached."
)
NOT_ALLOWED = OpenApiResponse(ErrorSerializer, description="Not logged in, or the user may not do this.")
NOT_LOGGED_IN = OpenApiResponse(ErrorSerializer, description="Not logged in.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such thread (or match, posting, message), or hidden.")
TAGS = ["conversations"]


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="List conversations",
        description="The threads the user may read (staff: all), the latest message first, with unread counts.",
        responses={200: ThreadSerializer(many=True), 400: INVALID, 403: NOT_LOGGED_IN},
    ),
    retrieve=extend_schema(
        tags=TAGS, summary="Read a thread", responses={200: ThreadSerializer, 403: NOT_LOGGED_IN, 404: NOT_FOUND}
    ),
)
class ThreadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Conversations between two organisations: a match's, or an enquiry to a posting's owner."""

    serializer_class = ThreadSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[Thread]:
        if getattr(self, "swagger_fake_view", False):
            return Thread.objects.none()
        return with_unread(thread_visible_to(user=self.request.user), user=self.request.user).order_by(
            "-last_message_at", "-pk"
        )

    def _messages(self, thread: Thread) -> Response:
        """One page of the thread's messages, oldest first; a party has read them up to the page's last."""
        user = self.request.user
        context = {"staff_reader": services.thread_party(user=user, thread=thread) is None
                   and staff_may(user, VIEW_PERMISSION)}  # fmt: skip
        page = self.paginate_queryset(thread_messages(thread=thread))
        messages = list(page if page is not None else thread_messages(thread=thread))
        if messages:
            services.thread_mark_read(thread=thread, user=user, up_to=messages[-1].pk)
        data = MessageSerializer(messages, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        tags=TAGS,
        summary="Read a thread's messages",
        description="The messages, oldest first, a page at a time; reading a page marks its messages read for a "
        "party (never for staff). "
        "A message hidden by staff keeps its place with an empty body (staff read it).",
        responses={200: MessageSerializer(many=True), 403: NOT_LOGGED_IN, 404: NOT_FOUND},
        methods=["GET"],
    )
    @extend_schema(
        tags=TAGS,
        summary="Write in a thread",
        description="A member of either party writes plain text (at most 4,000 characters; a few a minute).",
        request=MessageInputSerializer,
        responses={201: MessageSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
        methods=["POST"],
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        thread = self.get_object()
        if request.method == "GET":
            return self._messages(thread)
        serializer = MessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.message_post(thread=thread, by=request.user, body=serializer.validated_data["body"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAGS,
        summary="Propose an agreement",
        description="In a match's thread, one side proposes the terms; the other side accepts (the agreement is "
        "recorded and the match becomes a deal) or declines; the proposing side may withdraw.",
        request=ProposalInputSerializer,
        responses={201: MessageSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def proposals(self, request: Request, pk: str | None = None) -> Response:
        thread = self.get_object()
        serializer = ProposalInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.proposal_create(thread=thread, by=request.user, **serializer.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAGS,
        summary="Answer an agreement proposal",
        request=ProposalAnswerSerializer,
        responses={200: MessageSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path=r"proposals/(?P<message_id>[0-9]+)/answer")
    def answer(self, request: Request, pk: str | None = None, message_id: str | None = None) -> Response:
        thread = self.get_object()
        message = get_object_or_404(thread.messages.filter(kind=Message.Kind.PROPOSAL), pk=message_id)
        serializer = ProposalAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = {
            "accept": services.proposal_accept,
            "decline": services.proposal_decline,
            "withdraw": services.proposal_withdraw,
        }[serializer.validated_data["answer"]]
        return Response(MessageSerializer(service(message=message, by=request.user)).data)

    @extend_schema(
        tags=TAGS,
        summary="Open a match's thread",
        description="Either side (or staff) opens the thread of a match both sides accepted; the same thread "
        "every time.",
        request=MatchThreadInputSerializer,
        responses={200: ThreadSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
    )
    @action(detail=False, methods=["post"], url_path="for-match")
    def for_match(self, request: Request) -> Response:
        serializer = MatchThreadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        match = get_object_or_404(match_visible_to(user=request.user), pk=serializer.validated_data["match"])
        thread = services.match_thread_open(match=match, by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=thread.pk)).data)

    @extend_schema(
        tags=TAGS,
        summary="Ask a posting's owner",
        description="A member of another organisation writes to a published achievement's or need's owner. "
        "An enquiry from an unverified organisation, or with contact details or links, is held for staff review "
        "(state held) before the owner sees it. A few a day per user.",
        request=EnquiryInputSerializer,
        responses={201: ThreadSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
    )
    @action(detail=False, methods=["post"])
    def enquiries(self, request: Request) -> Response:
        serializer = EnquiryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        model = Achievement if data["kind"] == "achievement" else Need
        posting = get_object_or_404(
            posting_live(posting_visible_to(model=model, user=request.user)), pk=data["posting"]
        )
        thread = services.enquiry_send(posting=posting, by=request.user, body=data["body"])
        return Response(self.get_serializer(self.get_queryset().get(pk=thread.pk)).data, status=status.HTTP_201_CREATED)
