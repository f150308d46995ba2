from datetime import UTC, datetime, timedelta

from boxoffice.db import as_utc
from boxoffice.sales.catalog import SalesState, sales_state

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_a_performance_without_a_window_is_on_sale():
    assert sales_state(NOW, None, None) is SalesState.ON_SALE


def test_the_sales_window_opens_at_its_start_and_closes_at_its_end():
    hour = timedelta(hours=1)
    assert sales_state(NOW, NOW + hour, None) is SalesState.NOT_YET
    assert sales_state(NOW, NOW, NOW + hour) is SalesState.ON_SALE
    assert sales_state(NOW, None, NOW) is SalesState.CLOSED


def test_timestamps_from_sqlite_text_become_utc_datetimes():
    assert as_utc("2026-12-05T19:30:00+00:00") == datetime(2026, 12, 5, 19, 30, tzinfo=UTC)
    assert as_utc(datetime(2026, 12, 5, 19, 30)) == datetime(2026, 12, 5, 19, 30, tzinfo=UTC)
