"""Art. 14 and issue 3 point 3: “报告 → 审计记录” filters by site permission — a site's people see
their site's records and nothing of other sites; the platform operator sees all — and exports xlsx."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from govsite.content.models import ArticlePage
from govsite.review import audit
from govsite.review.models import AuditRecord
from tests import factories
from tests.review.support import make_user, records

pytestmark = pytest.mark.django_db

LIST = "review_audit_records"


@pytest.fixture
def trail(site_a, site_b):
    """One record per site and one platform-level record, with recognisable titles."""
    return {
        "a": audit.record("test.site_event", site=site_a, object_repr="甲站的稿件"),
        "b": audit.record("test.site_event", site=site_b, object_repr="乙站的稿件"),
        "platform": audit.record("test.platform_event", object_repr="平台级事项"),
    }


def listing(client, **params) -> str:
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200
    return response.content.decode()


def test_art14_audit_view_shows_a_site_user_only_their_sites_records(client, site_a, site_user, trail):
    client.force_login(site_user(site_a))
    page = listing(client)
    assert "甲站的稿件" in page
    assert "乙站的稿件" not in page
    assert "平台级事项" not in page


def test_art14_audit_view_shows_the_platform_operator_everything(client, superuser, trail):
    client.force_login(superuser)
    page = listing(client)
    for title in ("甲站的稿件", "乙站的稿件", "平台级事项"):
        assert title in page


def test_art14_audit_view_grants_every_site_below_a_permitted_page(client, site_a, site_b, trail):
    """A permission on the tree root (an ancestor of every home page) grants every site's records,
    but still not the platform-level ones (those are for platform superusers)."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission, Page

    group = Group.objects.create(name="全市巡检")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="view_auditrecord")
    )
    GroupPagePermission.objects.create(
        group=group,
        page=Page.get_first_root_node(),
        permission=Permission.objects.get(codename="change_page"),
    )
    client.force_login(make_user(groups=[group]))
    page = listing(client)
    assert "甲站的稿件" in page and "乙站的稿件" in page
    assert "平台级事项" not in page


def test_art14_audit_view_refuses_users_without_the_audit_permission(client, site_a, site_user, trail):
    client.force_login(site_user(site_a, audit_view=False))
    response = client.get(reverse(LIST))
    assert response.status_code in (302, 403)
    assert "甲站的稿件" not in response.content.decode()


def test_art14_audit_view_filters_by_action_site_user_and_date(client, superuser, site_a, site_b, trail):
    someone = make_user("filter-user")
    audit.record("test.by_someone", actor=someone, object_repr="某人的操作")
    client.force_login(superuser)

    by_action = listing(client, action="test.platform_event")
    assert "平台级事项" in by_action and "甲站的稿件" not in by_action
    by_site = listing(client, site=site_b.pk)
    assert "乙站的稿件" in by_site and "甲站的稿件" not in by_site
    by_user = listing(client, actor=someone.pk)
    assert "某人的操作" in by_user and "平台级事项" not in by_user
    today = trail["a"].occurred_at.astimezone().date().isoformat()
    assert "甲站的稿件" in listing(client, occurred_at_from=today, occurred_at_to=today)
    assert "甲站的稿件" not in listing(client, occurred_at_from="2020-01-01", occurred_at_to="2020-01-31")
    assert "甲站的稿件" in listing(client, q="甲站")


def test_art14_audit_view_site_filter_offers_only_visible_sites(client, site_a, site_b, site_user, trail):
    client.force_login(site_user(site_a))
    response = client.get(reverse(LIST), {"site": site_b.pk})
    assert "乙站的稿件" not in response.content.decode()


def test_art14_audit_export_is_xlsx_of_the_visible_records_and_is_itself_recorded(
    client, site_a, site_user, trail
):
    user = site_user(site_a)
    client.force_login(user)
    response = client.get(reverse(LIST), {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "时间", "操作人", "IP 地址", "网站", "操作")
    titles = [row[9] for row in rows[1:]]
    assert "甲站的稿件" in titles
    assert "乙站的稿件" not in titles and "平台级事项" not in titles

    exported = records("audit.export")[-1]
    assert exported.actor == user
    assert exported.detail["count"] == len(rows) - 1


def test_art14_audit_view_offers_no_csv(client, superuser, trail):
    client.force_login(superuser)
    response = client.get(reverse(LIST), {"export": "csv"})
    assert response["Content-Type"].startswith("text/html")


def test_art14_audit_record_page_hides_other_sites_records(client, site_a, site_user, trail):
    client.force_login(site_user(site_a))
    assert client.get(reverse("review_audit_record", args=[trail["a"].pk])).status_code == 200
    assert client.get(reverse("review_audit_record", args=[trail["b"].pk])).status_code == 404
    assert client.get(reverse("review_audit_record", args=[trail["platform"].pk])).status_code == 404


def test_art14_audit_record_page_shows_the_readable_diff_of_an_edit(client, site_a, superuser):
    column = factories.make_column(site_a.site.root_page)
    page = ArticlePage(
        title="关于开展安全检查的通知", slug="notice-check", live=False, body="<p>检查时间为三月。</p>"
    )
    column.add_child(instance=page)
    page.save_revision(user=superuser, log_action=True)
    page.body = "<p>检查时间为四月。</p>"
    page.save_revision(user=superuser, log_action=True)
    edit = AuditRecord.objects.filter(action="page.edit").order_by("-sequence").first()

    client.force_login(superuser)
    html = client.get(reverse("review_audit_record", args=[edit.pk])).content.decode()
    assert "正文" in html
    assert "<del>三</del><ins>四</ins>" in html
    assert "修订 #" in html and "指纹一致" in html
    assert "内容与其哈希一致" in html


def test_art14_audit_record_page_flags_a_tampered_record(client, superuser, trail):
    from tests.review.support import raw

    raw("UPDATE {table} SET object_repr = %s WHERE id = %s", ["改过的", trail["a"].pk])
    client.force_login(superuser)
    html = client.get(reverse("review_audit_record", args=[trail["a"].pk])).content.decode()
    assert "记录已被篡改" in html


def test_art14_reports_menu_lists_the_audit_view_for_permitted_users(client, site_a, site_user):
    client.force_login(site_user(site_a))
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert json.dumps("审计记录") in page
    client.force_login(site_user(site_a, audit_view=False))
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert json.dumps("审计记录") not in page


def test_art14_the_audit_view_permission_can_be_granted_on_the_group_page(client, superuser):
    from django.contrib.auth.models import Permission

    client.force_login(superuser)
    html = client.get(reverse("wagtailusers_groups:add")).content.decode()
    permission = Permission.objects.get(content_type__app_label="review", codename="view_auditrecord")
    assert f'value="{permission.pk}"' in html
