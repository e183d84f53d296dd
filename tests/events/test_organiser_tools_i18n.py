"""The organiser's tools in Chinese: the edit page, the month calendar, the per-table schedule, the participant
directory and the report's agreement form show none of their English sentences in zh-hans (waits for the merged
catalogue: the msgids are new), and none of their Chinese in English."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, OrganizationFactory

from .test_meeting_pages import aligned_event, define_grid, register

pytestmark = pytest.mark.django_db

ENGLISH = [
    "Edit the event", "Back to the event", "places are confirmed", "Previous month", "Next month", "This month",
    "Schedule by table", "First party", "Second party", "Participant directory", "Organisation name or domain",
    "Nothing published yet.", "Find the participants&#x27; postings by title", "Show all", "Print",
    "The published achievements of the organisations with a place.", "Raising it gives the new places",
]  # fmt: skip
CHINESE = ["编辑活动", "上个月", "按桌打印日程", "参会机构名录", "机构名称或领域", "按标题查找参会机构的条目"]


@pytest.fixture
def pages(organiser_member):
    participant = MembershipFactory(organization=OrganizationFactory(name="某大学")).user
    event = aligned_event(organiser_member)
    register(event, participant, "张三", "z@example.cn")
    define_grid(event, organiser_member, slots=1, tables=("A1",))
    kwargs = {"pk": event.pk}
    start = event.starts_at
    return [
        reverse("events:edit", kwargs=kwargs), reverse("events:table-schedule", kwargs=kwargs),
        reverse("events:participants", kwargs=kwargs), reverse("events:report", kwargs=kwargs),
        reverse("events:detail", kwargs=kwargs),
        reverse("events:month", kwargs={"year": start.year, "month": start.month}),
    ]  # fmt: skip


def _render(client, user, url: str, language: str) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user)
    client.cookies.load({"django_language": language})
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    return response.content.decode()


def test_no_english_sentence_of_the_tools_in_chinese(client, organiser_member, pages):
    """Waits for the merged catalogue."""
    for url in pages:
        page = _render(client, organiser_member, url, "zh-hans")
        assert [sentence for sentence in ENGLISH if sentence in page] == [], url


def test_no_chinese_of_the_tools_in_english(client, organiser_member, pages):
    for url in pages:
        page = _render(client, organiser_member, url, "en")
        assert [word for word in CHINESE if word in page] == [], url
