"""The hot pages cost a fixed number of queries, whatever the number of rows; what they cache is read again when it
changes (issue #14: reference data, counts and similar postings cached; lists read in an indexed order)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace import services
from marketplace.models import Achievement, Status
from marketplace.search_index import NEWEST_ORDER
from marketplace.selectors import CachedCountPaginator, cached_count, live_counts, posting_live
from reference import cache as reference_cache
from reference.models import Cluster, Domain, Province
from tests.factories import MembershipFactory, UserFactory, achievement, need

PROVINCE = "310000"


@pytest.fixture
def owner(db):
    return MembershipFactory(organization__province_id=PROVINCE, organization__city_id="310100").user


def publish(postings, staff):
    for posting in postings:
        services.posting_transition(posting=posting, to=Status.PUBLISHED, by=staff)


def fill(owner, staff, count: int) -> None:
    """``count`` published achievements and needs of the owner's organisation, in two domains."""
    organization = owner.organizations.get()
    rows = []
    for i in range(count):
        domains = ("ai",) if i % 2 else ("photovoltaic",)
        rows.append(achievement(organization, by=owner, title=f"工业视觉缺陷检测 {i}", domains=domains))
        rows.append(need(organization, by=owner, title=f"表面缺陷自动检测 {i}", domains=domains))
    publish(rows, staff)


TEXTS = [  # two that are alike across languages, and two others (tests/marketplace/test_search.py's market)
    ("钠离子电池硬碳负极材料", "以生物质为前驱体制备硬碳负极，首次库伦效率90%，适用于储能用钠离子电池。", "zh"),
    ("Hard carbon anodes from biomass", "Hard carbon made from coconut shells gives anodes of high efficiency.", "en"),
    ("工业视觉缺陷检测", "基于深度学习的表面缺陷识别，用于汽车零部件在线检测。", "zh"),
    ("便携式气相色谱仪", "现场快速分析挥发性有机物，也可用于锂电池电解液成分与环境空气的检测。", "zh"),
]


def market(owner, staff, rounds: int, kind: str = "achievements") -> list:
    """``rounds`` copies of the four texts, published: a sodium posting has the others of its kind as similar."""
    organization = owner.organizations.get()
    rows = []
    for _ in range(rounds):
        for title, body, language in TEXTS:
            if kind == "achievements":
                rows.append(achievement(organization, by=owner, title=title, summary=body, language=language))
            else:
                rows.append(need(organization, by=owner, title=title, description=body, language=language))
    publish(rows, staff)
    return rows


def similar_shown(response) -> list[int]:
    """The ids of the similar postings a detail page links to (from its HTML: the part is kept for every reader)."""
    section = re.search(r'<section class="card similar">(.*?)</section>', response.content.decode(), re.S)
    return [int(pk) for pk in re.findall(r'href="/(?:achievements|needs)/(\d+)/"', section.group(1))] if section else []


def queries(client, url: str) -> int:
    client.get(url)  # what a process reads once (reference data) is not the page's cost
    cache.clear()  # counts and similar postings: measured cold, as after a change
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


PAGES = [
    reverse("home"),
    reverse("marketplace:list", kwargs={"kind": "achievements"}),
    reverse("marketplace:list", kwargs={"kind": "needs"}),
    reverse("marketplace:list", kwargs={"kind": "achievements"}) + f"?domain=ai&province={PROVINCE}",
    reverse("marketplace:list", kwargs={"kind": "needs"}) + f"?domain=ai&province={PROVINCE}&cluster=yrd",
    "/api/v1/achievements/",
    "/api/v1/needs/?domain=ai",
]


@pytest.mark.parametrize("who", ["anonymous", "owner", "staff"])
def test_pages_cost_the_same_queries_for_5_or_30_postings(client, owner, staff_user, who):
    """Lists (page of 20), home, the API lists: the same number of queries with 5 postings as with 30 (past a page)."""
    if who != "anonymous":
        client.force_login(owner if who == "owner" else staff_user)
    fill(owner, staff_user, 5)
    small = {url: queries(client, url) for url in PAGES}
    fill(owner, staff_user, 25)
    large = {url: queries(client, url) for url in PAGES}
    assert large == small
    assert max(small.values()) <= 12


