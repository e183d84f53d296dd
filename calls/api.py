"""The open calls API: /api/v1/calls/, /api/v1/call-needs/, /api/v1/call-proposals/ and /api/v1/call-invitations/.

Reads start from ``calls.selectors`` (a call the user may not see is a 404 on every path, its needs and proposals
too); writes go through ``calls.services``, whose ``ApplicationError`` and ``PermissionDenied`` become 400 and 403
responses in ``core.api.exception_handler``.

Who may do what (after the 404 for what the user may not see):

* list and read calls and their needs: anyone (published and closed calls; drafts for the organiser's members and
  staff); a need shows its public fields only;
* create a call, edit a draft, publish or close it, remove a need (saying why): the organiser's members (staff: any);
* enter a need: members of its enterprise, while the window is open;
* proposals: confidential, listed for the proposer, the need's enterprise, the organiser and staff. Submit: members
  of a university or research institute, while the window is open (a refusal names its field: ``closes_at`` after
  the window, ``achievement``, ``plan``...); withdraw: the proposer; shortlist, decline, award: the need's
  enterprise, the organiser and staff;
* suggestions of a need and invitations: the need's enterprise, the organiser and staff.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import INVALID, NOT_ALLOWED, NOT_LOGGED_IN, ErrorSerializer, PageNumberPagination
from core.exceptions import ApplicationError, PermissionDenied
from marketplace.models import Achievement, Need
from marketplace.selectors import posting_visible_to

from . import services
from .models import Call, CallNeed, Invitation, Proposal
from .selectors import (
    call_needs_visible_to,
    calls_listed,
    invitations_visible_to,
    organizer_choices,
    proposals_visible_to,
    suggested_achievements,
)
from .serializers import (
    CallDecisionInputSerializer,
    CallDeclineInputSerializer,
    CallInputSerializer,
    CallInvitationInputSerializer,
    CallInvitationSerializer,
    CallNeedInputSerializer,
    CallNeedRemoveInputSerializer,
    CallNeedSerializer,
    CallProposalInputSerializer,
    CallProposalSerializer,
    CallSerializer,
    CallStatusInputSerializer,
    CallSuggestionSerializer,
    CallUpdateSerializer,
)

CALL_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such call, or the user may not see it.")
NEED_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such need of a call, or the user may not see it.")
PROPOSAL_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such proposal, or the user may not see it.")
INVITATION_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such invitation, or the user may not see it."
)
ORGANISER_ONLY = OpenApiResponse(ErrorSerializer, description="Not logged in, or not the call's organiser or staff.")
REVIEWERS_ONLY = OpenApiResponse(
    ErrorSerializer, description="Not logged in, or not the need's enterprise, the call's organiser or staff."
)
CALL_CHANGED = {200: CallSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: CALL_NOT_FOUND}
PROPOSAL_CHANGED = {200: CallProposalSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: PROPOSAL_NOT_FOUND}


def _visible(queryset: QuerySet, pk: int, field: str, text: str) -> Any:
    """An object the input names, among those the user may see; else a 400 naming the field."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ApplicationError(text, field=field)
    return found


def _call_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if "domains" in fields:
        fields["domain_codes"] = fields.pop("domains")
    if "provinces" in fields:
        fields["province_codes"] = fields.pop("provinces")
    return fields


