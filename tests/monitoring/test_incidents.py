"""Incidents and drills (Art. 24: 制定网站安全应急预案并定期组织演练；发生安全事件时，应立即启动应急
响应，并按照规定向有关管理部门报告处置结果): opened by hand or from a finding, a timeline of steps,
pages taken offline and published versions restored, closed only after the result was reported and
with a review; every step in the audit trail."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from govsite.monitoring import incidents
from govsite.monitoring.models import EmergencyPlan, Finding, Incident, IncidentEvent
from govsite.review.models import AuditRecord
from tests import factories as f
from tests.publishing import conftest as publishing
from tests.publishing.conftest import work_off_queue

pytestmark = pytest.mark.django_db

publish_root = publishing.publish_root  # the publisher tests' temporary publish root and vault

Kind = IncidentEvent.Kind


def make_operator(username: str = "duty_officer"):
    """A platform operator on duty: admin access and the group 平台运维值班, no page permissions."""
    group, _ = Group.objects.get_or_create(name=incidents.OPERATORS_GROUP)
    group.permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
    )
    user = f.User.objects.create_user(username, f"{username}@example.gov.cn", "Duty-Password-2026!")
    user.groups.add(group)
    return user


def make_finding(gov_site, *, page_url: str = "", title: str = "网页被篡改") -> Finding:
    return Finding.objects.create(
        kind="tamper",
        fingerprint=f"test-{f.next_number()}",
        gov_site=gov_site,
        page_url=page_url,
        title=title,
        detail="首页标题被改",
        severity=Finding.Severity.CRITICAL,
        due_on=timezone.localdate(),
    )


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {item.code for items in error.error_dict.values() for item in items}
    return {item.code for item in error.error_list}


def open_simple(gov_site, actor, **fields) -> Incident:
    fields.setdefault("title", "门户网站遭受攻击")
    fields.setdefault("level", Incident.Level.SERIOUS)
    return incidents.open_incident(gov_site=gov_site, actor=actor, **fields)


@pytest.fixture
def operator():
    return make_operator()


@pytest.fixture
def site_with_article(publish_root):
    county = f.county_portal(slug=f"incident{f.next_number()}")
    news = f.make_column(county.site.root_page, slug="news")
    article = f.make_article(news, slug="item", title="原始标题")
    work_off_queue()
    return county, article


# --- opening ---------------------------------------------------------------------------------------


def test_art24_incident_opened_from_a_finding_takes_its_site_title_and_page(operator):
    site = f.county_portal()
    finding = make_finding(site, page_url=f"http://{site.site.hostname}/news/item/")

    incident = incidents.open_incident(
        gov_site=None, title="", level="2", finding=finding, actor=operator, note="值班巡检发现"
    )

    assert (incident.gov_site, incident.title, incident.finding) == (site, "网页被篡改", finding)
    assert incident.status == Incident.Status.OPEN and incident.opened_by == operator
    [event] = incidents.timeline(incident)
    assert (event.kind, event.page_url, event.note) == (Kind.DISCOVERED, finding.page_url, "值班巡检发现")
    record = AuditRecord.objects.get(action="monitoring.incident.discovered")
    assert record.site_id == site.pk and record.detail["finding"] == finding.pk


def test_art24_open_incident_refuses_bad_input_all_at_once(operator):
    with pytest.raises(ValidationError) as refused:
        incidents.open_incident(gov_site=None, title="  ", level="9", actor=operator)

    assert codes(refused.value) == {"site_required", "title_required", "level_invalid"}
    assert not Incident.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="monitoring.incident").exists()


# --- closing ---------------------------------------------------------------------------------------


def test_art24_incident_cannot_close_before_it_is_resolved(operator):
    incident = open_simple(f.county_portal(), operator)

    with pytest.raises(ValidationError) as refused:
        incidents.close_incident(incident, review="", actor=operator)

    assert codes(refused.value) == {"incident_not_resolved", "result_not_reported", "review_required"}
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN


def test_art24_incident_cannot_close_before_result_is_reported(operator):
    incident = open_simple(f.county_portal(), operator)
    incidents.resolve_incident(incident, actor=operator, note="已封堵攻击源")

    with pytest.raises(ValidationError) as refused:
        incidents.close_incident(incident, review="总结：加强口令管理。", actor=operator)
    assert codes(refused.value) == {"result_not_reported"}

    incidents.report_result(incident, actor=operator, note="书面报告 通大数据〔2026〕3号")
    incidents.close_incident(incident, review="总结：加强口令管理。", actor=operator)

    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED and incident.review == "总结：加强口令管理。"
    kinds = [event.kind for event in incidents.timeline(incident)]
    assert kinds == [Kind.DISCOVERED, Kind.RESOLVED, Kind.RESULT_REPORTED, Kind.REVIEWED]


def test_art24_result_goes_to_the_authority_of_the_sites_plan(operator):
    site = f.county_portal()
    EmergencyPlan.objects.create(gov_site=site, body="预案", report_to="市委网信办")
    incident = open_simple(site, operator)
    incidents.resolve_incident(incident, actor=operator, note="已处置")

    event = incidents.report_result(incident, actor=operator, note="电话报告")

    assert event.note.startswith("已向市委网信办报告处置结果")
    assert (
        AuditRecord.objects.get(action="monitoring.incident.result_reported").detail["report_to"]
        == "市委网信办"
    )


def test_art24_result_cannot_be_reported_before_the_response_is_over(operator):
    incident = open_simple(f.county_portal(), operator)
    with pytest.raises(ValidationError) as refused:
        incidents.report_result(incident, actor=operator, note="报告")
    assert codes(refused.value) == {"incident_not_resolved"}


def test_art24_drill_is_recorded_like_an_incident(operator):
    site = f.county_portal()
    drill = open_simple(site, operator, title="网页篡改应急演练", is_drill=True, level="4")
    incidents.add_event(drill, Kind.ASSESSED, actor=operator, note="研判为Ⅳ级")
    incidents.resolve_incident(drill, actor=operator, note="演练处置完成")

    incidents.close_incident(drill, review="演练达到预期，联系人电话需更新。", actor=operator)

    drill.refresh_from_db()
    assert drill.is_drill and drill.status == Incident.Status.CLOSED
    assert str(drill).startswith("【演练】")
    actions = list(
        AuditRecord.objects.filter(object_id=str(drill.pk), object_type="monitoring.incident")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "monitoring.incident.discovered",
        "monitoring.incident.assessed",
        "monitoring.incident.resolved",
        "monitoring.incident.reviewed",
    ]


def test_art24_a_closed_incident_takes_no_more_steps(operator):
    drill = open_simple(f.county_portal(), operator, is_drill=True)
    incidents.resolve_incident(drill, actor=operator, note="完成")
    incidents.close_incident(drill, review="总结", actor=operator)

    for step in (
        lambda: incidents.add_event(drill, Kind.ACTION, actor=operator, note="再处置"),
        lambda: incidents.take_page_offline(drill, "/news/", actor=operator),
        lambda: incidents.close_incident(drill, review="总结", actor=operator),
    ):
        with pytest.raises(ValidationError) as refused:
            step()
        assert codes(refused.value) == {"incident_closed"}


def test_art24_manual_steps_need_a_note_and_a_manual_kind(operator):
    incident = open_simple(f.county_portal(), operator)
    with pytest.raises(ValidationError) as refused:
        incidents.add_event(incident, Kind.ACTION, actor=operator, note=" ")
    assert codes(refused.value) == {"note_required"}
    with pytest.raises(ValidationError) as refused:
        incidents.add_event(incident, Kind.RESOLVED, actor=operator, note="偷偷处置完成")
    assert codes(refused.value) == {"event_kind_not_manual"}
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN


# --- pages -----------------------------------------------------------------------------------------


def test_art24_restore_published_version_puts_back_the_tampered_file(
    operator, site_with_article, publish_root
):
    site, _article = site_with_article
    base = publish_root / site.site.hostname
    page_file = base / "news/item/index.html"
    original, original_br = page_file.read_bytes(), (base / "news/item/index.html.br").read_bytes()
    page_file.write_bytes(original.replace("原始标题".encode(), "被篡改的标题".encode()))
    (base / "news/item/index.html.br").write_bytes(b"defaced")
    incident = open_simple(site, operator)

    event = incidents.restore_published_version(
        incident, f"http://{site.site.hostname}/news/item/", actor=operator
    )

    assert page_file.read_bytes() == original
    assert (base / "news/item/index.html.br").read_bytes() == original_br
    assert (event.kind, event.page_url) == (Kind.PAGE_RESTORED, "/news/item/")
    record = AuditRecord.objects.get(action="monitoring.incident.page_restored")
    assert record.detail["file"] == "news/item/index.html"


def test_art24_page_taken_offline_is_republished_at_its_last_live_revision(
    operator,
    site_with_article,
    publish_root,
):
    site, article = site_with_article
    page_file = publish_root / site.site.hostname / "news/item/index.html"
    live_revision = article.live_revision_id
    incident = open_simple(site, operator)

    incidents.take_page_offline(incident, "/news/item/", actor=operator)
    work_off_queue()
    article.refresh_from_db()
    assert not article.live and not page_file.exists()

    incidents.restore_published_version(incident, "/news/item/", actor=operator)
    work_off_queue()
    article.refresh_from_db()
    assert article.live and article.live_revision_id == live_revision
    assert "原始标题" in page_file.read_text()
    kinds = [event.kind for event in incidents.timeline(incident)]
    assert kinds == [Kind.DISCOVERED, Kind.PAGE_OFFLINE, Kind.PAGE_RESTORED]
    assert AuditRecord.objects.filter(action="monitoring.incident.page_offline", site_id=site.pk).exists()


def test_art24_pages_of_other_sites_and_unknown_pages_are_refused(operator, site_with_article):
    site, _article = site_with_article
    incident = open_simple(site, operator)

    cases = [
        ("http://other.localhost/news/item/", "page_other_site"),
        ("/news/nothing-here/", "page_not_found"),
        ("/", "page_is_home"),
        ("", "page_url_required"),
        ("/news/../../etc/passwd", "page_url_invalid"),
    ]
    for url, code in cases:
        with pytest.raises(ValidationError) as refused:
            incidents.take_page_offline(incident, url, actor=operator)
        assert codes(refused.value) == {code}, url
    with pytest.raises(ValidationError) as refused:
        incidents.restore_published_version(incident, "/news/never-published.html", actor=operator)
    assert codes(refused.value) == {"no_published_file"}
    assert [event.kind for event in incidents.timeline(incident)] == [Kind.DISCOVERED]


# --- who sees what ---------------------------------------------------------------------------------


def test_art24_site_staff_see_only_their_sites_incidents(operator):
    mine, other = f.county_portal(), f.county_portal()
    own = open_simple(mine, operator)
    open_simple(other, operator)
    reviewer = f.User.objects.get(username=f"{mine.slug}_reviewer")

    assert list(incidents.incidents_visible_to(reviewer)) == [own]
    assert incidents.incidents_visible_to(operator).count() == 2


def test_art24_emergency_plan_needs_a_body_and_an_authority(operator):
    site = f.county_portal()
    with pytest.raises(ValidationError) as refused:
        incidents.save_plan(site, body="", contacts="", report_to="", reviewed_on=None, actor=operator)
    assert codes(refused.value) == {"plan_body_required", "report_to_required", "reviewed_on_invalid"}

    plan = incidents.save_plan(
        site,
        body="一、总则",
        contacts="张三 0513-1",
        report_to="市大数据管理局",
        reviewed_on=datetime.date(2026, 1, 5),
        actor=operator,
    )
    assert plan.gov_site == site and AuditRecord.objects.filter(action="monitoring.plan.saved").exists()


# --- the admin pages -------------------------------------------------------------------------------


def test_only_operators_reach_the_incident_pages(client):
    site = f.county_portal()
    client.force_login(f.User.objects.get(username=f"{site.slug}_editor"))
    response = client.get(reverse("monitoring_incident_list"))
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")


def test_art24_operator_opens_an_incident_from_a_finding_and_closes_it_in_the_admin(client, operator):
    site = f.county_portal()
    finding = make_finding(site, page_url=f"http://{site.site.hostname}/news/item/")
    client.force_login(operator)

    form = client.get(reverse("monitoring_incident_new") + f"?finding={finding.pk}")
    assert form.status_code == 200 and "网页被篡改" in form.content.decode()

    refused = client.post(
        reverse("monitoring_incident_new"),
        {"finding": finding.pk, "site": site.pk, "title": "x", "level": "7"},
    )
    assert refused.status_code == 200 and "请选择事件级别" in refused.content.decode()
    assert not Incident.objects.exists()

    created = client.post(
        reverse("monitoring_incident_new"),
        {"finding": finding.pk, "site": site.pk, "title": "篡改", "level": "3"},
    )
    incident = Incident.objects.get()
    assert created.url == reverse("monitoring_incident", args=[incident.pk])
    action = reverse("monitoring_incident_action", args=[incident.pk])
    page = client.post(action, {"action": "close", "review": "总结"}, follow=True)
    assert "尚未向主管部门报告处置结果" in page.content.decode()
    client.post(action, {"action": "resolve", "note": "已处置"})
    client.post(action, {"action": "report", "note": "已书面报告"})
    page = client.post(action, {"action": "close", "review": "总结"}, follow=True)
    assert "已结案" in page.content.decode()
    assert client.post(action, {"action": "nonsense"}, follow=True).status_code == 200


# --- assessment (研判定级) ----------------------------------------------------------------------------


def test_art24_the_assessment_sets_the_incidents_level_in_the_timeline_and_the_audit_trail(operator):
    incident = open_simple(f.county_portal(), operator, level=Incident.Level.GENERAL)

    event = incidents.add_event(
        incident, Kind.ASSESSED, actor=operator, note="首页被篡改，影响全区", level=Incident.Level.MAJOR
    )

    incident.refresh_from_db()
    assert incident.level == Incident.Level.MAJOR
    assert [(step.kind, step.level) for step in incidents.timeline(incident)] == [
        (Kind.DISCOVERED, ""),
        (Kind.ASSESSED, Incident.Level.MAJOR),
    ]
    assert event.note == "首页被篡改，影响全区"
    record = AuditRecord.objects.get(action="monitoring.incident.assessed")
    assert (record.detail["level"], record.detail["previous_level"]) == ("2", "4")


def test_art24_only_an_assessment_sets_a_level_and_only_a_real_one(operator):
    incident = open_simple(f.county_portal(), operator, level=Incident.Level.SERIOUS)

    for kind, level, code in [
        (Kind.REPORTED, "1", "level_not_assessment"),
        (Kind.ACTION, "2", "level_not_assessment"),
        (Kind.ASSESSED, "9", "level_invalid"),
        (Kind.ASSESSED, "Ⅰ级", "level_invalid"),
    ]:
        with pytest.raises(ValidationError) as refused:
            incidents.add_event(incident, kind, actor=operator, note="说明", level=level)
        assert codes(refused.value) == {code}, (kind, level)

    incident.refresh_from_db()
    assert incident.level == Incident.Level.SERIOUS
    assert [event.kind for event in incidents.timeline(incident)] == [Kind.DISCOVERED]
    incidents.add_event(incident, Kind.ASSESSED, actor=operator, note="维持原级别")  # a level is optional
    incident.refresh_from_db()
    assert incident.level == Incident.Level.SERIOUS


def test_art24_operator_grades_an_incident_in_the_admin(client, operator):
    incident = open_simple(f.county_portal(), operator, level=Incident.Level.GENERAL)
    client.force_login(operator)
    action = reverse("monitoring_incident_action", args=[incident.pk])

    page = client.post(
        action, {"action": "event", "kind": "assessed", "level": "1", "note": "研判为特别重大"}, follow=True
    ).content.decode()

    assert "事件级别定为Ⅰ级（特别重大）" in page
    assert "<dd data-incident-level>Ⅰ级（特别重大）</dd>" in page
    assert "<span data-event-level>定级为Ⅰ级（特别重大）</span>" in page
    refused = client.post(
        action, {"action": "event", "kind": "action", "level": "3", "note": "封堵"}, follow=True
    ).content.decode()
    assert "只有研判定级环节可以确定事件级别。" in refused
    incident.refresh_from_db()
    assert incident.level == Incident.Level.EXTRAORDINARY
