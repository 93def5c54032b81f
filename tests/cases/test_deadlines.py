"""Working-day deadlines of cases across the 2026 National Day holiday (gov-site-rules.md §6.4):
Art. 18 (error reports), 政府信息公开条例 Art. 33 (disclosure) and the mailboxes' own limits."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from govsite.cases import deadlines, services
from govsite.cases.deadlines import DueState
from govsite.cases.models import Case, Reminder
from tests.cases.conftest import at, disclosure, error_report, letter, make_handler

pytestmark = pytest.mark.django_db

RECEIVED = at(2026, 9, 30)  # Wednesday before the National Day holiday (10-01 to 10-07)


def test_art18_error_report_forwarded_within_one_workday(city):
    case = services.submit_error_report(city, error_report(), received_at=RECEIVED).case
    assert deadlines.forward_due(case.submitted_at) == date(2026, 10, 8)
    assert case.forwarded_at <= case.submitted_at  # forwarded at submission: always within 1 working day


def test_art18_error_report_reply_due_counts_national_day_make_up_saturday(city):
    case = services.submit_error_report(city, error_report(), received_at=RECEIVED).case
    # 10-08 (1), 10-09 (2), Saturday 10-10 is a make-up working day (3).
    assert case.due_on == date(2026, 10, 10)
    assert not case.due_provisional


def test_disclosure_art33_twenty_workdays_across_national_day(county):
    case = services.submit_disclosure_request(county, disclosure(), received_at=RECEIVED).case
    assert case.due_on == date(2026, 11, 3)


def test_art10_mailbox_deadline_is_its_own_number_of_workdays(department_mailbox):
    received = at(2026, 9, 24)  # Thursday; 09-25 to 09-27 is a holiday too
    case = services.submit_letter(department_mailbox, letter(), received_at=received).case
    assert department_mailbox.deadline_workdays == 10
    # 09-28, 29, 30, 10-08, 09, 10 (Sat), 12, 13, 14, 15
    assert case.due_on == date(2026, 10, 15)


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (date(2026, 10, 5), DueState.ON_TRACK),  # a holiday: 3 working days still ahead
        (date(2026, 10, 8), DueState.ON_TRACK),
        (date(2026, 10, 9), DueState.DUE_SOON),
        (date(2026, 10, 10), DueState.DUE_SOON),  # the make-up Saturday is the last day
        (date(2026, 10, 11), DueState.OVERDUE),
        (date(2026, 10, 16), DueState.OVERDUE),  # 5 working days late
        (date(2026, 10, 19), DueState.LONG_OVERDUE),  # 6 working days late
    ],
    ids=str,
)
def test_art18_due_states_in_python_and_sql_agree(city, on, state):
    case = services.submit_error_report(city, error_report(), received_at=RECEIVED).case
    assert services.due_state_of(case, on) == state
    for other in (DueState.ON_TRACK, DueState.DUE_SOON, DueState.OVERDUE, DueState.LONG_OVERDUE):
        listed = services.filter_due_state(Case.objects.all(), other, on).filter(pk=case.pk).exists()
        expected = other == state or (other == DueState.OVERDUE and state == DueState.LONG_OVERDUE)
        assert listed == expected, other


def test_art18_overdue_case_shows_on_its_units_list_only(city, county):
    case = services.submit_error_report(city, error_report(), received_at=RECEIVED).case
    services.submit_error_report(county, error_report(), received_at=RECEIVED)
    assert list(services.overdue_cases(city.institution, date(2026, 10, 9))) == []
    assert list(services.overdue_cases(city.institution, date(2026, 10, 12))) == [case]
    # Answered cases leave the list.
    case.status = Case.Status.ANSWERED
    case.save()
    assert list(services.overdue_cases(city.institution, date(2026, 10, 12))) == []


def test_disclosure_art33_extension_once_with_approval_and_notice(county, django_capture_on_commit_callbacks):
    case = services.submit_disclosure_request(county, disclosure(), received_at=RECEIVED).case
    handler, leader = make_handler(county.institution), make_handler(county.institution)
    with pytest.raises(ValidationError):
        services.request_extension(case, actor=handler, reason="")
    services.request_extension(case, actor=handler, reason="需要向第三方征求意见", notice="")
    with pytest.raises(PermissionDenied):
        services.approve_extension(case, actor=handler)  # not by the one who asked
    with django_capture_on_commit_callbacks(execute=True):
        extended = services.approve_extension(case, actor=leader)
    assert extended.extended and extended.due_on == date(2026, 12, 1)  # 20 more working days after 11-03
    assert extended.extension_approved_by == leader
    assert "第三十三条" in extended.extension_notice
    assert extended.steps.filter(action="notify_extension").exists()
    assert mail.outbox[-1].to == ["lisi@example.com"]
    for again in (
        lambda: services.request_extension(extended, actor=handler, reason="再次延期"),
        lambda: services.approve_extension(extended, actor=leader),
    ):
        with pytest.raises(ValidationError) as refused:
            again()
        assert refused.value.code in ("already_extended",)
    assert Case.objects.get(pk=case.pk).due_on == date(2026, 12, 1)


def test_disclosure_art33_only_disclosure_requests_are_extended(mayor_mailbox, general_office):
    case = services.submit_letter(mayor_mailbox, letter()).case
    with pytest.raises(ValidationError) as refused:
        services.request_extension(case, actor=make_handler(general_office), reason="x")
    assert refused.value.code == "not_disclosure"


def test_art18_reminders_go_to_the_units_handlers_once_a_day(city, county):
    services.submit_error_report(city, error_report(), received_at=RECEIVED)
    services.submit_error_report(county, error_report(), received_at=at(2026, 10, 12))
    handler = make_handler(city.institution)
    call_command("cases_remind", date="2026-10-12")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [handler.email]
    assert "已超期" in mail.outbox[0].body
    call_command("cases_remind", date="2026-10-12")
    assert len(mail.outbox) == 1  # idempotent per day
    assert Reminder.objects.get().cases == 1
    call_command("cases_remind", date="2026-10-13")
    assert len(mail.outbox) == 2
