"""The month calendar beside the list: /events/calendar/<year>/<month>/ (and /events/?view=month&month=YYYY-MM):
Monday-first weeks, each day's events, today marked, previous and next months, drafts hidden from others."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from events import services
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def event_on(organiser, day: datetime.date, *, title: str, hours: int = 3, publish: bool = True, start_hour: int = 9):  # type: ignore[no-untyped-def]
    starts = datetime.datetime.combine(day, datetime.time(start_hour), tzinfo=SHANGHAI)
    event = services.event_create(
        organizer=organiser.organizations.get(), by=organiser, kind="roadshow", title=title, starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=hours), capacity=10, city_id="310100", venue="会场",
    )  # fmt: skip
    if publish:
        event = services.event_set_status(event=event, by=organiser, status="published")
    return event


def month_url(year: int, month: int) -> str:
    return reverse("events:month", kwargs={"year": year, "month": month})


def cell(page: str, day: datetime.date) -> str:
    """The grid cell of ``day`` (its day number and what follows, up to the next cell)."""
    cells = re.findall(r"<td class=\"([^\"]*)\"[^>]*>(.*?)</td>", page, flags=re.S)
    found = [body for classes, body in cells if re.search(rf'<span class="day-number">{day.day}</span>', body)
             and ("other-month" in classes) is False]  # fmt: skip
    assert len(found) == 1, found
    return found[0]


def test_the_month_shows_each_days_events_with_time_and_link(client, organiser_member):
    event = event_on(organiser_member, datetime.date(2026, 12, 17), title="合肥量子路演", start_hour=14)
    page = client.get(month_url(2026, 12)).content.decode()
    day = cell(page, datetime.date(2026, 12, 17))
    assert "合肥量子路演" in day and "14:00–17:00" in day
    assert reverse("events:detail", kwargs={"pk": event.pk}) in day
    assert "合肥量子路演" not in cell(page, datetime.date(2026, 12, 18))


def test_weeks_start_on_monday_with_the_neighbouring_months_days(client, db):
    page = client.get(month_url(2026, 12)).content.decode()
    headers = re.findall(r'<th scope="col">([^<]*)</th>', page)
    assert headers[:2] == ["Mon", "Tue"] and headers[-1] == "Sun"
    # December 2026 starts on a Tuesday: Monday 30 November opens the grid, greyed as another month.
    first_cells = re.findall(r"<td class=\"([^\"]*)\"[^>]*>\s*<span class=\"day-number\">(\d+)</span>", page)
    assert first_cells[0] == ("other-month", "30") and first_cells[1][1] == "1"
    assert len(first_cells) % 7 == 0


def test_a_multi_day_event_is_on_each_of_its_days(client, organiser_member):
    event_on(organiser_member, datetime.date(2026, 12, 30), title="跨年对接会", hours=48)
    december = client.get(month_url(2026, 12)).content.decode()
    assert "跨年对接会" in cell(december, datetime.date(2026, 12, 30))
    assert "跨年对接会" in cell(december, datetime.date(2026, 12, 31))
    january = client.get(month_url(2027, 1)).content.decode()
    assert "跨年对接会" in cell(january, datetime.date(2027, 1, 1))


def test_today_is_marked_and_the_months_link_to_each_other(client, db):
    today = timezone.localdate()
    page = client.get(month_url(today.year, today.month)).content.decode()
    assert page.count('aria-current="date"') == 1
    assert re.search(rf'class="[^"]*today[^"]*" aria-current="date">\s*<span class="day-number">{today.day}</span>',
                     page)  # fmt: skip
    page = client.get(month_url(2026, 1)).content.decode()
    assert f'href="{month_url(2025, 12)}" rel="prev"' in page and f'href="{month_url(2026, 2)}" rel="next"' in page
    assert 'aria-current="date"' not in page or today.strftime("%Y-%m") == "2026-01"


def test_drafts_are_for_the_organiser_only(client, organiser_member):
    event_on(organiser_member, datetime.date(2026, 12, 10), title="未发布路演", publish=False)
    assert "未发布路演" not in client.get(month_url(2026, 12)).content.decode()
    client.force_login(MembershipFactory(organization=OrganizationFactory()).user)
    assert "未发布路演" not in client.get(month_url(2026, 12)).content.decode()
    client.force_login(organiser_member)
    assert "未发布路演" in client.get(month_url(2026, 12)).content.decode()


def test_the_list_links_to_the_month_and_view_month_redirects(client, db):
    page = client.get(reverse("events:list")).content.decode()
    assert "?view=month" in page
    response = client.get(reverse("events:list"), {"view": "month", "month": "2026-12"})
    assert response.status_code == 302 and response["Location"] == month_url(2026, 12)
    today = timezone.localdate()
    response = client.get(reverse("events:list"), {"view": "month", "month": "garbage"})
    assert response["Location"] == month_url(today.year, today.month)


def test_a_month_out_of_range_is_not_found(client, db):
    assert client.get(month_url(2026, 13)).status_code == 404
    assert client.get(month_url(2026, 0)).status_code == 404


def test_on_a_phone_the_grid_folds_into_a_list_of_days(client, organiser_member):
    event_on(organiser_member, datetime.date(2026, 12, 17), title="合肥量子路演")
    page = client.get(month_url(2026, 12)).content.decode()
    listing = page.split('class="month-list"', 1)[1]
    assert "2026-12-17" in listing and "合肥量子路演" in listing
    assert "/static/css/events.css" in page
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/events.css").read_text()
    folded = r"@media \(max-width: 600px\) \{\s*\.month-grid \{ display: none; \}\s*\.month-list \{ display: block; \}"
    assert re.search(folded, css)


@pytest.mark.parametrize(("language", "words"), [("en", ["Previous month", "Next month", "Mon"]),
                                                 ("zh-hans", ["上个月", "下个月"])])  # fmt: skip
def test_the_month_in_both_languages(client, db, language, words):
    """zh-hans waits for the merged catalogue (new msgids)."""
    client.cookies.load({"django_language": language})
    with translation.override(language):
        page = client.get(month_url(2026, 12), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'lang="{language}"' in page
    for word in words:
        assert word in page
