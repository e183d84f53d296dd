"""Registration e-mails cannot be squatted (#11): every registration e-mail names the organisation that made it
and carries a signed "not me" link; its owner cancels a registration they did not ask for, without an account,
the place goes to the waiting list, and the organisation is told."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from events import services
from events.models import Registration
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_the_person_named_cancels_a_registration_from_the_link_in_its_mail(
    client, make_event, django_capture_on_commit_callbacks
):
    squatter = MembershipFactory().user
    event = make_event(capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        taken = services.registration_create(event=event, organization=squatter.organizations.get(),
                                             person_name="请点击 http://evil.example 领奖", person_email="wang@real.cn",
                                             by=squatter)  # fmt: skip
        waiting = services.registration_create(event=event, organization=squatter.organizations.get(),
                                               person_name="候补者", person_email="next@real.cn",
                                               by=squatter)  # fmt: skip
    message = mail.outbox[0]
    assert message.to == ["wang@real.cn"]
    assert squatter.organizations.get().name in message.body  # who did it is named
    link = re.search(r"https?://\S+/events/registrations/not-me/\S+/", message.body) or re.search(
        r"/events/registrations/not-me/\S+/", message.body
    )
    assert link
    path = link.group(0)[link.group(0).index("/events/"):]
    page = client.get(path)
    assert page.status_code == 200 and "wang@real.cn" in page.content.decode()
    assert Registration.objects.get(pk=taken.pk).status == "confirmed"  # looking changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path).status_code == 200
    assert Registration.objects.get(pk=taken.pk).status == "cancelled"
    assert Registration.objects.get(pk=waiting.pk).status == "confirmed"  # the freed place goes on
    assert squatter.organizations.get().notifications.filter(body__contains="wang@real.cn").exists()
    assert client.post(path).status_code == 200  # twice is harmless
    # The address is free again: the person's own organisation registers them.
    mine = MembershipFactory().user
    again = services.registration_create(event=event, organization=mine.organizations.get(), person_name="王工",
                                         person_email="wang@real.cn", by=mine)  # fmt: skip
    assert again.status == "waiting"


def test_a_forged_or_altered_link_is_refused(client, make_event):
    member = MembershipFactory().user
    registration = services.registration_create(event=make_event(), organization=member.organizations.get(),
                                                person_name="张三", person_email="z@real.cn", by=member)  # fmt: skip
    token = services.registration_not_me_token(registration)
    for bad in (token[:-2] + "xx", "garbage"):
        response = client.post(reverse("events:not-me", kwargs={"token": bad}))
        assert response.status_code == 404
    assert Registration.objects.get(pk=registration.pk).status == "confirmed"
