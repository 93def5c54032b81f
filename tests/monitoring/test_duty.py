"""Duty (Art. 23: 建立24小时值班制度 … 日常巡检 … 做好记录): the roster and its uncovered hours, who is
on duty, handover notes, and the daily inspection record generated from the stored runs."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from govsite.monitoring import incidents
from govsite.monitoring.models import DutyShift, Finding, Incident, Inspection, InspectionRun
from govsite.review.models import AuditRecord
from tests import factories as f
from tests.monitoring.test_incidents import codes, make_finding, make_operator

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 3, 10)


def at(hour: int, minute: int = 0, day: datetime.date = DAY) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def shift(person, start: datetime.datetime, end: datetime.datetime, **fields) -> DutyShift:
    return DutyShift.objects.create(person=person, starts_at=start, ends_at=end, **fields)


@pytest.fixture
def operator():
    return make_operator()


def test_art23_on_duty_finds_the_shift_covering_a_moment(operator):
    day_shift = shift(operator, at(8), at(20))
    night = shift(make_operator("night_officer"), at(20), at(8, day=DAY + datetime.timedelta(days=1)))

    assert incidents.on_duty(at(12)) == [day_shift]
    assert incidents.on_duty(at(20)) == [night]  # a shift ends before the next one's first minute
    assert incidents.on_duty(at(7, 59)) == []


def test_art23_uncovered_hours_are_reported_in_the_local_day(operator):
    previous = DAY - datetime.timedelta(days=1)
    shift(operator, at(20, day=previous), at(6))  # the night before, until 06:00 Shanghai time
    shift(operator, at(8), at(12))
    shift(make_operator("second"), at(10), at(18))

    gaps = incidents.uncovered_hours(DAY)

    assert gaps == [(at(6), at(8)), (at(18), at(0, day=DAY + datetime.timedelta(days=1)))]


def test_art23_a_fully_covered_day_has_no_gaps(operator):
    shift(operator, at(0), at(12))
    shift(operator, at(12), at(0, day=DAY + datetime.timedelta(days=1)))
    assert incidents.uncovered_hours(DAY) == []


def test_art23_add_shift_refuses_bad_times_and_overlaps(operator):
    incidents.add_shift(person=operator, starts_at=at(8), ends_at=at(20), phone="0513-1", actor=operator)

    for start, end, code in (
        (at(20), at(8), "shift_ends_before_start"),
        (at(8), at(9, day=DAY + datetime.timedelta(days=1)), "shift_too_long"),
        (at(19), at(23), "shift_overlaps"),
        (None, at(23), "shift_times_required"),
    ):
        with pytest.raises(ValidationError) as refused:
            incidents.add_shift(person=operator, starts_at=start, ends_at=end, actor=operator)
        assert codes(refused.value) == {code}
    assert DutyShift.objects.count() == 1
    assert AuditRecord.objects.filter(action="monitoring.duty.shift_added").count() == 1


def test_art23_handover_needs_a_note_and_the_shifts_person_or_an_operator(operator):
    person = f.User.objects.create_user("duty_person")
    now = timezone.now()
    current = shift(person, now - datetime.timedelta(hours=8), now + datetime.timedelta(hours=4))
    stranger = f.User.objects.create_user("stranger")

    with pytest.raises(ValidationError) as refused:
        incidents.hand_over(current, note="一切正常", actor=stranger)
    assert codes(refused.value) == {"not_your_shift"}
    with pytest.raises(ValidationError) as refused:
        incidents.hand_over(current, note="  ", actor=person)
    assert codes(refused.value) == {"note_required"}

    incidents.hand_over(current, note="链接检查发现3处死链，已转站点整改。", actor=person)

    current.refresh_from_db()
    assert current.handover.startswith("链接检查") and current.handed_over_at is not None
    assert AuditRecord.objects.filter(action="monitoring.duty.handover", actor=person).exists()
    with pytest.raises(ValidationError) as refused:
        incidents.hand_over(current, note="再交一次", actor=operator)
    assert codes(refused.value) == {"already_handed_over"}


def test_art23_a_shift_that_has_not_started_cannot_be_handed_over(operator):
    later = timezone.now() + datetime.timedelta(days=1)
    upcoming = shift(operator, later, later + datetime.timedelta(hours=8))
    with pytest.raises(ValidationError) as refused:
        incidents.hand_over(upcoming, note="提前交班", actor=operator)
    assert codes(refused.value) == {"shift_not_started"}


def run(kind: str, started: datetime.datetime, *, status=InspectionRun.Status.OK, checked=0, problems=0):
    inspection, _ = Inspection.objects.get_or_create(kind=kind, defaults={"interval_seconds": 3600})
    return InspectionRun.objects.create(
        inspection=inspection,
        started_at=started,
        finished_at=started + datetime.timedelta(minutes=1),
        status=status,
        checked=checked,
        problems=problems,
    )


def test_art23_daily_record_is_generated_from_the_runs(operator):
    site = f.county_portal()
    run("availability", at(0, 5), checked=10, problems=1)
    run("availability", at(23, 55), checked=10)
    run("availability", at(23, 59, day=DAY - datetime.timedelta(days=1)), checked=99)  # the day before
    run("links", at(3), status=InspectionRun.Status.FAILED)
    opened = make_finding(site, title="首页无法访问")
    Finding.objects.filter(pk=opened.pk).update(first_seen=at(0, 6))
    closed = make_finding(site, title="死链")
    Finding.objects.filter(pk=closed.pk).update(
        first_seen=at(9, day=DAY - datetime.timedelta(days=2)), status=Finding.Status.FIXED, closed_at=at(11)
    )
    shift(operator, at(8), at(20), handover="白班正常", handed_over_at=at(20))
    incident = Incident.objects.create(gov_site=site, title="首页无法访问", opened_at=at(0, 10))

    record = incidents.daily_record(DAY)

    by_kind = {summary.kind: summary for summary in record.runs}
    assert set(by_kind) == set(Inspection.Kind.values)  # a kind that did not run shows as 0 runs
    assert (
        by_kind["availability"].runs,
        by_kind["availability"].checked,
        by_kind["availability"].problems,
    ) == (
        2,
        20,
        1,
    )
    assert (by_kind["links"].runs, by_kind["links"].failed) == (1, 1)
    assert by_kind["tamper"].runs == 0
    assert record.total_runs == 3 and record.total_problems == 1
    assert record.findings_opened == [opened] and record.findings_closed == [closed]
    assert [item.handover for item in record.shifts] == ["白班正常"]
    assert record.incidents == [incident]
    assert record.uncovered == [(at(0), at(8)), (at(20), at(0, day=DAY + datetime.timedelta(days=1)))]


# --- the admin pages -------------------------------------------------------------------------------


def test_art23_daily_record_page_prints_the_days_record(client, operator):
    run("availability", at(10), checked=7, problems=2)
    client.force_login(operator)

    page = client.get(reverse("monitoring_duty_daily", args=[DAY.isoformat()]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "2026年03月10日 网站巡检日志" in text and "00:00–24:00" in text
    assert "@media print" in text
    assert client.get("/admin/monitoring/duty/daily/2026-02-30/").status_code == 404
    assert client.get(reverse("monitoring_duty_today")).status_code == 302


def test_art23_roster_page_shows_who_is_on_duty_and_takes_new_shifts(client, operator):
    client.force_login(operator)
    now = timezone.localtime()
    start = (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    end = (now + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("monitoring_duty_shift_add"), {"person": operator.pk, "starts_at": start, "ends_at": end}
    )
    assert response.status_code == 302
    roster = client.get(reverse("monitoring_duty_roster")).content.decode()
    assert "当前无人值班" not in roster and "duty_officer" in roster

    refused = client.post(
        reverse("monitoring_duty_shift_add"),
        {"person": "x", "starts_at": "garbage", "ends_at": ""},
        follow=True,
    )
    assert refused.status_code == 200 and "请选择值班人员" in refused.content.decode()
    assert DutyShift.objects.count() == 1


def test_art23_handover_form_records_the_note(client, operator):
    now = timezone.now()
    current = shift(operator, now - datetime.timedelta(hours=2), now + datetime.timedelta(hours=2))
    client.force_login(operator)
    url = reverse("monitoring_duty_handover", args=[current.pk])

    assert "请填写交接班记录" in client.post(url, {"note": ""}).content.decode()
    assert client.post(url, {"note": "本班无异常"}).status_code == 302
    current.refresh_from_db()
    assert current.handover == "本班无异常"
