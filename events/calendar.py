"""Events as iCalendar (RFC 5545), for calendar clients: one event's .ics and a user's agenda.

``event_vevent`` makes the VEVENT of one event; ``calendar_for`` wraps VEVENTs in a calendar. Other parts of the
project (meeting slots of docking events, for one) add their own components through ``calendar_for(components=)``.
Times are written in UTC (``...Z``), which every client converts to its own zone.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import icalendar
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AgendaStatus, Event, Meeting, Registration, SchedulingMode

PRODID = "-//Tech Match//Events//EN"
UID_DOMAIN = "techmatch"

STATUS = {
    Event.Status.DRAFT: "TENTATIVE",
    Event.Status.PUBLISHED: "CONFIRMED",
    Event.Status.CANCELLED: "CANCELLED",
    Event.Status.FINISHED: "CONFIRMED",
}


def event_uid(event: Event) -> str:
    return f"event-{event.pk}@{UID_DOMAIN}"


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(microsecond=0)  # iCalendar times are to the second


def event_location(event: Event) -> str:
    """The venue and city; the online link for an online-only event."""
    place = ", ".join(part for part in (event.venue, event.city.name if event.city_id else "") if part)
    return place or event.online_url


def event_vevent(event: Event, *, base_url: str = "") -> icalendar.Event:
    """The VEVENT of an event. ``base_url`` ("https://host") makes the event page's URL absolute; without it the
    URL property is left out (it must be an absolute URI)."""
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", _utc(timezone.now()))
    vevent.add("dtstart", _utc(event.starts_at))
    vevent.add("dtend", _utc(event.ends_at))
    vevent.add("summary", event.title)
    location = event_location(event)
    if location:
        vevent.add("location", location)
    lines = [event.get_kind_display() + " · " + event.organizer.name]
    if event.description:
        lines.append(event.description)
    if event.online_url and event.online_url != location:
        lines.append(event.online_url)
    vevent.add("description", "\n\n".join(str(line) for line in lines))
    if base_url:
        vevent.add("url", base_url.rstrip("/") + reverse("events:detail", kwargs={"pk": event.pk}))
    vevent.add("status", STATUS.get(event.status, "CONFIRMED"))
    if event.created_at:
        vevent.add("created", _utc(event.created_at))
    if event.updated_at:
        vevent.add("last-modified", _utc(event.updated_at))
    return vevent


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}@{UID_DOMAIN}"


def meeting_vevent(meeting: Meeting, mine: Registration, *, base_url: str = "") -> icalendar.Event:
    """The VEVENT of an accepted, placed 1:1 meeting, as ``mine`` (one of its two participants) sees it: the
    slot's times, the table (and the event's place) as the location, the other participant's organisation in the
    summary. The UID stays the meeting's whatever happens to it; each move raises SEQUENCE (and LAST-MODIFIED), so
    that calendar clients replace the old version (RFC 5545, 3.8.7.4). A meeting on a preliminary agenda is
    TENTATIVE."""
    event = meeting.event
    other = meeting.invitee if meeting.requester_id == mine.pk else meeting.requester
    vevent = icalendar.Event()
    vevent.add("uid", meeting_uid(meeting))
    vevent.add("dtstamp", _utc(timezone.now()))
    vevent.add("sequence", meeting.sequence)
    if meeting.placed_at:
        vevent.add("last-modified", _utc(meeting.placed_at))
    vevent.add("dtstart", _utc(meeting.slot.starts_at))
    vevent.add("dtend", _utc(meeting.slot.ends_at))
    vevent.add("summary", _("Meeting with %(organization)s") % {"organization": other.organization.name})
    table = _("Table %(name)s") % {"name": meeting.table.name}
    vevent.add("location", " · ".join(part for part in (table, event_location(event)) if part))
    lines = [event.title, f"{mine.person_name} ⇄ {other.person_name} ({other.organization.name})"]
    if meeting.note:
        lines.append(meeting.note)
    vevent.add("description", "\n\n".join(lines))
    if base_url:
        vevent.add("url", base_url.rstrip("/") + reverse("events:meet", kwargs={"pk": event.pk}))
    if event.status == Event.Status.CANCELLED:
        vevent.add("status", "CANCELLED")
    elif event.scheduling_mode == SchedulingMode.ORGANISER and event.agenda_status == AgendaStatus.PRELIMINARY:
        vevent.add("status", "TENTATIVE")
    else:
        vevent.add("status", "CONFIRMED")
    vevent.add("related-to", event_uid(event))
    return vevent


def calendar_for(
    events: Iterable[Event],
    title: str,
    *,
    base_url: str = "",
    components: Iterable[icalendar.cal.Component] = (),
) -> bytes:
    """A calendar of the events' VEVENTs (and any further ``components``), serialised."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    for event in events:
        calendar.add_component(event_vevent(event, base_url=base_url))
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical()
