"""Writes with rules for open calls: an organiser's members create, edit (drafts only), publish and close calls;
enterprises' members enter their needs during the window; the organiser's members remove an entry, saying why;
institutions' members submit proposals during the window and withdraw them before a decision; reviewers (the need's
enterprise and the organiser, or staff) shortlist, decline (saying why) and award proposals, and invite the
organisations of suggested achievements to propose.

Every interface (pages, API, admin actions, the demo) calls these. Each is one transaction; a refusal raises
``ApplicationError`` naming the input at fault (or ``PermissionDenied``) and changes nothing. What two people may do
at once is serialised on a row lock taken first: the call's for entering needs and for its status, the entry's for
proposals (the time is read after the lock is taken), the proposal's for decisions.

An award becomes an accepted match with an agreement (``matching.awards.match_award``): the proposal's mode, its
budget as the amount, signed today. Several proposals of one need may be awarded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organization, User
from accounts.selectors import acts_for, staff_may
from accounts.services import organization_notify
from core.exceptions import ApplicationError, PermissionDenied, model_validate
from core.i18n import message
from marketplace.models import Achievement, CooperationMode, Need
from marketplace.models import Status as PostingStatus
from matching.awards import match_award
from reference.models import Domain, Province

from .models import Call, CallNeed, Invitation, Proposal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # what the budget field holds (12 digits, 2 decimals)
MAX_MONTHS = 120
PROPOSERS = (Organization.Kind.UNIVERSITY, Organization.Kind.RESEARCH_INSTITUTE)
EDITABLE = ("title", "theme", "opens_at", "closes_at", "domain_codes", "province_codes")


def _time(value: datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


# --- Who may do what -------------------------------------------------------------------------------------------


def is_organizer(user: User, call: Call) -> bool:
    """The call's organiser's members, and staff who may change calls."""
    return acts_for(user, call.organizer_id, permission="calls.change_call")


def may_review(user: User, call_need: CallNeed) -> bool:
    """Who reviews a need's proposals (and invites to propose): the need's enterprise's members, the call's
    organiser's members, and staff who may change proposals."""
    if not user.is_authenticated:
        return False
    return acts_for(user, call_need.need.organization_id, permission="calls.change_proposal") or acts_for(
        user, call_need.call.organizer_id, permission="calls.change_proposal"
    )


def _check_organizer(user: User, call: Call) -> None:
    if not is_organizer(user, call):
        raise PermissionDenied(_("Only members of the organiser run its calls."))


def _check_reviewer(user: User, call_need: CallNeed) -> None:
    if not may_review(user, call_need):
        raise PermissionDenied(_("Only the need's enterprise and the call's organiser review its proposals."))


# --- Calls -----------------------------------------------------------------------------------------------------


def _domains(codes: Iterable[str]) -> list[Domain]:
    wanted = list(dict.fromkeys(codes))
    found = {domain.code: domain for domain in Domain.objects.filter(code__in=wanted)}
    for code in wanted:
        if code not in found:
            raise ApplicationError(_("%(code)s is not a domain.") % {"code": code}, field="domains")
    return [found[code] for code in wanted]


def _provinces(codes: Iterable[str]) -> list[Province]:
    wanted = list(dict.fromkeys(codes))
    found = {province.code: province for province in Province.objects.filter(code__in=wanted)}
    for code in wanted:
        if code not in found:
            raise ApplicationError(_("%(code)s is not a province.") % {"code": code}, field="provinces")
    return [found[code] for code in wanted]


def _check_call(call: Call) -> None:
    if not call.title.strip():
        raise ApplicationError(_("The call needs a title."), field="title")
    if not call.theme.strip():
        raise ApplicationError(_("Say what the call is about: its theme."), field="theme")
    if call.closes_at <= call.opens_at:
        raise ApplicationError(_("The window must close after it opens."), field="closes_at")
    if call.closes_at <= timezone.now():
        raise ApplicationError(_("The window must close in the future."), field="closes_at")
    model_validate(call, exclude=["organizer", "created_by"])


