"""The match workflow: staff review, both sides accept or decline, contacts revealed, agreements recorded.

``match_transition`` is the one function that changes a match's status; it records the change and notifies the other
side. The named functions say who may do what and call it. Views, the API and admin actions all go through here.

Release: ``MatchingConfig.release_rule`` says how new suggestions reach the two sides (staff review every pair, the
default; release at or above a threshold, staff reviewing the rest; release all). ``matches_release`` is the one
function that applies it: every run calls it once with the suggestions it made (incremental runs, full rebuilds, a
need published again), and the review queue's action "release what the rule now allows" calls it without a run, for
the suggestions already waiting. It works in bulk (one UPDATE per block of ids, the match events and audit rows
bulk-inserted), and tells each organisation once per call how many new matches it has, not once per match. A
released match is an approved match like any staff approved (both sides see it and answer it); only its record
differs: no reviewer, the event's side "system", and a note naming the rule. Changing the rule does not release the
backlog by itself: a run releases only pairs suggested since the rule took effect (``release_since``).

Deadlines: when needs close at their deadline (``marketplace.signals.need_expired``, received in the closing
transaction, see ``apps.py``), ``matches_withdraw_for_needs`` withdraws their open matches (suggested or approved),
recording each change; ``matches_restore_for_need`` brings them back as suggestions when the need is published again.
The matching app listens, rather than a matching task driving the marketplace, so that every way of closing needs at
their deadline (the daily task, a command, a test) withdraws their suggestions in the same transaction, and the
marketplace knows nothing of matches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.selectors import staff_may, user_organization_ids
from accounts.services import organization_notify
from brokers.selectors import brokered_listings
from core.audit import Kind as AuditKind
from core.audit import audit_event, audit_record, audit_record_first
from core.exceptions import ApplicationError, PermissionDenied
from core.i18n import Text, message
from core.i18n import amount_wan as amount_wan_text
from core.models import AuditEvent
from marketplace.models import Achievement, CooperationMode, Need
from marketplace.models import Status as PostingStatus

from .models import Agreement, Match, MatchEvent, MatchingConfig, MatchRun, ReleaseRule
from .selectors import MATCHES_VERSION

Status = Match.Status
Decision = Match.Decision


def match_side(*, user: User, match: Match) -> str | None:
    """Which side of the match the user acts for: "achievement", "need" or None. A member acts for their
    organisation's side; a broker for the side whose listing they were appointed to (``brokers``)."""
    organizations = user_organization_ids(user=user)
    if match.achievement.organization_id in organizations:
        return "achievement"
    if match.need.organization_id in organizations:
        return "need"
    brokered = brokered_listings(user=user)
    if match.achievement_id in brokered.achievements:
        return "achievement"
    if match.need_id in brokered.needs:
        return "need"
    return None


def acts_as_broker(*, user: User | None, match: Match, side: str | None) -> bool:
    """Whether the user acts on the match's ``side`` as its organisation's broker, not as one of its members."""
    organization = side_organization(match, side)
    return bool(user and organization and organization.pk not in user_organization_ids(user=user))


# What a broker did, told to the organisation they act for (msgids taking the two titles).
BROKER_TOLD = {
    "accept": gettext_noop("Your broker accepted: %(need)s ⇄ %(achievement)s"),
    "decline": gettext_noop("Your broker declined: %(need)s ⇄ %(achievement)s"),
    "agreement": gettext_noop("Your broker recorded an agreement: %(need)s ⇄ %(achievement)s"),
}


def _lock(match: Match) -> Match:
    return Match.objects.select_for_update().select_related("achievement", "need").get(pk=match.pk)


def _record(match: Match, *, before: str, action: str, by: User | None, side: str = "", note: str = "") -> None:
    """Record a change of the match, and the same in the audit log (in the caller's transaction): the organisation
    is the side that acted (none when staff or the system did); a broker's act is marked as theirs, on the
    organisation's behalf."""
    by_broker = acts_as_broker(user=by, match=match, side=side)
    MatchEvent.objects.create(
        match=match, from_status=before, to_status=match.status, side=side, action=action, by=by, note=note,
        by_broker=by_broker,
    )  # fmt: skip
    detail = {"from": before, "to": match.status, "action": action, "side": side, "reason": note}
    audit_record(
        AuditKind.TRANSITION,
        actor=by,
        organization=side_organization(match, side),
        target=match,
        label=_audit_label(match),
        detail={**detail, "broker": True} if by_broker else detail,
    )
    if by_broker and by is not None and action in BROKER_TOLD:  # the organisation hears what its broker did
        _notify(
            side_organization(match, side),
            match,
            BROKER_TOLD[action],
            message(gettext_noop("By %(broker)s, your broker, on your behalf."), broker=by.get_short_name()),
        )