@extend_schema_view(
    list=extend_schema(
        tags=["calls"], summary="List open calls",
        description=(
            "The calls the user may see, newest window first: published and closed ones; the organiser's members "
            "also see its drafts; staff all. `window` says whether a call takes needs and proposals now."
        ),
        responses={200: CallSerializer(many=True), 400: INVALID},
    ),
    retrieve=extend_schema(tags=["calls"], summary="Read a call", responses={200: CallSerializer, 404: CALL_NOT_FOUND}),
    create=extend_schema(
        tags=["calls"], summary="Create a draft call",
        description="A member of an organiser organisation (staff: any organiser) creates a draft call.",
        request=CallInputSerializer, responses={201: CallSerializer, 400: INVALID, 403: NOT_ALLOWED},
    ),
    partial_update=extend_schema(
        tags=["calls"], summary="Edit a draft call", description="Only a draft is edited.",
        request=CallUpdateSerializer, responses=CALL_CHANGED,
    ),
    set_status=extend_schema(
        tags=["calls"], summary="Publish or close a call",
        description=(
            "The organiser publishes a draft (its window not over; the organiser verified unless staff publish it) "
            "or closes a published call: no more needs or proposals; the proposals in are still reviewed."
        ),
        request=CallStatusInputSerializer, responses=CALL_CHANGED,
    ),
    needs=[
        extend_schema(
            methods=["GET"], tags=["calls"], summary="List a call's needs",
            description="The needs on the market (the organiser and staff: every one; an enterprise: its own too).",
            responses={200: CallNeedSerializer(many=True), 404: CALL_NOT_FOUND},
        ),
        extend_schema(
            methods=["POST"], tags=["calls"], summary="Enter one of your needs",
            description=(
                "A member of the need's enterprise enters a published need that fits the call's domains and regions, "
                "while the window is open. Outside it the error names `opens_at` or `closes_at`."
            ),
            request=CallNeedInputSerializer,
            responses={201: CallNeedSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: CALL_NOT_FOUND},
        ),
    ],
)  # fmt: skip
class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Open calls: an organiser's call collects enterprises' needs; institutions propose solutions."""

    serializer_class = CallSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = PageNumberPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Call]:
        if getattr(self, "swagger_fake_view", False):
            return Call.objects.none()
        return calls_listed(self.request.user).prefetch_related("domains", "provinces")

    def _answer(self, call: Call, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=call.pk)
        return Response(CallSerializer(fresh, context={"request": self.request}).data, status=code)

    def create(self, request: Request) -> Response:
        serializer = CallInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = _call_fields(serializer.validated_data)
        organizer = organizer_choices(request.user).filter(pk=data.pop("organizer")).first()
        if organizer is None:
            raise PermissionDenied(_("Only members of the organiser create its calls."), field="organizer")
        call = services.call_create(organizer=organizer, by=request.user, **data)
        return self._answer(call, status.HTTP_201_CREATED)

    def _organized(self) -> Call:
        call = self.get_object()
        if not services.is_organizer(self.request.user, call):
            raise PermissionDenied(_("Only members of the organiser run its calls."))
        return call

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        call = self._organized()
        serializer = CallUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call = services.call_update(call=call, by=request.user, **_call_fields(serializer.validated_data))
        return self._answer(call)

    @action(detail=True, methods=["post"], url_path="status", permission_classes=[permissions.IsAuthenticated])
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        call = self._organized()
        serializer = CallStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call = services.call_set_status(call=call, by=request.user, status=serializer.validated_data["status"])
        return self._answer(call)

    @action(
        detail=True, methods=["get", "post"], permission_classes=[permissions.IsAuthenticatedOrReadOnly],
        filter_backends=[], pagination_class=None,
    )  # fmt: skip
    def needs(self, request: Request, pk: str | None = None) -> Response:
        call = self.get_object()
        context = {"request": request}
        if request.method == "POST":
            serializer = CallNeedInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            need = _visible(posting_visible_to(model=Need, user=request.user), serializer.validated_data["need"],
                            "need", _("No such need."))  # fmt: skip
            entry = services.call_need_enter(call=call, need=need, by=request.user)
            data = CallNeedSerializer(call_needs_visible_to(request.user).get(pk=entry.pk), context=context).data
            return Response(data, status=status.HTTP_201_CREATED)
        entries = call_needs_visible_to(request.user).filter(call=call).order_by("entered_at", "pk")
        return Response(CallNeedSerializer(entries, many=True, context=context).data)


@extend_schema_view(
    list=extend_schema(
        tags=["calls"], summary="List needs of calls",
        description="The needs of the calls the user may see (public fields only), newest entry first.",
        responses={200: CallNeedSerializer(many=True), 400: INVALID},
    ),
    retrieve=extend_schema(
        tags=["calls"], summary="Read a need of a call", responses={200: CallNeedSerializer, 404: NEED_NOT_FOUND}
    ),
    remove=extend_schema(
        tags=["calls"], summary="Remove a need from its call",
        description="The organiser removes a need that has no proposal, saying why (its enterprise is told).",
        request=CallNeedRemoveInputSerializer,
        responses={204: None, 400: INVALID, 403: ORGANISER_ONLY, 404: NEED_NOT_FOUND},
    ),
    suggestions=extend_schema(
        tags=["calls"], summary="The engine's suggested achievements for a need of a call",
        description=(
            "Published achievements of universities and research institutes the matching engine scored for the "
            "need, best first, not yet proposed or invited: for the need's enterprise, the organiser and staff."
        ),
        responses={200: CallSuggestionSerializer(many=True), 403: REVIEWERS_ONLY, 404: NEED_NOT_FOUND},
    ),
    proposals=extend_schema(
        tags=["calls"], summary="The proposals for a need of a call",
        description="All of them for the need's enterprise, the organiser and staff; a proposer its own; others none.",
        responses={200: CallProposalSerializer(many=True), 403: NOT_LOGGED_IN, 404: NEED_NOT_FOUND},
    ),
)  # fmt: skip
class CallNeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The needs entered in calls."""

    serializer_class = CallNeedSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[CallNeed]:
        if getattr(self, "swagger_fake_view", False):
            return CallNeed.objects.none()
        return call_needs_visible_to(self.request.user).order_by("-entered_at", "-pk")

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def remove(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        if not services.is_organizer(request.user, entry.call):
            raise PermissionDenied(_("Only members of the organiser run its calls."))
        serializer = CallNeedRemoveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.call_need_remove(call_need=entry, by=request.user, reason=serializer.validated_data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(
        detail=True, methods=["get"], permission_classes=[permissions.IsAuthenticated], filter_backends=[],
        pagination_class=None,
    )  # fmt: skip
    def suggestions(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        if not services.may_review(request.user, entry):
            raise PermissionDenied(_("Only the need's enterprise and the call's organiser see the suggestions."))
        return Response(CallSuggestionSerializer(suggested_achievements(entry), many=True).data)

    @action(
        detail=True, methods=["get"], permission_classes=[permissions.IsAuthenticated], filter_backends=[],
        pagination_class=None,
    )  # fmt: skip
    def proposals(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        proposals = proposals_visible_to(request.user).filter(call_need=entry).order_by("-submitted_at", "-pk")
        return Response(CallProposalSerializer(proposals, many=True, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(
        tags=["calls"], summary="List proposals",
        description=(
            "Proposals are confidential: those of the user's organisations, and those for their needs and calls "
            "(staff: all), newest first."
        ),
        responses={200: CallProposalSerializer(many=True), 400: INVALID, 403: NOT_LOGGED_IN},
    ),
    retrieve=extend_schema(
        tags=["calls"], summary="Read a proposal",
        responses={200: CallProposalSerializer, 403: NOT_LOGGED_IN, 404: PROPOSAL_NOT_FOUND},
    ),
    create=extend_schema(
        tags=["calls"], summary="Submit a proposal",
        description=(
            "A member of a university or research institute proposes one of its published achievements for a need "
            "of a call while its window is open, with a plan, a timeline and a budget; once per achievement and "
            "need. A refused proposal changes nothing; the error names the field (`closes_at` after the window, "
            "`opens_at` before it, `achievement`, `plan`, `months`, `budget_wan`, `call_need`...)."
        ),
        request=CallProposalInputSerializer,
        responses={201: CallProposalSerializer, 400: INVALID, 403: NOT_ALLOWED},
    ),
    withdraw=extend_schema(
        tags=["calls"], summary="Withdraw a proposal", description="The proposer, before a decision.", request=None,
        responses=PROPOSAL_CHANGED,
    ),
    shortlist=extend_schema(
        tags=["calls"], summary="Shortlist a proposal", description="The need's enterprise, the organiser or staff.",
        request=CallDecisionInputSerializer, responses=PROPOSAL_CHANGED,
    ),
    decline=extend_schema(
        tags=["calls"], summary="Decline a proposal",
        description="The need's enterprise, the organiser or staff, saying why (the proposer is told).",
        request=CallDeclineInputSerializer, responses=PROPOSAL_CHANGED,
    ),
    award=extend_schema(
        tags=["calls"], summary="Award a proposal",
        description=(
            "The need's enterprise, the organiser or staff award a proposal: the achievement and the need become an "
            "accepted match with an agreement (the proposal's mode and budget, signed today). Several proposals of "
            "a need may be awarded."
        ),
        request=CallDecisionInputSerializer, responses=PROPOSAL_CHANGED,
    ),
)  # fmt: skip
class CallProposalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Solution proposals for the needs of calls."""

    serializer_class = CallProposalSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[Proposal]:
        if getattr(self, "swagger_fake_view", False):
            return Proposal.objects.none()
        return proposals_visible_to(self.request.user).order_by("-submitted_at", "-pk")

    def _answer(self, proposal: Proposal, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=proposal.pk)
        return Response(CallProposalSerializer(fresh, context={"request": self.request}).data, status=code)

    def create(self, request: Request) -> Response:
        serializer = CallProposalInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        entry = _visible(call_needs_visible_to(request.user), data.pop("call_need"), "call_need",
                         _("No such need of a call."))  # fmt: skip
        achievement = _visible(posting_visible_to(model=Achievement, user=request.user), data.pop("achievement"),
                               "achievement", _("No such achievement."))  # fmt: skip
        proposal = services.proposal_submit(call_need=entry, achievement=achievement, by=request.user, **data)
        return self._answer(proposal, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.proposal_withdraw(proposal=self.get_object(), by=request.user))

    @action(detail=True, methods=["post"])
    def shortlist(self, request: Request, pk: str | None = None) -> Response:
        serializer = CallDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = services.proposal_shortlist(proposal=self.get_object(), by=request.user,
                                               note=serializer.validated_data["note"])  # fmt: skip
        return self._answer(proposal)

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        serializer = CallDeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = services.proposal_decline(proposal=self.get_object(), by=request.user,
                                             reason=serializer.validated_data["reason"])  # fmt: skip
        return self._answer(proposal)

    @action(detail=True, methods=["post"])
    def award(self, request: Request, pk: str | None = None) -> Response:
        serializer = CallDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = services.proposal_award(proposal=self.get_object(), by=request.user,
                                           note=serializer.validated_data["note"])  # fmt: skip
        return self._answer(proposal)


@extend_schema_view(
    list=extend_schema(
        tags=["calls"], summary="List invitations to propose",
        description="Those the user's organisations received, and those sent for their needs and calls.",
        responses={200: CallInvitationSerializer(many=True), 400: INVALID, 403: NOT_LOGGED_IN},
    ),
    retrieve=extend_schema(
        tags=["calls"], summary="Read an invitation to propose",
        responses={200: CallInvitationSerializer, 403: NOT_LOGGED_IN, 404: INVITATION_NOT_FOUND},
    ),
    create=extend_schema(
        tags=["calls"], summary="Invite an achievement's organisation to propose",
        description=(
            "The need's enterprise, the organiser or staff invite the organisation of a published achievement (one "
            "of the suggestions, say) to propose it for the need while the window is open; it is told."
        ),
        request=CallInvitationInputSerializer,
        responses={201: CallInvitationSerializer, 400: INVALID, 403: NOT_ALLOWED},
    ),
)  # fmt: skip
class CallInvitationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Invitations to propose."""

    serializer_class = CallInvitationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[Invitation]:
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        return invitations_visible_to(self.request.user).order_by("-invited_at", "-pk")

    def create(self, request: Request) -> Response:
        serializer = CallInvitationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = _visible(call_needs_visible_to(request.user), data["call_need"], "call_need",
                         _("No such need of a call."))  # fmt: skip
        achievement = _visible(posting_visible_to(model=Achievement, user=request.user), data["achievement"],
                               "achievement", _("No such achievement."))  # fmt: skip
        invitation = services.invitation_create(call_need=entry, achievement=achievement, by=request.user)
        return Response(CallInvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)