@transaction.atomic
def call_create(
    *,
    organizer: Organization,
    by: User,
    title: str,
    theme: str,
    opens_at: datetime,
    closes_at: datetime,
    domain_codes: Iterable[str] = (),
    province_codes: Iterable[str] = (),
) -> Call:
    """An organiser's member starts a draft call."""
    if organizer.kind != Organization.Kind.ORGANISER:
        raise PermissionDenied(_("Calls are published by organiser organisations."), field="organizer")
    if not acts_for(by, organizer.pk, permission="calls.add_call"):
        raise PermissionDenied(_("Only members of the organiser create its calls."), field="organizer")
    call = Call(
        organizer=organizer, title=title.strip(), theme=theme.strip(), opens_at=opens_at, closes_at=closes_at,
        created_by=by,
    )  # fmt: skip
    domains, provinces = _domains(domain_codes), _provinces(province_codes)
    _check_call(call)
    call.save()
    call.domains.set(domains)
    call.provinces.set(provinces)
    return call


@transaction.atomic
def call_update(*, call: Call, by: User, **fields: Any) -> Call:
    """A draft's title, theme, window, domains (``domain_codes``) and regions (``province_codes``) change; a
    published or closed call stays as it was published."""
    _check_organizer(by, call)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.status != Call.Status.DRAFT:
        raise ApplicationError(_("Only a draft call is edited."), field="status")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        name = sorted(unknown)[0]
        raise ApplicationError(_("%(field)s cannot be changed.") % {"field": name}, field=name)
    domains = _domains(fields.pop("domain_codes")) if "domain_codes" in fields else None
    provinces = _provinces(fields.pop("province_codes")) if "province_codes" in fields else None
    for name, value in fields.items():
        setattr(call, name, value.strip() if isinstance(value, str) else value)
    _check_call(call)
    call.save()
    if domains is not None:
        call.domains.set(domains)
    if provinces is not None:
        call.provinces.set(provinces)
    return call


@transaction.atomic
def call_set_status(*, call: Call, by: User, status: str) -> Call:
    """Publish a draft (its window not over; the organiser verified, unless staff publish it), or close a published
    call: no more needs or proposals; the proposals already in are still reviewed."""
    _check_organizer(by, call)
    allowed = {Call.Status.DRAFT: {Call.Status.PUBLISHED}, Call.Status.PUBLISHED: {Call.Status.CLOSED}}
    call = Call.objects.select_for_update(of=("self",)).select_related("organizer").get(pk=call.pk)
    if status not in allowed.get(call.status, set()):
        raise ApplicationError(
            _("A %(current)s call cannot become %(to)s.")
            % {"current": call.get_status_display(), "to": dict(Call.Status.choices).get(status, status)},
            field="status",
        )
    if status == Call.Status.PUBLISHED:
        if not call.organizer.verified and not staff_may(by, "calls.change_call"):
            raise ApplicationError(
                _("Your organisation is not verified yet: platform staff verify it before its calls are public. "
                  "The call stays a draft meanwhile."),
                field="status",
            )  # fmt: skip
        if call.closes_at <= timezone.now():
            raise ApplicationError(_("The window must close in the future."), field="closes_at")
        call.published_at = timezone.now()
    call.status = status
    call.save(update_fields=["status", "published_at", "updated_at"])
    return call


def _window_problem(call: Call, now: datetime, what: str) -> ApplicationError | None:
    """Why the call takes no ``what`` ("needs" or "proposals") now, naming the window's field, or None."""
    if call.status == Call.Status.DRAFT:
        return ApplicationError(_("This call is not published yet."), field="call")
    if call.status != Call.Status.PUBLISHED:
        return ApplicationError(_("This call is closed."), field="call")
    if now < call.opens_at:
        if what == "needs":
            text = _("The call takes needs from %(time)s.")
        else:
            text = _("The call takes proposals from %(time)s.")
        return ApplicationError(text % {"time": _time(call.opens_at)}, field="opens_at")
    if now >= call.closes_at:
        text = (
            _("The call's window closed at %(time)s: it takes no more needs.")
            if what == "needs"
            else _("The call's window closed at %(time)s: it takes no more proposals.")
        )
        return ApplicationError(text % {"time": _time(call.closes_at)}, field="closes_at")
    return None


