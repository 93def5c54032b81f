"""Art. 14: every edit is on record with a readable diff of its revisions."""

from __future__ import annotations

import pytest

from govsite.content.models import ArticlePage, ContentPage
from govsite.review.revision_diff import (
    FieldChange,
    inline_diff_html,
    page_revision_diff,
    previous_revision,
    revision_sha256,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(site_a):
    column = factories.make_column(site_a.site.root_page)
    page = ArticlePage(
        title="关于开展安全检查的通知", slug="check", live=False, body="<p>检查时间为三月。</p>"
    )
    column.add_child(instance=page)
    return page


def test_art14_diff_lists_changed_fields_by_their_chinese_labels(article):
    first = article.save_revision()
    article.title = "关于开展安全生产检查的通知"
    article.body = "<p>检查时间为<b>四月</b>。</p>"
    article.validity = ContentPage.Validity.VALID
    article.source = "区应急管理局"
    second = article.save_revision()

    changes = {change.label: change for change in page_revision_diff(first, second)}
    assert changes["标题"] == FieldChange("标题", "关于开展安全检查的通知", "关于开展安全生产检查的通知")
    assert (changes["正文"].before, changes["正文"].after) == ("检查时间为三月。", "检查时间为四月。")
    assert changes["来源"].after == "区应急管理局"
    assert set(changes) == {
        "标题",
        "正文",
        "来源",
    }  # nothing unchanged, nothing of the page tree's bookkeeping


def test_art14_diff_shows_choices_by_their_display(article):
    first = article.save_revision()
    article.validity = ContentPage.Validity.REPEALED
    second = article.save_revision()
    changes = {change.label: change for change in page_revision_diff(first, second)}
    assert (changes["有效性"].before, changes["有效性"].after) == ("有效", "已废止")


def test_art14_first_revision_diffs_against_an_empty_page(article):
    revision = article.save_revision()
    assert previous_revision(revision) is None
    labels = {change.label: change.after for change in page_revision_diff(None, revision)}
    assert labels["标题"] == "关于开展安全检查的通知"


def test_art14_revision_fingerprint_changes_when_its_content_is_rewritten(article):
    from wagtail.models import Revision

    revision = article.save_revision()
    before = revision_sha256(revision.pk)
    content = dict(revision.content, title="悄悄改过的标题")
    Revision.objects.filter(pk=revision.pk).update(content=content)
    assert revision_sha256(revision.pk) != before


def test_art14_inline_diff_marks_characters_and_escapes_markup():
    html = inline_diff_html("检查时间为三月<script>", "检查时间为四月<script>")
    assert html == "检查时间为<del>三</del><ins>四</ins>月&lt;script&gt;"
    assert inline_diff_html("", "新增一段") == "<ins>新增一段</ins>"
    assert inline_diff_html("第一段\n第二段", "第一段") == "第一段<br><del>第二段</del>"
