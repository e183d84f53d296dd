"""Reads with rules for open calls: who sees which call, which needs of it, which proposals, and the engine's
suggestions of whom to invite.

* ``call_visible_to`` is the one scoping function for calls: published and closed calls for everyone; drafts for the
  organiser's members and staff. A call one may not see is a 404 everywhere, its needs and proposals with it.
* ``call_needs_visible_to`` (an entry's page, the API): the entries of visible calls whose need is on the market
  (published, not past its deadline); the organiser's members, staff and the need's own enterprise also see the
  entries whose need left the market. A need shows only its public fields (never its contact).
* ``proposals_visible_to``: proposals are confidential. A proposal is seen by its proposing organisation's members,
  the need's enterprise's members, the call's organiser's members and staff; never by another institution.
* ``suggested_achievements``: the engine's matches of an entry's need (whatever their review, unless rejected,
  declined or withdrawn), published achievements of universities and research institutes that neither proposed nor
  were invited yet, best first; for the reviewers (the need's enterprise and the organiser) only.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Organization, User
from accounts.selectors import organisers_acted_for, staff_may, user_organization_ids
from marketplace.models import Achievement, Need
from marketplace.models import Status as PostingStatus
from matching.models import Match, MatchingConfig

from .models import Call, CallNeed, Invitation, Proposal, Window
from .services import PROPOSERS, domain_scope

PUBLIC_STATUSES = (Call.Status.PUBLISHED, Call.Status.CLOSED)
# Suggestions that are no introduction any more: staff rejected them, a side declined, a deadline withdrew them.
NOT_SUGGESTED = (Match.Status.REJECTED, Match.Status.DECLINED, Match.Status.WITHDRAWN)


def _organization_ids(user: User | AnonymousUser) -> set[int]:
    return user_organization_ids(user=user) if user.is_authenticated else set()


def call_visible_to(user: User | AnonymousUser) -> QuerySet[Call]:
    """Published and closed calls; drafts too for the organiser's members and staff."""
    calls = Call.objects.select_related("organizer")
    if staff_may(user, "calls.view_call"):
        return calls
    public = Q(status__in=PUBLIC_STATUSES)
    organization_ids = _organization_ids(user)
    return calls.filter(public | Q(organizer_id__in=organization_ids)) if organization_ids else calls.filter(public)


def _live_need() -> Q:
    return Q(need__status=PostingStatus.PUBLISHED) & ~Need.expired_q(prefix="need__")


def calls_listed(user: User | AnonymousUser) -> QuerySet[Call]:
    """The list page: the calls the user may see, newest window first, with how many needs on the market each
    holds."""
    live = Q(entries__need__status=PostingStatus.PUBLISHED) & ~Need.expired_q(prefix="entries__need__")
    return call_visible_to(user).annotate(need_count=Count("entries", filter=live)).order_by("-opens_at", "-pk")


def _needs_prefetched(queryset: QuerySet[CallNeed]) -> QuerySet[CallNeed]:
    needs = Need.objects.select_related("organization", "province", "city").prefetch_related("domains")
    return queryset.prefetch_related(Prefetch("need", needs)).select_related("call__organizer")


def call_needs_visible_to(user: User | AnonymousUser) -> QuerySet[CallNeed]:
    """The entries of the calls the user may see: those whose need is on the market; every entry of a call for its
    organiser's members and staff, and a need's own entries for its enterprise's members."""
    entries = CallNeed.objects.filter(call__in=call_visible_to(user))
    if staff_may(user, "calls.view_callneed"):
        return _needs_prefetched(entries)
    organization_ids = _organization_ids(user)
    scope = _live_need()
    if organization_ids:
        scope |= Q(call__organizer_id__in=organization_ids) | Q(need__organization_id__in=organization_ids)
    return _needs_prefetched(entries.filter(scope))


def call_entries(*, call: Call, user: User | AnonymousUser) -> list[CallNeed]:
    """The needs of a call the user may see, in the order they were entered."""
    return list(call_needs_visible_to(user).filter(call=call).order_by("entered_at", "pk"))


def proposals_visible_to(user: User | AnonymousUser) -> QuerySet[Proposal]:
    """Confidential: the proposer's members, the need's enterprise's members, the organiser's members and staff."""
    proposals = Proposal.objects.select_related(
        "call_need__call__organizer", "call_need__need__organization", "achievement", "organization", "agreement"
    )
    if staff_may(user, "calls.view_proposal"):
        return proposals
    organization_ids = _organization_ids(user)
    if not organization_ids:
        return proposals.none()
    return proposals.filter(
        Q(organization_id__in=organization_ids)
        | Q(call_need__need__organization_id__in=organization_ids)
        | Q(call_need__call__organizer_id__in=organization_ids)
    )