# --- Needs entered ---------------------------------------------------------------------------------------------


def domain_scope(call: Call) -> set[str] | None:
    """The domain codes a need of the call has one of: the call's and their subdomains; None for any."""
    codes = set(call.domains.values_list("code", flat=True))
    if not codes:
        return None
    return codes | set(Domain.objects.filter(parent_id__in=codes).values_list("code", flat=True))


def fit_problem(call: Call, need: Need) -> str | None:
    """Why the need does not fit the call (its domains, its province), or None."""
    scope = domain_scope(call)
    if scope is not None and not scope & set(need.domains.values_list("code", flat=True)):
        names = ", ".join(str(domain) for domain in call.domains.all())
        return _("%(title)s is outside the call's domains (%(domains)s).") % {"title": need.title, "domains": names}
    province_ids = set(call.provinces.values_list("code", flat=True))
    if province_ids and need.province_id not in province_ids:
        return _("%(title)s is in %(province)s, outside the call's regions.") % {
            "title": need.title, "province": need.province.name,
        }  # fmt: skip
    return None


def _on_market(posting: Achievement | Need) -> bool:
    return posting.status == PostingStatus.PUBLISHED and not (isinstance(posting, Need) and posting.is_expired)


@transaction.atomic
def call_need_enter(*, call: Call, need: Need, by: User) -> CallNeed:
    """A member of the need's enterprise enters it in a published call while the window is open: a published need
    (not past its deadline) of an enterprise, fitting the call's domains and regions, once."""
    if not acts_for(by, need.organization_id, permission="calls.add_callneed"):
        raise PermissionDenied(_("Only members of the need's organisation enter it in a call."), field="need")
    call = Call.objects.select_for_update().get(pk=call.pk)
    problem = _window_problem(call, timezone.now(), "needs")
    if problem is not None:
        raise problem
    need = Need.objects.select_related("organization", "province").get(pk=need.pk)
    if need.organization.kind != Organization.Kind.ENTERPRISE:
        raise ApplicationError(_("Calls collect the needs of enterprises."), field="need")
    if not _on_market(need):
        raise ApplicationError(
            _("%(title)s is not on the market: publish it (or extend its deadline) first.") % {"title": need.title},
            field="need",
        )
    problem_text = fit_problem(call, need)
    if problem_text:
        raise ApplicationError(problem_text, field="need")
    if CallNeed.objects.filter(call=call, need=need).exists():
        raise ApplicationError(_("%(title)s is in this call already.") % {"title": need.title}, field="need")
    try:
        with transaction.atomic():
            entry = CallNeed.objects.create(call=call, need=need, entered_by=by)
    except IntegrityError as error:  # entered by another member meanwhile (only if the lock were bypassed)
        raise ApplicationError(_("%(title)s is in this call already.") % {"title": need.title}, field="need") from error
    organization_notify(
        organization=call.organizer,
        subject=message(gettext_noop("A need entered your call %(call)s"), call=call.title[:150]),
        body=message(gettext_noop("%(organization)s entered %(need)s."), organization=need.organization.name,
                     need=need.title[:150]),
        link=_need_link(entry),
        mail=False,  # a call collects many: a notice on the organiser's pages, no e-mail for each
    )  # fmt: skip
    return entry


