"""The month calendar of events, beside the list: a grid of Monday-first weeks with each day's events, built with
Python's ``calendar`` module and rendered on the server (on a phone the grid folds into a list of the days that
have events).

Who may see it: anyone; each user sees the events ``selectors.event_visible_to`` lets them see.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from core.page_cache import public_page

from .models import Event
from .selectors import events_by_day

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def month_calendar_url(month: str = "") -> str:
    """The month page for ``month`` ("2026-12"); the current month when it is empty or not a month."""
    found = _MONTH.match(month.strip())
    if found and 1 <= int(found.group(2)) <= 12 and 1 <= int(found.group(1)) <= 9998:
        year, number = int(found.group(1)), int(found.group(2))
    else:
        today = timezone.localdate()
        year, number = today.year, today.month
    return reverse("events:month", kwargs={"year": year, "month": number})


@dataclass(frozen=True)
class Day:
    date: datetime.date
    in_month: bool
    is_today: bool
    events: list[Event]


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


@public_page
def month_page(request: HttpRequest, year: int, month: int) -> HttpResponse:
    if not (1 <= month <= 12 and 1 <= year <= 9998):
        raise Http404
    weeks_of_dates = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(year, month)
    first, last = weeks_of_dates[0][0], weeks_of_dates[-1][-1]
    by_day = events_by_day(request.user, first, last)
    today = timezone.localdate()
    weeks = [
        [Day(day, day.month == month, day == today, by_day.get(day, [])) for day in week] for week in weeks_of_dates
    ]
    previous, following = _shift(year, month, -1), _shift(year, month, 1)
    context = {
        "month": datetime.date(year, month, 1),
        "weeks": weeks,
        "weekdays": list(weeks_of_dates[0]),
        "days_with_events": [day for week in weeks for day in week if day.in_month and day.events],
        "previous": {"year": previous[0], "month": previous[1]},
        "next": {"year": following[0], "month": following[1]},
        "this_month": {"year": today.year, "month": today.month},
    }
    return render(request, "events/event_month.html", context)
