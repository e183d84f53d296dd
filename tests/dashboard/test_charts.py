"""The SVG charts alone: well-formed, titled, every number written, text escaped, an empty chart says so."""

from __future__ import annotations

from defusedxml import ElementTree as ET

from dashboard import charts

SVG = ""  # inline in the page, where HTML gives the element its namespace: the markup names none


def texts(svg: str) -> list[str]:
    """Each ``<text>``'s own words (after the ``<title>`` a long label carries)."""
    found = []
    for element in ET.fromstring(svg).iter(f"{SVG}text"):
        words = (element.text or "") + "".join(child.tail or "" for child in element)
        if words:
            found.append(words)
    return found


def test_bar_chart_names_each_bar_and_writes_its_number():
    svg = charts.bar_chart(title="By <domain> & kind", labels=["新材料", "AI"], series=[("A", [3, 0]), ("N", [1, 7])])
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "By <domain> & kind" and root.get("viewBox")
    assert {"3", "0", "1", "7", "新材料", "AI"} <= set(texts(svg))
    assert "新材料 · N: 1" in [
        r.find(f"{SVG}title").text for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None
    ]


def test_line_chart_has_a_point_per_month_and_series():
    svg = charts.line_chart(title="Funnel", x_labels=["26-01", "26-02"], series=[("S", [4, 5]), ("R", [0, 2])])
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}circle"))) == 4 and len(list(root.iter(f"{SVG}polyline"))) == 2
    assert {"4", "5", "2", "26-01", "26-02"} <= set(texts(svg))


def test_matrix_chart_writes_every_cell():
    svg = charts.matrix_chart(title="Flows", row_labels=["甲", "乙"], column_labels=["丙"], values=[[2], [0]])
    assert [t for t in texts(svg) if t.isdigit()] == ["2", "0"]


def test_an_empty_chart_says_there_is_no_data():
    svg = charts.bar_chart(title="Nothing", labels=[], series=[], empty_text="No data yet.")
    assert texts(svg) == ["No data yet."] and ET.fromstring(svg).find(f"{SVG}title").text == "Nothing"
