"""The list pages' filters speak one language at a time (issue 13 item 1): domains, provinces, clusters (and the
events' cities) are named in the reader's language only, and the empty choice reads "any", not a row of dashes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return [label.strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1), re.S)]


@pytest.mark.parametrize(
    ("language", "ai", "anhui", "empty", "foreign"),
    [("zh-hans", "人工智能", "安徽省", "不限", re.compile(r"[A-Za-z]{3,}")),
     ("en", "Artificial intelligence", "Anhui", "any", re.compile(r"[\u4e00-\u9fff]"))],
)  # fmt: skip
def test_filter_choices_are_named_in_the_readers_language(client, language, ai, anhui, empty, foreign):
    html = client.get(reverse("marketplace:list", kwargs={"kind": "achievements"}), HTTP_ACCEPT_LANGUAGE=language)
    html = html.content.decode()
    domains, provinces = options(html, "domain"), options(html, "province")
    clusters, modes = options(html, "cluster"), options(html, "mode")
    assert ai in domains and anhui in [p.split(" ")[0] for p in provinces]
    for labels in (domains, provinces, clusters, modes):
        assert labels[0] == empty and "-----" not in " ".join(labels)
        assert not [label for label in labels[1:] if foreign.search(label)], labels


def test_the_events_city_filter_names_cities_in_the_readers_language(client):
    html = client.get(reverse("events:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    cities = options(html, "city")
    assert cities[0] == "any" and "Hefei" in cities
    assert not [city for city in cities if re.search(r"[\u4e00-\u9fff]", city)]
