"""The three-level review chain (Art. 14-17, 8): who approves, in what order, and that nothing
unapproved reaches a public page by any path."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import TaskState, WorkflowState

from govsite.content.models import ArticlePage, ContentPage, PolicyDocumentPage
from govsite.review import services as review
from govsite.review.chain import ReviewRoute
from govsite.review.models import AuditRecord
from govsite.review.services import PublicationRefused
from tests import factories as f

pytestmark = pytest.mark.django_db
SHANGHAI = timezone.get_fixed_timezone(8 * 60)


@pytest.fixture
def county():
    return f.county_portal("崇川区人民政府", "320602", slug="chongchuan")


@pytest.fixture
def news(county):
    return f.make_column(county.site.root_page, title="政务动态", slug="zwdt")


def users(site, *roles):
    return [f.User.objects.get(username=f"{site.slug}_{role}") for role in roles]


def live(page) -> bool:
    return ContentPage.objects.get(pk=page.pk).live


def current_step(page) -> str:
    state = ContentPage.objects.get(pk=page.pk).current_workflow_state
    return state.current_task_state.task.specific.role if state else ""


# Art. 15: editor → reviewer → leader (→ principal leader for major items) ------------------------


def test_art15_item_goes_live_only_after_reviewer_and_leader_approve(county, news):
    editor, reviewer, leader = users(county, "editor", "reviewer", "leader")
    article = f.make_article(news, title="崇川区召开常务会议", publish=False)

    review.submit_for_review(article, editor)
    assert current_step(article) == "reviewer" and not live(article)
    review.act(article, reviewer)
    assert current_step(article) == "leader" and not live(article)
    review.act(article, leader)

    assert live(article)
    skipped = TaskState.objects.get(task__roleapprovaltask__role="principal", status=TaskState.STATUS_SKIPPED)
    assert "非重大信息" in skipped.comment


def test_art15_major_item_waits_for_the_principal_leader(county, news):
    editor, reviewer, leader, principal = users(county, "editor", "reviewer", "leader", "principal")
    article = f.make_article(news, title="重大信息", publish=False, is_major=True)

    review.submit_for_review(article, editor)
    review.act(article, reviewer)
    review.act(article, leader)
    assert current_step(article) == "principal" and not live(article)

    review.act(article, principal)
    assert live(article)


def test_art15_rejection_needs_a_comment(county, news):
    editor, reviewer = users(county, "editor", "reviewer")
    article = f.make_article(news, publish=False)
    review.submit_for_review(article, editor)

    with pytest.raises(PermissionDenied):
        review.act(article, reviewer, "reject", comment="  ")

    assert current_step(article) == "reviewer"


def test_art15_rejection_returns_to_the_editor_and_notifies_everyone_upstream(county, news):
    editor, reviewer, leader = users(county, "editor", "reviewer", "leader")
    article = f.make_article(news, title="待退回的稿件", publish=False)
    review.submit_for_review(article, editor)
    review.act(article, reviewer)
    mail.outbox.clear()

    review.act(article, leader, "reject", comment="文号有误，请核实后重新提交")

    state = WorkflowState.objects.for_instance(article).get()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert state.current_task_state.comment == "文号有误，请核实后重新提交"
    notified = [m for m in mail.outbox if m.subject == "【退回修改】待退回的稿件"]
    assert {address for m in notified for address in m.to} >= {editor.email, reviewer.email}
    record = AuditRecord.objects.filter(action="review.rejection_notified").latest("sequence")
    assert set(record.detail["notified"]) >= {editor.username, reviewer.username}
    assert not live(article)


# Separation of duties -----------------------------------------------------------------------------


def test_nobody_approves_an_item_they_edited(county, news):
    reviewer = users(county, "reviewer")[0]
    reviewer.groups.add(Group.objects.get(name=f"{county.name}-录入员"))
    colleague = f.User.objects.create_user("chongchuan_reviewer2")
    colleague.groups.add(Group.objects.get(name=f"{county.name}-审核负责人"))
    article = f.make_article(news, publish=False)
    review.submit_for_review(article, reviewer)

    with pytest.raises(PermissionDenied, match="审核分离"):
        review.act(article, reviewer)
    review.act(article, colleague)  # a colleague in the same role may
    assert current_step(article) == "leader"


def test_nobody_approves_a_step_after_approving_an_earlier_one(county, news):
    editor, reviewer = users(county, "editor", "reviewer")
    reviewer.groups.add(Group.objects.get(name=f"{county.name}-分管领导"))
    article = f.make_article(news, publish=False)
    review.submit_for_review(article, editor)
    review.act(article, reviewer)

    with pytest.raises(PermissionDenied, match="审核分离"):
        review.act(article, reviewer)


def test_only_the_sites_own_role_holders_approve(county, news):
    other = f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    article = f.make_article(news, publish=False)
    review.submit_for_review(article, users(county, "editor")[0])

    with pytest.raises(PermissionDenied, match="不是该信息的审核负责人"):
        review.act(article, users(other, "reviewer")[0])


def test_an_edit_during_review_needs_every_step_again(county, news):
    editor, reviewer, leader = users(county, "editor", "reviewer", "leader")
    article = f.make_article(news, publish=False)
    review.submit_for_review(article, editor)
    review.act(article, reviewer)

    article = ArticlePage.objects.get(pk=article.pk)
    article.title = "审核中修改的标题"
    edited = article.save_revision(user=editor)
    review.act(article, leader)

    assert current_step(article) == "reviewer" and not live(article)  # the edited text starts over
    review.complete_chain(article)
    assert ContentPage.objects.get(pk=article.pk).live_revision_id == edited.pk


# Art. 14: no way around the chain -------------------------------------------------------------------


def test_art14_direct_publish_of_an_unreviewed_revision_is_refused(news):
    article = f.make_article(news, publish=False)
    revision = article.save_revision()

    with pytest.raises(PublicationRefused, match="尚未通过三级审核"):
        revision.publish(skip_permission_checks=True)
    assert not live(article)


def test_art14_setting_live_on_the_model_is_refused(news):
    article = f.make_article(news, publish=False)
    article.save_revision()
    article.live = True
    article.live_revision = article.latest_revision

    with pytest.raises(PublicationRefused):
        article.save()


def test_art14_creating_a_page_already_live_is_refused(news):
    with pytest.raises(PublicationRefused):
        news.add_child(instance=ArticlePage(title="绕过审核", slug="bypass", live=True))


def test_art14_a_new_revision_of_a_live_page_needs_review_too(news):
    article = f.make_article(news, title="原标题")
    article.title = "未经审核的新标题"
    revision = article.save_revision()

    with pytest.raises(PublicationRefused):
        revision.publish(skip_permission_checks=True)
    assert ContentPage.objects.get(pk=article.pk).title == "原标题"


def test_art14_scheduled_publishing_of_an_unreviewed_revision_is_refused(news):
    article = f.make_article(news, publish=False)
    revision = article.save_revision()
    revision.approved_go_live_at = timezone.now() - datetime.timedelta(minutes=1)
    revision.save()

    with pytest.raises(PublicationRefused):
        call_command("publish_scheduled")
    assert not live(article)


def test_art14_emergency_takedown_by_a_reviewer_is_recorded(county, news):
    article = f.make_article(news, title="需紧急下线的信息")
    reviewer = users(county, "reviewer")[0]
    assert article.permissions_for_user(reviewer).can_unpublish()
    assert not article.permissions_for_user(users(county, "editor")[0]).can_unpublish()

    article.unpublish(user=reviewer)

    assert not live(article)
    assert AuditRecord.objects.filter(action="page.unpublish", object_id=str(article.pk)).exists()


# Art. 16: routing on the city portal ------------------------------------------------------------------


@pytest.fixture
def city_routes():
    city = f.city_portal()
    office = Group.objects.create(name="南通市人民政府办公室-分管领导")
    bureau = Group.objects.create(name="南通市大数据管理局-分管领导")
    principal = Group.objects.create(name="南通市大数据管理局-主要领导")
    for group, name in ((office, "zfb_leader"), (bureau, "dsj_leader"), (principal, "dsj_principal")):
        f.User.objects.create_user(name).groups.add(group)
    ReviewRoute.objects.create(site=city, role="leader", group=office, priority=10).categories.set(
        ["leadership", "policy", "meetings"]
    )
    ReviewRoute.objects.create(site=city, role="leader", group=bureau, priority=100)
    ReviewRoute.objects.create(site=city, role="principal", group=principal, only_concerning_leaders=True)
    return city


def test_art16_government_documents_on_the_city_portal_go_to_the_city_office_leader(city_routes):
    column = f.make_column(city_routes.site.root_page, title="政策文件", category="policy")
    document = f.make_policy_document(column, publish=False)

    assert review.approver_group(document, "leader").name == "南通市人民政府办公室-分管领导"
    f.publish(document)
    approvers = TaskState.objects.filter(status="approved").values_list("finished_by__username", flat=True)
    assert "zfb_leader" in approvers


def test_art16_other_city_portal_items_go_to_the_big_data_bureau(city_routes):
    column = f.make_column(city_routes.site.root_page, title="南通要闻", category="news")
    article = f.make_article(column, publish=False)

    assert review.approver_group(article, "leader").name == "南通市大数据管理局-分管领导"


def test_art16_major_items_concerning_leaders_go_to_the_bureaus_principal_leader(city_routes):
    column = f.make_column(city_routes.site.root_page, title="南通要闻", category="news")
    ordinary_major = f.make_article(column, publish=False, is_major=True)
    about_leaders = f.make_article(column, publish=False, is_major=True, concerns_leaders=True)

    assert review.approver_group(ordinary_major, "principal").name == "南通市人民政府-主要领导"
    assert review.approver_group(about_leaders, "principal").name == "南通市大数据管理局-主要领导"


# Art. 8: interpretations within 3 working days, and published with their documents ------------------


def test_art8_interpretation_clock_counts_the_make_up_saturday(county):
    column = f.make_column(county.site.root_page, title="政策文件", category="policy")
    document = f.make_policy_document(
        column, publish=False, first_published_at=datetime.datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
    )
    f.publish(document)

    clock = review.interpretation_clock(PolicyDocumentPage.objects.get(pk=document.pk))

    assert timezone.localtime(clock.due.due).date() == datetime.date(2025, 10, 11)
    assert clock.overdue and not clock.interpreted
    assert [c.document.pk for c in review.pending_interpretations(county.site.root_page)] == [document.pk]


def test_art8_interpretation_submitted_with_its_document_is_published_with_it(county):
    policy = f.make_column(county.site.root_page, title="政策文件", category="policy")
    interpretations = f.make_column(county.site.root_page, title="政策解读", category="interpretation")
    document = f.make_policy_document(policy, publish=False)
    interpretation = f.make_interpretation(
        interpretations, document, publish=False, submit_with_document=True
    )

    f.publish(document)

    assert live(document) and live(interpretation)
    assert review.pending_interpretations(county.site.root_page) == []
    assert AuditRecord.objects.filter(action="review.published_with_document").exists()


# The admin: no publish button for content; the interpretation deadlines report ---------------------


def test_art14_content_editor_page_offers_submission_not_publishing(client, county, news):
    article = f.make_article(news, publish=False)
    client.force_login(users(county, "editor")[0])

    html = client.get(f"/admin/pages/{article.pk}/edit/").content.decode()

    assert "action-submit" in html
    assert "action-publish" not in html


def test_art8_interpretation_report_lists_overdue_documents_of_the_users_own_site_only(client, county):
    other = f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    for site, title in ((county, "崇川区待解读文件"), (other, "通州区待解读文件")):
        column = f.make_column(site.site.root_page, title="政策文件", category="policy")
        f.make_policy_document(
            column,
            title=title,
            publish=False,
            first_published_at=datetime.datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI),
        )
        f.publish(PolicyDocumentPage.objects.get(title=title))
    client.force_login(users(county, "editor")[0])

    html = client.get("/admin/review/interpretations/").content.decode()

    assert "崇川区待解读文件" in html and "已超期" in html
    assert "2025-10-11" in html
    assert "通州区待解读文件" not in html


def test_art16_city_routes_are_listed_for_editing_in_the_admin(admin_client, city_routes):
    html = admin_client.get("/admin/snippets/review/reviewroute/").content.decode()

    assert "南通市人民政府办公室-分管领导" in html
    assert "南通市大数据管理局-主要领导" in html


# Site isolation of the media library --------------------------------------------------------------


def test_site_roles_see_only_their_own_sites_images_and_documents(county):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.documents import get_document_model
    from wagtail.documents.permissions import permission_policy as document_policy
    from wagtail.models import Collection

    other = f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    Document = get_document_model()
    ours = Document.objects.create(
        title="崇川区附件",
        collection=Collection.objects.get(name=county.name),
        file=SimpleUploadedFile("a.txt", b"a"),
    )
    theirs = Document.objects.create(
        title="通州区附件",
        collection=Collection.objects.get(name=other.name),
        file=SimpleUploadedFile("b.txt", b"b"),
    )
    editor = users(county, "editor")[0]

    choosable = document_policy.instances_user_has_permission_for(editor, "choose")

    assert ours in choosable and theirs not in choosable
    assert not document_policy.user_has_permission_for_instance(editor, "change", theirs)


def test_page_chooser_offers_nothing_of_other_sites(client, county, news):
    other = f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    f.make_article(
        news, title="Chongchuan bulletin"
    )  # the stock search backend cannot segment Chinese (issue 5)
    f.make_article(f.make_column(other.site.root_page), title="Tongzhou bulletin")
    client.force_login(users(county, "editor")[0])

    html = client.get("/admin/choose-page/search/", {"q": "bulletin"}).content.decode()

    assert "Chongchuan bulletin" in html
    assert "Tongzhou bulletin" not in html


def test_platform_operator_chooses_pages_of_every_site(admin_client, county, news):
    other = f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    f.make_article(news, title="Chongchuan bulletin")
    f.make_article(f.make_column(other.site.root_page), title="Tongzhou bulletin")

    html = admin_client.get("/admin/choose-page/search/", {"q": "bulletin"}).content.decode()

    assert "Chongchuan bulletin" in html and "Tongzhou bulletin" in html