def side_organization(match: Match, side: str | None) -> Organization | None:
    """The organisation of the match's ``side`` ("achievement" or "need"; none for staff's)."""
    if side == "achievement":
        return match.achievement.organization
    if side == "need":
        return match.need.organization
    return None


def _audit_label(match: Match) -> str:
    return f"{match.need.title[:90]} ⇄ {match.achievement.title[:90]}"


def match_contacts_seen(*, user: User, matches: Iterable[Match]) -> None:
    """Record in the audit log that the user was shown the contacts of these matches (the other side's, or both for
    staff): the match page and the API call it with the matches whose contacts they show. Only the first time a
    user sees a match's contacts is recorded: it answers who has had them, and since when, where a row per page view
    or API poll would bury the log in repeats."""

    def seen(match: Match) -> AuditEvent:
        side = match_side(user=user, match=match)
        return audit_event(
            AuditKind.CONTACT_REVEAL,
            actor=user,
            organization=side_organization(match, side),
            target=match,
            label=_audit_label(match),
            detail={"side": side or "staff"},
        )

    audit_record_first(seen(match) for match in matches)


def _notify(organization: Organization, match: Match, subject: str, body: Text) -> None:
    """Tell one side about the match: ``subject`` a msgid (``gettext_noop``) taking the two titles, ``body`` a
    ``core.i18n`` message or typed text; read in each reader's language."""
    organization_notify(
        organization=organization,
        subject=message(subject, need=match.need.title[:90], achievement=match.achievement.title[:90]),
        body=body,
        link=f"/matches/{match.pk}/",
    )


def _both(match: Match, subject: str, body: Text) -> None:
    _notify(match.achievement.organization, match, subject, body)
    _notify(match.need.organization, match, subject, body)


@transaction.atomic
def match_approve(*, match: Match, by: User, note: str = "") -> Match:
    """Staff approve a suggestion: both sides see it and may accept or decline."""
    if not staff_may(by, "matching.change_match"):
        raise PermissionDenied(_("Only platform staff review suggested matches."))
    match = _lock(match)
    if match.status != Status.SUGGESTED:
        raise ApplicationError(
            _("Only suggested matches are approved; this one is %(status)s.") % {"status": match.get_status_display()},
            field="status",
        )
    _refuse_expired_need(match)
    before = match.status
    match.status, match.reviewed_by, match.reviewed_at, match.review_reason = Status.APPROVED, by, timezone.now(), note
    match.save()
    _record(match, before=before, action="approve", by=by, side="staff", note=note)
    _both(
        match,
        gettext_noop("New suggested match: %(need)s ⇄ %(achievement)s"),
        message(gettext_noop("The platform suggests a match; see it and accept or decline.")),
    )
    return match


@transaction.atomic
def match_reject(*, match: Match, by: User, reason: str) -> Match:
    """Staff reject a suggestion, saying why (the reasons feed the weight statistics)."""
    if not staff_may(by, "matching.change_match"):
        raise PermissionDenied(_("Only platform staff review suggested matches."))
    if not reason.strip():
        raise ApplicationError(_("Say why the match is rejected; the reasons tune the engine."), field="reason")
    match = _lock(match)
    if match.status not in (Status.SUGGESTED, Status.APPROVED):
        raise ApplicationError(
            _("A %(status)s match cannot be rejected.") % {"status": match.get_status_display()}, field="status"
        )
    before = match.status
    match.status, match.reviewed_by, match.reviewed_at = Status.REJECTED, by, timezone.now()
    match.review_reason = reason.strip()
    match.save()
    _record(match, before=before, action="reject", by=by, side="staff", note=reason.strip())
    return match


