"""On a phone the header folds its navigation behind a menu button (issue 13 item 3, first part): the header is one
short row, the unread count shows on the button, and the menu opens and leads where it says. On a wide screen the
navigation is shown and the button is not."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD, MembershipFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, viewport):  # type: ignore[no-untyped-def]
    user = MembershipFactory().user
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/home/")
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