SEARCHES = [
    reverse("marketplace:list", kwargs={"kind": "achievements"}) + "?q=缺陷检测",
    reverse("marketplace:list", kwargs={"kind": "needs"}) + "?q=defect+detection&sort=newest",
]


@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_search_pages_stay_within_a_bound_of_queries(client, owner, staff_user, who):
    """Ranked search reads more candidates when filters drop many (marketplace.search_index), a few queries more;
    never a query per row."""
    if who != "anonymous":
        client.force_login(owner)
    fill(owner, staff_user, 5)
    small = [queries(client, url) for url in SEARCHES]
    fill(owner, staff_user, 25)
    large = [queries(client, url) for url in SEARCHES]
    assert max(small + large) <= 15


@pytest.mark.parametrize("kind", ["achievements", "needs"])
def test_detail_pages_cost_the_same_queries_for_few_or_many_postings(client, owner, staff_user, kind):
    """A detail page with its similar postings (one of 8, then 5 of 40): the same queries; the API's detail too."""
    first = market(owner, staff_user, 2, kind)[0]
    urls = [reverse("marketplace:detail", kwargs={"kind": kind, "pk": first.pk}), f"/api/v1/{kind}/{first.pk}/"]
    small = {url: queries(client, url) for url in urls}
    assert len(similar_shown(client.get(urls[0]))) >= 1
    market(owner, staff_user, 8, kind)
    large = {url: queries(client, url) for url in urls}
    assert len(similar_shown(client.get(urls[0]))) == 5
    assert large == small


def test_list_pages_read_no_reference_table(client, owner, staff_user):
    """Domains, provinces and clusters of the filter form come from what the process keeps (reference.cache)."""
    fill(owner, staff_user, 2)
    client.force_login(UserFactory())  # a member's page is built at every request (a visitor's is kept whole)
    url = reverse("marketplace:list", kwargs={"kind": "needs"}) + f"?domain=ai&province={PROVINCE}&cluster=yrd"
    client.get(url)
    url = url.replace("?domain=ai&", "?page=1&domain=ai&")  # the same list at another address: built, not kept
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["filter"].form.is_valid()
    read = " ".join(query["sql"] for query in captured)
    for table in ("reference_province", "reference_cluster"):
        assert f'FROM "{table}"' not in read
    assert 'FROM "reference_domain" WHERE' not in read  # (a posting's domains are read with it, by a join)
    options = response.context["filter"].form.fields["province"].choices
    assert len(options) == Province.objects.count() + 1  # and "any"


def test_a_filter_naming_no_reference_row_is_refused(client, db):
    response = client.get(reverse("marketplace:list", kwargs={"kind": "achievements"}) + "?province=999999")
    assert response.status_code == 200
    assert "province" in response.context["filter"].form.errors
    api = client.get("/api/v1/achievements/?domain=no-such-domain")
    assert api.status_code == 400
    assert "domain" in api.json()


def test_reference_changes_show_at_once(client, db):
    """A domain or cluster saved (the admin, a migration) is on the home page and in the filters at the next
    request: every process forgets what it kept."""
    client.get(reverse("home"))
    top = Domain.objects.filter(parent__isnull=True).order_by("position").first()
    top.name_zh = "改名后的领域"
    top.save()
    Domain.objects.create(code="quantum_test", name_zh="量子测试", name_en="Quantum test", parent=top, position=999)
    Cluster.objects.create(code="test_cluster", name_zh="测试经济圈", name_en="Test cluster")
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "改名后的领域" in home
    assert "量子测试" in home
    assert "测试经济圈" in home
    listing = client.get(reverse("marketplace:list", kwargs={"kind": "achievements"}) + "?domain=quantum_test")
    assert listing.context["filter"].form.is_valid()
    codes = [str(value) for value, _label in listing.context["filter"].form.fields["cluster"].choices]
    assert "test_cluster" in codes


def test_other_processes_see_a_reference_change_through_the_shared_version(db, monkeypatch):
    """Another process bumped the version in the shared cache: this one reads the rows again at its next check."""
    assert reference_cache.provinces()
    monkeypatch.setitem(reference_cache._rows, "provinces", [])  # what this process holds (stale, here empty)
    reference_cache._state["checked"] = 0.0
    assert reference_cache.provinces() == []  # same version: kept
    cache.incr(reference_cache.VERSION_KEY)  # what reference_changed does in another process
    reference_cache._state["checked"] = 0.0
    assert len(reference_cache.provinces()) == Province.objects.count()