def _refuse_expired_need(match: Match) -> None:
    """A need past its deadline is closed on read: its open matches are not taken further (the daily task withdraws
    them)."""
    if match.need.is_expired:
        raise ApplicationError(gettext("The need has passed its deadline; its matches are withdrawn."), field="need")


def _acting_side(user: User, match: Match) -> str:
    side = match_side(user=user, match=match)
    if side is None:
        raise PermissionDenied(_("Only members of the two organisations act on a match."))
    if match.status != Status.APPROVED:
        raise ApplicationError(
            _("This match is %(status)s; only approved matches are answered.") % {"status": match.get_status_display()},
            field="status",
        )
    return side


@transaction.atomic
def match_accept(*, match: Match, by: User) -> Match:
    """One side accepts. When both have, the match is in contact and each side sees the other's contact."""
    match = _lock(match)
    side = _acting_side(by, match)
    _refuse_expired_need(match)
    setattr(match, f"{side}_decision", Decision.ACCEPTED)
    before = match.status
    other = match.need.organization if side == "achievement" else match.achievement.organization
    if match.achievement_decision == Decision.ACCEPTED and match.need_decision == Decision.ACCEPTED:
        match.status, match.contact_revealed_at = Status.IN_CONTACT, timezone.now()
        match.save()
        _record(match, before=before, action="accept", by=by, side=side)
        _both(
            match,
            gettext_noop("Both sides accepted: %(need)s ⇄ %(achievement)s"),
            message(gettext_noop("Both sides accepted; each now sees the other's contact.")),
        )
    else:
        match.save()
        _record(match, before=before, action="accept", by=by, side=side)
        _notify(
            other,
            match,
            gettext_noop("The other side accepted: %(need)s ⇄ %(achievement)s"),
            message(gettext_noop("The other side accepted this match and awaits your answer.")),
        )
    return match


@transaction.atomic
def match_decline(*, match: Match, by: User, reason: str) -> Match:
    """One side declines, saying why (kept for the statistics that tune the weights)."""
    if not reason.strip():
        raise ApplicationError(_("Say why you decline; it helps the platform suggest better matches."), field="reason")
    match = _lock(match)
    side = _acting_side(by, match)
    setattr(match, f"{side}_decision", Decision.DECLINED)
    before = match.status
    match.status, match.decline_reason = Status.DECLINED, reason.strip()
    match.save()
    _record(match, before=before, action="decline", by=by, side=side, note=reason.strip())
    other = match.need.organization if side == "achievement" else match.achievement.organization
    _notify(
        other,
        match,
        gettext_noop("The other side declined: %(need)s ⇄ %(achievement)s"),
        reason.strip(),  # typed by a person: shown as it is
    )
    return match


def agreement_terms_check(
    *, mode: str, amount_wan: Decimal | None, signed_on: date, signed_until: date | None = None
) -> None:
    """The rules the terms of every agreement meet, recorded or proposed (a conversation's proposal). The signing
    date is today at the latest, or ``signed_until`` when the caller allows a later day (an event's last day)."""
    if mode not in CooperationMode.values:
        raise ApplicationError(_("%(mode)s is not a cooperation mode.") % {"mode": mode}, field="mode")
    if amount_wan is not None and amount_wan < 0:
        raise ApplicationError(_("The amount cannot be negative."), field="amount_wan")
    if signed_on > max(timezone.localdate(), signed_until or date.min):
        raise ApplicationError(_("The signing date is in the future."), field="signed_on")


def agreement_create(
    *,
    achievement: Achievement,
    need: Need | None,
    mode: str,
    signed_on: date,
    by: User,
    amount_wan: Decimal | None = None,
    note: str = "",
    match: Match | None = None,
    signed_until: date | None = None,
) -> Agreement:
    """The rules every agreement meets, wherever it is recorded (on a match, or at an event); callers check who
    may record it (and whether a signing date after today may stand: ``signed_until``)."""
    agreement_terms_check(mode=mode, amount_wan=amount_wan, signed_on=signed_on, signed_until=signed_until)
    return Agreement.objects.create(
        match=match, achievement=achievement, need=need, mode=mode, amount_wan=amount_wan, signed_on=signed_on,
        note=note, recorded_by=by,
    )  # fmt: skip


