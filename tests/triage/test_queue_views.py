"""The queue page: the unit's items, tier then due time, overdue marked, filters, pages."""

from __future__ import annotations

import re
from datetime import timedelta


def item_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/items/(\d+)"', page)]


def rows(page: str) -> list[str]:
    return re.findall(r"<tr data-tier=\"P\d\".*?</tr>", page, re.DOTALL)


def row_tiers(page: str) -> list[str]:
    return re.findall(r'data-tier="(P\d)"', page)


def test_items_are_ordered_by_tier_then_due_time(logged_in, add_item) -> None:
    p3_late = add_item("P3", timedelta(days=2))
    p1_later = add_item("P1", timedelta(minutes=14))
    p4 = add_item("P4", timedelta(days=7))
    p1_sooner = add_item("P1", timedelta(minutes=3))
    p2 = add_item("P2", timedelta(hours=4))
    p3_soon = add_item("P3", timedelta(hours=1))
    page = logged_in.get("/queue").get_data(as_text=True)
    assert item_ids(page) == [p1_sooner, p1_later, p2, p3_soon, p3_late, p4]
    assert row_tiers(page) == ["P1", "P1", "P2", "P3", "P3", "P4"]


def test_each_row_shows_tier_category_times_status_and_reasons(logged_in, add_item) -> None:
    add_item(
        "P2",
        category="weapons",
        reasons=[
            {"rule": "weapons-access", "text": "The person has access to weapons", "tier": "P2"},
            {"rule": "named-person", "text": "A specific person is named", "tier": "P3"},
        ],
    )
    (row,) = rows(logged_in.get("/queue").get_data(as_text=True))
    assert ">P2<" in row
    assert "Weapons" in row  # the category's label, not its code
    assert "The person has access to weapons" in row and "A specific person is named" in row
    assert "New" in row
    assert row.count(" UTC") == 2  # received and due


def test_overdue_items_are_clearly_marked(logged_in, add_item) -> None:
    late = add_item("P1", timedelta(minutes=-20))
    on_time = add_item("P1", timedelta(minutes=10))
    page = logged_in.get("/queue").get_data(as_text=True)
    by_id = {item_ids(row)[0]: row for row in rows(page)}
    assert 'OVERDUE</strong> <span class="overdue-by">by 20 min' in by_id[late]
    assert "is-overdue" in by_id[late]
    assert "OVERDUE" not in by_id[on_time] and "in 9 min" in by_id[on_time]
    assert "(1 overdue)" in page  # the summary above the table


def test_filters_by_tier_and_status(logged_in, add_item) -> None:
    p1_new = add_item("P1")
    p1_review = add_item("P1", status="in_review")
    p1_closed = add_item("P1", status="closed")
    p2_new = add_item("P2")

    def ids(query: str) -> list[int]:
        return item_ids(logged_in.get(f"/queue{query}").get_data(as_text=True))

    assert set(ids("")) == {p1_new, p1_review, p2_new}  # open items by default
    assert set(ids("?tier=P1")) == {p1_new, p1_review}
    assert ids("?tier=P1&status=closed") == [p1_closed]
    assert ids("?status=in_review") == [p1_review]
    assert set(ids("?status=all")) == {p1_new, p1_review, p1_closed, p2_new}
    assert set(ids("?tier=P9&status=bogus")) == {p1_new, p1_review, p2_new}  # ignored


def test_pagination_25_per_page_with_page_links(logged_in, add_item) -> None:
    created = [add_item("P4", timedelta(hours=n + 1)) for n in range(60)]
    first = logged_in.get("/queue").get_data(as_text=True)
    assert item_ids(first) == created[:25]
    assert "Items 1 to 25 of 60" in first
    assert 'href="/queue?page=2"' in first and 'href="/queue?page=3"' in first
    third = logged_in.get("/queue?page=3").get_data(as_text=True)
    assert item_ids(third) == created[50:]
    assert 'aria-current="page">3<' in third
    beyond = logged_in.get("/queue?page=99").get_data(as_text=True)
    assert item_ids(beyond) == created[50:]  # clamped to the last page


def test_page_links_keep_the_filters(logged_in, add_item) -> None:
    for n in range(30):
        add_item("P2", timedelta(hours=n + 1))
    page = logged_in.get("/queue?tier=P2&status=all").get_data(as_text=True)
    assert 'href="/queue?tier=P2&amp;status=all&amp;page=2"' in page


def test_only_the_officers_unit_is_listed(logged_in, add_item) -> None:
    mine = add_item("P3")
    add_item("P1", unit_slug="other-county")
    page = logged_in.get("/queue?status=all").get_data(as_text=True)
    assert item_ids(page) == [mine]
    assert ">0</strong> open" in page  # P1 count for this unit


def test_empty_queue(logged_in) -> None:
    assert "No items match these filters." in logged_in.get("/queue").get_data(as_text=True)
