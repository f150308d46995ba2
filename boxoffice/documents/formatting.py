"""Dates and money as a venue's visitors read them, in its locale and time zone."""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_currency, get_currency_precision

from boxoffice.money import Money

FORMATTED_VALUES_KEPT = 2048
DAY_PATTERNS = {"full": "full", "weekday": "EEE", "full weekday": "EEEE"}


class LocalFormat:
    """Formats for one locale and time zone; get one with `local_format()`, which caches them.

    Each method remembers what it formatted: a listing shows the same few dates and prices on every
    view, and babel's formatting is the costliest part of rendering one."""

    def __init__(self, locale: str, timezone: str) -> None:
        self.locale = Locale.parse(locale)
        self.timezone = ZoneInfo(timezone)

    @functools.lru_cache(maxsize=FORMATTED_VALUES_KEPT)  # noqa: B019 - instances live as long as the process
    def money(self, money: Money) -> str:
        units = Decimal(money.amount).scaleb(-get_currency_precision(money.currency))
        return format_currency(units, money.currency, locale=self.locale)

    @functools.lru_cache(maxsize=FORMATTED_VALUES_KEPT)  # noqa: B019 - instances live as long as the process
    def date(self, moment: datetime) -> str:
        """Weekday, day, month and year: 'Fri, 5 Dec 2026' in en_GB."""
        return format_skeleton("yMMMEd", moment, tzinfo=self.timezone, locale=self.locale)

    @functools.lru_cache(maxsize=FORMATTED_VALUES_KEPT)  # noqa: B019 - instances live as long as the process
    def time(self, moment: datetime) -> str:
        return format_time(moment, "short", tzinfo=self.timezone, locale=self.locale)

    def date_range(self, first: datetime, last: datetime) -> str:
        first_day, last_day = self.date(first), self.date(last)
        return first_day if first_day == last_day else f"{first_day} – {last_day}"

    @functools.lru_cache(maxsize=FORMATTED_VALUES_KEPT)  # noqa: B019 - instances live as long as the process
    def day(self, day: date, form: str = "short") -> str:
        """A calendar day as it is, with no time zone to move it. In en_GB: 'Sat, 5 Dec 2026' (short),
        'Saturday, 5 December 2026' (full), 'December 2026' (month), 'Sat' (weekday), 'Saturday'
        (full weekday)."""
        if form == "short":
            return format_skeleton("yMMMEd", datetime.combine(day, time()), locale=self.locale)
        if form == "month":
            return format_skeleton("yMMMM", datetime.combine(day, time()), locale=self.locale)
        return format_date(day, DAY_PATTERNS[form], locale=self.locale)

    @property
    def first_week_day(self) -> int:
        """The day a week starts on where this locale is spoken: 0 for Monday, 6 for Sunday."""
        return self.locale.first_week_day

    @functools.lru_cache(maxsize=FORMATTED_VALUES_KEPT)  # noqa: B019 - instances live as long as the process
    def iso(self, moment: datetime) -> str:
        """For <time datetime=...>: the moment in the venue's zone, machine-readable."""
        return moment.astimezone(self.timezone).isoformat(timespec="minutes")


@functools.lru_cache(maxsize=32)
def local_format(locale: str, timezone: str) -> LocalFormat:
    return LocalFormat(locale, timezone)
