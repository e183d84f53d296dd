"""Nothing sticks out sideways on a phone (issue 13 item 3): at 390x844, in Chinese, every page below is no wider
than the window, and no visible element or line of text reaches past its right edge, except inside a box that
scrolls on purpose (a wide numeric table in ``.table-scroll``). Tables either scroll inside such a box (which the
keyboard reaches and a screen reader names) or stack each row as a card; long unbroken strings (URLs, e-mails, long
English words, long Chinese titles) wrap.

The data is what overflowed before: the titles of real patents, an English title, long names and e-mails, a
waiting list. Each page builds only what it shows (``World``'s cached properties), so a page is one line in
``PAGES``: its name, who signs in (None: a visitor), its address and what else it shows.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, achievement, need

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

LONG_ZH = "一种基于多尺度特征融合与注意力机制的锂离子电池极片表面缺陷在线检测方法、装置、电子设备及计算机可读存储介质"
LONG_ZH_NEED = "新能源汽车动力电池包液冷板真空钎焊焊缝内部气孔与未焊透缺陷的高速在线无损检测及智能分级判定系统"
LONG_EN = (
    "Electrochemically-stabilised hyperbranched polyethyleneimine-functionalised graphene oxide membranes for "
    "antidisestablishmentarianism-grade lithium extraction from salt-lake brines"
)
LONG_URL = (
    "https://www.example.cn/technology-transfer/achievements/2026/zhejiang-university/perovskite-silicon-tandem-"
    "solar-cell-pilot-line-specification-v3.pdf?download=1&token=9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928"
)
LONG_ORG = "中国科学院宁波材料技术与工程研究所杭州湾研究院先进制造与新能源材料产业化技术转移转化中心"
LONG_EMAIL = "zhangsan.technologytransferoffice@ningboinstituteofmaterialstechnologyandengineering.example.cn"


def verified(**fields: Any):  # type: ignore[no-untyped-def]
    return OrganizationFactory(verified=True, verified_at=timezone.now(), **fields)


class World:
    """The data of the pages, each built on first use; ``world["event"]`` is ``world.event`` (for ``format_map``)."""

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    @cached_property
    def staff(self):  # type: ignore[no-untyped-def]
        return UserFactory(is_staff=True, is_superuser=True)

    @cached_property
    def university(self):  # type: ignore[no-untyped-def]
        return MembershipFactory(organization=verified(name=LONG_ORG), user__email=LONG_EMAIL).user

    @cached_property
    def enterprise(self):  # type: ignore[no-untyped-def]
        name = "宁德时代新能源科技股份有限公司动力电池制造工程研究院液冷系统与热管理技术部"
        return MembershipFactory(organization=verified(kind="enterprise", name=name)).user

    @cached_property
    def organiser(self):  # type: ignore[no-untyped-def]
        name = "长三角G60科创走廊九城市技术交易市场联盟秘书处"
        organiser = verified(kind="organiser", name=name, province_id="310000", city_id="310100")
        return MembershipFactory(organization=organiser).user

    @cached_property
    def achievement(self):  # type: ignore[no-untyped-def]
        from marketplace import services

        posting = achievement(
            self.university.organizations.get(), by=self.university, title=LONG_ZH,
            summary=f"检出率99.2%，已在三家电池厂试用。详见{LONG_URL} 。联系{LONG_EMAIL}",
            contact_email=LONG_EMAIL, domains=("battery_materials",),
        )  # fmt: skip
        achievement(self.university.organizations.get(), by=self.university, title=LONG_EN, summary=LONG_EN,
                    language="en")  # fmt: skip
        return services.posting_transition(posting=posting, to="published", by=None)

    @cached_property
    def need(self):  # type: ignore[no-untyped-def]
        from marketplace import services

        posting = need(
            self.enterprise.organizations.get(), by=self.enterprise, title=LONG_ZH_NEED,
            description=f"焊缝气孔检出率要求不低于99%，节拍不超过30秒。技术规格：{LONG_URL}",
            domains=("battery_materials",),
        )  # fmt: skip
        return services.posting_transition(posting=posting, to="published", by=None)

    @cached_property
    def match(self):  # type: ignore[no-untyped-def]
        from matching import services
        from matching.models import Match
        from matching.runs import match_run_full

        self.achievement, self.need  # noqa: B018 (published first)
        with transaction.atomic():  # the run writes in this thread (its writer thread would lock the test database)
            match_run_full()
        match = Match.objects.get(achievement=self.achievement, need=self.need)
        match = services.match_approve(match=match, by=self.staff, note=LONG_URL)
        services.match_accept(match=match, by=self.enterprise)
        return services.match_accept(match=match, by=self.university)

    @cached_property
    def thread(self):  # type: ignore[no-untyped-def]
        from conversations import services

        thread = services.match_thread_open(match=self.match, by=self.enterprise)
        services.message_post(thread=thread, by=self.enterprise, body=f"技术规格书见{LONG_URL}，请联系{LONG_EMAIL}。")
        services.message_post(thread=thread, by=self.university, body=LONG_EN)
        return thread

    @cached_property
    def event(self):  # type: ignore[no-untyped-def]
        from events import services

        start = (timezone.now() + datetime.timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
        event = services.event_create(
            organizer=self.organiser.organizations.get(), by=self.organiser, kind="docking",
            title="2026长三角G60科创走廊新能源与先进材料领域科技成果转化暨产学研精准对接会（第十二场）",
            description=f"议程与报名说明：{LONG_URL}", online_url=LONG_URL[:200], starts_at=start,
            ends_at=start + datetime.timedelta(hours=4), capacity=3, city_id="310100",
            venue="上海市松江区G60科创云廊3号楼B座一层多功能厅", domain_codes=["battery_materials"],
        )  # fmt: skip
        return services.event_set_status(event=event, by=self.organiser, status="published")

    @cached_property
    def roadshow(self):  # type: ignore[no-untyped-def]
        """A published roadshow whose programme presents the long-titled achievement, with a pitch."""
        from events import programme, services

        start = (timezone.now() + datetime.timedelta(days=12)).replace(minute=0, second=0, microsecond=0)
        event = services.event_create(
            organizer=self.organiser.organizations.get(), by=self.organiser, kind="roadshow",
            title="高校院所科技成果路演（新能源材料专场）", starts_at=start,
            ends_at=start + datetime.timedelta(hours=3), capacity=50, city_id="310100", venue="上海技术交易所路演厅",
        )  # fmt: skip
        event = services.event_set_status(event=event, by=self.organiser, status="published")
        application = programme.presentation_apply(
            event=event, organization=self.university.organizations.get(), by=self.university,
            listing=self.achievement, pitch=f"{LONG_EN}\n{LONG_URL}",
        )  # fmt: skip
        programme.presentation_schedule(
            application=application, by=self.organiser, starts_at=start, ends_at=start + datetime.timedelta(minutes=15)
        )
        return event

    @cached_property
    def registrations(self) -> list:
        """Five registrations on three places: two wait; long names and e-mails; one is the organiser's own."""
        from events import services

        people = [
            (self.university, "欧阳晓明（技术转移中心主任、研究员）", LONG_EMAIL),
            (self.enterprise, "Alexandra Konstantinopoulou-Vanderbilt", "akv@catl-battery.example.cn"),
            (self.organiser, "司马青云", "simaqingyun.secretariat@g60-alliance.example.cn"),
            (self.university, "诸葛明辉", "zhuge.minghui.postdoctoral-researcher@nimte.example.cn"),
            (self.enterprise, "上官婉儿", "shangguan@catl.example.cn"),
        ]  # fmt: skip
        return [
            services.registration_create(
                event=self.event, organization=user.organizations.get(), person_name=name, person_email=email, by=user
            )
            for user, name, email in people
        ]

    @cached_property
    def agreement(self):  # type: ignore[no-untyped-def]
        """An agreement the organiser records at the event, between two participants' long-titled postings."""
        from events import outcomes

        self.registrations  # noqa: B018 (the two sides take part)
        return outcomes.event_agreement_record(
            event=self.event, by=self.organiser, achievement=self.achievement, need=self.need, mode="license",
            signed_on=timezone.localdate(), amount_wan=Decimal("1280.50"), note=f"{LONG_EN} {LONG_URL}",
        )  # fmt: skip

    @cached_property
    def grid(self):  # type: ignore[no-untyped-def]
        from events import meetings

        event, (first, second, _organiser, *_) = self.event, self.registrations
        meetings.meeting_grid_define(
            event=event, by=self.organiser, tables=["A1 主会场东侧洽谈区", "A2", "B1 新能源专区", "B2", "C1"],
            slots=[(event.starts_at + datetime.timedelta(minutes=20 * n),
                    event.starts_at + datetime.timedelta(minutes=20 * (n + 1))) for n in range(4)],
        )  # fmt: skip
        meeting = meetings.meeting_request(requester=first, invitee=second, by=self.university)
        meetings.meeting_accept(meeting=meeting, by=self.enterprise)
        return event

    @cached_property
    def alerts(self) -> list:
        from alerts import services

        user, needs = self.university, {"q": LONG_ZH_NEED, "domain": "battery_materials"}
        return [
            services.saved_search_create(user=user, kind="needs", data=needs),
            services.saved_search_create(user=user, kind="achievements", data={"q": LONG_EN}),
            services.follow_create(user=user, target="province", value="330000"),
        ]


