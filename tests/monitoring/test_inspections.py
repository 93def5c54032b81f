"""The inspections of Art. 23 against real servers that misbehave, the freshness rules on the demo
city, and the conduct checks of Art. 25."""

from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from govsite.cases import deadlines
from govsite.cases import services as case_services
from govsite.cases.models import Reminder
from govsite.content.models import ColumnPage, ContentPage
from govsite.content.services import column_last_update
from govsite.monitoring import dashboard, inspections, services
from govsite.monitoring.models import AvailabilityCheck, Finding, Inspection, InspectionRun, WordingEntry
from govsite.publishing.models import TamperFinding
from tests import factories as f
from tests.cases import conftest as cases_conftest
from tests.monitoring import sites_server, tls
from tests.publishing.conftest import work_off_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(settings):
    running = sites_server.start()
    settings.GOVSITE_MONITOR_ORIGIN = running.origin
    settings.GOVSITE_AVAILABILITY_TIMEOUT = 1.0
    yield running
    running.shutdown()


def test_art23_availability_keeps_every_check_and_reports_sites_that_do_not_open(server):
    for slug in ("good", "failing", "slow", "reset"):
        f.county_portal(slug=slug)
    server.behaviour.update(
        {"failing.localhost": "error", "slow.localhost": "slow", "reset.localhost": "reset"}
    )

    run = services.run_kinds([Inspection.Kind.AVAILABILITY])[0]

    assert run.status == InspectionRun.Status.OK
    home_checks = {check.gov_site.slug: check for check in AvailabilityCheck.objects.filter(is_home=True)}
    assert home_checks["good"].ok and home_checks["good"].status == 200
    assert home_checks["failing"].problem == "HTTP 500"
    assert "超过 1 秒未打开" in home_checks["slow"].problem
    assert home_checks["reset"].problem.startswith("无法连接")
    troubled = set(
        Finding.objects.filter(title__startswith="首页无法访问").values_list("gov_site__slug", flat=True)
    )
    assert troubled == {"failing", "slow", "reset"}


def test_sec2_2_a_week_with_five_percent_of_checks_failing_is_a_veto():
    site = f.county_portal()
    # 23:00 local: each day's 20 checks (13:20 to 22:54) stay on their own day at any time of running
    end = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(23)))
    checks = []
    for day in range(7):
        for hour in range(20):
            moment = end - datetime.timedelta(days=day, hours=hour * 0.5 + 0.1)
            failed = day == 0 and hour < 7  # 7 of 140 = 5 %
            checks.append(
                AvailabilityCheck(gov_site=site, url="/", is_home=True, checked_at=moment, ok=not failed)
            )
    AvailabilityCheck.objects.bulk_create(checks)

    week = inspections.availability_week(site, end)

    assert (week.checks, week.failures) == (140, 7)
    assert week.enough_checks and week.veto
    AvailabilityCheck.objects.filter(ok=False).first().delete()
    assert not inspections.availability_week(site, end).veto


def test_art23_demo_city_stale_and_blank_columns_and_veto_counts(settings, tmp_path):
    settings.PUBLISH_ROOT = tmp_path / "publish"
    settings.PUBLISH_VAULT = tmp_path / "vault"
    call_command("load_demo", port=8000, stdout=io.StringIO())

    reports = {site.slug: inspections.freshness_report(site) for site in inspections.open_sites()}
    for report in reports.values():  # each column's last update is what the column lists
        assert all(state.last_update == column_last_update(state.column) for state in report.columns)

    haimen = {state.column.category_id for state in reports["haimen"].stale_veto_a}
    assert {"news", "notices"} <= haimen
    assert "personnel" in {state.column.category_id for state in reports["rudong"].long_stale}
    assert "data_release" in {state.column.category_id for state in reports["fgw"].blank}
    assert not reports["nantong"].stale_veto_a  # the city portal is kept current
    assert not reports["nantong"].home_stale

    run = services.run_kinds([Inspection.Kind.FRESHNESS])[0]
    assert run.summary["sites"]["haimen"]["stale"] == len(reports["haimen"].stale_veto_a)
    titles = set(Finding.objects.filter(kind="freshness").values_list("title", flat=True))
    assert any(title.startswith("空白栏目") for title in titles)
    assert any(title.startswith("栏目未按期更新") for title in titles)


