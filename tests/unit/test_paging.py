"""Pages of a long list: nonsense asks for the first page, a page past the end shows the last, and a
page knows which items it holds out of how many."""

from __future__ import annotations

import pytest

from boxoffice.paging import FURTHEST_PAGE, PageRequest, page_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("", 1),
        (None, 1),
        ("1", 1),
        ("7", 7),
        (" 7 ", 7),
        ("007", 7),
        ("0", 1),
        ("-1", 1),
        ("+3", 1),
        ("2.5", 1),
        ("abc", 1),
        ("١٢", 1),  # Arabic-Indic digits: Python's int() would read them, a page number does not
        ("²", 1),
        ("1e9", 1),
        (str(10**30), FURTHEST_PAGE),
        ("0" * 40 + "3", 3),
        (str(FURTHEST_PAGE + 1), FURTHEST_PAGE),
    ],
)
def test_a_page_number_is_ascii_digits_or_the_first_page(text, number):
    assert page_number(text) == number


def test_a_page_past_the_end_is_the_last_and_says_it_moved():
    asked = PageRequest.parse(str(10**30), size=50)

    shown = asked.within(12_345)
    page = shown.page(list(range(45)), 12_345)

    assert (shown.number, shown.offset) == (247, 12_300)
    assert (page.first_shown, page.last_shown, page.pages) == (12_301, 12_345, 247)
    assert page.moved and not page.has_next and page.has_previous


def test_a_page_in_range_is_itself():
    page = PageRequest(2, 50).within(12_345).page(list(range(50)), 12_345)

    assert (page.number, page.first_shown, page.last_shown) == (2, 51, 100)
    assert not page.moved and page.has_next and page.has_previous


def test_an_empty_list_has_one_empty_page():
    page = PageRequest(5, 25).within(0).page([], 0)

    assert (page.number, page.pages, page.first_shown, page.last_shown) == (1, 1, 0, 0)
    assert not page.has_next and not page.has_previous


@pytest.mark.parametrize(
    ("number", "pages", "nearby"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 10, [1, 2, 3, None, 10]),
        (5, 10, [1, 2, 3, 4, 5, 6, 7, None, 10]),
        (6, 10, [1, None, 4, 5, 6, 7, 8, 9, 10]),
        (6, 12, [1, None, 4, 5, 6, 7, 8, None, 12]),
        (12, 12, [1, None, 10, 11, 12]),
    ],
)
def test_the_pager_offers_the_ends_and_the_pages_nearby(number, pages, nearby):
    page = PageRequest(number, 10).within(pages * 10).page([0] * 10, pages * 10)

    assert page.nearby() == nearby


def test_a_page_holds_at_least_one_item():
    with pytest.raises(ValueError):
        PageRequest(1, 0)


@pytest.mark.parametrize(
    ("number", "total", "offset", "limit", "backwards"),
    [
        (1, 0, 0, 10, False),
        (1, 95, 0, 10, False),
        (5, 95, 40, 10, False),  # positions 40-49: 40 before, 45 after
        (6, 95, 35, 10, True),  # positions 50-59: 50 before, 35 after, read from the end
        (10, 95, 0, 5, True),  # the last page, 5 items: the first 5 from the end
        (9, 95, 5, 10, True),
    ],
)
def test_a_page_is_read_from_the_nearer_end(number, total, offset, limit, backwards):
    reading = PageRequest(number, 10).within(total).reading(total)

    assert (reading.offset, reading.limit, reading.backwards) == (offset, limit, backwards)


def test_rows_read_from_the_end_come_back_in_the_lists_order():
    newest_first = list(range(95, 0, -1))  # the list: 95 down to 1
    for number in range(1, 11):
        shown = PageRequest(number, 10).within(95)
        reading = shown.reading(95)
        in_reading_order = newest_first[::-1] if reading.backwards else newest_first
        rows = in_reading_order[reading.offset : reading.offset + reading.limit]

        assert reading.in_order(rows) == newest_first[shown.offset : shown.offset + 10]
