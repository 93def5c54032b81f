"""Deadlines of cases, counted only by `govsite.workdays` (Art. 18; 政府信息公开条例 Art. 33).

- Error reports: forwarded to the host unit within 1 working day (done at submission) and
  answered within 3 working days (Art. 18).
- Disclosure requests: answered within 20 working days, extendable once by 20 more with approval
  and a notice to the requester (政府信息公开条例 Art. 33).
- Mailbox letters: the mailbox's own `deadline_workdays`.

Transfers do not restart the clock: the deadline is the citizen's, counted from receipt, and a
unit that receives a transfer answers within what is left of it (see docs/cases.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from govsite.workdays import services as workdays

ERROR_REPORT_FORWARD_WORKDAYS = 1
ERROR_REPORT_REPLY_WORKDAYS = 3
DISCLOSURE_WORKDAYS = 20
DISCLOSURE_EXTENSION_WORKDAYS = 20
DUE_SOON_WORKDAYS = 1  # due-soon: at most this many working days left
LONG_OVERDUE_WORKDAYS = 5  # long-overdue: more than this many working days past the deadline


class DueState:
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    LONG_OVERDUE = "long_overdue"
    DONE = "done"

    LABELS = {
        ON_TRACK: "正常",
        DUE_SOON: "即将到期",
        OVERDUE: "已超期",
        LONG_OVERDUE: "严重超期",
        DONE: "已答复",
    }
    CHOICES = [(ON_TRACK, "正常"), (DUE_SOON, "即将到期"), (OVERDUE, "已超期"), (LONG_OVERDUE, "严重超期")]


@dataclass(frozen=True)
class Clock:
    due_on: date
    provisional: bool


def clock_for(received_at: datetime, workdays_allowed: int) -> Clock:
    """The due day of a case received at `received_at` with `workdays_allowed` working days."""
    result = workdays.deadline(received_at, workdays_allowed)
    return Clock(due_on=workdays.local_date(result.due), provisional=result.provisional)


def forward_due(received_at: datetime) -> date:
    """Art. 18: the day by which an error report must reach the host unit."""
    return workdays.local_date(workdays.add_workdays(received_at, ERROR_REPORT_FORWARD_WORKDAYS))


def extended_clock(due_on: date) -> Clock:
    """条例 Art. 33: the new due day after the one extension of 20 working days."""
    result = workdays.deadline(due_on, DISCLOSURE_EXTENSION_WORKDAYS)
    return Clock(due_on=result.due, provisional=result.provisional)


def today() -> date:
    from django.utils import timezone

    return workdays.local_date(timezone.now())


def due_state(due_on: date, *, answered: bool, on: date | None = None) -> str:
    """ON_TRACK, DUE_SOON (<= 1 working day left), OVERDUE, LONG_OVERDUE (> 5 past) or DONE."""
    if answered:
        return DueState.DONE
    on = on or today()
    if on > due_on:
        late = workdays.workdays_between(due_on, on)
        return DueState.LONG_OVERDUE if late > LONG_OVERDUE_WORKDAYS else DueState.OVERDUE
    if workdays.workdays_between(on, due_on) <= DUE_SOON_WORKDAYS:
        return DueState.DUE_SOON
    return DueState.ON_TRACK


def working_days_late(due_on: date, on: date | None = None) -> int:
    return workdays.workdays_between(due_on, on or today())


@dataclass(frozen=True)
class Cutoffs:
    """Due days that divide open cases into states on a day, for database filters."""

    on: date
    due_soon_until: date  # due_on in [on, due_soon_until] -> due soon
    long_overdue_until: date  # due_on <= long_overdue_until -> long overdue (else < on: overdue)


def cutoffs(on: date | None = None) -> Cutoffs:
    """The same states as `due_state`, as due-day bounds (so a list can filter in SQL)."""
    on = on or today()
    with workdays.calendar_scope():
        return Cutoffs(
            on=on,
            due_soon_until=workdays.add_workdays(on, DUE_SOON_WORKDAYS),
            long_overdue_until=_last_long_overdue_due_day(on),
        )


def _last_long_overdue_due_day(on: date) -> date:
    """The latest due day d with workdays_between(d, on) > LONG_OVERDUE_WORKDAYS."""
    counted = 0
    day = on
    while True:
        counted += workdays.is_workday(day)
        if counted > LONG_OVERDUE_WORKDAYS:
            return day - timedelta(days=1)
        day -= timedelta(days=1)