def test_art23_missing_security_headers_are_a_finding(server):
    site = f.county_portal(slug="bare")
    server.behaviour["bare.localhost"] = "bare"

    services.run_kinds([Inspection.Kind.SECURITY])

    finding = Finding.objects.get(kind="security", gov_site=site)
    assert "Content-Security-Policy" in finding.title and "X-Content-Type-Options" in finding.title


def test_art25_external_scripts_and_commercial_links_are_reported():
    site = f.county_portal(slug="conduct")
    html = (
        '<script src="/static/site.js"></script><script src="https://cdn.tracker.example/x.js"></script>'
        '<a href="https://item.taobao.com/item.htm?id=1">特价</a><a href="https://www.gov.cn/">中国政府网</a>'
    )

    found = inspections.page_conduct_problems(site, "/news/", html)

    titles = sorted(observation.title for observation in found)
    assert titles == [
        "链接到商业或广告网站：item.taobao.com（第二十五条）",
        "页面引用外部脚本：cdn.tracker.example",
    ]


def test_art23_certificates_invalid_or_expiring_soon_are_caught(tmp_path):
    ca_key, ca_cert, cafile = tls.make_ca(tmp_path)
    soon = tls.serve_tls(*tls.make_leaf(tmp_path, ca_key, ca_cert, days=10))
    fine = tls.serve_tls(*tls.make_leaf(tmp_path, ca_key, ca_cert, days=200))

    assert inspections.certificate_problem("localhost", fine, cafile=cafile) == ""
    assert "天后过期" in inspections.certificate_problem("localhost", soon, cafile=cafile)
    assert inspections.certificate_problem("localhost", fine).startswith("证书无效")  # not a trusted CA


def test_art23_a_tampered_page_becomes_a_critical_finding(settings, tmp_path):
    settings.PUBLISH_ROOT = tmp_path / "publish"
    settings.PUBLISH_VAULT = tmp_path / "vault"
    county = f.county_portal(slug="chongchuan")
    news = f.make_column(county.site.root_page, slug="news")
    f.make_article(news, slug="item", title="原始标题")
    work_off_queue()
    page = settings.PUBLISH_ROOT / "chongchuan.localhost/news/item/index.html"
    page.write_bytes(page.read_bytes().replace("原始标题".encode(), "被篡改".encode()))

    services.run_kinds([Inspection.Kind.TAMPER])

    finding = Finding.objects.get(kind="tamper")
    assert finding.severity == Finding.Severity.CRITICAL and finding.gov_site == county
    assert "news/item/index.html" in finding.title and "已自动恢复" in finding.title
    assert TamperFinding.objects.count() == 1


def test_art23_a_failing_inspection_is_recorded_and_the_scheduler_goes_on(monkeypatch):
    def broken(progress=None):
        raise RuntimeError("探针故障")

    monkeypatch.setitem(inspections.PROBES, "freshness", broken)
    services.ensure_inspections()
    Inspection.objects.update(next_run_at=timezone.now() + datetime.timedelta(days=1))
    Inspection.objects.filter(kind__in=["freshness", "wording"]).update(next_run_at=timezone.now())

    runs = services.run_due()

    assert {run.inspection.kind: run.status for run in runs} == {"freshness": "failed", "wording": "ok"}
    failed = InspectionRun.objects.get(inspection__kind="freshness")
    assert "探针故障" in failed.error
    assert Inspection.objects.get(kind="freshness").next_run_at > timezone.now()


def test_art23_scheduler_command_runs_what_is_due_and_marks_interrupted_runs(capsys):
    services.ensure_inspections()
    stuck = InspectionRun.objects.create(inspection=Inspection.objects.get(kind="links"))
    Inspection.objects.update(next_run_at=timezone.now() + datetime.timedelta(days=1))
    Inspection.objects.filter(kind="freshness").update(next_run_at=timezone.now())

    call_command("monitor", "--once")

    stuck.refresh_from_db()
    assert stuck.status == InspectionRun.Status.FAILED and "中断" in stuck.error
    assert InspectionRun.objects.filter(inspection__kind="freshness", status="ok").count() == 1
    assert "栏目更新" in capsys.readouterr().out


