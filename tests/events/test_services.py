import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ApplicationError, PermissionDenied
from events import services
from events.models import Event, Registration
from tests.factories import MembershipFactory, UserFactory

from .clock import run_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory().user


def register(event, member, n):  # type: ignore[no-untyped-def]
    return services.registration_create(
        event=event, organization=member.organizations.get(), person_name=f"参会者{n}",
        person_email=f"p{n}@example.cn", by=member,
    )  # fmt: skip


def test_places_then_waiting_list_then_first_come_first_served(make_event, member, django_capture_on_commit_callbacks):
    event = make_event(capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        regs = [register(event, member, n) for n in range(5)]
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waiting", "waiting", "waiting"]
    event.refresh_from_db()
    assert (event.confirmed_count, event.places_left) == (2, 0)
    assert len(mail.outbox) == 5
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=regs[0], by=member)
    promoted = Registration.objects.get(pk=regs[2].pk)
    assert (promoted.status, promoted.promoted_at is not None) == ("confirmed", True)
    assert "A place is yours" in mail.outbox[-1].subject
    services.registration_cancel(registration=regs[1], by=member)
    assert Registration.objects.get(pk=regs[3].pk).status == "confirmed"
    assert Registration.objects.get(pk=regs[4].pk).status == "waiting"
    services.registration_cancel(registration=regs[4], by=member)  # a waiting cancellation frees nothing
    event.refresh_from_db()
    assert event.confirmed_count == 2


def test_registration_rules(make_event, member, organiser_member):
    draft = make_event(publish=False)
    with pytest.raises(ApplicationError, match="published"):
        register(draft, member, 1)
    event = make_event(registration_closes_at=timezone.now() - datetime.timedelta(minutes=1),
                       registration_opens_at=timezone.now() - datetime.timedelta(days=1))  # fmt: skip
    with pytest.raises(ApplicationError, match="closed"):
        register(event, member, 1)
    event = make_event()
    register(event, member, 1)
    with pytest.raises(ApplicationError, match="already registered"):
        register(event, member, 1)
    with pytest.raises(PermissionDenied):
        services.registration_create(event=event, organization=member.organizations.get(), person_name="x",
                                     person_email="x@example.cn", by=UserFactory())  # fmt: skip


def test_check_in_by_code_for_confirmed_places_only(make_event, member, organiser_member):
    event = make_event(capacity=1)
    confirmed, waiting = register(event, member, 1), register(event, member, 2)
    event = run_today(event)  # check-in opens on the event's day
    with pytest.raises(PermissionDenied):
        services.registration_check_in(event=event, code=confirmed.check_in_code, by=member)
    checked = services.registration_check_in(event=event, code=confirmed.check_in_code.lower(), by=organiser_member)
    assert checked.checked_in_at is not None
    with pytest.raises(ApplicationError, match="waiting"):
        services.registration_check_in(event=event, code=waiting.check_in_code, by=organiser_member)
    with pytest.raises(ApplicationError, match="No registration"):
        services.registration_check_in(event=event, code="NOPE", by=organiser_member)


def test_only_organisers_run_events_and_the_database_refuses_overbooking(make_event, member):
    with pytest.raises(PermissionDenied):
        services.event_create(organizer=member.organizations.get(), by=member, kind="roadshow", title="x",
                              starts_at=timezone.now(), ends_at=timezone.now() + datetime.timedelta(hours=1),
                              capacity=5)  # fmt: skip
    event = make_event(capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(confirmed_count=3)
    now = timezone.now()
    with pytest.raises(ApplicationError, match="end after"):
        services.event_create(organizer=event.organizer, by=event.created_by, kind="roadshow", title="x",
                              starts_at=now, ends_at=now, capacity=5)  # fmt: skip