@dataclass(frozen=True)
class Page:
    """A page to open: its name, who signs in (a ``World`` property; None: a visitor), its address (formatted with
    the world: ``{event.pk}`` builds the event) and what else it should show (more ``World`` properties)."""

    name: str
    who: str | None
    path: str
    shows: tuple[str, ...] = ()


PAGES = [
    Page("home (visitor)", None, "/", shows=("achievement", "need", "event")),
    Page("home (member)", "university", "/home/", shows=("match", "registrations")),
    Page("home (organiser)", "organiser", "/home/", shows=("registrations",)),
    Page("achievements", None, "/achievements/?q=锂离子电池", shows=("achievement",)),
    Page("achievements (all)", "enterprise", "/achievements/", shows=("achievement",)),
    Page("needs", "university", "/needs/", shows=("need",)),
    Page("achievement", "enterprise", "/achievements/{achievement.pk}/"),
    Page("achievement (owner)", "university", "/achievements/{achievement.pk}/", shows=("match",)),
    Page("need", "university", "/needs/{need.pk}/"),
    Page("matches", "enterprise", "/matches/", shows=("match",)),
    Page("match", "enterprise", "/matches/{match.pk}/"),
    Page("events", None, "/events/", shows=("event",)),
    Page("event (participant)", "university", "/events/{event.pk}/", shows=("registrations",)),
    Page("event (organiser)", "organiser", "/events/{event.pk}/", shows=("registrations",)),
    Page("registrations", "organiser", "/events/{event.pk}/registrations/", shows=("registrations",)),
    Page("meeting grid", "organiser", "/events/{grid.pk}/grid/"),
    Page("meet", "university", "/events/{grid.pk}/meet/"),
    Page("programme", None, "/events/{roadshow.pk}/programme/"),
    Page("event report", "organiser", "/events/{event.pk}/report/", shows=("agreement",)),
    Page("event edit", "organiser", "/events/{event.pk}/edit/"),
    Page("month calendar", None, "/events/calendar/{event.starts_at.year}/{event.starts_at.month}/", shows=("event",)),
    Page("table schedule", "organiser", "/events/{grid.pk}/grid/print/"),
    Page("participants", "organiser", "/events/{event.pk}/participants/"),
    Page("first steps", "university", "/accounts/welcome/"),
    Page("statistics", "organiser", "/statistics/", shows=("registrations", "match")),
    Page("messages", "university", "/messages/", shows=("thread",)),
    Page("thread", "university", "/messages/{thread.pk}/"),
    Page("alerts", "university", "/alerts/", shows=("alerts",)),
    Page("my organisation", "university", "/my/", shows=("achievement",)),
    Page("import", "university", "/my/import/"),
]

