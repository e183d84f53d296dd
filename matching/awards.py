"""Awards: an achievement and a need brought together outside the match workflow (an open call's award, in
``calls.services.proposal_award``) become an accepted match with an agreement, as a match taken the whole way would.

The match workflow's own steps (``matching.services``: staff review, both sides accept, an agreement recorded on a
match in contact) are skipped: the organisers decided. So the pair's match is found or created, both sides' decisions
set to accepted, the match made a deal with its contacts revealed, the change recorded (a match event and the audit
log, action "award"), the agreement created through ``agreement_create`` (the rules every agreement meets) and both
sides told.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User
from core.i18n import amount_wan as amount_wan_text
from core.i18n import message
from marketplace.models import Achievement, CooperationMode, Need

from .models import Agreement, Match
from .services import _both, _record, agreement_create, match_side


def _locked_pair(achievement: Achievement, need: Need) -> Match:
    """The pair's match under its row lock: the one the engine suggested when there is one (its score and components
    kept), else a new one (score 0, no components: the engine never scored the pair)."""
    rows = Match.objects.select_for_update().select_related("achievement__organization", "need__organization")
    match = rows.filter(achievement=achievement, need=need).first()
    if match is not None:
        return match
    try:
        with transaction.atomic():
            created = Match.objects.create(achievement=achievement, need=need, score=0.0, components={}, reasons=[])
    except IntegrityError:  # the engine (or another award) wrote the pair meanwhile
        return rows.get(achievement=achievement, need=need)
    return rows.get(pk=created.pk)


@transaction.atomic
def match_award(
    *,
    achievement: Achievement,
    need: Need,
    by: User,
    mode: str,
    amount_wan: Decimal | None,
    signed_on: date,
    note: str = "",
) -> Agreement:
    """The pair becomes a deal with an agreement (``mode``, ``amount_wan``, ``signed_on``, ``note``): its match, the
    engine's suggestion when there is one, else a new match scored 0; both sides accepted; contacts revealed. Callers
    check who may award (the call's reviewers). A match whatever its status takes the award: one staff rejected, a
    side declined or a deadline withdrew may still be awarded, because the organisers decided; a deal already made
    gets one more agreement. The agreement's terms are checked as every agreement's (``agreement_create``): a
    refusal changes nothing."""
    match = _locked_pair(achievement, need)
    before = match.status
    side = match_side(user=by, match=match) or ("staff" if by.is_staff else "organiser")
    match.achievement_decision = match.need_decision = Match.Decision.ACCEPTED
    match.status = Match.Status.DEAL
    if match.contact_revealed_at is None:
        match.contact_revealed_at = timezone.now()
    match.save()
    agreement = agreement_create(
        match=match, achievement=match.achievement, need=match.need, mode=mode, amount_wan=amount_wan,
        signed_on=signed_on, note=note, by=by,
    )  # fmt: skip
    _record(match, before=before, action="award", by=by, side=side, note=note)
    _both(
        match,
        gettext_noop("Awarded: %(need)s ⇄ %(achievement)s"),
        message(
            gettext_noop("%(mode)s · %(amount)s · signed on %(date)s"),
            mode=CooperationMode(mode), amount=amount_wan_text(amount_wan), date=signed_on,
        ),
    )  # fmt: skip
    return agreement
