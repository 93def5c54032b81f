"""The working-day calendar (gov-site-rules.md §6): Nantong Art. 8 and 18, 政府信息公开条例 Art. 33."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from govsite.workdays import services
from govsite.workdays.models import ConfirmedYear, WorkdayOverride
from govsite.workdays.services import (
    SHANGHAI,
    Deadline,
    add_workdays,
    calendar_scope,
    deadline,
    is_official_year,
    is_provisional,
    is_workday,
    workdays_between,
)

pytestmark = pytest.mark.django_db

MAKE_UP_WORKDAYS_2025 = [
    date(2025, 1, 26),
    date(2025, 2, 8),
    date(2025, 4, 27),
    date(2025, 9, 28),
    date(2025, 10, 11),
]
MAKE_UP_WORKDAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]
HOLIDAYS_2026 = [
    (date(2026, 1, 1), date(2026, 1, 3)),
    (date(2026, 2, 15), date(2026, 2, 23)),
    (date(2026, 4, 4), date(2026, 4, 6)),
    (date(2026, 5, 1), date(2026, 5, 5)),
    (date(2026, 6, 19), date(2026, 6, 21)),
    (date(2026, 9, 25), date(2026, 9, 27)),
    (date(2026, 10, 1), date(2026, 10, 7)),
]


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- the worked example of §6.4 and the articles that count in working days -------------------


def test_art18_forward_due_is_first_workday_after_national_day():
    assert add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 9)


def test_art18_reply_due_counts_make_up_saturday():
    received = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
    due = add_workdays(received, 3)
    assert due.date() == date(2025, 10, 11)  # a make-up Saturday
    assert due == datetime(2025, 10, 11, 23, 59, 59, tzinfo=SHANGHAI)


def test_art8_interpretation_due_three_workdays_after_document():
    # The document goes online on Friday before the 2026 Spring Festival: the make-up Saturday
    # counts, the nine days of the festival do not.
    online = datetime(2026, 2, 13, 16, 30, tzinfo=SHANGHAI)
    assert add_workdays(online, 1).date() == date(2026, 2, 14)
    assert add_workdays(online, 2).date() == date(2026, 2, 24)
    assert add_workdays(online, 3).date() == date(2026, 2, 25)


def test_disclosure_art33_twenty_workdays_across_national_day():
    received = datetime(2025, 9, 30, 9, 15, tzinfo=SHANGHAI)
    result = deadline(received, 20)
    assert result == Deadline(due=datetime(2025, 11, 4, 23, 59, 59, tzinfo=SHANGHAI), provisional=False)


def test_disclosure_art33_extension_adds_twenty_more_workdays():
    first_period = add_workdays(date(2025, 9, 30), 20)
    assert add_workdays(first_period, 20) == add_workdays(date(2025, 9, 30), 40)


# --- the calendars of §6.4 ------------------------------------------------------------------------


@pytest.mark.parametrize("day", MAKE_UP_WORKDAYS_2025 + MAKE_UP_WORKDAYS_2026, ids=str)
def test_make_up_weekend_days_are_workdays(day):
    assert day.weekday() >= 5
    assert is_workday(day)


@pytest.mark.parametrize(("first", "last"), HOLIDAYS_2026, ids=lambda d: str(d))
def test_holidays_2026_are_rest_days(first, last):
    assert not any(is_workday(day) for day in days(first, last))


def test_spring_festival_2026_rests_nine_days_between_two_make_up_saturdays():
    assert is_workday(date(2026, 2, 14))
    assert [is_workday(day) for day in days(date(2026, 2, 15), date(2026, 2, 23))] == [False] * 9
    assert is_workday(date(2026, 2, 24))
    assert workdays_between(date(2026, 2, 13), date(2026, 2, 28)) == 6  # 14, 24, 25, 26, 27, 28


def test_2026_national_day_make_up_saturday_counts():
    assert add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)


# --- the start day is never counted (民法典 第201条) ---------------------------------------------


def test_after_hours_receipt_counts_like_office_hours_receipt():
    morning = datetime(2025, 9, 26, 9, 0, tzinfo=SHANGHAI)
    night = datetime(2025, 9, 26, 23, 30, tzinfo=SHANGHAI)
    assert (
        add_workdays(morning, 1)
        == add_workdays(night, 1)
        == datetime(2025, 9, 28, 23, 59, 59, tzinfo=SHANGHAI)
    )


def test_weekend_receipt_counts_from_next_workday_even_a_make_up_sunday():
    saturday = datetime(2025, 9, 27, 14, 0, tzinfo=SHANGHAI)
    assert add_workdays(saturday, 1).date() == date(2025, 9, 28)  # Sunday, a make-up workday
    assert add_workdays(datetime(2025, 10, 4, 11, 0, tzinfo=SHANGHAI), 1).date() == date(2025, 10, 9)


def test_zero_workdays_gives_the_start_day():
    assert add_workdays(date(2025, 10, 1), 0) == date(2025, 10, 1)
    start = datetime(2025, 10, 1, 8, 0, tzinfo=SHANGHAI)
    assert add_workdays(start, 0) == datetime(2025, 10, 1, 23, 59, 59, tzinfo=SHANGHAI)


def test_negative_workdays_raise_value_error():
    with pytest.raises(ValueError):
        add_workdays(date(2025, 9, 30), -1)
    with pytest.raises(ValueError):
        deadline(datetime(2025, 9, 30, tzinfo=SHANGHAI), -3)


# --- date versus datetime -------------------------------------------------------------------------


def test_date_in_gives_date_out_and_datetime_in_gives_aware_datetime_out():
    assert type(add_workdays(date(2025, 9, 30), 3)) is date
    due = add_workdays(datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI), 3)
    assert isinstance(due, datetime)
    assert due.utcoffset() == timedelta(hours=8)


def test_datetime_is_counted_by_its_day_in_shanghai():
    # 17:00 UTC on 29 September is 01:00 on 30 September in Nantong.
    received = datetime(2025, 9, 29, 17, 0, tzinfo=UTC)
    assert add_workdays(received, 1).date() == date(2025, 10, 9)
    assert add_workdays(date(2025, 9, 29), 1) == date(2025, 9, 30)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        add_workdays(datetime(2025, 9, 30, 10, 0), 1)


def test_workdays_between_is_the_inverse_of_add_workdays():
    assert workdays_between(date(2025, 9, 30), date(2025, 10, 11)) == 3
    assert workdays_between(date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert workdays_between(date(2025, 10, 11), date(2025, 9, 30)) == 0
    assert workdays_between(date(2025, 10, 11), date(2025, 10, 11)) == 0
    received = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert workdays_between(received, add_workdays(received, 20)) == 20


# --- years without official data (§6.5): Monday-Friday, marked provisional --------------------


def test_official_years_come_from_the_package():
    assert is_official_year(2025)
    assert is_official_year(2026)
    assert not is_official_year(2027)
    assert not is_official_year(2003)


def test_deadline_landing_in_2027_is_provisional_and_counted_monday_to_friday():
    # Friday 25 December 2026; 1 January 2027 counts as a plain Friday until the arrangement is entered.
    result = deadline(date(2026, 12, 25), 5)
    assert result == Deadline(due=date(2027, 1, 1), provisional=True)
    assert add_workdays(date(2027, 3, 5), 1) == date(2027, 3, 8)  # Friday to Monday
    assert is_provisional(date(2027, 6, 1))
    assert not is_provisional(date(2026, 12, 31))


def test_deadline_within_2026_is_not_provisional():
    assert deadline(date(2026, 12, 1), 10) == Deadline(due=date(2026, 12, 15), provisional=False)


def test_receipt_on_last_day_of_2026_counts_only_2027_days():
    result = deadline(datetime(2026, 12, 31, 20, 0, tzinfo=SHANGHAI), 1)
    assert result.due == datetime(2027, 1, 1, 23, 59, 59, tzinfo=SHANGHAI)
    assert result.provisional


# --- overrides always win -------------------------------------------------------------------------


def test_override_makes_a_weekday_a_holiday():
    WorkdayOverride.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert not is_workday(date(2027, 1, 1))
    assert add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_override_makes_a_weekend_day_a_workday():
    WorkdayOverride.objects.create(date=date(2027, 2, 6), is_workday=True, note="春节调休上班")
    assert is_workday(date(2027, 2, 6))
    assert add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 6)


def test_override_wins_over_chinesecalendar():
    WorkdayOverride.objects.create(date=date(2025, 10, 11), is_workday=False, note="本地安排")
    WorkdayOverride.objects.create(date=date(2025, 10, 8), is_workday=True, note="本地安排")
    assert add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 8)
    assert add_workdays(date(2025, 9, 30), 3) == date(2025, 10, 10)
    assert add_workdays(date(2025, 9, 30), 4) == date(2025, 10, 13)


def test_confirmed_year_makes_2027_official():
    WorkdayOverride.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    confirmed = ConfirmedYear(year=2027, note="国办发明电〔2026〕X号")
    confirmed.full_clean()
    confirmed.save()
    assert is_official_year(2027)
    assert not is_provisional(date(2027, 6, 1))
    assert deadline(date(2026, 12, 25), 5) == Deadline(due=date(2027, 1, 4), provisional=False)


def test_confirming_a_year_without_its_arrangement_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        ConfirmedYear(year=2027).full_clean()
    assert excinfo.value.error_dict["year"][0].code == "year_without_overrides"


def test_confirming_a_year_the_package_knows_needs_no_overrides():
    ConfirmedYear(year=2026).full_clean()


def test_a_run_of_rest_days_too_long_to_be_real_is_reported():
    for day in days(date(2027, 3, 1), date(2027, 6, 30)):
        WorkdayOverride.objects.create(date=day, is_workday=False)
    with pytest.raises(RuntimeError):
        add_workdays(date(2027, 2, 26), 1)


# --- cost -----------------------------------------------------------------------------------------


def test_add_workdays_reads_overrides_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        add_workdays(date(2026, 12, 1), 25)  # runs into 2027: both years in one query
    with django_assert_num_queries(1):
        workdays_between(date(2025, 1, 1), date(2026, 12, 31))


def test_deadline_in_a_package_year_needs_no_confirmed_year_query(django_assert_num_queries):
    with django_assert_num_queries(2):
        deadline(date(2025, 9, 30), 20)  # overrides by add_workdays, then none for is_official_year
        is_provisional(date(2027, 1, 4))  # 2027 is not in the package: one ConfirmedYear query


def test_calendar_scope_reuses_rows_across_calls(django_assert_max_num_queries):
    with django_assert_max_num_queries(3), calendar_scope():
        for offset in range(200):
            deadline(date(2026, 11, 1) + timedelta(days=offset % 60), 20)


def test_calendar_scope_sees_an_override_saved_inside_it():
    with calendar_scope():
        assert add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 8)
        WorkdayOverride.objects.create(date=date(2027, 2, 6), is_workday=True)
        assert add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 6)
        WorkdayOverride.objects.filter(date=date(2027, 2, 6)).delete()
        assert add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 8)


def test_request_scope_caches_until_the_request_ends(django_assert_num_queries):
    services.begin_request_scope()
    try:
        with django_assert_num_queries(1):
            is_workday(date(2027, 1, 1))
            is_workday(date(2027, 5, 1))
    finally:
        services.end_request_scope()
    with django_assert_num_queries(1):
        is_workday(date(2027, 1, 1))


def test_package_status_describes_what_chinesecalendar_says():
    assert services.package_status(date(2025, 10, 11)) == "工作日"
    assert services.package_status(date(2025, 10, 1)) == "休息日"
    assert services.package_status(date(2027, 1, 1)) == "无数据"
