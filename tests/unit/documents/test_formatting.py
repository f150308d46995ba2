from datetime import UTC, datetime

from boxoffice.documents.formatting import local_format
from boxoffice.money import Money


def test_money_reads_as_the_venue_locale_writes_it():
    assert local_format("en_GB", "Europe/London").money(Money("GBP", 2400)) == "£24.00"
    assert local_format("de_DE", "Europe/Berlin").money(Money("EUR", 1950)).replace("\xa0", " ") == "19,50 €"


def test_currencies_without_minor_units_are_not_divided():
    assert local_format("ja_JP", "Asia/Tokyo").money(Money("JPY", 3000)) == "￥3,000"


def test_dates_are_shown_in_the_venue_time_zone():
    late_evening_utc = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    berlin = local_format("en_GB", "Europe/Berlin")
    assert berlin.date(late_evening_utc) == "Sun, 6 Dec 2026"
    assert berlin.time(late_evening_utc) == "00:30"
    assert berlin.iso(late_evening_utc) == "2026-12-06T00:30+01:00"


def test_a_range_within_one_day_is_shown_once():
    london = local_format("en_GB", "Europe/London")
    first = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    assert london.date_range(first, first.replace(hour=19)) == "Sat, 5 Dec 2026"
    assert (
        london.date_range(first, datetime(2026, 12, 7, 19, tzinfo=UTC)) == "Sat, 5 Dec 2026 – Mon, 7 Dec 2026"
    )
