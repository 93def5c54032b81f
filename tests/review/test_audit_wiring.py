"""Art. 14: what gets on record — every page action Wagtail logs (with its revision), workflow steps
with the reviewer's comment, logins, failed logins and permission changes, with who, when, from where."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import GroupPagePermission, Workflow

from govsite.content.models import ArticlePage
from govsite.review import audit, revision_diff
from govsite.review import services as review
from govsite.review.models import AuditRecord
from tests import factories
from tests.review.support import PASSWORD, make_user, records, site_group

pytestmark = pytest.mark.django_db


def last(action: str) -> AuditRecord:
    found = records(action)
    assert found, f"no {action} record; have {sorted({entry.action for entry in records()})}"
    return found[-1]


@pytest.fixture
def column(site_a):
    return factories.make_column(site_a.site.root_page, title="政务动态")


def publish_reviewed(page, submitter) -> None:
    """Art. 14: the only way to publish: submit the latest revision and let the site's chain approve it."""
    page.get_workflow().start(page, submitter)
    review.complete_chain(page)


def draft_article(column, title="崇川区召开常务会议") -> ArticlePage:
    page = ArticlePage(
        title=title, slug=f"article{factories.next_number()}", live=False, body="<p>会议研究了三项工作。</p>"
    )
    column.add_child(instance=page)
    return page


def test_art14_page_edit_and_publish_are_recorded_with_revision_site_and_diff(site_a, column, superuser):
    page = draft_article(column)
    first = page.save_revision(user=superuser, log_action=True)
    page.title = "崇川区召开区政府常务会议"
    page.body = "<p>会议研究了四项工作。</p>"
    second = page.save_revision(user=superuser, log_action=True)
    publish_reviewed(page, superuser)

    edits = records("page.edit")
    assert [entry.detail["revision_id"] for entry in edits[-2:]] == [first.pk, second.pk]
    edit = edits[-1]
    assert edit.site_id == site_a.pk
    assert edit.actor == superuser and edit.actor_name == superuser.username
    assert (edit.object_type, edit.object_id) == ("content.articlepage", str(page.pk))
    assert edit.detail["wagtail_action"] == "wagtail.edit"
    assert edit.detail["previous_revision_id"] == first.pk
    assert set(edit.detail["changed_fields"]) >= {"标题", "正文"}
    assert edit.detail["revision_sha256"] == revision_diff.revision_sha256(second.pk)

    published = last("page.publish")
    assert published.detail["revision_id"] == second.pk
    assert published.site_id == site_a.pk
    assert audit.verify_chain().ok


def test_art14_unpublish_move_and_delete_are_recorded(site_a, column, superuser):
    page = draft_article(column)
    page.save_revision(user=superuser, log_action=True)
    publish_reviewed(page, superuser)
    page.refresh_from_db()
    page.unpublish(user=superuser)
    other = factories.make_column(site_a.site.root_page, title="通知公告")
    page.refresh_from_db()
    page.move(other, pos="last-child", user=superuser)
    page.refresh_from_db()
    page.delete(user=superuser)

    for action in ("page.unpublish", "page.move", "page.delete"):
        entry = last(action)
        assert entry.object_id == str(page.pk), action
        assert entry.site_id == site_a.pk, action
        assert entry.actor_name == superuser.username, action
    assert last("page.move").detail["data"]["destination"]["id"] == other.pk
    assert last("page.delete").detail["deleted"] is True


def test_art14_workflow_submission_and_rejection_keep_the_reviewers_comment(site_a, column, superuser):
    page = draft_article(column)
    page.save_revision(user=superuser, log_action=True)
    workflow = Workflow.objects.filter(active=True).first()
    assert workflow is not None, "Wagtail's default workflow is expected from its migrations"
    state = workflow.start(page, superuser)
    state.current_task_state.task.specific.on_action(
        state.current_task_state, superuser, "reject", comment="请补充发文字号后重新提交"
    )

    start = last("page.workflow.start")
    assert start.site_id == site_a.pk
    reject = last("page.workflow.reject")
    assert reject.detail["comment"] == "请补充发文字号后重新提交"
    assert reject.detail["data"]["comment"] == "请补充发文字号后重新提交"
    assert reject.actor == superuser


