"""The demo's call: published, 97 needs entered from the data file (its enterprises created once, the demo's own
needs reused), two proposals of a demo university (one shortlisted, one awarded with its agreement); loading it
twice adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Organization
from calls.demo import DEMO_TITLE, ENTERPRISES, load_demo_call
from calls.models import Call, CallNeed, Proposal
from marketplace.models import Need
from matching.models import Agreement
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, achievement, need

from .conftest import publish

pytestmark = pytest.mark.django_db


def test_the_demo_call_loads_once_with_97_needs():
    organiser = OrganizationFactory(kind="organiser", name="演示联盟", province_id="310000", city_id="310100",
                                    verified=True, verified_at=timezone.now())  # fmt: skip
    MembershipFactory(organization=organiser, user=UserFactory(email="g60@demo.techmatch.cn"))
    university = MembershipFactory(organization=OrganizationFactory(name="演示大学")).organization
    for n in range(3):
        publish(achievement(university, title=f"演示成果{n}"))
    owner = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="演示企业")).organization
    reused = publish(need(owner, title="演示平台已有的需求", external_ref="N002"))  # in Anhui: the call's region
    load_demo_call(password="demo-pass-2026")
    call = Call.objects.get(title=DEMO_TITLE)
    assert (call.status, call.window(), call.entries.count()) == ("published", "open", 97)
    assert sorted(call.provinces.values_list("code", flat=True)) == ["310000", "320000", "330000", "340000"]
    assert CallNeed.objects.filter(call=call, need=reused).exists()
    assert Need.objects.filter(external_ref="N002").count() == 1  # reused, not copied
    enterprises = Organization.objects.filter(name__in=[spec[0] for spec in ENTERPRISES])
    assert enterprises.count() == 9 and all(org.verified and org.contact_name for org in enterprises)
    assert set(Proposal.objects.values_list("status", flat=True)) == {"shortlisted", "awarded"}
    awarded = Proposal.objects.get(status="awarded")
    assert awarded.agreement == Agreement.objects.get() and awarded.organization == university
    load_demo_call(password="demo-pass-2026")
    assert (Call.objects.count(), CallNeed.objects.count(), Proposal.objects.count()) == (1, 97, 2)
    assert Organization.objects.filter(kind="enterprise").count() == 10
