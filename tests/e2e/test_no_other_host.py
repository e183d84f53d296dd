"""Nothing is loaded from another host (issue 13 item 2): chromium opens every kind of page, as a visitor, an
organisation's member and staff, and records each request the page makes (scripts, styles, fonts, images, the
Swagger UI's own fetches); any request to a host other than the server's fails the test. CDNs are often blocked in
mainland China, where a page that waits for one shows blank."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.utils import timezone

from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory, achievement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUBLIC = ["/", "/achievements/", "/needs/", "/events/", "/accounts/login/", "/accounts/signup/", "/api/docs/"]
MEMBER = ["/home/", "/matches/", "/messages/", "/alerts/", "/my/", "/my/import/", "/achievements/new/"]
STAFF = ["/statistics/", "/admin/", "/admin/matching/match/", "/admin/marketplace/achievement/"]


def visit(browser, live_server, paths: list[str], email: str | None = None) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Open the pages (signed in as ``email``) and return, per page, the hosts of requests to another host."""
    ours = urlparse(live_server.url).netloc
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    foreign: dict[str, set[str]] = {}
    current = {"path": "/accounts/login/ (signing in)"}

    def record(request) -> None:  # type: ignore[no-untyped-def]
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != ours:
            foreign.setdefault(current["path"], set()).add(url.netloc)

    page.on("request", record)
    if email:
        page.goto("/accounts/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_load_state()
    for path in paths:
        current["path"] = path
        response = page.goto(path, wait_until="networkidle")
        assert response is not None and response.status == 200, (path, response and response.status)
    context.close()
    return foreign


def test_no_page_loads_anything_from_another_host(browser, live_server):
    owner = MembershipFactory(
        organization=OrganizationFactory(kind="university", verified=True, verified_at=timezone.now())
    )
    from marketplace import services

    posting = services.posting_transition(posting=achievement(owner.organization), to="published", by=None)
    detail = f"/achievements/{posting.pk}/"
    staff = UserFactory(is_staff=True, is_superuser=True)

    foreign = [
        visit(browser, live_server, [*PUBLIC, detail]),
        visit(browser, live_server, [*MEMBER, detail, f"/achievements/{posting.pk}/edit/"], owner.user.email),
        visit(browser, live_server, STAFF, staff.email),
    ]
    assert foreign == [{}, {}, {}], f"pages that load from another host (visitor, member, staff): {foreign}"