def invitations_visible_to(user: User | AnonymousUser) -> QuerySet[Invitation]:
    """The invitations the user's organisations received (their achievements) or may review (their needs, their
    calls); staff: every one."""
    invitations = Invitation.objects.select_related(
        "call_need__call", "call_need__need", "achievement__organization", "invited_by"
    )
    if staff_may(user, "calls.view_invitation"):
        return invitations
    organization_ids = _organization_ids(user)
    if not organization_ids:
        return invitations.none()
    return invitations.filter(
        Q(achievement__organization_id__in=organization_ids)
        | Q(call_need__need__organization_id__in=organization_ids)
        | Q(call_need__call__organizer_id__in=organization_ids)
    )


def suggested_achievements(call_need: CallNeed, limit: int = 10) -> list[Match]:
    """The engine's matches of the need, best first: published achievements of universities and research
    institutes that have not proposed for it nor been invited; not those staff rejected, a side declined or a
    deadline withdrew; nor those scoring under the floor of staff's review queue (``MatchingConfig.queue_floor``), whose
    fit is too weak to invite anyone on. Each match carries its score and its achievement (with the organisation)."""
    taken = Proposal.objects.filter(call_need=call_need).values("achievement_id")
    invited = Invitation.objects.filter(call_need=call_need).values("achievement_id")
    matches = (
        Match.objects.filter(
            need_id=call_need.need_id,
            score__gte=MatchingConfig.get_solo().queue_floor,
            achievement__status=PostingStatus.PUBLISHED,
            achievement__organization__kind__in=PROPOSERS,
        )
        .exclude(status__in=NOT_SUGGESTED)
        .exclude(achievement_id__in=taken)
        .exclude(achievement_id__in=invited)
        .select_related("achievement__organization", "achievement__province")
        .order_by("-score", "pk")
    )
    return list(matches[:limit])


def organizer_choices(user: User | AnonymousUser) -> QuerySet[Organization]:
    """The organiser organisations the user may create calls for: their own (staff: every organiser)."""
    return organisers_acted_for(user, permission="calls.add_call")


def enterable_needs(user: User | AnonymousUser, call: Call) -> QuerySet[Need]:
    """The user's enterprises' needs on the market that fit the call and are not in it yet (what the "enter one of
    your needs" form offers; the service checks again)."""
    organization_ids = _organization_ids(user)
    if not organization_ids or not call.collecting:
        return Need.objects.none()
    needs = Need.objects.filter(
        organization_id__in=organization_ids, organization__kind=Organization.Kind.ENTERPRISE,
        status=PostingStatus.PUBLISHED,
    ).exclude(Need.expired_q()).exclude(pk__in=CallNeed.objects.filter(call=call).values("need_id"))  # fmt: skip
    scope = domain_scope(call)
    if scope is not None:
        needs = needs.filter(pk__in=Need.objects.filter(domains__code__in=scope).values("pk"))
    provinces = list(call.provinces.values_list("code", flat=True))
    if provinces:
        needs = needs.filter(province_id__in=provinces)
    return needs.select_related("organization").order_by("title", "pk")


def proposable_achievements(user: User | AnonymousUser, call_need: CallNeed) -> QuerySet[Achievement]:
    """The user's universities' and institutes' published achievements not yet proposed for the need."""
    organization_ids = _organization_ids(user)
    if not organization_ids:
        return Achievement.objects.none()
    return (
        Achievement.objects.filter(
            organization_id__in=organization_ids, organization__kind__in=PROPOSERS, status=PostingStatus.PUBLISHED
        )
        .exclude(pk__in=Proposal.objects.filter(call_need=call_need).values("achievement_id"))
        .select_related("organization")
        .order_by("title", "pk")
    )


def may_propose(user: User | AnonymousUser) -> bool:
    """Whether the user belongs to a university or research institute (who propose solutions)."""
    organization_ids = _organization_ids(user)
    return bool(organization_ids) and Organization.objects.filter(pk__in=organization_ids, kind__in=PROPOSERS).exists()


def window_label(value: str) -> str:
    return str(Window(value).label)
