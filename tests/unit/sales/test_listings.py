"""The days what's on is filtered by: weeks as each locale counts them, the rest of a month, and the
windows of time a venue's own calendar days make."""

from __future__ import annotations

from datetime import UTC, date, datetime

from boxoffice.sales.listings import NO_END, Days, Window, month_of, month_weeks, week_of, windows_for

WEDNESDAY = date(2030, 3, 13)
NOW = datetime(2030, 3, 13, 12, 0, tzinfo=UTC)


def test_this_week_runs_to_the_sunday_where_weeks_start_on_monday():
    assert week_of(WEDNESDAY, 0) == Days(WEDNESDAY, date(2030, 3, 17))
    assert week_of(date(2030, 3, 17), 0) == Days(date(2030, 3, 17), date(2030, 3, 17))


def test_this_week_runs_to_the_saturday_where_weeks_start_on_sunday():
    assert week_of(WEDNESDAY, 6) == Days(WEDNESDAY, date(2030, 3, 16))
    assert week_of(date(2030, 3, 17), 6) == Days(date(2030, 3, 17), date(2030, 3, 23))


def test_this_month_runs_to_its_last_day_in_leap_years_too():
    assert month_of(date(2028, 2, 10)) == Days(date(2028, 2, 10), date(2028, 2, 29))
    assert month_of(date(2030, 12, 31)) == Days(date(2030, 12, 31), date(2030, 12, 31))


def test_a_day_is_read_on_each_venues_own_calendar():
    windows = windows_for(NOW, {"Europe/London", "Europe/Berlin"}, Days(date(2030, 3, 20), date(2030, 3, 20)))

    assert windows == [
        Window("Europe/Berlin", datetime(2030, 3, 19, 23, tzinfo=UTC), datetime(2030, 3, 20, 23, tzinfo=UTC)),
        Window("Europe/London", datetime(2030, 3, 20, 0, tzinfo=UTC), datetime(2030, 3, 21, 0, tzinfo=UTC)),
    ]


def test_a_day_that_changes_the_clocks_is_23_hours_long():
    [window] = windows_for(NOW, {"Europe/London"}, Days(date(2030, 3, 31), date(2030, 3, 31)))

    assert window.start == datetime(2030, 3, 31, 0, 0, tzinfo=UTC)  # midnight GMT
    assert window.end == datetime(2030, 3, 31, 23, 0, tzinfo=UTC)  # midnight BST


def test_zones_that_agree_need_no_zone_at_all():
    windows = windows_for(NOW, {"Europe/London", "Europe/Dublin"}, Days(date(2030, 3, 20), date(2030, 3, 20)))

    assert [window.zone for window in windows] == [None]


def test_today_starts_now_and_days_gone_by_have_no_window():
    [today] = windows_for(NOW, {"Europe/London"}, Days(WEDNESDAY, WEDNESDAY))

    assert today.start == NOW
    assert windows_for(NOW, {"Europe/London"}, Days(date(2030, 3, 12), date(2030, 3, 12))) == []


def test_without_days_every_performance_to_come_is_in_the_window():
    assert windows_for(NOW, {"Europe/London"}, None) == [Window(None, NOW, NO_END)]


def test_a_month_is_whole_weeks_from_the_locales_first_day():
    weeks = month_weeks(date(2030, 3, 13), 0)

    assert weeks[0][0] == date(2030, 2, 25) and weeks[0][4] == date(2030, 3, 1)  # 1 March 2030 is a Friday
    assert all(len(week) == 7 for week in weeks)
    assert weeks[-1][-1] == date(2030, 3, 31)  # a Sunday: no week of April
    assert month_weeks(date(2030, 3, 13), 6)[0][0] == date(2030, 2, 24)  # a Sunday
