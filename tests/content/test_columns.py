"""Columns, their freshness rules, the shared resource library and linked interpretations
(Art. 6, 8, 20; gov-site-rules §2.2)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from wagtail.models import Page

from govsite.content import services
from govsite.content.models import ColumnCategory, TopicCategory
from tests import factories as f

pytestmark = pytest.mark.django_db


# Column categories and their freshness rules (seeded by migration 0003) -------------------------


@pytest.mark.parametrize(
    ("code", "update_within_days", "long_stale_days", "veto_group", "top_level_only"),
    [
        ("news", 14, 183, "dynamic", False),
        ("county_news", 14, 183, "dynamic", False),
        ("department_news", 14, 183, "dynamic", False),
        ("notices", 183, 365, "notice_policy", True),
        ("policy", 183, 365, "notice_policy", True),
        ("interpretation", 183, 365, "", False),
        ("personnel", 365, 730, "", False),
        ("planning", 365, 730, "", False),
        ("data_release", 92, 365, "", False),
        ("annual_report", 365, 400, "", False),
        ("city_affairs", 92, 365, "", False),
        ("overview", None, None, "", False),
        ("leadership", None, None, "", False),
        ("organization", None, None, "", False),
        ("topic", None, None, "", False),
    ],
)
def test_art6_column_categories_seeded_with_freshness_rules(
    code, update_within_days, long_stale_days, veto_group, top_level_only
):
    category = ColumnCategory.objects.get(code=code)
    assert category.update_within_days == update_within_days
    assert category.long_stale_days == long_stale_days
    assert category.veto_group == veto_group
    assert category.top_level_only is top_level_only
    assert category.rule_note  # every figure says where it comes from


def test_art6_news_must_be_updated_every_two_weeks_and_policy_every_six_months():
    assert ColumnCategory.objects.get(code="news").get_veto_group_display() == "动态要闻类（2周）"
    assert (
        ColumnCategory.objects.get(code="policy").get_veto_group_display() == "通知公告、政策文件类（6个月）"
    )
    assert ColumnCategory.objects.count() == 18  # 17 of issue 2 and 政府会议 (Art. 16)


def test_art20_topic_classification_seeded_in_two_levels():
    assert TopicCategory.objects.filter(parent=None).count() == 21
    assert not TopicCategory.objects.filter(parent__parent__isnull=False).exists()
    assert str(TopicCategory.objects.get(name="政务公开", parent__name="综合政务")) == "综合政务\\政务公开"


# What a column lists ----------------------------------------------------------------------------


@pytest.fixture
def county():
    return f.county_portal("崇川区人民政府", "320602", slug="chongchuan")


@pytest.fixture
def city():
    return f.city_portal()


def test_art6_column_lists_live_items_of_itself_and_its_subcolumns_newest_first(county):
    news = f.make_column(county.site.root_page, slug="news")
    older = f.make_article(news, title="旧稿件", first_published_at=f.historical_date(2024, 1, 5))
    newer = f.make_article(news, title="新稿件", first_published_at=f.historical_date(2025, 3, 1))
    f.make_article(news, title="草稿", publish=False)
    sub = f.make_column(news, title="子栏目")
    in_sub = f.make_article(sub, title="子栏目的稿件", first_published_at=f.historical_date(2024, 6, 1))
    sibling = f.make_column(county.site.root_page, title="其他栏目")
    f.make_article(sibling, title="其他栏目的稿件")

    assert list(services.column_items(news)) == [newer, in_sub, older]
    assert list(services.column_items(sub)) == [in_sub]
    assert services.column_last_update(news) == newer.first_published_at


def test_art6_column_stops_listing_an_unpublished_item(county):
    news = f.make_column(county.site.root_page)
    article = f.make_article(news)
    article.unpublish()

    assert list(services.column_items(news)) == []
    assert services.column_last_update(news) is None


def test_art20_page_shared_into_another_sites_column_appears_without_a_copy(county, city):
    county_news = f.make_column(county.site.root_page, title="工作动态", slug="news")
    article = f.make_article(county_news, title="崇川区推进城市更新", slug="renewal")
    city_column = f.make_column(city.site.root_page, title="市县传真", category="county_news", slug="sxcz")
    pages_before = Page.objects.count()

    f.share(article, city_column)

    assert Page.objects.count() == pages_before
    [item] = services.column_items(city_column)
    assert item.pk == article.pk
    assert item.index_number == article.index_number
    assert services.column_last_update(city_column) == article.first_published_at


def test_art20_shared_page_keeps_its_url_on_the_site_that_published_it(county, city):
    county_news = f.make_column(county.site.root_page, slug="news")
    article = f.make_article(county_news, slug="renewal")
    city_column = f.make_column(city.site.root_page, category="county_news")
    f.share(article, city_column)

    request = RequestFactory().get("/", HTTP_HOST="nantong.localhost")
    [item] = services.column_items(city_column)

    assert item.get_url(request) == "http://chongchuan.localhost/news/renewal/"


def test_art20_unpublished_shared_page_disappears_from_the_other_column(county, city):
    article = f.make_article(f.make_column(county.site.root_page))
    city_column = f.make_column(city.site.root_page, category="county_news")
    f.share(article, city_column)

    article.unpublish()

    assert list(services.column_items(city_column)) == []


def test_art20_shared_and_own_items_are_listed_together_newest_first(county, city):
    shared = f.make_article(
        f.make_column(county.site.root_page), first_published_at=f.historical_date(2025, 5, 1)
    )
    city_column = f.make_column(city.site.root_page, category="county_news")
    own = f.make_article(city_column, first_published_at=f.historical_date(2025, 4, 1))
    f.share(shared, city_column)

    assert [item.pk for item in services.column_items(city_column)] == [shared.pk, own.pk]


def test_art6_home_page_blocks_show_news_notices_and_policies_of_the_site(county):
    home = county.site.root_page.specific
    news = f.make_column(home, category="news")
    notices = f.make_column(home, title="通知公告", category="notices")
    policy = f.make_column(home, title="政策文件", category="policy")
    article = f.make_article(news)
    notice = f.make_article(notices)
    document = f.make_policy_document(policy)

    blocks = services.home_blocks(home)

    assert blocks["news"] == [article]
    assert blocks["notices"] == [notice]
    assert blocks["policies"] == [document]


# Art. 8: documents and interpretations link both ways -------------------------------------------


def test_art8_interpretation_and_document_link_both_ways(county):
    policy = f.make_column(county.site.root_page, title="政策文件", category="policy")
    interpretations = f.make_column(county.site.root_page, title="政策解读", category="interpretation")
    document = f.make_policy_document(policy)
    text = f.make_interpretation(interpretations, document, title="一图读懂")
    expert = f.make_interpretation(interpretations, document, title="专家解读", form="expert")
    f.make_interpretation(interpretations, document, title="未发布的解读", publish=False)

    assert list(document.live_interpretations()) == [text, expert]
    assert text.document == document
    assert document.interpretations.count() == 3  # drafts are linked too, only live ones are shown


def test_art8_only_live_interpretations_of_this_document_are_shown(county):
    policy = f.make_column(county.site.root_page, category="policy")
    document = f.make_policy_document(policy)
    other = f.make_policy_document(policy)
    interpretation = f.make_interpretation(policy, other)

    assert list(document.live_interpretations()) == []
    assert list(other.live_interpretations()) == [interpretation]

    interpretation.unpublish()
    assert list(other.live_interpretations()) == []