def test_domain_codes_with_descendants_matches_the_selector(db):
    from reference.selectors import domain_codes_with_descendants

    top = Domain.objects.filter(parent__isnull=True).first()
    assert reference_cache.domain_codes_with_descendants([top.code]) == domain_codes_with_descendants([top.code])
    assert reference_cache.domain_codes_with_descendants(["ai"]) == domain_codes_with_descendants(["ai"])


def test_counts_are_cached_and_follow_every_change(owner, staff_user, django_assert_num_queries):
    fill(owner, staff_user, 2)
    assert live_counts() == {"achievements": 2, "needs": 2}
    with django_assert_num_queries(0):
        assert live_counts() == {"achievements": 2, "needs": 2}
    fresh = achievement(owner.organizations.get(), by=owner)
    publish([fresh], staff_user)
    assert live_counts()["achievements"] == 3
    services.posting_close(posting=fresh, by=owner, reason="")
    assert live_counts()["achievements"] == 2


def test_home_count_follows_a_publication(client, owner, staff_user):
    fill(owner, staff_user, 1)
    assert client.get(reverse("home")).context["counts"] == {"achievements": 1, "needs": 1}
    publish([need(owner.organizations.get(), by=owner)], staff_user)
    assert client.get(reverse("home")).context["counts"] == {"achievements": 1, "needs": 2}


def test_cached_count_depends_on_the_query(owner, staff_user):
    """One user's count is never another's: the key is the query (whose rows a user may see is in its SQL)."""
    fill(owner, staff_user, 2)
    draft = achievement(owner.organizations.get(), by=owner)
    public = posting_live(Achievement.objects.all())
    mine = Achievement.objects.filter(organization=draft.organization)
    assert cached_count(public) == 2
    assert cached_count(mine) == 3
    assert cached_count(Achievement.objects.none()) == 0
    paginator = CachedCountPaginator(public.order_by(*NEWEST_ORDER), 1)
    assert (paginator.count, paginator.num_pages) == (2, 2)
    assert CachedCountPaginator([1, 2, 3], 2).count == 3


def test_list_pages_are_newest_first_drafts_last(client, owner, staff_user):
    organization = owner.organizations.get()
    older, newer = achievement(organization, by=owner, title="较早"), achievement(organization, by=owner, title="较新")
    publish([older, newer], staff_user)
    draft = achievement(organization, by=owner, title="草稿")
    client.force_login(staff_user)
    page = client.get(reverse("marketplace:list", kwargs={"kind": "achievements"}) + "?status=").context["page"]
    assert [p.pk for p in page.object_list][:2] == [newer.pk, older.pk]
    api = client.get("/api/v1/achievements/").json()["results"]
    assert [row["id"] for row in api] == [newer.pk, older.pk, draft.pk]


def test_similar_postings_are_cached_and_recomputed_after_a_change(client, owner, staff_user):
    rows = market(owner, staff_user, 2)
    client.force_login(UserFactory())  # a member's page is built at every request (a visitor's is kept whole)
    url = reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": rows[0].pk})
    first = client.get(url)
    shown = [p.pk for p in first.context["similar"]]
    assert shown and rows[0].pk not in shown
    assert similar_shown(first) == shown
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get(url)
    with CaptureQueriesContext(connection) as warm:
        again = client.get(url)
    assert similar_shown(again) == shown
    assert len(warm) < len(cold)
    services.posting_close(posting=Achievement.objects.get(pk=shown[0]), by=owner, reason="")
    after = similar_shown(client.get(url))
    assert shown[0] not in after


def test_similar_postings_are_the_same_for_every_reader(client, owner, staff_user):
    """What is on the market is public: an outsider, the owner and staff see the same similar postings, and never
    a draft."""
    rows = market(owner, staff_user, 2)
    title, body, language = TEXTS[0]
    draft = achievement(owner.organizations.get(), by=owner, title=title, summary=body, language=language)
    url = reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": rows[0].pk})
    seen = []
    for user in (None, owner, staff_user, UserFactory()):
        client.logout()
        if user:
            client.force_login(user)
        cache.clear()  # each reader's page built for them: the same list for all
        seen.append(similar_shown(client.get(url)))
    assert seen[0] and all(s == seen[0] for s in seen)
    assert draft.pk not in seen[0]
