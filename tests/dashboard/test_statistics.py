"""The statistics page: figures computed exactly on a small market, who may read it, CSV downloads, SVG charts."""

from __future__ import annotations

import csv
import io

import pytest
from defusedxml import ElementTree as ET
from django.urls import reverse
from django.utils import timezone

from dashboard import selectors
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:statistics")
SVG = ""  # inline in the page, where HTML gives the element its namespace: the markup names none


def this_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def last_month() -> str:
    first = timezone.localdate().replace(day=1)
    return (first - timezone.timedelta(days=1)).strftime("%Y-%m")


def table(response, name):
    for _heading, tables in response.context["sections"]:
        for t in tables:
            if t.name == name:
                return t
    raise AssertionError(name)


def download(client, name, language="en"):
    response = client.get(URL, {"format": "csv", "table": name}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_postings_by_domain_and_place_count_published_postings_once(market):
    assert selectors.postings_by_domain() == {
        "next_gen_it": {"achievements": 2, "needs": 1},
        "high_end_equipment": {"achievements": 1, "needs": 0},
        "new_materials": {"achievements": 0, "needs": 1},
    }
    places = selectors.postings_by_place()
    assert places["province"] == {
        "110000": {"achievements": 1, "needs": 0},
        "340000": {"achievements": 2, "needs": 0},
        "440000": {"achievements": 0, "needs": 2},
    }
    assert places["cluster"] == {
        "jjj": {"achievements": 1, "needs": 0},
        "yrd": {"achievements": 2, "needs": 0},
        "g60": {"achievements": 2, "needs": 0},  # Hefei is one of the corridor's cities
        "yangtze_belt": {"achievements": 2, "needs": 0},
        "gba": {"achievements": 0, "needs": 2},
    }


def test_funnel_counts_each_match_in_the_month_it_first_reached_a_stage(market):
    funnel = dict(selectors.match_funnel())
    assert len(funnel) == 12 and list(funnel)[-1] == this_month()
    assert funnel[this_month()] == {"suggested": 6, "released": 3, "accepted": 2, "in_contact": 2, "deal": 1}
    assert funnel[last_month()] == {"suggested": 0, "released": 1, "accepted": 0, "in_contact": 0, "deal": 0}


def test_flows_go_from_the_achievements_clusters_to_the_needs(market):
    flows = selectors.cluster_flows()
    assert flows["matches"] == {("jjj", "gba"): 1, ("yrd", "gba"): 1, ("g60", "gba"): 1, ("yangtze_belt", "gba"): 1}
    assert flows["agreements"] == {("jjj", "gba"): 1}


def test_reasons_are_normalised_and_organisers_see_only_repeated_ones(market):
    assert selectors.match_reasons(kind="declined") == [("预算不足", 2)]
    assert selectors.match_reasons(kind="rejected") == [("领域不符", 1)]
    assert selectors.match_reasons(kind="rejected", min_count=2) == []


def test_staff_page_shows_every_section_with_a_chart_and_its_numbers(client, staff_user, events_world):
    client.force_login(staff_user)
    response = client.get(URL)
    assert response.status_code == 200
    funnel = table(response, "funnel")
    assert funnel.rows[-1] == [this_month(), 6, 3, 2, 2, 1]
    assert table(response, "reasons_rejected").rows == [["领域不符", 1]]
    events = table(response, "events")
    titles = [row[0] for row in events.rows]
    assert "长三角新材料成果对接会" in titles and "黄河流域路演" in titles
    mine = events.rows[titles.index("长三角新材料成果对接会")]
    # places, registrations (not cancelled), confirmed, attended, meetings held, agreements
    assert mine[3:] == [3, 4, 3, 1, 0, 1]
    assert events.footer[3:] == [13, 5, 4, 1, 0, 1]
    page = response.content.decode()
    assert page.count("<svg") == 9 and "?format=csv&amp;table=flows_matches" in page


def test_every_chart_is_well_formed_svg_with_a_title_and_the_numbers(client, staff_user, events_world):
    client.force_login(staff_user)
    response = client.get(URL)
    for _heading, tables in response.context["sections"]:
        for t in tables:
            root = ET.fromstring(str(t.chart))
            assert root.tag == f"{SVG}svg" and root.get("role") == "img"
            assert root.find(f"{SVG}title").text == t.title
            texts = {element.text for element in root.iter(f"{SVG}text")}
            for row in t.rows:
                numbers = [cell for cell in row if isinstance(cell, int)]
                if t.name == "funnel":  # points at zero carry no label; the others do
                    numbers = [n for n in numbers if n]
                if t.name == "events":
                    numbers = [row[4], row[6], row[7], row[8]]
                for number in numbers:
                    assert str(number) in texts, (t.name, number)
    flows = ET.fromstring(str(table(response, "flows_agreements").chart))
    cells = [e.find(f"{SVG}title").text for e in flows.iter(f"{SVG}rect")]
    names = selectors.reference_names()["cluster"]
    assert f"{names['jjj'][1]} → {names['gba'][1]}: 1" in cells  # the reader's language (English here)


def test_csv_download_has_translated_headers_bom_and_rows(client, staff_user, market):
    client.force_login(staff_user)
    rows = download(client, "domains", language="zh-hans")
    assert rows[0] == ["技术领域", "科技成果", "技术需求"]
    assert rows[1] == ["新一代信息技术", "2", "1"]
    assert sorted(rows[1:]) == sorted([["新一代信息技术", "2", "1"], ["高端装备制造", "1", "0"], ["新材料", "0", "1"]])
    english = download(client, "domains")
    assert english[0] == ["Domain", "Achievements", "Needs"] and english[1][0] != "新一代信息技术"
    funnel = download(client, "funnel")
    assert funnel[-2] == [this_month(), "6", "3", "2", "2", "1"] and funnel[-1][0] == "Total"
    assert download(client, "flows_agreements")[1:] and download(client, "reasons_declined")[1] == ["预算不足", "2"]
    assert client.get(URL, {"format": "csv", "table": "nonsense"}).status_code == 404


def test_anonymous_is_sent_to_log_in_and_a_plain_member_is_refused(client, market):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    client.force_login(market["hefei"])
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "csv", "table": "domains"}).status_code == 403


def test_organiser_sees_platform_aggregates_and_only_their_own_events(client, organiser_member, events_world):
    client.force_login(organiser_member)
    response = client.get(URL)
    assert response.status_code == 200 and response.context["role"] == "organiser"
    events = table(response, "events")
    assert [row[0] for row in events.rows] == ["长三角新材料成果对接会"]
    assert events.footer[3:] == [3, 4, 3, 1, 0, 1]
    assert table(response, "reasons_rejected").rows == []  # given once: staff's alone
    assert table(response, "reasons_declined").rows == [["预算不足", 2]]
    page = response.content.decode()
    assert "黄河流域路演" not in page
    for private in ("北京AI成果", "深圳某企业", "王一", "w1@hf.cn", "zhang@secret.example.cn"):
        assert private not in page
    rows = download(client, "events")
    assert [row[0] for row in rows[1:-1]] == ["长三角新材料成果对接会"]


def test_a_member_of_an_organiser_and_of_another_organisation_still_sees_only_the_organisers_events(
    client, organiser_member, events_world, market
):
    MembershipFactory(user=organiser_member, organization=market["hefei"].organizations.get())
    client.force_login(organiser_member)
    events = table(client.get(URL), "events")
    assert [row[0] for row in events.rows] == ["长三角新材料成果对接会"]
