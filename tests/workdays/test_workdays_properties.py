"""Properties of the working-day calendar over 2024-2027, including the provisional year 2027."""

from __future__ import annotations

from datetime import date, datetime, time

import chinese_calendar
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from govsite.workdays.services import SHANGHAI, add_workdays, deadline, is_workday, workdays_between

pytestmark = pytest.mark.django_db

start_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
counts = st.integers(min_value=1, max_value=60)
# Example counts come from the suite's Hypothesis profile (tests/conftest.py); no timing deadline.
calendar_settings = settings(deadline=None)


@calendar_settings
@given(start=start_days, n=st.integers(min_value=0, max_value=60))
def test_workdays_between_inverts_add_workdays(start, n):
    assert workdays_between(start, add_workdays(start, n)) == n


@calendar_settings
@given(start=start_days, n=counts)
def test_due_day_is_a_workday_after_the_start(start, n):
    due = add_workdays(start, n)
    assert due > start
    assert is_workday(due)


@calendar_settings
@given(start=start_days, n=counts)
def test_one_more_workday_is_a_later_day(start, n):
    assert add_workdays(start, n) > add_workdays(start, n - 1)


@calendar_settings
@given(start=start_days, n=counts, hour=st.integers(min_value=0, max_value=23))
def test_datetime_and_date_agree_whatever_the_hour(start, n, hour):
    received = datetime.combine(start, time(hour, 30), tzinfo=SHANGHAI)
    due = add_workdays(received, n)
    assert due.date() == add_workdays(start, n)
    assert due.timetz() == time(23, 59, 59, tzinfo=SHANGHAI)


@calendar_settings
@given(start=start_days, n=counts)
def test_agrees_with_chinesecalendar_for_a_workday_start(start, n):
    # find_workday counts from the next workday when the start is a rest day, so compare only
    # workday starts; it raises for years it has no data for.
    assume(start.year <= 2026 and chinese_calendar.is_workday(start))
    try:
        expected = chinese_calendar.find_workday(n, start)
    except NotImplementedError:
        assume(False)
    assert add_workdays(start, n) == expected


@calendar_settings
@given(start=start_days, n=counts)
def test_provisional_exactly_when_a_counted_day_falls_in_2027(start, n):
    result = deadline(start, n)
    assert result.provisional == (result.due.year >= 2027)
    if result.due.year >= 2027:
        assert result.due.weekday() < 5  # Monday-Friday until the arrangement is entered
