"""The operators' monitoring admin (Art. 23): the dashboard with charts and their tables, findings
with actions, the run history; least privilege per site; the wording check at submission (§5.1)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from govsite.admin_access import PermittedMenuItem
from govsite.monitoring import admin_views, services
from govsite.monitoring.models import AvailabilityCheck, Finding, Inspection, WordingEntry
from govsite.monitoring.services import Observation, ObservationBatch
from govsite.review.models import AuditRecord
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    user = f.User.objects.create_user("duty1", "duty1@example.gov.cn", None, is_staff=True)
    group, _ = Group.objects.get_or_create(name=services.OPERATORS_GROUP)
    group.permissions.add(*Permission.objects.filter(codename="access_admin"))
    user.groups.add(group)
    return user


@pytest.fixture
def two_sites():
    first, second = f.county_portal(slug="chongchuan"), f.department_site(slug="fgw")
    observations = [
        Observation(key=f"{site.pk}:x", title=f"{site.slug} 链接不可用", severity="high", gov_site_id=site.pk)
        for site in (first, second)
    ]
    services.record_observations("links", ObservationBatch(observations, 2, {}))
    return first, second


def test_art23_dashboard_shows_charts_each_with_its_data_table(client, operator, two_sites):
    client.force_login(operator)

    html = client.get("/admin/monitoring/").content.decode()

    assert html.count('role="img"') == 3
    for table in ("各网站待处理问题数据表", "近30天发现与关闭的问题数据表", "近7天可用性数据表"):
        assert table in html
    assert "chongchuan" in html or two_sites[0].name in html


def test_art23_site_staff_see_their_site_only_and_cannot_dismiss(client, two_sites):
    mine, other = two_sites
    editor = f.User.objects.get(username=f"{mine.slug}_editor")
    client.force_login(editor)

    listing = client.get("/admin/monitoring/findings/").content.decode()
    assert "chongchuan 链接不可用" in listing and "fgw 链接不可用" not in listing
    foreign = Finding.objects.get(gov_site=other)
    assert client.get(f"/admin/monitoring/findings/{foreign.pk}/").status_code == 404

    own = Finding.objects.get(gov_site=mine)
    client.post(f"/admin/monitoring/findings/{own.pk}/action/", {"action": "dismiss", "reason": "不想改"})
    own.refresh_from_db()
    assert own.status == Finding.Status.OPEN


def test_art23_dismiss_without_reason_is_refused_in_chinese_and_changes_nothing(client, operator, two_sites):
    client.force_login(operator)
    finding = Finding.objects.get(gov_site=two_sites[0])

    page = client.post(
        f"/admin/monitoring/findings/{finding.pk}/action/", {"action": "dismiss", "reason": ""}, follow=True
    ).content.decode()

    assert "忽略问题须填写理由。" in page
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


def test_art23_owner_marks_fixed_and_operator_assigns(client, operator, two_sites):
    client.force_login(operator)
    finding = Finding.objects.get(gov_site=two_sites[0])
    owner = f.User.objects.get(username="chongchuan_editor")

    client.post(f"/admin/monitoring/findings/{finding.pk}/action/", {"action": "assign", "owner": owner.pk})
    client.force_login(owner)
    client.post(f"/admin/monitoring/findings/{finding.pk}/action/", {"action": "fix", "note": "已修复链接"})

    finding.refresh_from_db()
    assert finding.owner == owner and finding.status == Finding.Status.FIXED and finding.closed_by == owner


def test_art23_run_now_is_picked_up_by_the_scheduler(client, operator):
    services.ensure_inspections()
    Inspection.objects.update(next_run_at=timezone.now() + timezone.timedelta(days=1))
    client.force_login(operator)

    page = client.post("/admin/monitoring/runs/now/", {"kind": "freshness"}, follow=True).content.decode()

    assert "已安排立即运行“栏目更新”" in page
    assert [inspection.kind for inspection in services.due_inspections()] == ["freshness"]


def test_art23_people_without_a_site_get_no_monitoring(client):
    nobody = f.User.objects.create_user("nobody", "n@example.gov.cn", None, is_staff=True)
    client.force_login(nobody)

    response = client.get("/admin/monitoring/")

    assert response.status_code in (302, 403)


def test_sec5_1_a_blocking_word_stops_submission_with_its_fix_but_not_a_draft(client):
    county = f.county_portal(slug="chongchuan")
    news = f.make_column(county.site.root_page, slug="news")
    article = f.make_article(news, publish=False, title="工作动态")
    WordingEntry.objects.create(
        term="崇川区人民正府", kind="formulation", severity="block", correction="崇川区人民政府"
    )
    client.force_login(f.User.objects.get(username="chongchuan_editor"))
    form = {
        "title": "工作动态",
        "slug": article.slug,
        "body": rich_text("<p>崇川区人民正府召开常务会议。</p>"),
        "attachments": inline_formset([]),
        "images": inline_formset([]),
        "comments": inline_formset([]),
    }

    draft = client.post(f"/admin/pages/{article.pk}/edit/", nested_form_data(form))
    submit = client.post(
        f"/admin/pages/{article.pk}/edit/", nested_form_data({**form, "action-submit": "action-submit"})
    )

    assert draft.status_code == 302
    assert submit.status_code == 200
    assert "「崇川区人民正府」应为「崇川区人民政府」" in submit.content.decode()
    article.refresh_from_db()
    assert article.current_workflow_state is None


@pytest.mark.parametrize(
    "bad_owner",
    ["abc", "1 OR 1=1", "9" * 40, "99999999", "-1", "1.0", "١", "<script>"],
    ids=["letters", "sql", "very-long-number", "no-such-user", "negative", "decimal", "arabic-digit", "html"],
)
def test_art23_assigning_an_owner_that_is_no_active_user_is_refused_in_chinese(
    client, operator, two_sites, bad_owner
):
    client.force_login(operator)
    finding = Finding.objects.get(gov_site=two_sites[0])
    owner = f.User.objects.get(username="chongchuan_editor")
    services.assign(finding, owner=owner, actor=operator)
    url = f"/admin/monitoring/findings/{finding.pk}/action/"

    response = client.post(url, {"action": "assign", "owner": bad_owner})

    assert response.status_code == 302 and response.url == f"/admin/monitoring/findings/{finding.pk}/"
    page = client.get(response.url).content.decode()
    assert "请选择有效的责任人。" in page and "已指派责任人" not in page
    finding.refresh_from_db()
    assert finding.owner == owner
    assert AuditRecord.objects.filter(action="monitoring.finding_assigned").count() == 1


def test_art23_owner_must_be_an_active_user_and_blank_means_nobody(operator):
    disabled = f.User.objects.create_user("left", "left@example.gov.cn", None, is_active=False)

    with pytest.raises(ValidationError) as refused:
        services.owner_from(str(disabled.pk))

    assert refused.value.error_dict["owner"][0].code == "owner_invalid"
    assert services.owner_from(f" {operator.pk} ") == operator
    assert services.owner_from("") is None and services.owner_from(None) is None


def _menu_seen_by(rf, user) -> list[str]:
    from govsite.monitoring.wagtail_hooks import MonitoringGroup

    request = rf.get("/admin/")
    request.user = user
    pages = MonitoringGroup().get_submenu_items()[:7]  # the pages; the snippets follow
    return [item.label for item in pages if item.is_shown(request)]


def test_art23_the_menu_offers_each_page_to_whom_the_page_admits(rf, operator, two_sites):
    editor = f.User.objects.get(username=f"{two_sites[0].slug}_editor")
    nobody = f.User.objects.create_user("nobody", "n@example.gov.cn", None, is_staff=True)
    viewer_pages = ["监测总览", "巡检问题", "巡检记录"]
    operator_pages = ["值班表", "巡检日志", "安全事件与演练", "应急预案"]

    assert _menu_seen_by(rf, operator) == viewer_pages + operator_pages
    assert _menu_seen_by(rf, editor) == viewer_pages
    assert _menu_seen_by(rf, nobody) == []


def test_a_permitted_menu_item_asks_its_predicate_about_the_user(rf):
    request = rf.get("/admin/")
    request.user = f.User(username="duty")
    item = PermittedMenuItem(
        "值班表", "/admin/duty/", predicate=lambda user: user.username == "duty", name="duty"
    )

    assert item.is_shown(request)
    request.user = f.User(username="editor")
    assert not item.is_shown(request)
    assert (item.label, item.url, item.name) == ("值班表", "/admin/duty/", "duty")


def _site_with_a_week_of_checks(slug: str):
    site = f.county_portal(slug=slug)
    now = timezone.now()
    AvailabilityCheck.objects.bulk_create(
        AvailabilityCheck(
            gov_site=site,
            url="/",
            is_home=True,
            checked_at=now - timezone.timedelta(hours=hour),
            ok=hour % 40 != 0,
            elapsed_ms=120.0,
        )
        for hour in range(0, 160, 4)
    )
    services.record_observations(
        "availability",
        ObservationBatch(
            [Observation(key=f"{site.pk}:/", title="首页无法访问", severity="high", gov_site_id=site.pk)],
            1,
            {},
        ),
    )
    return site


def test_art23_dashboard_costs_the_same_queries_for_two_sites_or_six(client, operator, monkeypatch):
    visible_sites = admin_views._visible_sites
    calls = []
    monkeypatch.setattr(
        admin_views, "_visible_sites", lambda request: calls.append(1) or visible_sites(request)
    )
    client.force_login(operator)
    sites = [_site_with_a_week_of_checks(slug) for slug in ("first", "second")]
    services.ensure_inspections()
    client.get("/admin/monitoring/")  # warm the caches (session, permissions, site root paths)

    with CaptureQueriesContext(connection) as for_two:
        client.get("/admin/monitoring/")
    sites += [_site_with_a_week_of_checks(slug) for slug in ("third", "fourth", "fifth", "sixth")]
    calls.clear()
    with CaptureQueriesContext(connection) as for_six:
        page = client.get("/admin/monitoring/").content.decode()

    assert len(for_six) == len(for_two)
    assert calls == [1]  # the sites the user may see are worked out once a page
    for site in sites:  # every site has its row of the availability table: 40 checks, 4 failed
        assert f"<tr><td>{site.name}</td><td>40</td><td>4</td><td>10.0%</td>" in page
