"""Visitors' pages kept whole (core.page_cache): served again without building them, rebuilt when what they show
changes, never a member's page, never a page carrying one visitor's form token, one per language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from core.page_cache import KeptPageMiddleware, public_page
from events import services as event_services
from marketplace import services
from marketplace.models import Status
from tests.factories import MembershipFactory, achievement

LIST = "/achievements/"


@pytest.fixture
def owner(db) -> User:
    return MembershipFactory(organization__province_id="310000", organization__city_id="310100").user


@pytest.fixture
def posting(owner, staff_user):
    row = achievement(owner.organizations.get(), by=owner, title="钙钛矿叠层电池封装工艺")
    services.posting_transition(posting=row, to=Status.PUBLISHED, by=staff_user)
    return row


def queries(client: Client, url: str, **headers: str) -> tuple[int, HttpResponse]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured), response


def test_a_visitors_page_is_served_again_without_reading_the_database(client, posting):
    first, built = queries(client, LIST)
    again, kept = queries(client, LIST)
    assert first > 0
    assert again == 0
    assert kept.content == built.content
    assert kept["Content-Type"] == built["Content-Type"]
    assert posting.title in kept.content.decode()


def test_every_public_page_is_kept(client, posting, make_event):
    event = make_event()
    pages = [
        "/",
        LIST,
        f"{LIST}?q=%E9%92%99%E9%92%9B%E7%9F%BF",
        reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": posting.pk}),
        reverse("events:list"),
        reverse("events:detail", kwargs={"pk": event.pk}),
        "/api/v1/achievements/",
        f"/api/v1/achievements/{posting.pk}/",
    ]
    for url in pages:
        queries(client, url)
        count, _response = queries(client, url)
        assert count == 0, url


def test_a_change_to_a_posting_shows_at_once(client, owner, posting, staff_user):
    queries(client, LIST)
    queries(client, "/api/v1/achievements/")
    services.posting_close(posting=posting, by=owner, reason="")
    count, response = queries(client, LIST)
    assert count > 0
    assert posting.title not in response.content.decode()
    assert all(row["id"] != posting.pk for row in client.get("/api/v1/achievements/").json()["results"])


def test_a_change_to_an_event_or_an_organisation_shows_at_once(client, posting, make_event, organiser_member):
    event = make_event()
    url = reverse("events:detail", kwargs={"pk": event.pk})
    queries(client, url)
    event_services.event_update(event=event, by=organiser_member, title="长三角G60科创走廊成果对接会（第二场）")
    assert "第二场" in client.get(url).content.decode()

    organization = posting.organization
    queries(client, LIST)
    organization.name = "上海光伏材料研究院有限公司"
    organization.save()
    assert "上海光伏材料研究院有限公司" in client.get(LIST).content.decode()


def test_each_language_has_its_own_page(client, posting):
    queries(client, LIST, HTTP_ACCEPT_LANGUAGE="zh-hans")
    count, english = queries(client, LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert count > 0
    assert "Achievements" in english.content.decode()
    _count, chinese = queries(client, LIST, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "科技成果" in chinese.content.decode()
    assert chinese.content != english.content


def test_a_members_page_is_never_kept_nor_shown_to_a_visitor(client, owner, posting):
    client.force_login(owner)
    mine, page = queries(client, LIST)
    again, _page = queries(client, LIST)
    assert mine > 0 and again > 0
    assert owner.organizations.get().name in page.content.decode()  # the member's name in the menu
    visitor = Client()
    _count, seen = queries(visitor, LIST)
    assert "Log in" in seen.content.decode() or "登录" in seen.content.decode()
    assert "csrfmiddlewaretoken" not in seen.content.decode()


def test_a_visitor_with_a_session_or_credentials_is_served_a_fresh_page(client, posting):
    queries(client, LIST)
    client.cookies["sessionid"] = "not-a-session"
    count, _page = queries(client, LIST)
    assert count > 0
    api = Client()
    queries(api, "/api/v1/achievements/")
    refused = api.get("/api/v1/achievements/", HTTP_AUTHORIZATION="Token not-a-token-at-all")
    assert refused.status_code == 403  # the credentials were read and refused, not a visitor's kept data served


def test_a_page_carrying_a_form_token_is_never_kept(db):
    built: list[int] = []

    @public_page
    def form_page(request):
        built.append(1)
        return HttpResponse(f'<form><input name="csrfmiddlewaretoken" value="{get_token(request)}"></form>')

    @public_page
    def plain_page(request):
        built.append(2)
        return HttpResponse("plain")

    factory = RequestFactory()
    for view in (form_page, form_page, plain_page, plain_page):
        request = factory.get("/kept/" + view.__name__)
        request.user = AnonymousUser()
        request.session = _Session()
        KeptPageMiddleware(view)(request)
    assert built == [1, 1, 2]


def test_a_visitor_switches_language_without_a_form_token(db):
    client = Client(enforce_csrf_checks=True)
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert reverse("set_language_visitor") in page
    response = client.post(reverse("set_language_visitor"), {"language": "en", "next": LIST})
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "en"
    assert "Achievements" in client.get(LIST).content.decode()
    # a member's switcher still checks the token (and saves the choice)
    refused = client.post(reverse("set_language"), {"language": "zh-hans", "next": LIST})
    assert refused.status_code == 403


class _Session(dict):
    modified = False


def test_the_cards_of_a_list_are_kept_for_members_too(client, owner, posting):
    reader = MembershipFactory().user
    client.force_login(reader)
    first = client.get(LIST)
    with CaptureQueriesContext(connection) as captured:
        again = client.get(LIST)
    assert posting.title in again.content.decode()
    assert again.content.decode().count('class="card posting"') == first.content.decode().count('class="card posting"')
    assert not [q for q in captured if 'FROM "marketplace_achievement"' in q["sql"]]  # neither rows nor count read


def test_a_list_of_ones_own_drafts_is_never_shared(client, owner, posting):
    draft = achievement(owner.organizations.get(), by=owner, title="未公开的固态电解质配方")
    url = f"{LIST}?status=draft"
    client.force_login(owner)
    assert draft.title in client.get(url).content.decode()
    client.force_login(MembershipFactory().user)
    assert draft.title not in client.get(url).content.decode()
    client.logout()
    assert draft.title not in client.get(url).content.decode()


def test_the_market_on_the_home_page_is_kept_for_members_too(client, posting):
    client.force_login(MembershipFactory().user)
    first = client.get("/")
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/")
    assert posting.title in first.content.decode()
    assert posting.title in again.content.decode()  # (the page is the member's: its form tokens differ each time)
    assert not [q for q in captured if 'FROM "marketplace_' in q["sql"]]


def test_a_postings_public_part_is_kept_for_every_reader_but_not_its_contact_nor_the_owners_actions(
    client, owner, posting
):
    detail = reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": posting.pk})
    edit = reverse("marketplace:edit", kwargs={"kind": "achievements", "pk": posting.pk})
    client.force_login(owner)
    page = client.get(detail).content.decode()
    assert posting.contact_phone and posting.contact_phone in page and edit in page  # the owner's own parts
    reader = Client()
    reader.force_login(MembershipFactory().user)
    for visitor in (reader, Client()):
        text = visitor.get(detail).content.decode()
        assert posting.title in text and posting.summary[:10] in text
        assert posting.contact_phone not in text and edit not in text
    assert 'FROM "reference_domain"' not in " ".join(q["sql"] for q in _captured(reader, detail))  # facts kept
    again = client.get(detail).content.decode()
    assert posting.contact_phone in again and edit in again


def _captured(client: Client, url: str) -> list[dict]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return list(captured)


def test_a_kept_page_is_served_before_the_middleware_with_the_headers_it_was_built_with(client, posting):
    built = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    with CaptureQueriesContext(connection) as captured:
        kept = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert not captured.captured_queries
    assert kept.content == built.content
    assert dict(kept.headers) == dict(built.headers)  # Vary, Content-Language, X-Frame-Options, CSP, ...
    assert "Accept-Language" in kept["Vary"] and kept["Content-Language"] == "en"
    assert not kept.cookies  # no session started, no token set
    chinese = client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese["Content-Language"] == "zh-hans" and chinese.content != built.content


def test_what_keep_if_refuses_is_built_again_and_what_it_accepts_is_kept(db):
    from core.versions import SharedVersion, kept_at

    version = SharedVersion("tests:keep-if")
    built = []

    def build() -> int:
        built.append(1)
        return len(built)

    assert kept_at([version], "x", build, keep_if=lambda value: value >= 2) == 1  # refused: not kept
    assert kept_at([version], "x", build, keep_if=lambda value: value >= 2) == 2  # accepted: kept
    assert kept_at([version], "x", build, keep_if=lambda value: value >= 2) == 2
    assert len(built) == 2
    version.bump()
    assert kept_at([version], "x", build) == 3