@transaction.atomic
def call_need_remove(*, call_need: CallNeed, by: User, reason: str) -> None:
    """The organiser's members remove a need from their call, saying why (the need's enterprise is told). A need
    that has received proposals stays: its proposals are declined instead."""
    call = Call.objects.select_for_update().get(pk=call_need.call_id)
    _check_organizer(by, call)
    if not reason.strip():
        raise ApplicationError(_("Say why the need leaves the call; its enterprise is told."), field="reason")
    entry = CallNeed.objects.select_related("need__organization").filter(pk=call_need.pk, call=call).first()
    if entry is None:
        raise ApplicationError(_("That need is not in this call."), field="need")
    if entry.proposals.exists():
        raise ApplicationError(
            _("Proposals were submitted for this need: decline them rather than remove the need."), field="need"
        )
    need = entry.need
    entry.delete()
    organization_notify(
        organization=need.organization,
        subject=message(gettext_noop("Your need %(need)s was removed from the call %(call)s"),
                        need=need.title[:90], call=call.title[:90]),
        body=reason.strip(),  # typed by the organiser: shown as it is
        link=reverse("calls:detail", kwargs={"pk": call.pk}),
    )  # fmt: skip


# --- Proposals -------------------------------------------------------------------------------------------------


def _need_link(call_need: CallNeed) -> str:
    return reverse("calls:need", kwargs={"pk": call_need.call_id, "need_id": call_need.need_id})


