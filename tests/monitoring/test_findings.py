"""Findings (Art. 23: 及时发现问题、纠正错漏并做好记录): opened with an owner-able deadline in
working days, kept while the problem lasts, closed when a later run no longer sees it, reopened
when it comes back, dismissed only with a reason; every step in the audit trail."""

from __future__ import annotations

import datetime
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govsite.monitoring import services
from govsite.monitoring.models import Finding
from govsite.monitoring.services import Observation, ObservationBatch
from govsite.review.models import AuditRecord
from tests import factories as f

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def seen(*observations: Observation, scope=None) -> ObservationBatch:
    return ObservationBatch(list(observations), checked=10, summary={}, scope_site_ids=scope)


def broken(site, url: str = "/a.html") -> Observation:
    return Observation(
        key=f"{site.pk}:{url}",
        title=f"链接不可用：{url}",
        severity=Finding.Severity.MEDIUM,
        gov_site_id=site.pk,
    )


def test_art23_a_problem_seen_twice_is_one_finding_with_a_workday_deadline():
    site = f.county_portal()
    before_national_day = datetime.datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)

    services.record_observations("links", seen(broken(site)), now=before_national_day)
    services.record_observations(
        "links", seen(broken(site)), now=before_national_day + datetime.timedelta(hours=1)
    )

    finding = Finding.objects.get()
    assert finding.status == Finding.Status.OPEN
    # 3 working days from Tuesday 30 September 2025 skip the National Day holiday: 11 October is a
    # make-up Saturday (gov-site-rules §6.4).
    assert finding.due_on == datetime.date(2025, 10, 11)
    assert AuditRecord.objects.filter(action="monitoring.finding_opened").count() == 1


def test_art23_a_problem_no_longer_seen_is_closed_and_reopens_when_it_returns():
    site = f.county_portal()
    services.record_observations("links", seen(broken(site)))

    counts = services.record_observations("links", seen())
    finding = Finding.objects.get()
    assert counts["closed"] == 1
    assert finding.status == Finding.Status.FIXED
    assert "复查未再发现" in finding.reason

    counts = services.record_observations("links", seen(broken(site)))
    finding.refresh_from_db()
    assert counts["reopened"] == 1
    assert finding.status == Finding.Status.OPEN and finding.reopened == 1
    assert AuditRecord.objects.filter(
        action="monitoring.finding_reopened", object_id=str(finding.pk)
    ).exists()


def test_art23_a_run_over_one_site_leaves_other_sites_findings_alone():
    first, second = f.county_portal(), f.department_site()
    services.record_observations("availability", seen(broken(first), broken(second)))

    services.record_observations("availability", seen(scope=frozenset({first.pk})))

    assert Finding.objects.get(gov_site=first).status == Finding.Status.FIXED
    assert Finding.objects.get(gov_site=second).status == Finding.Status.OPEN


def test_art23_dismissing_needs_a_reason_and_a_dismissed_problem_stays_dismissed():
    site = f.county_portal()
    operator = f.User.objects.create_superuser("duty", "duty@example.gov.cn", "x")
    services.record_observations("links", seen(broken(site)))
    finding = Finding.objects.get()

    with pytest.raises(ValidationError) as refused:
        services.dismiss(finding, actor=operator, reason="  ")
    assert refused.value.error_dict["reason"][0].code == "reason_required"
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN

    services.dismiss(finding, actor=operator, reason="合作网站屏蔽爬虫，人工确认可访问")
    services.record_observations("links", seen(broken(site)))
    finding.refresh_from_db()
    assert finding.status == Finding.Status.DISMISSED
    assert AuditRecord.objects.filter(action="monitoring.finding_dismissed", actor=operator).exists()


def test_art23_a_fixed_finding_reopens_if_the_next_run_still_sees_it():
    site = f.county_portal()
    operator = f.User.objects.create_superuser("duty", "duty@example.gov.cn", "x")
    services.record_observations("freshness", seen(broken(site)))
    finding = Finding.objects.get()

    services.mark_fixed(finding, actor=operator, note="已更新")
    services.record_observations("freshness", seen(broken(site)))

    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN and finding.reopened == 1


def test_art23_site_staff_see_only_their_own_sites_findings():
    mine, other = f.county_portal(), f.department_site()
    services.record_observations("links", seen(broken(mine), broken(other)))
    editor = f.User.objects.get(username=f"{mine.slug}_editor")

    visible = services.findings_visible_to(editor)

    assert [finding.gov_site_id for finding in visible] == [mine.pk]
    assert not services.is_operator(editor)


def _queries_of_a_run(kind: str, observations: list[Observation]) -> list[dict]:
    with CaptureQueriesContext(connection) as captured:
        services.record_observations(kind, seen(*observations))
    return captured.captured_queries


def test_art23_a_run_that_sees_its_problems_again_costs_the_same_queries_however_many_there_are():
    site = f.county_portal()
    few = [broken(site, f"/few/{n}.html") for n in range(3)]
    many = [broken(site, f"/many/{n}.html") for n in range(40)]
    services.record_observations("links", seen(*few))
    services.record_observations("wording", seen(*many))

    unchanged = [len(_queries_of_a_run(kind, found)) for kind, found in (("links", few), ("wording", many))]
    retitled = [
        _queries_of_a_run(kind, [replace(o, title=o.title + "（仍存在）") for o in found])
        for kind, found in (("links", few), ("wording", many))
    ]

    assert unchanged[0] == unchanged[1]
    assert len(retitled[0]) == len(retitled[1])
    if connection.features.has_select_for_update:  # the run still locks the findings it updates
        assert any("FOR UPDATE" in query["sql"] for query in retitled[1])
    assert Finding.objects.filter(kind="wording", title__endswith="（仍存在）").count() == 40
    assert Finding.objects.filter(status=Finding.Status.OPEN).count() == 43


def test_art23_one_run_opens_keeps_reopens_and_closes_as_before():
    site = f.county_portal()
    operator = f.User.objects.create_superuser("duty", "duty@example.gov.cn", "x")
    kept, fixed, gone = broken(site, "/kept.html"), broken(site, "/fixed.html"), broken(site, "/gone.html")
    services.record_observations("links", seen(kept, fixed, gone))
    services.mark_fixed(Finding.objects.get(title__endswith="/fixed.html"), actor=operator)
    new = broken(site, "/new.html")

    counts = services.record_observations("links", seen(kept, kept, fixed, new))

    assert counts == {"opened": 1, "reopened": 1, "seen": 1, "closed": 1}
    states = dict(Finding.objects.values_list("title", "status"))
    assert states == {
        "链接不可用：/kept.html": "open",
        "链接不可用：/fixed.html": "open",
        "链接不可用：/gone.html": "fixed",
        "链接不可用：/new.html": "open",
    }
    reopened = Finding.objects.get(title__endswith="/fixed.html")
    assert reopened.reopened == 1 and reopened.closed_at is None
    assert AuditRecord.objects.filter(
        action="monitoring.finding_reopened", object_id=str(reopened.pk)
    ).exists()
    cleared = AuditRecord.objects.get(action="monitoring.finding_cleared")
    assert cleared.site_id == site.pk and cleared.object_repr == "链接不可用：/gone.html"
