"""The one working-day calendar: every deadline in the platform is counted here.

The Nantong regulation counts in working days: Art. 8 (publish a policy interpretation within
3 working days of the document going online) and Art. 18 (forward an error report to the host
unit within 1 working day, reply within 3). 政府信息公开条例 Art. 33 gives 20 working days to
answer a disclosure request, extendable by 20 more (gov-site-rules.md §6.1-6.2).

Counting rules (gov-site-rules.md §6.3):

- A working day is Monday-Friday minus statutory holidays and their 调休 rest days, plus the
  调休 weekend days that are worked. The chinesecalendar package knows the official
  arrangement for the years it has data for; an administrator's `WorkdayOverride` always wins
  over it.
- For a year the package has no data for (the State Council publishes the next year's
  arrangement around Oct-Nov), the calendar falls back to Monday-Friday and the year is
  *provisional* until chinesecalendar is updated or an administrator records a `ConfirmedYear`
  after entering the arrangement as overrides. A deadline in a provisional year must be shown
  as 暂定 wherever it appears (see `Deadline` and the `deadline_display` filter).
- The day of receipt is never counted (民法典 第201条): "within N working days" ends at the end
  of the N-th working day after the day of receipt. A period can therefore never end on a rest
  day, which is what 第203条 asks.

Cost: override rows and confirmed years are loaded per calendar year, in one query for every
year a computation needs, never one query per day. Within one HTTP request (or a
`calendar_scope()` block in a task or command) the rows are loaded once and reused; saving or
deleting a row clears that cache. Outside a scope every call reads the database afresh, so a
change an administrator makes is seen at once by every process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import overload
from zoneinfo import ZoneInfo

import chinese_calendar
from django.core.exceptions import ValidationError

from govsite.workdays.models import ConfirmedYear, WorkdayOverride

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)

# No real arrangement rests longer than about nine days in a row; a much longer run means the
# override table is wrong, and counting on would only hide it.
MAX_CONSECUTIVE_REST_DAYS = 60

PROVISIONAL_LABEL = "暂定"
PROVISIONAL_EXPLANATION = "该年度法定节假日安排尚未公布，按周一至周五计算，待管理员录入后确定"


# --- the calendar's data, loaded per year ---------------------------------------------------


@dataclass
class _CalendarData:
    """Override rows and confirmed years already read from the database, by calendar year."""

    overrides: dict[int, dict[date, bool]] = field(default_factory=dict)
    confirmed: dict[int, bool] = field(default_factory=dict)

    def load_overrides(self, first_year: int, last_year: int) -> None:
        """Read the overrides of every not yet loaded year in [first_year, last_year] in one query."""
        missing = [year for year in range(first_year, last_year + 1) if year not in self.overrides]
        if not missing:
            return
        for year in missing:
            self.overrides[year] = {}
        rows = WorkdayOverride.objects.filter(
            date__gte=date(missing[0], 1, 1), date__lte=date(missing[-1], 12, 31)
        ).values_list("date", "is_workday")
        for day, is_workday in rows:
            self.overrides.setdefault(day.year, {})[day] = is_workday

    def override_for(self, day: date) -> bool | None:
        if day.year not in self.overrides:
            self.load_overrides(day.year, day.year)
        return self.overrides[day.year].get(day)

    def is_confirmed(self, year: int) -> bool:
        if year not in self.confirmed:
            self.confirmed[year] = ConfirmedYear.objects.filter(year=year).exists()
        return self.confirmed[year]

    def clear(self) -> None:
        self.overrides.clear()
        self.confirmed.clear()


_scoped_data: ContextVar[_CalendarData | None] = ContextVar("workday_calendar_data", default=None)


def _data() -> _CalendarData:
    """The data of the current scope (request or `calendar_scope()`), or a fresh one for this call."""
    data = _scoped_data.get()
    return data if data is not None else _CalendarData()


@contextmanager
def calendar_scope() -> Iterator[None]:
    """Reuse override rows across many calls, e.g. in a task that computes thousands of deadlines.

    Nested scopes share the outer one. Every HTTP request already runs in a scope (see apps.py).
    """
    if _scoped_data.get() is not None:
        yield
        return
    token = _scoped_data.set(_CalendarData())
    try:
        yield
    finally:
        _scoped_data.reset(token)


def begin_request_scope(**kwargs: object) -> None:
    """`request_started` receiver: give the request its own calendar cache."""
    _scoped_data.set(_CalendarData())


def end_request_scope(**kwargs: object) -> None:
    """`request_finished` receiver: drop the request's calendar cache."""
    _scoped_data.set(None)


def forget_cached_rows(**kwargs: object) -> None:
    """`post_save` / `post_delete` receiver: a changed row must be seen by the rest of the scope."""
    data = _scoped_data.get()
    if data is not None:
        data.clear()


# --- what the package knows -----------------------------------------------------------------