def test_art23_unknown_inspection_is_refused_in_chinese():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有这些巡检项目"):
        call_command("monitor", "--run", "nothing")
    assert not InspectionRun.objects.exists()


# --- a constant number of queries (Art. 23 inspections of sites of any size) ------------------------


def _columns_of_every_kind(gov_site, elsewhere, copies: int) -> None:
    """Per copy: a column with an old article, a column whose only item sits in its sub-column, a blank
    column, a column whose only child is an empty live column, a column showing a page shared from
    another site, and a column whose only article is private."""
    home = gov_site.site.root_page
    for copy in range(copies):
        news = f.make_column(home, slug=f"news{copy}")
        old = f.make_article(news)
        Page.objects.filter(pk=old.pk).update(first_published_at=timezone.now() - datetime.timedelta(days=20))
        notices = f.make_column(home, category="notices", slug=f"notices{copy}")
        f.make_article(f.make_column(notices, category="notices", slug=f"sub{copy}"))
        f.make_column(home, slug=f"blank{copy}")
        f.make_column(f.make_column(home, slug=f"parent{copy}"), slug=f"child{copy}")
        f.share(elsewhere, f.make_column(home, slug=f"shared{copy}"))
        private = f.make_article(f.make_column(home, slug=f"private{copy}"))
        PageViewRestriction.objects.create(page=private, restriction_type="password", password="x")


def test_art23_freshness_costs_the_same_queries_for_a_site_of_any_size_and_sees_what_columns_list():
    other = f.county_portal(slug="other")
    elsewhere = f.make_article(f.make_column(other.site.root_page, slug="library"))
    small, large = f.county_portal(slug="small"), f.county_portal(slug="large")
    _columns_of_every_kind(small, elsewhere, copies=1)
    _columns_of_every_kind(large, elsewhere, copies=3)

    with CaptureQueriesContext(connection) as for_small:
        small_report = inspections.freshness_report(small)
    with CaptureQueriesContext(connection) as for_large:
        large_report = inspections.freshness_report(large)

    assert (len(small_report.columns), len(large_report.columns)) == (8, 24)
    assert len(for_small) == len(for_large)
    for report in (small_report, large_report):
        home = report.gov_site.site.root_page
        for state in report.columns:
            column = state.column
            # what the column lists (content.services), and a blank column has no live sub-column
            assert state.last_update == column_last_update(column), column.slug
            has_children = column.get_children().live().type(ColumnPage).exists()
            assert state.blank == (state.last_update is None and not has_children), column.slug
        assert (
            report.home_last_update
            == (ContentPage.objects.live().public().descendant_of(home).order_by("-first_published_at"))
            .values_list("first_published_at", flat=True)
            .first()
        )
    assert {state.column.slug for state in small_report.blank} == {"blank0", "child0", "private0"}


def test_sec2_2_availability_of_many_sites_is_read_in_the_same_queries_as_of_two():
    sites = [f.county_portal(slug=f"site{n}") for n in range(6)]
    end = timezone.now()
    checks = []
    for number, site in enumerate(sites):
        for hour in range(30):
            moment = end - datetime.timedelta(hours=hour * 5 + 0.5)
            failed = hour < number  # site n fails n of its 30 home-page checks
            checks.append(
                AvailabilityCheck(
                    gov_site=site,
                    url="/",
                    is_home=True,
                    checked_at=moment,
                    ok=not failed,
                    elapsed_ms=100 + hour,
                )
            )
    AvailabilityCheck.objects.bulk_create(checks)

    with CaptureQueriesContext(connection) as for_two:
        dashboard.availability_rows(sites[:2])
    with CaptureQueriesContext(connection) as for_six:
        rows = dashboard.availability_rows(sites)

    assert len(for_two) == len(for_six) == 2
    for number, (site, row) in enumerate(zip(sites, rows, strict=True)):
        assert row.gov_site == site
        per_day = Counter(
            timezone.localtime(check.checked_at).date() for check in checks if check.gov_site == site
        )
        assert (row.week.checks, row.week.failures) == (30, number)
        assert (row.week.days, row.week.fewest_daily_checks) == (len(per_day), min(per_day.values()))
        assert row.average_ms == pytest.approx(sum(100 + hour for hour in range(number, 30)) / (30 - number))