def _budget(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as error:
        raise ApplicationError(_("Give the budget in 10k CNY."), field="budget_wan") from error
    if not amount.is_finite() or amount < 0:
        raise ApplicationError(_("The budget cannot be negative."), field="budget_wan")
    if amount > MAX_AMOUNT:
        raise ApplicationError(_("The budget is too large."), field="budget_wan")
    return amount


def _months(value: object) -> int:
    try:
        months = int(str(value))
    except (TypeError, ValueError) as error:
        raise ApplicationError(_("Give the timeline in whole months."), field="months") from error
    if not 1 <= months <= MAX_MONTHS:
        raise ApplicationError(
            _("The timeline is from 1 to %(max)s months.") % {"max": MAX_MONTHS}, field="months"
        )
    return months


def _tell_reviewers(call_need: CallNeed, subject: dict, body: dict) -> None:
    """The need's enterprise and the call's organiser."""
    for organization in (call_need.need.organization, call_need.call.organizer):
        organization_notify(organization=organization, subject=subject, body=body, link=_need_link(call_need))


def _proposal_subject(msgid: str, proposal: Proposal) -> dict:
    return message(msgid, need=proposal.call_need.need.title[:90], call=proposal.call_need.call.title[:90])


@transaction.atomic
def proposal_submit(
    *,
    call_need: CallNeed,
    achievement: Achievement,
    by: User,
    plan: str,
    months: object,
    mode: str,
    budget_wan: object = None,
) -> Proposal:
    """A member of a university or research institute proposes one of its published achievements for a need of a
    published call while the window is open, with a plan, a timeline (months), a cooperation mode and a budget
    (10k CNY, optional); once per achievement and need. The need's enterprise and the organiser are told."""
    if not acts_for(by, achievement.organization_id, permission="calls.add_proposal"):
        raise PermissionDenied(_("Members propose their own organisation's achievements only."), field="achievement")
    entry = _locked_entry(call_need)  # the proposals of one need, one at a time
    now = timezone.now()  # after the lock
    problem = _window_problem(entry.call, now, "proposals")
    if problem is not None:
        raise problem
    if not _on_market(entry.need):
        raise ApplicationError(_("This need is no longer on the market."), field="need")
    achievement = Achievement.objects.select_related("organization").get(pk=achievement.pk)
    if achievement.organization.kind not in PROPOSERS:
        raise ApplicationError(_("Universities and research institutes propose solutions."), field="achievement")
    if not _on_market(achievement):
        raise ApplicationError(
            _("%(title)s is not on the market: only published achievements are proposed.")
            % {"title": achievement.title},
            field="achievement",
        )
    if Proposal.objects.filter(call_need=entry, achievement=achievement).exists():
        raise ApplicationError(
            _("%(title)s was already proposed for this need.") % {"title": achievement.title}, field="achievement"
        )
    if not plan.strip():
        raise ApplicationError(_("Describe your plan: what you would do, and how."), field="plan")
    if mode not in CooperationMode.values:
        raise ApplicationError(_("%(mode)s is not a cooperation mode.") % {"mode": mode}, field="mode")
    proposal = Proposal(
        call_need=entry, achievement=achievement, organization=achievement.organization, plan=plan.strip(),
        budget_wan=_budget(budget_wan), months=_months(months), mode=mode, submitted_by=by, submitted_at=now,
    )  # fmt: skip
    model_validate(proposal, exclude=["call_need", "achievement", "organization", "submitted_by"],
                   validate_constraints=False)  # fmt: skip
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError as error:  # only if the lock were bypassed
        raise ApplicationError(
            _("%(title)s was already proposed for this need.") % {"title": achievement.title}, field="achievement"
        ) from error
    _tell_reviewers(
        entry,
        _proposal_subject(gettext_noop("New proposal for %(need)s (%(call)s)"), proposal),
        message(gettext_noop("%(organization)s proposes %(achievement)s."),
                organization=achievement.organization.name, achievement=achievement.title[:150]),
    )  # fmt: skip
    return proposal


def _locked_entry(call_need: CallNeed) -> CallNeed:
    """The entry under its row lock (taken without joins), with its call and need read after it."""
    if not list(CallNeed.objects.select_for_update().filter(pk=call_need.pk).values_list("pk", flat=True)):
        raise ApplicationError(_("That need is no longer in the call."), field="call_need")
    return CallNeed.objects.select_related("call__organizer", "need__organization").get(pk=call_need.pk)


def _locked_proposal(proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)  # without joins: see auctions.services
    return Proposal.objects.select_related(
        "call_need__call__organizer", "call_need__need__organization", "achievement", "organization"
    ).get(pk=locked.pk)


def _check_open(proposal: Proposal) -> None:
    if not proposal.is_open:
        raise ApplicationError(
            _("This proposal is %(status)s already.") % {"status": proposal.get_status_display()}, field="status"
        )


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, by: User) -> Proposal:
    """The proposer's members withdraw a proposal before it is awarded or declined."""
    proposal = _locked_proposal(proposal)
    if not acts_for(by, proposal.organization_id, permission="calls.change_proposal"):
        raise PermissionDenied(_("Only the proposing organisation withdraws its proposal."))
    _check_open(proposal)
    proposal.status = Proposal.Status.WITHDRAWN
    proposal.save(update_fields=["status"])
    _tell_reviewers(
        proposal.call_need,
        _proposal_subject(gettext_noop("A proposal for %(need)s (%(call)s) was withdrawn"), proposal),
        message(gettext_noop("%(organization)s withdrew %(achievement)s."),
                organization=proposal.organization.name, achievement=proposal.achievement.title[:150]),
    )  # fmt: skip
    return proposal


def _decide(proposal: Proposal, by: User, status: str, note: str) -> Proposal:
    proposal.status, proposal.decided_by, proposal.decided_at = status, by, timezone.now()
    proposal.decision_note = note.strip()
    model_validate(proposal, exclude=["call_need", "achievement", "organization", "submitted_by", "decided_by",
                                      "agreement"], validate_constraints=False)  # fmt: skip
    proposal.save()
    return proposal


def _tell_proposer(proposal: Proposal, subject: str, body: Any = "") -> None:
    organization_notify(
        organization=proposal.organization,
        subject=_proposal_subject(subject, proposal),
        body=body,
        link=_need_link(proposal.call_need),
    )


@transaction.atomic
def proposal_shortlist(*, proposal: Proposal, by: User, note: str = "") -> Proposal:
    """A reviewer shortlists a submitted proposal; the proposer is told."""
    proposal = _locked_proposal(proposal)
    _check_reviewer(by, proposal.call_need)
    if proposal.status != Proposal.Status.SUBMITTED:
        raise ApplicationError(
            _("Only submitted proposals are shortlisted; this one is %(status)s.")
            % {"status": proposal.get_status_display()},
            field="status",
        )
    _decide(proposal, by, Proposal.Status.SHORTLISTED, note)
    _tell_proposer(proposal, gettext_noop("Your proposal for %(need)s (%(call)s) is shortlisted"), note.strip())
    return proposal