@cache
def package_has_year(year: int) -> bool:
    """Whether chinesecalendar carries the official arrangement of `year` (it raises otherwise)."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def package_status(day: date) -> str:
    """What chinesecalendar says about `day`, in words for the admin: 工作日, 休息日 or 无数据."""
    if not package_has_year(day.year):
        return "无数据"
    return "工作日" if chinese_calendar.is_workday(day) else "休息日"


# --- the rules ------------------------------------------------------------------------------


def _is_workday(day: date, data: _CalendarData) -> bool:
    override = data.override_for(day)
    if override is not None:
        return override
    if package_has_year(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def is_workday(day: date) -> bool:
    """Whether `day` is a working day (§6.3): override, else chinesecalendar, else Monday-Friday."""
    return _is_workday(local_date(day), _data())


def _is_official_year(year: int, data: _CalendarData) -> bool:
    return package_has_year(year) or data.is_confirmed(year)


def is_official_year(year: int) -> bool:
    """Whether `year`'s working days are official: the package has it, or an administrator confirmed it."""
    return _is_official_year(year, _data())


def is_provisional(day: date) -> bool:
    """Whether a deadline on `day` is provisional (暂定): its year's arrangement is not official yet.

    Such a deadline is still computed Monday-Friday, but must be marked wherever it is shown.
    """
    return not is_official_year(local_date(day).year)


def _next_workday(day: date, data: _CalendarData) -> date:
    for _ in range(MAX_CONSECUTIVE_REST_DAYS):
        day += timedelta(days=1)
        if _is_workday(day, data):
            return day
    raise RuntimeError(
        f"{day:%Y-%m-%d} 之前连续 {MAX_CONSECUTIVE_REST_DAYS} 天均为休息日，请检查“工作日调整”中的录入。"
    )


def _rough_end(start: date, n: int) -> date:
    """A generous guess of where n working days end, to load every year needed in one query."""
    return start + timedelta(days=n * 7 // 5 + 21)


@overload
def add_workdays(start: datetime, n: int) -> datetime: ...
@overload
def add_workdays(start: date, n: int) -> date: ...
def add_workdays(start: date | datetime, n: int) -> date | datetime:
    """The N-th working day after `start` (Art. 8, Art. 18; 政府信息公开条例 Art. 33).

    The day of `start` itself is never counted (民法典 第201条), whatever the hour and whether or
    not it is a working day. So a receipt after office hours, at the weekend or on a holiday
    needs no rule of its own: counting begins with the next working day, exactly as for a
    receipt at 9:00 on a Tuesday. We chose this over "after 17:00 counts as the next day"
    because the law's rule already gives the office at least one full working day, and because
    it keeps the count independent of each unit's office hours.

    For a `date` the result is a `date`. For an aware `datetime` the day of receipt is taken in
    Asia/Shanghai and the result is the end of the N-th working day, 23:59:59 Asia/Shanghai.
    n == 0 gives the day of `start` (its end, for a datetime). Negative n raises ValueError.
    If the result falls in a provisional year, it was counted Monday-Friday: use `deadline()`
    to carry that mark.
    """
    if n < 0:
        raise ValueError(f"工作日数不能为负数：{n}")
    day = local_date(start)
    data = _data()
    data.load_overrides(day.year, _rough_end(day, n).year)
    for _ in range(n):
        day = _next_workday(day, data)
    if isinstance(start, datetime):
        return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)
    return day


def workdays_between(start: date, end: date) -> int:
    """How many working days lie after `start` up to and including `end` (0 if end <= start).

    The inverse of `add_workdays`: `workdays_between(d, add_workdays(d, n)) == n`. Aware
    datetimes are taken by their day in Asia/Shanghai.
    """
    first, last = local_date(start), local_date(end)
    if last <= first:
        return 0
    data = _data()
    data.load_overrides(first.year, last.year)
    count = 0
    day = first
    while day < last:
        day += timedelta(days=1)
        count += _is_workday(day, data)
    return count


@dataclass(frozen=True)
class Deadline:
    """A due date or time, and whether it was counted Monday-Friday in a provisional year."""

    due: datetime | date
    provisional: bool


def deadline(start: date | datetime, n: int) -> Deadline:
    """`add_workdays(start, n)` with the 暂定 mark: provisional if any counted day's year is not official."""
    due = add_workdays(start, n)
    first_counted = local_date(start) + timedelta(days=1 if n else 0)
    data = _data()
    years = range(first_counted.year, local_date(due).year + 1)
    return Deadline(due=due, provisional=not all(_is_official_year(year, data) for year in years))


# --- admin ----------------------------------------------------------------------------------


def validate_confirmed_year(confirmed: ConfirmedYear) -> None:
    """A year the package does not know may only be confirmed once its arrangement is entered."""
    year = confirmed.year
    if year is None or package_has_year(year):
        return
    has_overrides = WorkdayOverride.objects.filter(
        date__gte=date(year, 1, 1), date__lte=date(year, 12, 31)
    ).exists()
    if not has_overrides:
        raise ValidationError(
            {
                "year": ValidationError(
                    f"尚未录入{year}年的节假日安排。请先在“工作日调整”中按国务院办公厅通知逐日录入"
                    "放假日和调休上班日，再确认该年度。",
                    code="year_without_overrides",
                )
            }
        )


# --- helpers --------------------------------------------------------------------------------


def local_date(value: date | datetime) -> date:
    """The calendar day of `value` in China; a naive datetime is refused rather than guessed."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("期限计算需要带时区的时间（aware datetime）。")
        return value.astimezone(SHANGHAI).date()
    return value
