"""A privacy request's deadline (GDPR 12(3)): one month after receipt, the same day number, or the last day
of a shorter month; extended once by one or two further months, counted the same way."""

from datetime import date

import pytest

from boxoffice.privacy.requests import due_date, extended_due_date


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 11, 21), date(2026, 12, 21)),
        (date(2026, 12, 15), date(2027, 1, 15)),  # across the year's end
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2027, 1, 31), date(2027, 2, 28)),  # clamped to the end of a short month
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year's February
        (date(2028, 1, 29), date(2028, 2, 29)),
        (date(2027, 1, 29), date(2027, 2, 28)),
        (date(2028, 2, 29), date(2028, 3, 29)),  # from a leap day
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 8, 31), date(2026, 9, 30)),
        (date(2026, 2, 28), date(2026, 3, 28)),  # not moved to the month's end
    ],
)
def test_a_request_is_due_one_month_after_it_was_received(received, due):
    assert due_date(received) == due


@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        (date(2026, 11, 30), 2, date(2027, 2, 28)),
        (date(2027, 11, 30), 2, date(2028, 2, 29)),
        (date(2026, 12, 31), 1, date(2027, 2, 28)),
        (date(2026, 10, 31), 2, date(2027, 1, 31)),
        (date(2026, 5, 31), 1, date(2026, 7, 31)),
    ],
)
def test_an_extension_counts_further_months_from_receipt(received, months, due):
    assert extended_due_date(received, months) == due
