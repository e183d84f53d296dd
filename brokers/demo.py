"""The demo's broker (called by ``demo/management/commands/load_demo.py``): the demo university appoints the service
agency's member as its broker for its two achievements with the most released matches, so that ``make run`` shows a
broker's list of matches to answer. Through ``brokers.services``, as every interface.

Idempotent: a standing appointment of that broker by that organisation means it was loaded; nothing is done.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q

from accounts.models import Organization, User
from marketplace.models import Achievement

from . import services
from .models import BrokerAppointment

NOTE = "委托技术经纪人跟进两项成果的匹配、洽谈与签约，按成交额的5%支付经纪服务费。"


@transaction.atomic
def load_demo_broker(*, organization: Organization, by: User, broker: User) -> BrokerAppointment | None:
    """``by`` (an owner of ``organization``) appoints ``broker`` for its two achievements most matched (once)."""
    standing = BrokerAppointment.objects.filter(organization=organization, broker=broker, revoked_at__isnull=True)
    if standing.exists():
        return None
    released = Q(matches__status__in=["approved", "in_contact", "deal", "declined"])
    listings = list(
        Achievement.objects.filter(organization=organization, status="published")
        .annotate(released=Count("matches", filter=released))
        .order_by("-released", "pk")
        .values_list("pk", flat=True)[:2]
    )
    if not listings:
        return None
    return services.broker_appoint(
        organization=organization, by=by, broker_email=broker.email, achievement_ids=listings, note=NOTE
    )
