"""The inspections of Art. 23 against real servers that misbehave, the freshness rules on the demo
city, and the conduct checks of Art. 25."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from govsite.monitoring import inspections, services
from govsite.monitoring.models import AvailabilityCheck, Finding, Inspection, InspectionRun
from govsite.publishing.models import TamperFinding
from tests import factories as f
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
    end = timezone.now()
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
