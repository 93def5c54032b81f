"""What the public sees: document and interpretation pages, column feeds, the sitemap and the
“leaving this site” notice (Art. 8, 20; 指引 §1.4-1.6)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests import factories as f
from tests.sites.refusals import CHINESE

pytestmark = pytest.mark.django_db

HOST = "chongchuan.localhost"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def county():
    f.city_portal()
    return f.county_portal("崇川区人民政府", "320602", slug="chongchuan")


@pytest.fixture
def policy_with_interpretation(county):
    home = county.site.root_page
    policy = f.make_column(home, title="政策文件", category="policy", slug="policy")
    interpretations = f.make_column(home, title="政策解读", category="interpretation", slug="jd")
    document = f.make_policy_document(
        policy,
        title="崇川区关于促进数字经济发展的若干措施",
        slug="digital",
        document_number="崇政发〔2025〕12号",
    )
    interpretation = f.make_interpretation(
        interpretations, document, title="图解：崇川区促进数字经济发展若干措施", slug="digital-jd"
    )
    return document, interpretation


def links_to(html: str, path: str) -> bool:
    """Whether the page has a link to `path`, written relative or with the site's host."""
    return re.search(rf'href="(?:http://{re.escape(HOST)})?{re.escape(path)}"', html) is not None


def test_art8_policy_document_page_shows_its_index_number_and_links_to_its_interpretation(
    client, policy_with_interpretation
):
    document, interpretation = policy_with_interpretation

    response = client.get("/policy/digital/", HTTP_HOST=HOST)

    assert response.status_code == 200
    html = response.content.decode()
    assert document.index_number in html
    assert "崇政发〔2025〕12号" in html
    assert "崇川区人民政府" in html  # issuing body, in full
    assert links_to(html, "/jd/digital-jd/")
    assert interpretation.title in html


def test_art8_interpretation_page_links_back_to_the_document(client, policy_with_interpretation):
    document, _interpretation = policy_with_interpretation

    response = client.get("/jd/digital-jd/", HTTP_HOST=HOST)

    assert response.status_code == 200
    html = response.content.decode()
    assert links_to(html, "/policy/digital/")
    assert document.title in html


def test_art8_draft_interpretation_is_not_linked_from_the_document(client, policy_with_interpretation):
    document, interpretation = policy_with_interpretation
    f.make_interpretation(
        interpretation.get_parent().specific, document, title="未发布的解读", slug="draft-jd", publish=False
    )

    html = client.get("/policy/digital/", HTTP_HOST=HOST).content.decode()

    assert "未发布的解读" not in html
    assert not links_to(html, "/jd/draft-jd/")


def test_art20_column_feed_is_valid_rss_listing_the_items(client, county):
    news = f.make_column(county.site.root_page, title="工作动态", slug="news", description="崇川区工作动态")
    first = f.make_article(
        news, title="崇川区召开常务会议", slug="meeting", summary="会议研究了城市更新工作。"
    )
    second = f.make_article(news, title="崇川区开展防汛演练", slug="drill")
    f.make_article(news, title="未发布的稿件", publish=False)

    response = client.get("/news/feed.xml", HTTP_HOST=HOST)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    rss = ET.fromstring(response.content)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert "工作动态" in channel.findtext("title")
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == [second.title, first.title]
    assert items[1].findtext("link") == "http://chongchuan.localhost/news/meeting/"
    assert items[1].findtext("description") == "会议研究了城市更新工作。"
    assert items[1].findtext("guid") == first.index_number


def test_art20_column_feed_lists_shared_items_with_their_own_urls(client, county):
    city_column = f.make_column(
        f.city_portal().site.root_page, title="市县传真", category="county_news", slug="sxcz"
    )
    article = f.make_article(f.make_column(county.site.root_page, slug="news"), title="崇川动态", slug="item")
    f.share(article, city_column)

    response = client.get("/sxcz/feed.xml", HTTP_HOST="nantong.localhost")

    assert response.status_code == 200
    [item] = ET.fromstring(response.content).find("channel").findall("item")
    assert item.findtext("link") == "http://chongchuan.localhost/news/item/"


def test_sitemap_lists_only_the_sites_own_pages(client, county):
    news = f.make_column(county.site.root_page, slug="news")
    f.make_article(news, slug="own")
    f.make_article(news, slug="draft", publish=False)
    city = f.city_portal()
    city_news = f.make_column(city.site.root_page, slug="ywdt")
    city_article = f.make_article(city_news, slug="city-item")
    f.share(city_article, news)  # shared into this site, but it belongs to the city portal

    index = client.get("/sitemap.xml", HTTP_HOST=HOST)

    assert index.status_code == 200
    shards = [loc.text for loc in ET.fromstring(index.content).iter(f"{SITEMAP}loc")]
    assert shards and all(url.startswith("http://chongchuan.localhost/sitemap-") for url in shards)
    locations = []
    for shard in shards:
        response = client.get(shard.removeprefix("http://chongchuan.localhost"), HTTP_HOST=HOST)
        assert response.status_code == 200
        locations += [loc.text for loc in ET.fromstring(response.content).iter(f"{SITEMAP}loc")]
    assert sorted(locations) == [
        "http://chongchuan.localhost/",
        "http://chongchuan.localhost/news/",
        "http://chongchuan.localhost/news/own/",
    ]


def test_leaving_notice_names_the_destination(client, county):
    response = client.get("/leaving/", {"to": "https://example.com/"}, HTTP_HOST=HOST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "example.com" in html
    assert "离开" in html
    assert 'href="https://example.com/"' in html


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,x",
        "//evil.example/",
        "not a url",
        "",
    ],
)
def test_leaving_notice_refuses_anything_but_a_web_address(client, county, target):
    response = client.get("/leaving/", {"to": target}, HTTP_HOST=HOST)

    assert response.status_code == 400
    html = response.content.decode()
    assert CHINESE.search(html)
    assert "无效" in html
    if target:
        assert f'href="{target}' not in html
        assert "javascript:" not in html.lower()


@pytest.mark.parametrize("path", ["/news/list_0.html", "/news/list_9.html", "/news/list_99999999999999.html"])
def test_archive_page_that_does_not_exist_is_a_plain_404(client, county, path):
    news = f.make_column(county.site.root_page, slug="news", per_page=2)
    f.make_article(news, slug="only")

    response = client.get(path, HTTP_HOST=HOST)

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_archive_pages_keep_their_items_when_newer_ones_arrive(client, county):
    """Issue 4: list_1.html holds the oldest items for good; a new item goes to the newest page."""
    news = f.make_column(county.site.root_page, slug="news", per_page=2)
    for number in range(3):
        f.make_article(news, slug=f"item{number}", title=f"稿件{number}")
    before = client.get("/news/list_1.html", HTTP_HOST=HOST).content

    f.make_article(news, slug="item3", title="稿件3")

    assert client.get("/news/list_1.html", HTTP_HOST=HOST).content == before
    newest = client.get("/news/list_2.html", HTTP_HOST=HOST).content.decode()
    assert "稿件3" in newest and "稿件2" in newest
