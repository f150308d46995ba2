"""Reading the ids and dates that forms and addresses carry: one rule for every page."""

from __future__ import annotations

from datetime import date

from boxoffice.db import LARGEST_ID

EARLIEST_DAY = date(1900, 1, 1)  # days a box office could mean; outside them, date arithmetic
LATEST_DAY = date(2999, 12, 31)  # (the day after, say) would overflow


def parse_id(text: str | None) -> int | None:
    """The id a form field names, or None when it names nothing that could exist."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= LARGEST_ID else None


def parse_day(text: str) -> date:
    """A day typed as YYYY-MM-DD; ValueError for anything else, or a day no box office could mean."""
    day = date.fromisoformat(text.strip())
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"{day} is out of range")
    return day