# What sticks out: every visible element and line of text whose right edge passes the window's, unless a box
# between it and the page scrolls sideways (that box is measured itself). Clipping does not excuse: content cut
# off at the window's edge is as unreadable as content that sticks out. Returns descriptions.
STICKING_OUT = """() => {
  const limit = window.innerWidth + 1;
  const held = (node) => {
    for (let el = node.parentElement; el && el !== document.body; el = el.parentElement) {
      if (el.classList.contains('table-scroll')) return true;
      const overflow = getComputedStyle(el).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') return true;
    }
    return false;
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!rect.width || !rect.height || style.visibility === 'hidden' || style.position === 'fixed') continue;
    if (rect.right > limit && !held(el)) found.push(describe(el) + ' ends at ' + Math.round(rect.right) + 'px');
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    if (!text.data.trim() || held(text)) continue;
    range.selectNodeContents(text);
    for (const rect of range.getClientRects()) {
      if (rect.width && rect.right > limit) {
        found.push('text "' + text.data.trim().slice(0, 40) + '" in ' + describe(text.parentElement) + ' ends at ' +
                   Math.round(rect.right) + 'px');
        break;
      }
    }
  }
  return found;
}"""

# Every box that scrolls a table sideways is reached by the keyboard and named for a screen reader.
UNNAMED_SCROLLERS = """() => [...document.querySelectorAll('.table-scroll')]
  .filter((box) => box.tabIndex !== 0 || box.getAttribute('role') !== 'region' || !box.getAttribute('aria-label'))
  .map((box) => box.outerHTML.slice(0, 80))"""