# --- the case reminders, sent by the same scheduler ------------------------------------------------


@pytest.fixture
def overdue_error_report():
    """An error report on the city portal received before the 2026 National Day holiday: due on the
    make-up Saturday 2026-10-10, overdue on Monday 2026-10-12; its unit has one handler."""
    city = f.city_portal()
    case_services.submit_error_report(
        city, cases_conftest.error_report(), received_at=cases_conftest.at(2026, 9, 30)
    )
    return cases_conftest.make_handler(city.institution)


def run_reminders_on(monkeypatch, day: datetime.date) -> InspectionRun:
    monkeypatch.setattr(deadlines, "today", lambda: day)
    return services.run_kinds([Inspection.Kind.REMINDERS])[0]


def test_art18_the_scheduler_sends_the_reminders_of_overdue_cases_once_a_working_day(
    monkeypatch, overdue_error_report
):
    services.ensure_inspections()
    assert Inspection.objects.get(kind="reminders").interval_seconds == 24 * 3600

    run = run_reminders_on(monkeypatch, datetime.date(2026, 10, 12))

    assert run.status == InspectionRun.Status.OK
    assert (run.summary["sent"], run.checked, run.problems) == (1, 1, 0)
    assert "发送 1 个单位" in run.summary["note"]
    [reminder] = mail.outbox
    assert reminder.to == [overdue_error_report.email] and "已超期" in reminder.body
    again = run_reminders_on(monkeypatch, datetime.date(2026, 10, 12))
    assert (again.summary["sent"], again.summary["skipped"], len(mail.outbox)) == (0, 1, 1)
    assert Reminder.objects.get().sent_on == datetime.date(2026, 10, 12)


def test_art18_no_reminders_are_sent_on_a_day_off(monkeypatch, overdue_error_report):
    run = run_reminders_on(monkeypatch, datetime.date(2026, 10, 3))  # National Day holiday

    assert run.status == InspectionRun.Status.OK and run.summary["sent"] == 0
    assert "非工作日" in run.summary["note"]
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_art23_a_unit_without_a_handler_to_mail_is_a_finding_until_it_has_one(monkeypatch):
    county = f.county_portal()
    case_services.submit_disclosure_request(
        county, cases_conftest.disclosure(), received_at=cases_conftest.at(2026, 9, 1)
    )

    run_reminders_on(monkeypatch, datetime.date(2026, 10, 12))
    finding = Finding.objects.get(kind="reminders")
    assert county.institution.name in finding.title and finding.status == Finding.Status.OPEN
    assert mail.outbox == []

    cases_conftest.make_handler(county.institution)
    run = run_reminders_on(monkeypatch, datetime.date(2026, 10, 13))
    finding.refresh_from_db()
    assert run.summary["sent"] == 1 and finding.status == Finding.Status.FIXED


def test_sec5_1_one_cached_scanner_serves_publishing_and_the_wording_inspection():
    WordingEntry.objects.create(term="南通市人民正府", kind="formulation", correction="南通市人民政府")
    first = services.wording_scanner()

    assert inspections.wording_scanner is services.wording_scanner  # one name, one meaning
    assert services.wording_scanner() is first  # not rebuilt while the dictionary is unchanged
    WordingEntry.objects.create(term="崇川区人民正府", kind="formulation", correction="崇川区人民政府")
    rebuilt = services.wording_scanner()
    assert rebuilt is not first and [hit.rule.term for hit in rebuilt.scan("崇川区人民正府")] == [
        "崇川区人民正府"
    ]
