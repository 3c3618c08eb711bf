"""Server-drawn SVG bar charts: well-formed, escaped, proportional, and honest about no data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from triage.charts import BOTTOM, HEIGHT, TOP, Series, bar_chart, name, nice_top, number

SVG = "{http://www.w3.org/2000/svg}"
PLOT_H = HEIGHT - TOP - BOTTOM


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # fails on anything that is not well-formed XML


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "bar" in r.get("class", "").split()]


def test_labels_and_titles_are_escaped() -> None:
    hostile = '<script>alert("x")</script>&'
    markup = bar_chart(
        'id"><script>',
        hostile,
        [hostile, "W2"],
        [Series("a", hostile, 'x" onload="alert(1)')],
        {(0, "a"): 2, (1, "a"): 1},
    )
    assert "<script" not in markup and "onload=" not in markup.replace("-onload-", "")
    root = parse(markup)
    assert root.get("id") == "id---script-"
    assert root.find(f"{SVG}title").text == hostile
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert hostile in texts  # the legend and the x label, as text
    assert bars(root)[0].find(f"{SVG}title").text == f"{hostile}, {hostile}: 2"
    assert {r.get("class") for r in bars(root)} == {"bar x--onload--alert-1-"}
    assert "style=" not in markup


def test_stacked_bars_are_proportional_and_stack_in_order() -> None:
    series = [Series("P1", "P1", "s-P1"), Series("P2", "P2", "s-P2")]
    root = parse(
        bar_chart(
            "c",
            "t",
            ["W1", "W2"],
            series,
            {(0, "P1"): 2, (0, "P2"): 3, (1, "P1"): 5},
            stacked=True,
            whole=True,
        )
    )
    drawn = bars(root)
    assert [r.get("class") for r in drawn] == ["bar s-p1", "bar s-p2", "bar s-p1"]
    heights = [float(r.get("height")) for r in drawn]
    assert heights == pytest.approx([PLOT_H * 2 / 5, PLOT_H * 3 / 5, PLOT_H])  # axis top: 5
    first, second = drawn[0], drawn[1]
    # P2 sits on top of P1 in the same column.
    assert first.get("x") == second.get("x")
    assert float(second.get("y")) + float(second.get("height")) == pytest.approx(
        float(first.get("y"))
    )
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "y-label"] == [
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


def test_side_by_side_bars_show_their_values_and_skip_missing_ones() -> None:
    series = [Series("median", "Median", "s-median"), Series("p90", "90th", "s-p90")]
    root = parse(
        bar_chart(
            "c",
            "t",
            ["P1", "P2"],
            series,
            {(0, "median"): 1.5, (0, "p90"): 4, (1, "median"): None},
            unit=" h",
        )
    )
    assert len(bars(root)) == 2
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"]
    assert values == ["1.5 h", "4 h"]
    assert float(bars(root)[1].get("x")) > float(bars(root)[0].get("x"))


def test_a_fixed_axis_for_percentages() -> None:
    root = parse(
        bar_chart(
            "c",
            "t",
            ["P1"],
            [Series("met", "On time", "s-sla")],
            {(0, "met"): 50},
            top=100,
            unit="%",
        )
    )
    assert float(bars(root)[0].get("height")) == pytest.approx(PLOT_H / 2)
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "y-label"]
    assert labels == ["0%", "20%", "40%", "60%", "80%", "100%"]


def test_no_data_is_said_not_drawn() -> None:
    root = parse(bar_chart("c", "t", ["W1"], [Series("a", "A", "s-a")], {(0, "a"): 0}))
    assert bars(root) == []
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "no-data"] == ["No data"]
    root = parse(
        bar_chart("c", "t", ["P1"], [Series("a", "A", "s")], {(0, "a"): 0.0}, no_data=False)
    )
    assert [t for t in root.iter(f"{SVG}text") if t.get("class") == "no-data"] == []


def test_many_weeks_get_every_other_label() -> None:
    weeks = [f"W{n}" for n in range(1, 27)]
    root = parse(bar_chart("c", "t", weeks, [Series("a", "A", "s")], {(0, "a"): 1}))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "x-label"]
    assert labels == weeks[::2]


def test_axis_tops_and_numbers() -> None:
    assert nice_top(0) == (1.0, 1.0)
    assert nice_top(7, whole=True) == (8, 2)
    assert nice_top(17, whole=True) == (20, 5)
    assert nice_top(1, whole=True) == (1, 1)
    assert nice_top(83.3) == (100, 20)
    assert nice_top(0.7) == pytest.approx((0.8, 0.2))
    assert (number(12.0), number(12.25), number(66.666)) == ("12", "12.2", "66.7")
    assert name("S-P1 x") == "s-p1-x"