@transaction.atomic
def proposal_decline(*, proposal: Proposal, by: User, reason: str) -> Proposal:
    """A reviewer declines a submitted or shortlisted proposal, saying why; the proposer is told the reason."""
    if not reason.strip():
        raise ApplicationError(_("Say why the proposal is declined; the proposer is told."), field="reason")
    proposal = _locked_proposal(proposal)
    _check_reviewer(by, proposal.call_need)
    _check_open(proposal)
    _decide(proposal, by, Proposal.Status.DECLINED, reason)
    _tell_proposer(proposal, gettext_noop("Your proposal for %(need)s (%(call)s) was declined"), reason.strip())
    return proposal


@transaction.atomic
def proposal_award(*, proposal: Proposal, by: User, note: str = "") -> Proposal:
    """A reviewer awards a submitted or shortlisted proposal: the pair becomes an accepted match with an agreement
    (the proposal's mode, its budget as the amount, signed today: ``matching.awards.match_award``), kept on the
    proposal. Several proposals of one need may be awarded. The proposer is told (and both sides, by the match)."""
    proposal = _locked_proposal(proposal)
    _check_reviewer(by, proposal.call_need)
    _check_open(proposal)
    call = proposal.call_need.call
    agreement = match_award(
        achievement=proposal.achievement, need=proposal.call_need.need, by=by, mode=proposal.mode,
        amount_wan=proposal.budget_wan, signed_on=timezone.localdate(),
        note=(note.strip() or _("Awarded in the call %(call)s.") % {"call": call.title})[:2000],
    )  # fmt: skip
    proposal.agreement = agreement
    _decide(proposal, by, Proposal.Status.AWARDED, note)
    _tell_proposer(
        proposal, gettext_noop("Your proposal for %(need)s (%(call)s) is awarded"),
        message(gettext_noop("The agreement is recorded; the match is open to both sides with their contacts.")),
    )  # fmt: skip
    return proposal


# --- Invitations -----------------------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(*, call_need: CallNeed, achievement: Achievement, by: User) -> Invitation:
    """A reviewer invites the organisation of a published achievement of a university or research institute to
    propose it for the need, while the call takes proposals; once per achievement and need, and not once proposed.
    The invited organisation is told."""
    entry = _locked_entry(call_need)
    _check_reviewer(by, entry)
    problem = _window_problem(entry.call, timezone.now(), "proposals")
    if problem is not None:
        raise problem
    achievement = Achievement.objects.select_related("organization").get(pk=achievement.pk)
    if achievement.organization.kind not in PROPOSERS or not _on_market(achievement):
        raise ApplicationError(
            _("Invite published achievements of universities and research institutes."), field="achievement"
        )
    if Proposal.objects.filter(call_need=entry, achievement=achievement).exists():
        raise ApplicationError(
            _("%(title)s was already proposed for this need.") % {"title": achievement.title}, field="achievement"
        )
    if Invitation.objects.filter(call_need=entry, achievement=achievement).exists():
        raise ApplicationError(
            _("%(title)s was invited already.") % {"title": achievement.title}, field="achievement"
        )
    invitation = Invitation.objects.create(call_need=entry, achievement=achievement, invited_by=by)
    organization_notify(
        organization=achievement.organization,
        subject=message(gettext_noop("You are invited to propose %(achievement)s for %(need)s"),
                        achievement=achievement.title[:90], need=entry.need.title[:90]),
        body=message(gettext_noop("The call %(call)s takes proposals until %(time)s."),
                     call=entry.call.title[:150], time=_time(entry.call.closes_at)),
        link=_need_link(entry),
    )  # fmt: skip
    return invitation

