import pytest
from django.core.management import call_command
from django.urls import reverse

from marketplace import services
from marketplace.highlight import highlight, matched_spans
from marketplace.models import Achievement, AchievementSearchTerm, Status
from marketplace.search import document_terms, query_groups, query_terms, to_tsquery, tokens
from marketplace.search_index import NEWEST, posting_similar
from marketplace.search_index import posting_search as ranked_search
from marketplace.selectors import posting_search
from tests.factories import MembershipFactory, OrganizationFactory, achievement
from tests.marketplace.test_query_counts import similar_shown

pytestmark = pytest.mark.django_db


def test_tokens_segment_chinese_and_keep_english_words():
    words = tokens("硫化物固态电池电解质 for Solid-State batteries, 5G")
    assert "电解质" in words
    assert "solid-state" in words
    assert "batteries" in words
    assert "5g" in words


def test_long_query_words_also_match_their_parts():
    (group,) = query_groups("人工智能")
    assert group.word == "人工智能"
    assert set(group.parts) == {"人工", "智能"}
    assert to_tsquery(query_groups("人工智能 d'Arc")) == "('人工智能' | ('人工' & '智能')) & 'arc'"


@pytest.fixture
def postings():
    organization = OrganizationFactory()
    return {
        "battery": achievement(
            organization, title="硫化物固态电池电解质", summary="高离子电导率，适用于全固态锂电池。"
        ),
        "vision": achievement(organization, title="工业视觉缺陷检测", summary="基于人工 智能的深度学习表面缺陷识别。"),
        "english": achievement(
            organization,
            title="Solid-state electrolyte for lithium batteries",
            summary="A sulfide electrolyte with high ionic conductivity.",
            language="en",
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("固态电池", {"battery"}),
        ("缺陷检测", {"vision"}),
        ("深度学习 缺陷", {"vision"}),
        ("electrolyte", {"english"}),
        ("Lithium Batteries", {"english"}),
        ("量子计算", set()),
        ("人工智能", {"vision"}),  # the document holds 人工 and 智能 apart
        ("", {"battery", "vision", "english"}),
    ],
)
def test_search_finds_chinese_and_english_postings(postings, query, expected):
    names = {posting.pk: name for name, posting in postings.items()}
    found = {names[pk] for pk in posting_search(Achievement.objects.all(), query).values_list("pk", flat=True)}
    assert found == expected


# --- Ranked search: one bilingual token space, OR-ed and ranked ---------------------------------------------------


def published(posting):
    return services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)


@pytest.fixture
def market():
    """Published achievements in both languages, with the distractors users reported."""
    organization = OrganizationFactory()
    make = lambda **fields: published(achievement(organization, domains=(), **fields))  # noqa: E731
    return {
        "sodium_zh": make(
            title="钠离子电池硬碳负极材料",
            summary="以生物质为前驱体制备硬碳负极，首次库伦效率90%，适用于储能用钠离子电池。",
            keywords=["硬碳", "钠离子电池"],
        ),
        "hard_carbon_en": make(
            title="Hard carbon anodes from biomass",
            summary="Hard carbon made from coconut shells gives anodes with high first-cycle efficiency.",
            language="en",
        ),
        "solid_state": make(title="硫化物固态电池电解质", summary="高离子电导率的硫化物电解质，适用于全固态锂电池。"),
        "lithium": make(title="废旧锂电池正极材料回收", summary="湿法冶金回收锂电池正极中的锂、钴、镍，回收率98%。"),
        "chromatograph": make(
            title="便携式气相色谱仪",
            summary="现场快速分析挥发性有机物，也可用于锂电池电解液成分与环境空气的检测。",
        ),
        "vision": make(title="工业视觉缺陷检测", summary="基于深度学习的表面缺陷识别，用于汽车零部件在线检测。"),
        "vision_en": make(
            title="Machine vision inspection of welds",
            summary="Cameras and deep learning find weld defects on the production line.",
            language="en",
        ),
    }


def ranked(query, **kwargs):
    return list(ranked_search(Achievement.objects.filter(status=Status.PUBLISHED), query, **kwargs))


def names_of(market, postings):
    by_pk = {posting.pk: name for name, posting in market.items()}
    return [by_pk[posting.pk] for posting in postings]


def test_an_english_word_finds_the_chinese_record(market):
    assert names_of(market, ranked("sodium"))[0] == "sodium_zh"


def test_a_chinese_word_finds_the_english_record(market):
    found = names_of(market, ranked("硬碳"))
    assert set(found[:2]) == {"sodium_zh", "hard_carbon_en"}


def test_solid_state_battery_finds_its_record_first(market):
    assert names_of(market, ranked("固态电池"))[0] == "solid_state"