@transaction.atomic
def agreement_record(
    *, match: Match, by: User, mode: str, signed_on: date, amount_wan: Decimal | None = None, note: str = ""
) -> Agreement:
    """Either side (or staff) records the agreement signed on a match in contact; the match becomes a deal."""
    match = _lock(match)
    side = match_side(user=by, match=match)
    if side is None and not staff_may(by, "matching.add_agreement"):
        raise PermissionDenied(_("Only the two organisations (or staff) record an agreement."))
    if match.status not in (Status.IN_CONTACT, Status.DEAL):
        raise ApplicationError(_("An agreement is recorded once both sides have accepted the match."), field="status")
    agreement = agreement_create(
        match=match, achievement=match.achievement, need=match.need, mode=mode, amount_wan=amount_wan,
        signed_on=signed_on, note=note, by=by,
    )  # fmt: skip
    before = match.status
    match.status = Status.DEAL
    match.save()
    _record(match, before=before, action="agreement", by=by, side=side or "staff", note=note)
    _both(
        match,
        gettext_noop("Agreement recorded: %(need)s ⇄ %(achievement)s"),
        message(
            gettext_noop("%(mode)s · %(amount)s · signed on %(date)s"),
            mode=CooperationMode(mode), amount=amount_wan_text(amount_wan), date=signed_on,
        ),
    )
    return agreement


# --- Deadlines -------------------------------------------------------------------------------------------------


@transaction.atomic
def matches_withdraw_for_needs(*, need_ids: Iterable[int], note: str = "") -> list[Match]:
    """Withdraw the open matches (suggested, or approved but not yet accepted by both sides) of these needs, which
    closed: each change is recorded; the achievement side of an approved match, which saw it, is told. Matches in
    contact or with a deal stay as they are. Safe to repeat: withdrawn matches are no longer open."""
    matches = list(
        Match.objects.select_for_update()
        .filter(need_id__in=list(need_ids), status__in=Match.OPEN)
        .select_related("achievement__organization", "need")
        .order_by("pk")
    )
    for match in matches:
        before = match.status
        match.status = Status.WITHDRAWN
        match.save(update_fields=["status", "updated_at"])
        _record(match, before=before, action="withdraw", by=None, side="system", note=note)
        if before == Status.APPROVED:
            _notify(
                match.achievement.organization,
                match,
                gettext_noop("Match withdrawn, the need passed its deadline: %(need)s ⇄ %(achievement)s"),
                message(gettext_noop("The need's deadline passed and it was closed, so this match is withdrawn.")),
            )
    return matches


@transaction.atomic
def matches_restore_for_need(*, need: Need) -> list[Match]:
    """A need published again (its deadline extended) gets its withdrawn matches back as fresh suggestions, for
    staff to review again; the matching run that follows the publication re-scores them (or drops those no longer
    among the best)."""
    matches = list(Match.objects.select_for_update().filter(need_id=need.pk, status=Status.WITHDRAWN).order_by("pk"))
    for match in matches:
        match.status = Status.SUGGESTED
        match.achievement_decision = match.need_decision = Decision.PENDING
        match.reviewed_by, match.reviewed_at = None, None
        match.save()
        _record(match, before=Status.WITHDRAWN, action="restore", by=None, side="system")
    return matches


# --- Release ---------------------------------------------------------------------------------------------------
RELEASE_BLOCK = 5000


@transaction.atomic
def matching_config_save(*, config: MatchingConfig, by: User | None, changed: Iterable[str] = ()) -> MatchingConfig:
    """Save the settings staff edited (``changed``: the names of the fields they changed). A change of the release
    rule or its threshold takes effect from now: runs release the pairs they suggest from now on, while the
    suggestions already waiting stay for staff (or for the queue's action "release what the rule now allows")."""
    config.pk = 1
    config.updated_by = by
    if set(changed) & set(MatchingConfig.RELEASE_FIELDS) or config.release_since is None:
        config.release_since = timezone.now()
    config.full_clean()
    config.save()
    return config


def release_note(config: MatchingConfig) -> str:
    """The note of a match released by the rule: which rule, and its threshold (stored in English, like the other
    system notes; the admin shows the rule's label next to it)."""
    if config.release_rule == ReleaseRule.THRESHOLD:
        return f"released by the rule: score at or above {config.release_threshold:.2f}"
    return "released by the rule: every pair"


