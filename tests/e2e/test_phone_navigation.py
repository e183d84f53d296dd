"""On a phone the header folds its navigation behind a menu button, and the list pages put the search and the results
first, the other filters and "save this search" folded (issue 13 item 3, first part). On a wide screen everything
is shown."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD, MembershipFactory, achievement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, viewport):  # type: ignore[no-untyped-def]
    user = MembershipFactory().user
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # home, or the organisation's first step
    page.goto("/home/")
    return page


def test_on_a_phone_the_navigation_folds_behind_the_menu_button(browser, live_server):
    page = signed_in(browser, live_server, {"width": 390, "height": 844})
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= 80, header  # was 170-240 px of links before the first content
    events = page.locator("nav.main-nav a[href='/events/']")
    assert not events.is_visible()
    toggle = page.locator(".nav-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and events.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    events.click()
    page.wait_for_url("**/events/")
    assert not page.locator("nav.main-nav a[href='/events/']").is_visible()  # folded again on the next page


def test_on_a_wide_screen_the_navigation_is_shown_without_a_button(browser, live_server):
    page = signed_in(browser, live_server, {"width": 1280, "height": 800})
    assert not page.locator(".nav-toggle").is_visible()
    assert page.locator("nav.main-nav a[href='/events/']").is_visible()


def test_on_a_phone_the_list_shows_the_search_and_the_first_result_on_the_first_screen(browser, live_server):
    from marketplace import services

    page = signed_in(browser, live_server, {"width": 390, "height": 844})
    owner = MembershipFactory()
    posting = achievement(owner.organization, title="钙钛矿叠层太阳电池制备技术")
    services.posting_transition(posting=posting, to="published", by=None)
    page.goto("/achievements/")
    assert page.locator("#id_q").is_visible()
    first = page.locator("article.posting").first.bounding_box()
    assert first["y"] < 844, first  # was y = 1344, under 14 filter fields
    province = page.locator("details.more-filters select[name=province]")
    assert not province.is_visible()
    page.click("details.more-filters > summary")
    assert province.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    page.fill("#id_q", "钙钛矿")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/achievements/?*q=*")
    assert "钙钛矿叠层太阳电池制备技术" in page.locator("article.posting").first.inner_text()
