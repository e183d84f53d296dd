"""The home page: login lands there; each role sees its own things and never another organisation's; the number of
queries does not grow with the number of postings; "my organisation" shows match counts too."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching.models import Match
from tests.factories import DEFAULT_PASSWORD, UserFactory, achievement, need

from .conftest import publish

pytestmark = pytest.mark.django_db
HOME = reverse("dashboard:home")


def test_login_lands_on_home(client, member):
    # (an owner of an incomplete organisation lands on its first step instead: tests/accounts/test_onboarding.py)
    member.organizations.update(description="高校技术转移中心", contact_name="王芳", contact_phone="0551-62901234")
    response = client.post(reverse("accounts:login"), {"username": member.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_home_asks_anonymous_visitors_to_log_in(client):
    response = client.get(HOME)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_header_links_home_for_logged_in_users_only(client, member):
    assert f'href="{HOME}"' not in client.get(reverse("home")).content.decode()
    client.force_login(member)
    assert f'href="{HOME}"' in client.get(reverse("home")).content.decode()


def test_enterprise_home_shows_its_postings_counts_waiting_matches_and_events(client, events_world, market):
    shenzhen = market["shenzhen"]
    client.force_login(shenzhen)
    response = client.get(HOME)
    page = response.content.decode()
    panels = {kind: rows for kind, rows, _badges in response.context["posting_panels"]}
    assert panels["achievements"] == []
    needs = {n.title: {status: count for status, _label, count in n.match_counts} for n in panels["needs"]}
    # The need side sees released matches only: m1 deal, m2 in contact, m6 declined (n1); m4 declined (n2).
    assert needs == {"深圳视觉需求": {"deal": 1, "in_contact": 1, "declined": 1}, "深圳电池需求": {"declined": 1}}
    assert response.context["awaiting_count"] == 0
    assert [r.event.title for r in response.context["registrations"]] == ["长三角新材料成果对接会"]
    # Never another organisation's postings, drafts or registrations.
    for other in ("北京AI成果", "合肥机器人成果", "合肥草稿成果", "王一", "黄河流域路演"):
        assert other not in page
    assert "organiser_events" not in response.context and "queues" not in response.context


def test_matches_waiting_for_the_sides_answer(client, market, staff_user):
    from matching import services

    m5 = market["m5"]  # a1 (Beijing) → n2 (Shenzhen), suggested: nobody's answer yet
    client.force_login(market["beijing"])
    assert client.get(HOME).context["awaiting_count"] == 0  # a suggestion is staff's, not shown
    services.match_approve(match=m5, by=staff_user)
    response = client.get(HOME)
    assert response.context["awaiting"] == [m5] and "深圳电池需求" in response.content.decode()
    services.match_accept(match=m5, by=market["beijing"])
    assert client.get(HOME).context["awaiting_count"] == 0  # answered: the other side's turn
    client.force_login(market["shenzhen"])
    assert [m.pk for m in client.get(HOME).context["awaiting"]] == [m5.pk]
    client.force_login(market["hefei"])
    assert client.get(HOME).context["awaiting_count"] == 0  # not theirs


def test_drafts_and_held_edits_wait_on_the_home(client, market):
    client.force_login(market["hefei"])
    response = client.get(HOME)
    assert [p.title for p in response.context["waiting"]["achievements"]] == ["合肥草稿成果"]


def test_organiser_home_lists_its_events_with_registrations_and_places(client, organiser_member, events_world):
    client.force_login(organiser_member)
    response = client.get(HOME)
    [event] = response.context["organiser_events"]
    assert (event.title, event.confirmed_count, event.capacity, event.waiting) == ("长三角新材料成果对接会", 3, 3, 1)
    page = response.content.decode()
    assert reverse("dashboard:statistics") in page and "黄河流域路演" not in page


def test_staff_home_shows_the_queues_and_statistics(client, staff_user, market):
    achievement(market["hefei"].organizations.get(), title="待审成果")
    from marketplace import services
    from marketplace.models import Achievement

    services.posting_transition(posting=Achievement.objects.get(title="待审成果"), to="submitted", by=None)
    client.force_login(staff_user)
    response = client.get(HOME)
    queues = response.context["queues"]
    assert (queues.achievements_to_review, queues.needs_to_review, queues.matches_to_review) == (1, 0, 1)
    assert reverse("dashboard:statistics") in response.content.decode()


def test_user_without_organisation_gets_first_steps(client):
    client.force_login(UserFactory())
    page = client.get(HOME).content.decode()
    assert "dashboard-first-steps" in page and reverse("dashboard:statistics") not in page


def test_home_query_count_does_not_grow_with_postings(client, market, django_assert_max_num_queries):
    hefei = market["hefei"]
    client.force_login(hefei)
    client.get(HOME)  # warm what is cached per process (content types, reference names)
    cache.clear()  # the panels built, not kept (test_the_panels_are_kept_until_a_match_changes)
    with CaptureQueriesContext(connection) as few:
        assert client.get(HOME).status_code == 200
    organization = hefei.organizations.get()
    for index in range(8):
        posting = publish(achievement(organization, by=hefei, title=f"更多成果{index}"))
        Match.objects.create(achievement=posting, need=market["n1"], score=0.5, components={}, reasons=[],
                             status="approved", reviewed_at=posting.published_at)  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(HOME)
    counted = {p.title: p.match_counts for p in response.context["posting_panels"][0][1]}
    assert counted["更多成果7"] == [("approved", str(Match.Status.APPROVED.label), 1)]


def test_the_panels_are_kept_until_a_match_changes(client, market):
    hefei, a2 = market["hefei"], market["a2"]
    shenzhen = market["shenzhen"]
    another = publish(need(shenzhen.organizations.get(), by=shenzhen, title="深圳机器人需求", domains=("robotics",)))
    client.force_login(hefei)

    def approved(response) -> int:  # a2's released matches, as the panel counts them
        counts = {p.pk: p.match_counts for p in response.context["posting_panels"][0][1]}
        return sum(count for status, _label, count in counts[a2.pk] if status == "approved")

    before = approved(client.get(HOME))
    with CaptureQueriesContext(connection) as kept:
        assert "合肥机器人成果" in client.get(HOME).content.decode()
    assert not [q for q in kept if 'FROM "matching_match"' in q["sql"]]  # the panels were kept
    Match.objects.create(achievement=a2, need=another, score=0.4, components={}, reasons=[], status="approved",
                         reviewed_at=a2.published_at)  # fmt: skip
    assert approved(client.get(HOME)) == before + 1  # a match saved: built again


def test_my_organization_shows_match_counts_per_posting(client, market):
    client.force_login(market["hefei"])
    page = client.get(reverse("marketplace:my-organization")).content.decode()
    assert "match-counts" in page and "match-in_contact" in page and "match-declined" in page
    assert "match-rejected" not in page  # staff's rejection stays with staff


def test_recent_conversations_show_when_the_app_is_installed_and_the_home_renders_without_it(client, member):
    client.force_login(member)
    assert "dashboard-conversations" in client.get(HOME).content.decode()
    without = [app for app in settings.INSTALLED_APPS if app != "conversations"]
    with override_settings(INSTALLED_APPS=without):
        response = client.get(HOME)
    assert response.status_code == 200 and "dashboard-conversations" not in response.content.decode()


def test_match_counts_of_every_posting_are_one_query(market, django_assert_num_queries):
    from accounts.selectors import user_organization_ids
    from brokers.selectors import brokered_listings
    from dashboard.selectors import posting_match_counts

    shenzhen = market["shenzhen"]
    organizations = user_organization_ids(user=shenzhen)  # the request's caches, as on a page
    brokered_listings(user=shenzhen)
    shenzhen.has_perm("matching.view_match")  # permissions too are cached per request
    with django_assert_num_queries(1):
        counts = posting_match_counts(user=shenzhen, organization_ids=organizations)
    assert counts[("needs", market["n2"].pk)] == {"declined": 1}
