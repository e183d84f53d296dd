"""Staff edit an event in admin through ``event_update``, the organiser's edit service: a raised capacity promotes
the waiting list in order, a capacity below the confirmed places is an error on its field and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Registration
from tests.events.people import register

pytestmark = pytest.mark.django_db


def admin_post(client, event, **changes):  # type: ignore[no-untyped-def]
    url = reverse("admin:events_event_change", args=[event.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, list):
            data[name] = [getattr(item, "pk", item) for item in value]
        elif hasattr(value, "isoformat") and hasattr(value, "hour"):
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        elif value is None:
            data[name] = ""
        elif hasattr(value, "pk"):
            data[name] = value.pk
        else:
            data[name] = value
    data.update(changes)
    for prefix in ("meeting_slots", "meeting_tables", "registrations"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return client.post(url, data)


def test_staff_raise_the_capacity_in_admin_and_the_waiting_list_moves_up(client, staff_user, make_event):
    event = make_event(capacity=1)
    first, second, third = register(event, 1), register(event, 2), register(event, 3)
    client.force_login(staff_user)
    response = admin_post(client, event, capacity=2)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event.refresh_from_db()
    assert (event.capacity, event.confirmed_count) == (2, 2)
    statuses = dict(Registration.objects.filter(event=event).values_list("pk", "status"))
    assert statuses == {first.pk: "confirmed", second.pk: "confirmed", third.pk: "waiting"}


def test_a_capacity_below_the_confirmed_places_is_an_error_on_the_field(client, staff_user, make_event):
    event = make_event(capacity=3)
    register(event, 1), register(event, 2)
    client.force_login(staff_user)
    response = admin_post(client, event, capacity=1, title="改过的标题")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "capacity" in errors and "2" in errors["capacity"][0]
    event.refresh_from_db()
    assert event.capacity == 3 and event.title == "长三角新材料成果对接会"
