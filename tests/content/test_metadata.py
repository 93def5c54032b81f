"""The unified metadata of every content page (Art. 20; 指引 §3.2; gov-site-rules §2.2 on forged dates).

索引号 generated once and never changed; 文号 in the GB/T 9704 form; policy documents carry their
required metadata; the first-publication date cannot be rewritten.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from govsite.content.models import ArticlePage, ContentPage, PolicyDocumentPage, RepostSource, TopicCategory
from govsite.review import services as review
from govsite.review.services import PublicationRefused
from tests import factories as f
from tests.sites.refusals import assert_refused

pytestmark = pytest.mark.django_db

CREDIT_CODE = "11320600MB1234567X"
OTHER_CREDIT_CODE = "11320600MB7654321Y"


def this_year() -> int:
    return timezone.localdate().year


@pytest.fixture
def news():
    """The 政务动态 column of the 南通市财政局 site; the bureau has a credit code."""
    department = f.municipal_department("南通市财政局", org_code=CREDIT_CODE)
    gov_site = f.department_site(department, slug="czj")
    return f.make_column(gov_site.site.root_page, title="政务动态", category="news", slug="news")


@pytest.fixture
def policy_column(news):
    return f.make_column(news.get_parent(), title="政策文件", category="policy", slug="policy")


# 索引号 -----------------------------------------------------------------------------------------


def test_art20_index_number_generated_on_creation_from_the_issuers_org_code(news):
    article = f.make_article(news, publish=False)
    assert article.index_number == f"{CREDIT_CODE}/{this_year()}-00001"
    assert re.fullmatch(r"[0-9A-Z]{9,18}/\d{4}-\d{5}", article.index_number)


def test_art20_index_numbers_increment_per_issuer_and_year_and_are_unique(news):
    numbers = [f.make_article(news).index_number for _ in range(3)]
    assert numbers == [f"{CREDIT_CODE}/{this_year()}-{serial:05d}" for serial in (1, 2, 3)]

    other = f.municipal_department("南通市统计局", org_code=OTHER_CREDIT_CODE)
    other_news = f.make_column(f.department_site(other).site.root_page, category="news")
    assert f.make_article(other_news).index_number == f"{OTHER_CREDIT_CODE}/{this_year()}-00001"

    all_numbers = list(ContentPage.objects.values_list("index_number", flat=True))
    assert len(all_numbers) == len(set(all_numbers)) == 4


def test_art20_index_number_falls_back_to_the_site_identifier_code_without_org_code():
    department = f.municipal_department("南通市统计局")  # no org code recorded
    gov_site = f.department_site(department, identifier_code="3206000042")
    column = f.make_column(gov_site.site.root_page, category="news")

    assert f.make_article(column).index_number == f"3206000042/{this_year()}-00001"
    assert f.make_article(column).index_number == f"3206000042/{this_year()}-00002"


def test_art20_index_number_uses_the_issuing_body_when_it_is_not_the_site_institution(policy_column):
    office = f.municipal_department("南通市人民政府办公室", org_code=OTHER_CREDIT_CODE)
    document = f.make_policy_document(policy_column, issuing_body=office)
    assert document.index_number == f"{OTHER_CREDIT_CODE}/{this_year()}-00001"


def test_art20_index_number_of_a_historical_import_carries_the_year_first_published(news):
    imported = f.make_article(news, first_published_at=f.historical_date(2019))
    assert imported.index_number == f"{CREDIT_CODE}/2019-00001"
    assert f.make_article(news).index_number == f"{CREDIT_CODE}/{this_year()}-00001"


def test_art20_index_number_never_changes_on_later_saves_and_publishing(news):
    article = f.make_article(news, title="原标题")
    number = article.index_number

    article.title = "修改后的标题"
    article.save()
    f.publish(article)
    f.publish(article)

    article.refresh_from_db()
    assert article.title == "修改后的标题"
    assert article.index_number == number


def test_art20_index_number_kept_when_the_issuing_body_changes_later(policy_column):
    document = f.make_policy_document(policy_column)
    number = document.index_number

    document.issuing_body = f.municipal_department("南通市人民政府办公室", org_code=OTHER_CREDIT_CODE)
    f.publish(document)

    document.refresh_from_db()
    assert document.issuing_body.name == "南通市人民政府办公室"
    assert document.index_number == number == f"{CREDIT_CODE}/{this_year()}-00001"


def test_art20_index_number_kept_when_a_revision_carrying_another_number_is_published(news):
    article = f.make_article(news)
    number = article.index_number
    review.submit_for_review(article, f.site_user(article, "editor"))
    revision = article.get_latest_revision()
    revision.content["index_number"] = "000014349/2017-00110"
    revision.save()

    review.complete_chain(article)

    article.refresh_from_db()
    assert article.index_number == number


def test_art20_index_number_cannot_be_rewritten(news):
    article = f.make_article(news)
    number = article.index_number
    article.index_number = f"{CREDIT_CODE}/2000-00001"

    with pytest.raises(ValidationError) as excinfo:
        article.save()

    assert_refused(excinfo.value, exactly=True, index_number="index_number_immutable")
    assert ArticlePage.objects.get(pk=article.pk).index_number == number


def test_art20_index_number_not_copied_by_page_copy(news):
    original = f.make_article(news, title="原稿")

    copy = original.copy(to=news, update_attrs={"slug": "copy", "title": "复制稿"}, keep_live=False)

    copy = ArticlePage.objects.get(pk=copy.pk)
    assert copy.index_number == f"{CREDIT_CODE}/{this_year()}-00002"
    assert ArticlePage.objects.get(pk=original.pk).index_number == f"{CREDIT_CODE}/{this_year()}-00001"
    f.publish(copy)
    assert ArticlePage.objects.get(pk=copy.pk).index_number == f"{CREDIT_CODE}/{this_year()}-00002"


def test_art14_a_live_copy_of_content_is_refused_it_must_pass_review_itself(news):
    original = f.make_article(news, title="原稿")

    with pytest.raises(PublicationRefused):
        original.copy(to=news, update_attrs={"slug": "copy", "title": "复制稿"}, keep_live=True)

    assert not ArticlePage.objects.filter(slug="copy", live=True).exists()


# 文号 (GB/T 9704-2012) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "通政办发〔2019〕89号",
        "国办发〔2017〕47号",
        "国办秘函〔2019〕19号",
        "苏政办发〔2021〕100号",
        "通政发〔2024〕1号",
    ],
)
def test_art20_document_number_in_gbt9704_form_accepted(news, number):
    article = f.make_article(news, document_number=number)
    article.full_clean()
    assert ArticlePage.objects.get(pk=article.pk).document_number == number


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("通政办发[2019]89号", "document_number_brackets"),
        ("通政办发(2019)89号", "document_number_brackets"),
        ("通政办发（2019）89号", "document_number_brackets"),
        ("通政办发【2019】89号", "document_number_brackets"),
        ("通政办发［2019］89号", "document_number_brackets"),
        ("通政办发〈2019〉89号", "document_number_brackets"),
        ("通政办发﹝2019﹞89号", "document_number_brackets"),
        ("通政办发〔2019〕第89号", "document_number_di"),
        ("通政办发〔2019〕089号", "document_number_leading_zero"),
        ("通政办发〔2019〕0089号", "document_number_leading_zero"),
        ("通政办发〔1948〕89号", "document_number_year"),
        ("通政办发〔2999〕89号", "document_number_year"),
        ("通政办发〔19〕89号", "document_number_format"),
        ("通政办发〔２０１９〕８９号", "document_number_format"),
        ("通政办发〔2019〕89", "document_number_format"),
        ("〔2019〕89号", "document_number_format"),
        ("通政办发〔2019〕号", "document_number_format"),
        ("通政办发2019年89号", "document_number_format"),
        ("通政办发 〔2019〕 89号", "document_number_format"),
        ("89号", "document_number_format"),
        ("<script>alert(1)</script>", "document_number_brackets"),
        ("这不是文号", "document_number_format"),
    ],
)
def test_art20_document_number_not_in_gbt9704_form_refused(news, number, code):
    article = f.make_article(news, publish=False)
    article.document_number = number

    with pytest.raises(ValidationError) as excinfo:
        article.full_clean()

    assert_refused(excinfo.value, exactly=True, document_number=code)


def test_art20_document_number_year_may_be_next_year_for_documents_issued_ahead(news):
    article = f.make_article(news, publish=False)
    article.document_number = f"通政办发〔{this_year() + 1}〕1号"
    article.full_clean()


# Policy documents -------------------------------------------------------------------------------


def test_art6_policy_document_requires_document_number_issuing_body_and_written_date(policy_column):
    document = f.make_policy_document(policy_column)
    document.document_number = ""
    document.issuing_body = None
    document.written_date = None

    with pytest.raises(ValidationError) as excinfo:
        document.full_clean()

    assert_refused(
        excinfo.value,
        exactly=True,
        document_number="document_number_required",
        issuing_body="issuing_body_required",
        written_date="written_date_required",
    )


def test_art6_policy_document_without_its_metadata_is_not_stored(policy_column):
    before = PolicyDocumentPage.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        policy_column.add_child(instance=PolicyDocumentPage(title="关于印发某办法的通知", slug="no-metadata"))
    assert_refused(
        excinfo.value,
        document_number="document_number_required",
        issuing_body="issuing_body_required",
        written_date="written_date_required",
    )
    assert PolicyDocumentPage.objects.count() == before


def test_art20_article_does_not_need_a_document_number(news):
    f.make_article(news, publish=False).full_clean()


def test_art20_written_date_in_the_future_refused(policy_column):
    document = f.make_policy_document(policy_column)
    document.written_date = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        document.full_clean()

    assert_refused(excinfo.value, exactly=True, written_date="written_date_future")


def test_art20_written_date_today_accepted(policy_column):
    document = f.make_policy_document(policy_column)
    document.written_date = timezone.localdate()
    document.full_clean()


def test_art20_several_metadata_problems_reported_at_once(policy_column):
    document = f.make_policy_document(policy_column)
    document.document_number = "通政办发[2019]89号"
    document.written_date = timezone.localdate() + datetime.timedelta(days=30)
    document.topic = TopicCategory.objects.get(name="综合政务", parent=None)
    document.summary = "概" * 301

    with pytest.raises(ValidationError) as excinfo:
        document.full_clean()

    assert_refused(
        excinfo.value,
        exactly=True,
        document_number="document_number_brackets",
        written_date="written_date_future",
        topic="topic_second_level",
        summary="summary_too_long",
    )


# Topic ------------------------------------------------------------------------------------------


def test_art20_topic_must_be_second_level(news):
    article = f.make_article(news, publish=False)
    article.topic = TopicCategory.objects.get(name="卫生、体育", parent=None)

    with pytest.raises(ValidationError) as excinfo:
        article.full_clean()
    assert_refused(excinfo.value, exactly=True, topic="topic_second_level")

    article.topic = TopicCategory.objects.get(name="医药管理", parent__name="卫生、体育")
    article.full_clean()
    assert str(article.topic) == "卫生、体育\\医药管理"


def test_art20_topic_classification_has_only_two_levels():
    second = TopicCategory.objects.get(name="政务公开", parent__name="综合政务")
    third = TopicCategory(name="第三级", parent=second)

    with pytest.raises(ValidationError) as excinfo:
        third.full_clean()

    assert_refused(excinfo.value, exactly=True, parent="topic_depth")


# First-publication date (伪造发稿日期 is a veto item) -------------------------------------------


def test_art20_first_publication_date_cannot_be_rewritten_through_full_clean(news):
    article = f.make_article(news)
    article.first_published_at -= datetime.timedelta(days=30)

    with pytest.raises(ValidationError) as excinfo:
        article.full_clean()

    assert_refused(excinfo.value, exactly=True, first_published_at="first_published_immutable")


def test_art20_first_publication_date_cannot_be_rewritten_through_save(news):
    article = f.make_article(news)
    original = article.first_published_at
    article.first_published_at = f.historical_date(2018)

    with pytest.raises(ValidationError) as excinfo:
        article.save()

    assert_refused(excinfo.value, exactly=True, first_published_at="first_published_immutable")
    assert ArticlePage.objects.get(pk=article.pk).first_published_at == original


def test_art20_first_publication_date_cannot_be_cleared(news):
    article = f.make_article(news)
    article.first_published_at = None

    with pytest.raises(ValidationError) as excinfo:
        article.save()

    assert_refused(excinfo.value, exactly=True, first_published_at="first_published_immutable")


def test_art20_first_publication_date_kept_when_published_again(news):
    article = f.make_article(news)
    first = article.first_published_at

    article.title = "更正后的标题"
    f.publish(article)

    article.refresh_from_db()
    assert article.first_published_at == first
    assert article.last_published_at > first


def test_art20_first_publication_date_may_be_set_on_first_save_for_historical_imports(news):
    imported_at = f.historical_date(2019, 3, 15)

    article = f.make_article(news, first_published_at=imported_at)

    article.refresh_from_db()
    assert article.first_published_at == imported_at
    assert article.last_published_at > imported_at


def test_art20_summary_is_limited_to_300_characters(news):
    article = f.make_article(news, publish=False)
    article.summary = "概" * 300
    article.full_clean()

    article.summary = "概" * 301
    with pytest.raises(ValidationError) as excinfo:
        article.full_clean()
    assert_refused(excinfo.value, exactly=True, summary="summary_too_long")


# Art. 17: reposts only from approved source units ------------------------------------------------


def test_art17_repost_without_source_unit_refused(news):
    article = f.make_article(news, publish=False)
    article.is_repost = True

    with pytest.raises(ValidationError) as excinfo:
        article.full_clean()

    assert_refused(excinfo.value, exactly=True, repost_source="repost_source_required")


def test_art17_repost_from_a_source_no_longer_approved_refused(news):
    source = RepostSource.objects.create(name="某资讯网站", active=False)
    article = f.make_article(news, publish=False)
    article.is_repost, article.repost_source = True, source

    with pytest.raises(ValidationError) as excinfo:
        article.full_clean()

    assert_refused(excinfo.value, exactly=True, repost_source="repost_source_not_approved")


def test_art17_repost_from_an_approved_source_accepted(news):
    source = RepostSource.objects.create(name="新华社", determined_by="市委宣传部")
    f.make_article(news, publish=False, is_repost=True, repost_source=source).full_clean()
