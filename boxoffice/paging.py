"""Pages of a long list: which page was asked for, and one page of items with how many there are in all.

Every staff list that can grow without bound (contacts, orders, duplicates, campaigns, the audit and
e-mail logs) is read a page at a time the same way:

    asked = PageRequest.parse(page_text, size=50)        # what the address asked for, made safe
    total = <COUNT(*) over the list's filtered query>
    shown = asked.within(total)                          # the page that exists: the last one at most
    rows = <the same query> ... LIMIT shown.size OFFSET shown.offset
    return shown.page(items, total)

A search over a long list counts its matches only up to `MOST_COUNTED` (`Page.more` then says there are
more, and only that many can be paged through, in the order an index gives them), so that a broad term
costs no more than a narrow one.

So no page reads past the rows it shows (plus the offset's), a page number past the end shows the last
page, and nonsense (``0``, ``-1``, ``abc``, digits of other scripts) shows the first. The page says so
when it shows another page than the one asked for (`Page.moved`). Lists whose order can be turned round
(contacts, orders, the logs) read each page from the nearer end instead (`PageRequest.reading`), so that
the last page costs what the first does.

Framework-free and below every domain package, so that services can return a `Page`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MOST_COUNTED = 1000  # a search counts this many matches and no more
FURTHEST_PAGE = 10**9  # any page number beyond this is "past the end" anyway
MOST_PAGE_DIGITS = len(str(FURTHEST_PAGE))


def page_number(text: str | None) -> int:
    """The page a query parameter asks for: 1 for nothing or nonsense (``0``, ``-1``, ``abc``, digits of
    other scripts), and `FURTHEST_PAGE` for a number too large to be a page (which `PageRequest.within`
    makes the last)."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit():
        return 1
    if len(text.lstrip("0")) > MOST_PAGE_DIGITS:
        return FURTHEST_PAGE
    return min(max(int(text), 1), FURTHEST_PAGE)


def page_count(total: int, size: int) -> int:
    """How many pages `total` items fill; an empty list still has one (empty) page."""
    return max(1, -(-total // size))


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Page `number` (from 1) of `size` items, as asked; `asked` keeps the number before `within`."""

    number: int = 1
    size: int = 50
    asked: int | None = None

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("a page holds at least one item")
        object.__setattr__(self, "number", min(max(self.number, 1), FURTHEST_PAGE))

    @classmethod
    def parse(cls, text: str | None, *, size: int) -> PageRequest:
        return cls(page_number(text), size)

    def within(self, total: int) -> PageRequest:
        """The page to show of a list of `total` items: this one, or the last when this is past the end."""
        return PageRequest(
            min(self.number, page_count(total, self.size)), self.size, self.asked or self.number
        )

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def reading(self, total: int) -> Reading:
        """How to read this page of a list of `total` items from whichever end is nearer, so that no page
        skips more than half the list: the last page of two million log entries reads 50 rows from the
        oldest end rather than stepping past 1,999,950 from the newest."""
        start, end = self.offset, min(self.offset + self.size, total)
        if start <= total - end:
            return Reading(start, self.size, backwards=False)
        return Reading(total - end, end - start, backwards=True)

    def page(self, items: Sequence[T], total: int, *, more: bool = False) -> Page[T]:
        return Page(list(items), self.number, self.size, total, self.asked or self.number, more)


@dataclass(frozen=True, slots=True)
class Reading:
    """Skip `offset` rows and take `limit`, in the list's own order or, `backwards`, in the reverse order
    (each ORDER BY term turned round), then put the rows back in the list's order with `in_order`."""

    offset: int
    limit: int
    backwards: bool

    def in_order(self, rows: Sequence[T]) -> list[T]:
        return list(reversed(rows)) if self.backwards else list(rows)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its items, which page it is, its size, and how many items the list holds."""

    items: list[T]
    number: int
    size: int
    total: int
    asked: int  # the page number asked for; differs from `number` when that page did not exist
    more: bool = False  # more items than `total` match, which were not counted nor can be paged to

    @property
    def pages(self) -> int:
        return page_count(self.total, self.size)

    @property
    def first_shown(self) -> int:
        """The position (from 1) of the page's first item in the whole list; 0 when the page is empty."""
        return self.offset + 1 if self.items else 0

    @property
    def last_shown(self) -> int:
        return self.offset + len(self.items)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def moved(self) -> bool:
        """The page asked for does not exist (it was past the end), so another one is shown."""
        return self.asked != self.number

    def nearby(self, around: int = 2) -> list[int | None]:
        """Page numbers to offer as links: the first, the last, and those within `around` of this one,
        with None where two or more numbers are left out (a gap of one shows the page instead)."""
        wanted = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        numbers = sorted(number for number in wanted if 1 <= number <= self.pages)
        shown: list[int | None] = []
        for previous, number in zip([0, *numbers], numbers, strict=False):
            if number - previous == 2:
                shown.append(previous + 1)
            elif previous and number - previous > 2:
                shown.append(None)
            shown.append(number)
        return shown