def test_lithium_battery_ranks_batteries_above_an_instrument_that_mentions_them(market):
    found = names_of(market, ranked("锂电池"))
    assert found[0] == "lithium"
    assert found.index("chromatograph") > found.index("solid_state")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("我们需要一种用于钠离子电池的硬碳负极材料，要求首效高", "sodium_zh"),
        ("We need hard carbon anode material for sodium-ion batteries", "sodium_zh"),
        ("汽车零部件表面缺陷自动检测", "vision"),
        ("looking for machine vision to inspect welds", "vision_en"),
    ],
)
def test_a_natural_sentence_ranks_the_relevant_record_first(market, query, first):
    found = names_of(market, ranked(query))
    assert found[0] == first
    assert len(found) > 1  # ranked, not every word required


def test_a_query_with_no_searchable_word_matches_nothing(market):
    assert ranked("the of, 。") == []


def test_sort_by_newest_keeps_the_matches_and_orders_by_date(market):
    by_relevance = ranked("电池")
    by_date = ranked("电池", sort=NEWEST)
    assert {p.pk for p in by_relevance} == {p.pk for p in by_date}
    dates = [p.published_at for p in by_date]
    assert dates == sorted(dates, reverse=True)


def test_the_search_ranks_what_the_other_filters_keep(market):
    market["lithium"].status = Status.CLOSED
    Achievement.objects.filter(pk=market["lithium"].pk).update(status=Status.CLOSED)
    assert "lithium" not in names_of(market, ranked("锂电池"))


@pytest.mark.parametrize("narrow", [False, True])
def test_bounded_reads_give_the_exact_results_when_filters_are_narrow(market, monkeypatch, narrow):
    """Few rows read per token and few candidates: a filter that leaves out the best-scored postings still gets its
    own matches, exactly scored (the slow path)."""
    queryset = Achievement.objects.filter(status=Status.PUBLISHED)
    expected = names_of(market, ranked_search(queryset.exclude(pk=market["lithium"].pk), "锂电池 钠离子电池"))
    monkeypatch.setattr("marketplace.search_index.TOKEN_ROWS", 1 if narrow else 2000)
    monkeypatch.setattr("marketplace.search_index.CANDIDATES", 1 if narrow else 1500)
    found = names_of(market, ranked_search(queryset.exclude(pk=market["lithium"].pk), "锂电池 钠离子电池"))
    assert found == expected
    assert len(found) >= 3


@pytest.mark.parametrize("sort", ["relevance", NEWEST])
def test_the_results_count_and_page_as_a_plain_query_would(market, sort, django_assert_num_queries):
    results = ranked_search(Achievement.objects.filter(status=Status.PUBLISHED), "电池 battery", sort=sort)
    plain = results.all()  # a clone: counted and sliced by SQL
    expected = plain.count()
    with django_assert_num_queries(0):
        assert results.count() == expected >= 4
    assert list(results[1:3]) == list(plain[1:3])
    assert list(results[:2]) + list(results[2:]) == list(plain)


def test_an_edit_reindexes_the_posting(market):
    services.posting_update(posting=market["chromatograph"], by=None, title="便携式质谱仪", summary="现场测重金属。")
    assert "chromatograph" in names_of(market, ranked("质谱仪"))
    assert "chromatograph" not in names_of(market, ranked("气相色谱"))


def test_documents_weigh_the_title_above_the_body():
    terms = document_terms(title="钠离子电池", keywords=[], body="负极材料。钠离子电池")
    assert terms["钠离子电池"] > terms["负极材料"]
    assert terms["sodium"] < terms["钠离子电池"]  # a bridged token weighs less than the word itself


def test_the_reindex_command_rebuilds_the_rows(market):
    AchievementSearchTerm.objects.all().delete()
    assert ranked("sodium") == []
    call_command("search_reindex", "achievements", stdout=None)
    assert names_of(market, ranked("sodium"))[0] == "sodium_zh"


# --- Highlighting -------------------------------------------------------------------------------------------------


def test_a_bridged_match_is_marked_in_the_records_own_language():
    shown = highlight(title="钠离子电池硬碳负极", body="用于储能的钠离子电池。", tokens=set(query_terms("sodium")))
    assert shown.title == "<mark>钠离子电池</mark>硬碳负极"
    assert "<mark>钠离子电池</mark>" in shown.snippet
    english = highlight(title="Hard carbon anodes", body="Hard-carbon anodes.", tokens=set(query_terms("硬碳")))
    assert english.title == "<mark>Hard carbon</mark> anodes"


