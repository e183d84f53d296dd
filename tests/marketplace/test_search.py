import pytest

from marketplace.models import Achievement
from marketplace.search import query_groups, to_tsquery, tokens
from marketplace.selectors import posting_search
from tests.factories import OrganizationFactory, achievement

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