@pytest.fixture
def phone(browser, live_server):  # type: ignore[no-untyped-def]
    """Opens a phone-sized window in Chinese, signed in as the user given (with a session made on the server: the
    sign-in form has tests of its own; this saves a page and a post a page); closed after the test."""
    contexts = []

    def open_page(user=None):  # type: ignore[no-untyped-def]
        context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=PHONE)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """With PHONE_SHOTS=<folder>, keep a full-page picture of each page there (to look at, not to compare)."""
    folder = os.environ.get("PHONE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name.replace(' ', '-')}.png"), full_page=True)


@pytest.mark.parametrize("spec", PAGES, ids=[spec.name for spec in PAGES])
def test_nothing_sticks_out_sideways_on_a_phone(phone, spec):
    world = World()
    for name in spec.shows:
        world[name]
    path = spec.path.format_map(world)
    page = phone(world[spec.who] if spec.who else None)
    response = page.goto(path)
    assert response is not None and response.status == 200, (spec.name, path, response and response.status)
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    screenshot(page, spec.name)
    width, sticking_out = page.evaluate("document.documentElement.scrollWidth"), page.evaluate(STICKING_OUT)
    assert width <= PHONE["width"], f"{spec.name} ({path}) is {width}px wide on a phone: {sticking_out[:8]}"
    assert sticking_out == [], f"{spec.name} ({path}): these stick out past the window's right edge"
    assert page.evaluate(UNNAMED_SCROLLERS) == [], f"{spec.name} ({path}): scroll boxes without tabindex/role/label"


def test_the_organisers_registrations_stack_as_cards_that_read_across(phone):
    """Each registration is a card: the name across the card, then organisation, e-mail and status, each labelled,
    and the cancel button; no column squeezed to a character a line (as before)."""
    world = World()
    page = phone(world.organiser)
    page.goto(f"/events/{world.registrations[0].event_id}/registrations/")
    rows = page.locator("table.stack tbody tr")
    assert rows.count() == 5
    assert not page.locator("table.stack thead").is_visible()
    card = rows.filter(has_text="Alexandra Konstantinopoulou-Vanderbilt")
    assert card.bounding_box()["width"] >= 300  # a card across the box, not a column
    name = card.locator("td").first
    assert name.inner_text().strip() == "Alexandra Konstantinopoulou-Vanderbilt"
    assert name.bounding_box()["height"] < 60  # a line or two, not a letter a line
    labels = card.locator("td[data-label]").evaluate_all(
        "cells => cells.map((td) => getComputedStyle(td, '::before').content)"
    )
    assert {'"机构"', '"邮箱"', '"状态"'} <= set(labels), labels  # each value says what it is
    assert card.locator("button").is_visible()
    waiting = rows.filter(has_text="上官婉儿")
    assert "候补" in waiting.inner_text()  # the waiting list shows on its cards
    email = card.locator("td[data-label='邮箱']").bounding_box()
    assert email["x"] + email["width"] <= PHONE["width"]


def test_the_meeting_grid_scrolls_inside_its_box_and_the_keyboard_scrolls_it(phone):
    world = World()
    page = phone(world.organiser)
    page.goto(f"/events/{world.grid.pk}/grid/")
    box = page.locator(".table-scroll:has(table.meeting-grid)")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")  # five tables do not fit a phone
    assert box.get_attribute("aria-label") == "洽谈安排表" and box.get_attribute("role") == "region"
    box.focus()  # tabindex="0": reached by Tab, then the arrow keys scroll it
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-scroll').scrollLeft > 0")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