def test_the_snippet_is_escaped_and_centred_on_the_match():
    body = "<script>alert(1)</script> " + "无关的内容。" * 40 + "关键的<b>钠离子电池</b>技术。" + "其他内容。" * 40
    snippet = highlight(title="<i>x</i>", body=body, tokens=set(query_terms("钠离子电池"))).snippet
    assert "<mark>钠离子电池</mark>" in snippet
    assert "&lt;b&gt;" in snippet
    assert "<script>" not in snippet and "<b>" not in snippet
    assert snippet.startswith("…") and snippet.endswith("…")


def test_a_chinese_query_matches_and_marks_what_segmentation_cuts_differently(market):
    # 硬碳负 is no word: its character bigrams still find and mark 硬碳负极
    assert names_of(market, ranked("硬碳负"))[0] == "sodium_zh"
    text = "以生物质为前驱体制备硬碳负极"
    assert [text[a:b] for a, b in matched_spans(text, set(query_terms("硬碳负")))] == ["硬碳负"]


def test_matched_spans_point_into_the_original_text():
    text = "Ｌｉｔｈｉｕｍ batteries and 锂电池"
    spans = matched_spans(text, set(query_terms("lithium battery")))
    assert [text[a:b] for a, b in spans] == ["Ｌｉｔｈｉｕｍ batteries", "锂电池"]


# --- Pages and API ------------------------------------------------------------------------------------------------


def list_page(client, **query):
    return client.get(reverse("marketplace:list", kwargs={"kind": "achievements"}), query)


def shown(page):
    return [posting.pk for posting in page.context["page"].object_list]


def test_the_list_page_ranks_and_marks_the_matches(client, market):
    Achievement.objects.filter(pk=market["sodium_zh"].pk).update(summary="<script>alert(1)</script>用于钠离子电池。")
    page = list_page(client, q="sodium")
    text = page.content.decode()
    assert shown(page)[0] == market["sodium_zh"].pk
    assert "<mark>钠离子电池</mark>硬碳负极材料" in text
    assert "用于<mark>钠离子电池</mark>。" in text
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;" in text


def test_the_list_page_sorts_by_newest_on_request(client, market):
    relevant = shown(list_page(client, q="硬碳"))
    newest = shown(list_page(client, q="硬碳", sort="newest"))
    sodium, hard_carbon = market["sodium_zh"].pk, market["hard_carbon_en"].pk  # hard carbon: published later
    assert relevant.index(sodium) < relevant.index(hard_carbon)
    assert newest.index(hard_carbon) < newest.index(sodium)
    assert sorted(relevant) == sorted(newest)


def test_the_api_ranks_and_sorts(client, market):
    url = reverse("api:achievement-list")
    relevant = [item["title"] for item in client.get(url, {"q": "硬碳"}).json()["results"]]
    newest = [item["title"] for item in client.get(url, {"q": "硬碳", "sort": "newest"}).json()["results"]]
    assert relevant[0] == "钠离子电池硬碳负极材料"
    assert newest.index("Hard carbon anodes from biomass") < newest.index("钠离子电池硬碳负极材料")
    assert sorted(relevant) == sorted(newest)
    assert client.get(url, {"q": "硬碳", "sort": "oldest"}).status_code == 400


def test_similar_postings_cross_languages_and_leave_out_what_shares_only_common_words(market):
    queryset = Achievement.objects.filter(status=Status.PUBLISHED)
    similar = names_of(market, posting_similar(posting=market["sodium_zh"], queryset=queryset))
    assert "hard_carbon_en" in similar[:2]
    assert "vision" not in similar and "chromatograph" not in similar
    assert names_of(market, posting_similar(posting=market["vision"], queryset=queryset))[0] == "vision_en"


def test_similar_postings_leave_out_drafts_and_what_the_user_may_not_see(client, market):
    owner = MembershipFactory().user
    other = OrganizationFactory()
    mine = owner.organizations.get()
    posting = published(
        achievement(mine, title="钠离子电池正极材料", summary="层状氧化物正极，用于钠离子电池。", domains=())
    )
    own_draft = achievement(mine, title="钠离子电池电解液", summary="钠离子电池用高压电解液。", domains=())
    other_draft = achievement(other, title="钠离子电池隔膜", summary="钠离子电池用陶瓷隔膜。", domains=())
    similar = posting_similar(posting=posting, queryset=Achievement.objects.filter(status=Status.PUBLISHED))
    assert market["sodium_zh"] in similar[:2]
    assert posting not in similar
    assert len(similar) <= 5
    for who in (None, owner):
        if who:
            client.force_login(who)
        page = client.get(reverse("marketplace:detail", kwargs={"kind": "achievements", "pk": posting.pk}))
        text = page.content.decode()
        assert market["sodium_zh"].pk in similar_shown(page)[:2]
        assert "钠离子电池硬碳负极材料" in text
        assert own_draft.title not in text
        assert other_draft.title not in text