def test_art14_admin_actions_record_the_address_and_browser(site_a, column, superuser, client):
    page = draft_article(column)
    page.save_revision(user=superuser, log_action=True)
    publish_reviewed(page, superuser)
    client.force_login(superuser)
    response = client.post(
        reverse("wagtailadmin_pages:unpublish", args=[page.pk]),
        HTTP_USER_AGENT="Mozilla/5.0 (审核测试)",
        REMOTE_ADDR="10.32.6.15",
    )
    assert response.status_code == 302
    entry = last("page.unpublish")
    assert (entry.ip_address, entry.user_agent) == ("10.32.6.15", "Mozilla/5.0 (审核测试)")
    assert entry.actor == superuser


def test_art14_logins_logouts_and_failed_logins_are_recorded_without_the_password(client, site_a):
    user = make_user("chongchuan_reviewer", groups=[site_group(site_a)])
    login_url = reverse("wagtailadmin_login")
    wrong_password = "Wrong-Password-123!"

    client.post(
        login_url, {"username": "chongchuan_reviewer", "password": wrong_password}, REMOTE_ADDR="10.1.2.3"
    )
    failed = last("auth.login_failed")
    assert failed.detail["username"] == "chongchuan_reviewer"
    assert failed.detail["reason"] == "invalid_credentials"
    assert failed.ip_address == "10.1.2.3"
    assert failed.actor is None

    response = client.post(login_url, {"username": "chongchuan_reviewer", "password": PASSWORD})
    assert response.status_code == 302
    login = last("auth.login")
    assert login.actor == user and login.ip_address == "127.0.0.1"

    client.post(reverse("wagtailadmin_logout"))
    assert last("auth.logout").actor == user

    everything = json.dumps([[entry.detail, entry.object_repr] for entry in records()], ensure_ascii=False)
    assert wrong_password not in everything and PASSWORD not in everything


def test_art14_group_membership_changes_are_recorded_with_the_site(site_a):
    group = site_group(site_a)
    user = make_user()
    user.groups.add(group)
    added = last("auth.permission_change")
    assert added.detail == {
        "change": "user_groups",
        "operation": "add",
        "group": group.name,
        "group_id": group.pk,
    }
    assert (added.object_type, added.object_repr, added.site_id) == ("auth.user", user.username, site_a.pk)

    user.groups.clear()
    cleared = last("auth.permission_change")
    assert (cleared.detail["operation"], cleared.detail["group"]) == ("clear", group.name)

    group.user_set.add(user)  # the other side of the relation
    assert last("auth.permission_change").detail["operation"] == "add"


def test_art14_group_and_page_permission_changes_are_recorded(site_a):
    group = Group.objects.create(name="崇川区-录入员")
    publish = Permission.objects.get(content_type__app_label="wagtailcore", codename="publish_page")
    grant = GroupPagePermission.objects.create(group=group, page=site_a.site.root_page, permission=publish)
    granted = last("auth.permission_change")
    assert granted.detail["change"] == "group_page_permission"
    assert granted.detail["operation"] == "add"
    assert granted.detail["permissions"] == ["wagtailcore.publish_page"]
    assert granted.site_id == site_a.pk

    grant.delete()
    assert last("auth.permission_change").detail["operation"] == "delete"

    group.permissions.add(Permission.objects.get(codename="access_admin"))
    changed = last("auth.permission_change")
    assert changed.detail == {
        "change": "group_permissions",
        "operation": "add",
        "permissions": ["wagtailadmin.access_admin"],
    }
    assert changed.object_repr == "崇川区-录入员"


def test_art14_making_a_user_superuser_is_a_recorded_permission_change():
    user = make_user()
    user.is_superuser = True
    user.save()
    entry = last("auth.permission_change")
    assert entry.detail == {
        "change": "user_flags",
        "operation": "change",
        "flags": {"is_superuser": [False, True]},
    }

    make_user("new-operator", superuser=True)
    created = last("auth.permission_change")
    assert created.object_repr == "new-operator"
    assert created.detail["operation"] == "create"


def test_art14_last_login_update_is_not_a_permission_change(client):
    user = make_user()
    before = len(records("auth.permission_change"))
    client.post(reverse("wagtailadmin_login"), {"username": user.username, "password": PASSWORD})
    assert len(records("auth.permission_change")) == before
