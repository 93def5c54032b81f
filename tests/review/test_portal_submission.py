"""Submissions to the city portal (Art. 15: 向南通市人民政府网站报送的信息需经本地、本部门分管领导审核同意;
Art. 16: the city portal's own approver for the column).

A county (崇川区) sends a live article to the city portal's 市县传真 column: its leader in charge
approves first, then the big-data bureau's leader in charge (the portal's route for that
category), and only then does the article appear in the column.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from govsite.content import services as content
from govsite.content.models import ColumnPage, ColumnShare, ContentPage
from govsite.review import audit, submissions
from govsite.review.chain import PortalSubmission, ReviewRoute
from govsite.review.models import AuditRecord
from tests import factories as f

pytestmark = pytest.mark.django_db
Status = PortalSubmission.Status


def codes(error: ValidationError) -> set[str]:
    """The codes of every problem a refusal names."""
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def user(username: str):
    return f.User.objects.get(username=username)


@pytest.fixture
def city():
    """The city portal with the Art. 16 routes of the demo: government documents and meetings to the
    city government office's leader in charge, everything else to the big-data bureau's."""
    portal = f.city_portal()
    office = Group.objects.create(name="南通市人民政府办公室-分管领导")
    bureau = Group.objects.create(name="南通市大数据管理局-分管领导")
    admin_access = Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
    for group, name in ((office, "zfb_leader"), (bureau, "dsj_leader")):
        group.permissions.add(admin_access)
        f.User.objects.create_user(name, f"{name}@example.gov.cn").groups.add(group)
    ReviewRoute.objects.create(site=portal, role="leader", group=office, priority=10).categories.set(
        ["leadership", "policy", "meetings"]
    )
    ReviewRoute.objects.create(site=portal, role="leader", group=bureau, priority=100)
    return portal


@pytest.fixture
def county_news_column(city):
    return f.make_column(city.site.root_page, title="市县传真", category="county_news")


@pytest.fixture
def county():
    return f.county_portal("崇川区人民政府", "320602", slug="chongchuan")


@pytest.fixture
def article(county):
    news = f.make_column(county.site.root_page, title="政务动态", slug="zwdt")
    return f.make_article(news, title="崇川区推进老旧小区改造")


def listed(column: ColumnPage) -> list[int]:
    return [item.pk for item in content.column_items(ColumnPage.objects.get(pk=column.pk))]


def accepted(article, column) -> PortalSubmission:
    submission = submissions.propose(article, column, user("chongchuan_editor"))
    submissions.approve(submission, user("chongchuan_leader"))
    return submissions.approve(submission, user("dsj_leader"))


# Proposal -----------------------------------------------------------------------------------------


def test_art15_unit_editor_proposes_a_live_item_which_shows_nowhere_yet(article, county_news_column, county):
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"), note="请审核")

    assert submission.status == Status.PROPOSED
    assert submission.sending_site == county
    assert submissions.step_label(submission) == "崇川区人民政府分管领导审核"
    assert article.pk not in listed(county_news_column)
    assert not ColumnShare.objects.filter(column=county_news_column).exists()


def test_art15_non_live_items_cannot_be_proposed(county, county_news_column):
    news = f.make_column(county.site.root_page, title="政务动态")
    draft = f.make_article(news, title="尚未发布的稿件", publish=False)

    with pytest.raises(ValidationError) as refusal:
        submissions.propose(draft, county_news_column, user("chongchuan_editor"))

    assert codes(refusal.value) == {"submission_not_live"}
    assert "只能报送已发布的信息" in str(refusal.value)
    assert not PortalSubmission.objects.exists()


def test_art15_only_an_editor_of_the_sending_unit_proposes(article, county_news_column):
    other = f.county_portal("通州区人民政府", "320612", slug="tongzhou")

    for outsider in (user(f"{other.slug}_editor"), user("chongchuan_reviewer"), user("nantong_editor")):
        with pytest.raises(ValidationError) as refusal:
            submissions.propose(article, county_news_column, outsider)
        assert codes(refusal.value) == {"submission_not_editor"}
    assert not PortalSubmission.objects.exists()


def test_art15_only_units_send_and_only_to_city_portal_columns(article, city, county, county_news_column):
    city_item = f.make_article(county_news_column, title="市政府门户网站自己的信息")
    county_column = ColumnPage.objects.get(slug="zwdt")

    with pytest.raises(ValidationError) as from_portal:
        submissions.propose(city_item, county_news_column, user("nantong_editor"))
    with pytest.raises(ValidationError) as to_county:
        submissions.propose(article, county_column, user("chongchuan_editor"))

    assert codes(from_portal.value) == {"submission_not_from_unit"}
    assert codes(to_county.value) == {"submission_not_portal_column"}
    assert not PortalSubmission.objects.exists()


def test_art15_an_item_is_not_proposed_twice_to_the_same_column(article, county_news_column):
    submissions.propose(article, county_news_column, user("chongchuan_editor"))

    with pytest.raises(ValidationError) as refusal:
        submissions.propose(article, county_news_column, user("chongchuan_editor"))

    assert codes(refusal.value) == {"submission_duplicate"}
    assert PortalSubmission.objects.count() == 1


# The two approvals ------------------------------------------------------------------------------------


def test_art15_portal_submission_needs_sending_unit_leader_first(article, county_news_column):
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"))

    with pytest.raises(ValidationError) as refusal:
        submissions.approve(submission, user("dsj_leader"))
    assert codes(refusal.value) == {"submission_not_approver"}
    assert "崇川区人民政府的分管领导" in str(refusal.value)

    submission = submissions.approve(submission, user("chongchuan_leader"), comment="同意报送")

    assert submission.status == Status.UNIT_APPROVED
    assert submission.unit_approved_by == user("chongchuan_leader")
    assert article.pk not in listed(county_news_column)


def test_art16_portal_approval_then_item_listed_in_the_city_column(article, county_news_column):
    submission = accepted(article, county_news_column)

    assert submission.status == Status.ACCEPTED
    assert submission.portal_approved_by == user("dsj_leader")
    assert listed(county_news_column) == [article.pk]
    assert submissions.is_listed(submission)
    assert ContentPage.objects.filter(title="崇川区推进老旧小区改造").count() == 1  # shown, not copied


def test_art16_portal_approver_follows_the_routing_of_the_target_columns_category(article, city):
    policy_column = f.make_column(city.site.root_page, title="政策文件", category="policy")
    submission = submissions.propose(article, policy_column, user("chongchuan_editor"))
    submissions.approve(submission, user("chongchuan_leader"))

    assert submissions.portal_approver_group(submission).name == "南通市人民政府办公室-分管领导"
    with pytest.raises(ValidationError) as refusal:
        submissions.approve(submission, user("dsj_leader"))
    assert codes(refusal.value) == {"submission_not_approver"}

    submissions.approve(submission, user("zfb_leader"))
    assert listed(policy_column) == [article.pk]


def test_art16_accepting_an_item_withdrawn_meanwhile_is_refused(article, county_news_column):
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"))
    submissions.approve(submission, user("chongchuan_leader"))
    ContentPage.objects.get(pk=article.pk).unpublish(user=user("chongchuan_reviewer"))

    with pytest.raises(ValidationError) as refusal:
        submissions.approve(submission, user("dsj_leader"))

    assert codes(refusal.value) == {"submission_not_live"}
    assert PortalSubmission.objects.get(pk=submission.pk).status == Status.UNIT_APPROVED
    assert not ColumnShare.objects.filter(column=county_news_column).exists()


# Rejection ------------------------------------------------------------------------------------------


def test_art15_rejection_needs_a_comment(article, county_news_column):
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"))

    with pytest.raises(ValidationError) as refusal:
        submissions.reject(submission, user("chongchuan_leader"), "   ")

    assert codes(refusal.value) == {"submission_comment_required"}
    assert PortalSubmission.objects.get(pk=submission.pk).status == Status.PROPOSED


def test_art15_unit_leader_rejects_with_a_comment_and_the_proposer_is_told(article, county_news_column):
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"))
    mail.outbox.clear()

    submission = submissions.reject(submission, user("chongchuan_leader"), "标题需体现区名")

    assert submission.status == Status.REJECTED
    assert submission.rejection_comment == "标题需体现区名"
    [message] = [m for m in mail.outbox if m.subject == "【报送退回】崇川区推进老旧小区改造"]
    assert message.to == [user("chongchuan_editor").email]
    assert "标题需体现区名" in message.body
    with pytest.raises(ValidationError) as closed:
        submissions.approve(submission, user("chongchuan_leader"))
    assert codes(closed.value) == {"submission_closed"}
    assert article.pk not in listed(county_news_column)


def test_art16_portal_rejection_tells_the_proposer_and_the_unit_leader(article, county_news_column):
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"))
    submissions.approve(submission, user("chongchuan_leader"))
    mail.outbox.clear()

    submissions.reject(submission, user("dsj_leader"), "与本栏目定位不符")

    notified = {address for m in mail.outbox for address in m.to}
    assert notified == {user("chongchuan_editor").email, user("chongchuan_leader").email}
    record = AuditRecord.objects.filter(action="portal_submission.rejected").get()
    assert record.detail["comment"] == "与本栏目定位不符"
    assert set(record.detail["notified"]) == {"chongchuan_editor", "chongchuan_leader"}
    assert article.pk not in listed(county_news_column)


# Separation of duties -------------------------------------------------------------------------------


def test_art15_proposer_cannot_approve_their_own_submission(article, county_news_column, county):
    editor = user("chongchuan_editor")
    editor.groups.add(Group.objects.get(name=f"{county.name}-分管领导"))
    submission = submissions.propose(article, county_news_column, editor)

    with pytest.raises(ValidationError) as refusal:
        submissions.approve(submission, editor)
    with pytest.raises(ValidationError) as rejection:
        submissions.reject(submission, editor, "自己退回")

    assert codes(refusal.value) == codes(rejection.value) == {"submission_self_approval"}
    assert PortalSubmission.objects.get(pk=submission.pk).status == Status.PROPOSED


def test_art15_same_person_cannot_approve_both_steps(article, county_news_column):
    leader = user("chongchuan_leader")
    leader.groups.add(Group.objects.get(name="南通市大数据管理局-分管领导"))
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"))
    submissions.approve(submission, leader)

    with pytest.raises(ValidationError) as refusal:
        submissions.approve(submission, leader)

    assert codes(refusal.value) == {"submission_same_approver"}
    submissions.approve(submission, user("dsj_leader"))  # a colleague of the bureau may
    assert listed(county_news_column) == [article.pk]


def test_art15_a_leader_of_another_unit_cannot_approve(article, county_news_column):
    other = f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"))

    for outsider in (user(f"{other.slug}_leader"), user("chongchuan_reviewer"), user("nantong_leader")):
        with pytest.raises(ValidationError) as refusal:
            submissions.approve(submission, outsider)
        assert codes(refusal.value) == {"submission_not_approver"}
    assert submissions.queue_for(user(f"{other.slug}_leader")) == []
    assert submissions.queue_for(user("chongchuan_leader")) == [submission]


# Art. 14: every step on record ------------------------------------------------------------------------


def test_art14_every_submission_step_is_in_the_audit_chain(article, county_news_column, county, city):
    submission = submissions.propose(
        article, county_news_column, user("chongchuan_editor"), note="区里重点工作"
    )
    submissions.approve(submission, user("chongchuan_leader"), comment="同意")
    submissions.approve(submission, user("dsj_leader"), comment="采用")

    steps = list(
        AuditRecord.objects.filter(object_type="review.portalsubmission", object_id=str(submission.pk))
        .order_by("sequence")
        .values_list("action", "actor_name", "site_id", "detail__comment")
    )
    assert steps == [
        ("portal_submission.proposed", "chongchuan_editor", county.pk, "区里重点工作"),
        ("portal_submission.unit_approved", "chongchuan_leader", county.pk, "同意"),
        ("portal_submission.accepted", "dsj_leader", city.pk, "采用"),
    ]
    assert audit.action_label("portal_submission.accepted") == "报送：市政府门户网站采用"
    assert audit.verify_chain().ok


# Shares made directly: the platform operator only ---------------------------------------------------


def column_form(column, for_user):
    form_class = ColumnPage.get_edit_handler().get_form_class()
    return form_class(instance=column, parent_page=column.get_parent(), for_user=for_user)


def test_art15_only_the_platform_operator_adds_shares_in_the_column_editor(article, county_news_column):
    operator = f.User.objects.create_superuser("platform_admin", "op@dsj.nantong.gov.cn", None)

    assert "shared_items" in column_form(county_news_column, operator).formsets
    for portal_user in ("nantong_editor", "nantong_reviewer", "dsj_leader"):
        assert "shared_items" not in column_form(county_news_column, user(portal_user)).formsets


def test_art15_a_portal_reviewer_saving_a_column_keeps_its_shares(client, article, county_news_column):
    f.share(article, county_news_column)
    reviewer = user("nantong_reviewer")
    client.force_login(reviewer)
    page = client.get(f"/admin/pages/{county_news_column.pk}/edit/").content.decode()
    assert "引用资源库内容" not in page

    data = nested_form_data(
        {
            "title": "市县传真（新）",
            "slug": county_news_column.slug,
            "category": "county_news",
            "body": rich_text(""),
            "per_page": 20,
            "comments": inline_formset([]),
            "action-publish": "action-publish",
        }
    )
    response = client.post(f"/admin/pages/{county_news_column.pk}/edit/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert ColumnPage.objects.get(pk=county_news_column.pk).title == "市县传真（新）"
    assert listed(county_news_column) == [article.pk]


# The admin views --------------------------------------------------------------------------------------


def test_art15_admin_editor_sends_and_both_leaders_approve_in_their_queues(
    client, article, county_news_column
):
    client.force_login(user("chongchuan_editor"))
    edit_page = client.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    assert f"/admin/review/submissions/?item={article.pk}" in edit_page
    form_page = client.get("/admin/review/submissions/", {"item": article.pk}).content.decode()
    assert "报送到市政府门户网站" in form_page and "市县传真" in form_page

    response = client.post(
        "/admin/review/submissions/", {"item": article.pk, "column": county_news_column.pk, "note": "请审核"}
    )
    assert response.status_code == 302
    submission = PortalSubmission.objects.get()
    assert "崇川区推进老旧小区改造" in client.get("/admin/review/submissions/").content.decode()

    client.force_login(user("chongchuan_leader"))
    assert "崇川区推进老旧小区改造" in client.get("/admin/review/submissions/queue/").content.decode()
    client.post(f"/admin/review/submissions/{submission.pk}/approve/", {"comment": "同意"})
    assert PortalSubmission.objects.get().status == Status.UNIT_APPROVED

    client.force_login(user("dsj_leader"))
    assert "崇川区推进老旧小区改造" in client.get("/admin/review/submissions/queue/").content.decode()
    response = client.post(f"/admin/review/submissions/{submission.pk}/approve/", follow=True)
    assert "已采用" in response.content.decode()
    assert listed(county_news_column) == [article.pk]


def test_art15_admin_refusals_speak_chinese_and_store_nothing(client, county, county_news_column):
    news = f.make_column(county.site.root_page, title="政务动态")
    draft = f.make_article(news, title="尚未发布的稿件", publish=False)
    client.force_login(user("chongchuan_editor"))

    response = client.post("/admin/review/submissions/", {"item": draft.pk, "column": county_news_column.pk})

    assert response.status_code == 200
    assert "只能报送已发布的信息" in response.content.decode()
    assert not PortalSubmission.objects.exists()
    response = client.post("/admin/review/submissions/", {"item": "", "column": "99999"})
    html = response.content.decode()
    assert "请选择要报送的信息" in html and "所选栏目不是市政府门户网站的栏目" in html


def test_art15_admin_form_shows_nothing_of_other_sites(client, county, county_news_column):
    other = f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    theirs = f.make_article(f.make_column(other.site.root_page), title="通州区尚未发布的稿件", publish=False)
    client.force_login(user("chongchuan_editor"))

    prefilled = client.get("/admin/review/submissions/", {"item": theirs.pk}).content.decode()
    garbled = client.get("/admin/review/submissions/", {"item": "abc"})
    posted = client.post("/admin/review/submissions/", {"item": theirs.pk, "column": county_news_column.pk})

    assert "通州区尚未发布的稿件" not in prefilled
    assert garbled.status_code == 200
    assert "只能报送本单位网站的信息" in posted.content.decode()
    assert "通州区尚未发布的稿件" not in posted.content.decode()
    assert not PortalSubmission.objects.exists()


def test_art15_admin_rejection_without_a_comment_is_refused(client, article, county_news_column):
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"))
    client.force_login(user("chongchuan_leader"))

    response = client.post(
        f"/admin/review/submissions/{submission.pk}/reject/", {"comment": " "}, follow=True
    )

    assert "退回时必须填写退回意见" in response.content.decode()
    assert PortalSubmission.objects.get().status == Status.PROPOSED
    response = client.post(f"/admin/review/submissions/{submission.pk}/reject/", {"comment": "请补充图片"})
    assert PortalSubmission.objects.get().status == Status.REJECTED


def test_art15_admin_submission_forms_need_the_csrf_token(article, county_news_column):
    submission = submissions.propose(article, county_news_column, user("chongchuan_editor"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("chongchuan_leader"))

    response = client.post(f"/admin/review/submissions/{submission.pk}/approve/", {"comment": "同意"})

    assert response.status_code == 403
    assert PortalSubmission.objects.get().status == Status.PROPOSED