def _released_candidates(config: MatchingConfig, run: MatchRun | None) -> Q | None:
    """The suggested matches this call releases, as a filter (None: none at all)."""
    rule = config.release_q()
    if rule is None:
        return None
    live = Q(need__status=PostingStatus.PUBLISHED, achievement__status=PostingStatus.PUBLISHED) & ~Need.expired_q(
        prefix="need__"
    )
    condition = Q(status=Status.SUGGESTED) & rule & live
    if run is not None:
        condition &= Q(run=run)
        if config.release_since is not None:
            since = config.release_since
            restored = MatchEvent.objects.filter(action="restore", at__gte=since).values("match_id")
            condition &= Q(created_at__gte=since) | Q(pk__in=restored)
    return condition


@transaction.atomic
def matches_release(*, run: MatchRun | None = None, by: User | None = None) -> int:
    """Apply the release rule: with ``run``, to the suggestions that run made since the rule took effect (every run
    calls this as it finishes); without, to every suggestion waiting (staff's "release what the rule now allows":
    ``by`` must be staff). The released matches become approved in bulk; each gets a match event (action "release",
    side "system", the note naming the rule) and an audit row; each organisation involved is told once how many new
    matches it has. Returns how many were released. Safe to repeat: a released match is no longer suggested."""
    if run is None and (by is None or not staff_may(by, "matching.change_match")):
        raise PermissionDenied(_("Only platform staff release suggested matches."))
    config = MatchingConfig.get_solo()
    condition = _released_candidates(config, run)
    if condition is None:
        return 0
    # The matches alone are locked (a query of the model: ``FOR UPDATE OF`` the match table, not the postings).
    ids = [
        match.pk for match in Match.objects.select_for_update(of=("self",)).filter(condition).order_by("pk").only("pk")
    ]
    if not ids:
        return 0
    note = release_note(config)
    now = timezone.now()
    counts: Counter[int] = Counter()
    for start in range(0, len(ids), RELEASE_BLOCK):
        block = ids[start : start + RELEASE_BLOCK]
        rows = list(
            Match.objects.filter(pk__in=block)
            .order_by("pk")
            .values_list(
                "pk", "achievement__organization_id", "need__organization_id", "need__title", "achievement__title"
            )
        )
        Match.objects.filter(pk__in=block, status=Status.SUGGESTED).update(
            status=Status.APPROVED, reviewed_by=None, reviewed_at=now, review_reason=note, updated_at=now
        )
        MATCHES_VERSION.changed()  # released in bulk: no signal (what members see of their matches moved)
        MatchEvent.objects.bulk_create(
            [
                MatchEvent(match_id=pk, from_status=Status.SUGGESTED, to_status=Status.APPROVED, side="system",
                           action="release", by=by, note=note)
                for pk, *_rest in rows
            ],
            batch_size=2000,
        )  # fmt: skip
        AuditEvent.objects.bulk_create(
            [
                audit_event(
                    AuditKind.TRANSITION, actor=by, target=Match(pk=pk), label=f"{need[:90]} ⇄ {achievement[:90]}",
                    detail={"from": Status.SUGGESTED.value, "to": Status.APPROVED.value, "action": "release",
                            "side": "system", "reason": note},
                )
                for pk, _a, _n, need, achievement in rows
            ],
            batch_size=2000,
        )  # fmt: skip
        for _pk, achievement_org, need_org, *_titles in rows:
            counts[achievement_org] += 1
            if need_org != achievement_org:
                counts[need_org] += 1
    _notify_released(counts)
    return len(ids)


def _notify_released(counts: Counter[int]) -> None:
    """Each organisation on either side of the released matches is told once, with its count."""
    for organization in Organization.objects.filter(pk__in=sorted(counts)).order_by("pk"):
        count = counts[organization.pk]
        organization_notify(
            organization=organization,
            subject=message(gettext_noop("New matches suggested by the platform: %(count)d"), count=count),
            body=message(
                gettext_noop(
                    "The platform suggests %(count)d new matches to your organisation; see them and "
                    "accept or decline each."
                ),
                count=count,
            ),
            link="/matches/",
        )
