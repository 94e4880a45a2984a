"""The server-side SVG charts: well-formed XML, one bar per value with its value printed,
titles and labels for screen readers, links to the tickets behind each bar."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pandawa.dashboard import charts
from pandawa.reports.series import Bucket, DayPoint

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//svg:rect[@class='bar']", NS)


def values(root: ET.Element) -> list[str]:
    texts = root.iter("{http://www.w3.org/2000/svg}text")
    return [el.text or "" for el in texts if "value" in (el.get("class") or "").split()]


def link(**drill: object) -> str:
    return "/dashboard/tickets?" + "&".join(f"{k}={v}" for k, v in drill.items())


def test_a_bar_chart_has_a_bar_value_label_and_link_per_value():
    chart = charts.bar_chart(
        chart_id="c",
        title="Volume <tiket>",
        description="Jumlah & sebaran",
        bars=[
            charts.Bar("Sen", 12.0, "12", "Senin: 12 tiket", "/x?a=1&b=2"),
            charts.Bar("Sel", 0.0, "0", "Selasa: 0 tiket"),
            charts.Bar("Rab", None, "–", "Rabu: tidak ada data"),
        ],
        x_label="Hari",
        y_label="Jumlah tiket",
    )
    root = parse(chart)
    assert root.find("svg:title", NS).text == "Volume <tiket>"  # escaped, then read back
    assert root.find("svg:desc", NS).text == "Jumlah & sebaran"
    assert root.get("aria-labelledby") == "c-title"
    assert len(bars(root)) == 2  # no data: a dash, not a zero-height bar
    assert values(root) == ["12", "0", "–"]
    anchors = root.findall(".//svg:a", NS)
    assert [(a.get("href"), a.get("aria-label")) for a in anchors] == [
        ("/x?a=1&b=2", "Senin: 12 tiket")
    ]
    texts = [el.text for el in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"Hari", "Jumlah tiket", "Sen", "Sel", "Rab"} <= set(texts)


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60))
def test_bars_never_leave_the_plot(counts):
    chart = charts.bar_chart(
        chart_id="p",
        title="t",
        description="d",
        bars=charts.count_bars(
            [str(i) for i in range(len(counts))], counts, lambda i, n: f"{i}: {n}", lambda i: None
        ),
        x_label="x",
        y_label="y",
    )
    root = parse(chart)
    plot_h = charts.HEIGHT - charts.TOP - charts.BOTTOM
    plot_bottom = charts.TOP + plot_h
    top = charts.axis_ticks(max(counts))[-1]
    printed = 0.05 + 1e-9  # y and height are printed to 0.1 px (correctly rounded)
    heights = []
    for rect in bars(root):
        y, h = float(rect.get("y")), float(rect.get("height"))
        assert charts.TOP - printed <= y and y + h <= plot_bottom + 2 * printed
        heights.append(h)
    assert len(heights) == len(counts)
    # each bar is its count's share of the axis, to the printed 0.1 px
    for count, h in zip(counts, heights, strict=True):
        assert abs(h - plot_h * count / top) <= printed, (count, h)
    # rounding keeps the order: a larger count never draws a shorter bar, equal counts draw
    # equal bars; two counts a hair apart (999743 and 999744) may print the same height, so
    # only counts more than 0.1 px apart must draw visibly different bars
    by_count = sorted(zip(counts, heights, strict=True))
    for (c1, h1), (c2, h2) in pairwise(by_count):
        assert h1 <= h2
        if c1 == c2:
            assert h1 == h2
        if plot_h * (c2 - c1) / top > 0.1 + 2 * printed:
            assert h1 < h2, (c1, c2, h1, h2)


@pytest.mark.parametrize(
    ("value", "ticks"),
    [
        (0, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (12, [0, 5, 10, 15]),
        (23, [0, 10, 20, 30]),
        (240, [0, 100, 200, 300]),
    ],
)
def test_count_axes_have_whole_round_ticks(value, ticks):
    assert charts.axis_ticks(value) == ticks


def test_a_fixed_axis_is_cut_in_quarters():
    assert charts.axis_ticks(40, 100) == [0, 25, 50, 75, 100]


def test_percent_text_follows_the_language():
    assert charts.percent_text(0.6667) == "66,7%"
    assert charts.percent_text(0.6667, "en") == "66.7%"
    assert charts.percent_text(1.0) == "100%"
    assert charts.percent_text(None) == "–"


def test_the_hour_chart_has_24_bars_in_indonesian(app):
    counts = [0] * 24
    counts[8], counts[9] = 3, 11
    with app.test_request_context("/dashboard/figures"):
        root = parse(charts.hour_chart(counts, link))
    assert root.find("svg:title", NS).text == "Volume tiket per jam"
    assert len(bars(root)) == 24
    assert values(root)[8:10] == ["3", "11"]
    hrefs = [a.get("href") for a in root.findall(".//svg:a", NS)]
    assert hrefs == ["/dashboard/tickets?hour=8", "/dashboard/tickets?hour=9"]  # empty: no link
    labels = [a.get("aria-label") for a in root.findall(".//svg:a", NS)]
    assert labels == ["Pukul 08.00–08.59: 3 tiket", "Pukul 09.00–09.59: 11 tiket"]


def test_the_weekday_chart_and_its_english(app):
    counts = [5, 4, 3, 2, 1, 0, 0]
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        root = parse(charts.weekday_chart(counts, link))
    assert root.find("svg:title", NS).text == "Ticket volume by weekday"
    assert len(bars(root)) == 7 and values(root) == ["5", "4", "3", "2", "1", "0", "0"]
    assert root.find(".//svg:a", NS).get("aria-label") == "Monday: 5 tickets"


def test_the_wait_chart_links_each_bucket(app):
    buckets = [
        Bucket("lt5m", "< 5 menit", 0, 300, 4),
        Bucket("30-60m", "30–60 menit", 1800, 3600, 2),
        Bucket("ge8h", "≥ 8 jam", 28800, None, 0),
    ]
    with app.test_request_context("/"):
        root = parse(charts.wait_chart(buckets, link))
    assert values(root) == ["4", "2", "0"]
    assert [a.get("href") for a in root.findall(".//svg:a", NS)] == [
        "/dashboard/tickets?wait_bucket=lt5m",
        "/dashboard/tickets?wait_bucket=30-60m",
    ]
    assert "30–60 menit" in [el.text for el in root.iter("{http://www.w3.org/2000/svg}text")]


def test_the_sla_chart_is_in_percent_with_gaps_for_empty_days(app):
    points = [
        DayPoint(date(2026, 12, 1), 4, 2, 3, 0.6667),
        DayPoint(date(2026, 12, 2), 0, 0, 0, None),
        DayPoint(date(2026, 12, 3), 2, 2, 2, 1.0),
    ]
    with app.test_request_context("/"):
        root = parse(charts.sla_chart(points, link))
    assert len(bars(root)) == 2
    assert values(root) == ["67", "–", "100"]
    rect = bars(root)[1]
    assert float(rect.get("y")) == pytest.approx(charts.TOP)  # 100% reaches the axis top
    anchors = root.findall(".//svg:a", NS)
    assert anchors[0].get("href") == "/dashboard/tickets?day=2026-12-01"
    assert anchors[0].get("aria-label") == "Selasa, 1 Desember 2026: capaian 66,7% (2 dari 3 tiket)"
