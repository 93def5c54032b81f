"""The public search page, the click redirect and suggestions (Art. 21: search on every site, ranked
by what people look for). What a visitor sees: highlighted hits, facets that narrow, a document
number that leads straight to the document, and a normal page whatever is typed."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from govsite.search import documents, services
from govsite.search.documents import DocumentData
from govsite.search.models import PinnedResult, ResultClick
from tests import factories as f
from tests.sites.refusals import CHINESE

pytestmark = pytest.mark.django_db

CITY_HOST = "nantong.localhost"
FIRST_PAGE_ID = 900_000


@pytest.fixture
def city():
    return f.city_portal()


def document(site, page_id: int, title: str, body: str = "", **fields) -> DocumentData:
    fields.setdefault("published_at", timezone.now() - datetime.timedelta(days=page_id % 50))
    return DocumentData(
        page_id=page_id, site_id=site.pk, path=f"/news/a{page_id}/", title=title, body=body, **fields
    )


@pytest.fixture
def social_security(city):
    """Five items about 社保 on the city portal: three policy documents (one repealed), two articles."""
    docs = [
        document(
            city,
            FIRST_PAGE_ID + 1,
            "关于调整社保缴费基数的通知",
            "社保缴费基数按上年平均工资确定。",
            ctype="policy",
            document_number="通政办发〔2019〕89号",
            issuer="南通市人民政府",
        ),
        document(
            city,
            FIRST_PAGE_ID + 2,
            "南通市社保待遇调整办法",
            "社保待遇每年调整。",
            ctype="policy",
            issuer="南通市人民政府",
        ),
        document(
            city,
            FIRST_PAGE_ID + 3,
            "社保卡申领办法（旧）",
            "社保卡申领流程。",
            ctype="policy",
            issuer="南通市人力资源和社会保障局",
            validity="repealed",
        ),
        document(city, FIRST_PAGE_ID + 4, "我市社保服务进社区", "社保经办服务延伸到社区。"),
        document(city, FIRST_PAGE_ID + 5, "社保窗口延时服务", "周末社保窗口照常办理。"),
    ]
    documents.write_documents(docs)
    return docs


def get(client, path: str, host: str = CITY_HOST, **params):
    return client.get(path, params, HTTP_HOST=host)


def summary(html: str) -> str:
    match = re.search(r'<p class="search-summary">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


# --- results -------------------------------------------------------------------------------------


def test_art21_search_page_finds_a_word_inside_an_unspaced_title_and_highlights_it(client, city):
    column = f.make_column(city.site.root_page, title="政务动态", category="news", slug="news")
    article = f.make_article(column, title="我市召开优化营商环境工作推进会", slug="yingshang")
    f.make_article(column, title="长江生态保护现场会召开", slug="changjiang")
    documents.reindex()

    response = get(client, "/search/", q="营商环境")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<em>营商环境</em>" in html
    assert "1 条" in summary(html)
    assert f"/search/go/?q=%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83&amp;p={article.pk}" in html
    assert "长江生态保护" not in html
    assert city.name in html  # the site of each hit


def test_art21_facet_narrows_counts_and_results_and_marks_the_choice(client, social_security):
    everything = get(client, "/search/", q="社保").content.decode()
    assert "5 条" in summary(everything)
    assert "政策文件（3）" in everything and "稿件（2）" in everything
    assert 'href="?q=%E7%A4%BE%E4%BF%9D&amp;type=policy"' in everything

    narrowed = get(client, "/search/", q="社保", type="policy").content.decode()

    assert "3 条" in summary(narrowed)
    assert "社保窗口延时服务" not in narrowed
    assert re.search(r'<a href="\?q=%E7%A4%BE%E4%BF%9D" aria-current="true"[^>]*>政策文件（3）</a>', narrowed)
    assert "南通市人力资源和社会保障局（1）" in narrowed  # the other facets follow the narrowed results


def test_art21_facets_keep_the_other_conditions(client, social_security):
    html = get(client, "/search/", q="社保", type="policy", sort="date", scope="all").content.decode()
    assert "issuer=%E5%8D%97%E9%80%9A%E5%B8%82%E4%BA%BA%E6%B0%91%E6%94%BF%E5%BA%9C" in html
    link = re.search(r'href="([^"]*issuer=[^"]*)"', html).group(1)
    assert "scope=all" in link and "sort=date" in link and "type=policy" in link


def test_art21_repealed_document_is_visibly_marked(client, social_security):
    html = get(client, "/search/", q="社保卡").content.decode()
    assert "【已废止】" in html


def test_art21_policy_search_by_part_of_a_document_number(client, social_security):
    html = get(client, "/search/", number="〔2019〕89", type="policy").content.decode()
    assert "1 条" in summary(html)
    assert "关于调整<em>社保</em>缴费基数的通知" in html or "关于调整社保缴费基数的通知" in html


def test_art21_exact_document_number_leads_straight_to_the_document(client, social_security):
    response = get(client, "/search/", q="通政办发[2019]89号")
    assert response.status_code == 302
    assert response["Location"] == f"/news/a{FIRST_PAGE_ID + 1}/"


def test_art21_pinned_answer_comes_first_and_is_marked(client, city, social_security):
    home = city.site.root_page
    documents.write_documents([document(city, home.pk, "社保办事指南", "社保业务一站办理。")])
    PinnedResult.objects.create(query="社保", page=home)

    html = get(client, "/search/", q="社保").content.decode()

    first = html.index('<li class="search-hit')
    assert html.index("推荐答案") > first
    assert html.index("社保</em>办事指南") < html.index("社保</em>待遇")
    assert html.count("推荐答案") == 1


def test_art21_pinyin_query_shows_what_it_was_read_as(client, social_security):
    services.learn_term("社保", "test")
    html = get(client, "/search/", q="shebao").content.decode()
    assert "以下是“社保”的结果，仍然搜索：" in html
    assert 'href="?q=shebao&amp;raw=1">shebao</a>' in html
    assert "<em>社保</em>" in html

    literal = get(client, "/search/", q="shebao", raw="1").content.decode()
    assert "仍然搜索" not in literal and "<em>社保</em>" not in literal


def test_art21_pages_of_results_keep_the_query(client, city):
    documents.write_documents(
        [document(city, FIRST_PAGE_ID + n, f"公积金提取第{n}号公告", "公积金提取。") for n in range(25)]
    )
    html = get(client, "/search/", q="公积金", page="2").content.decode()
    assert 'aria-current="page">2</a>' in html
    assert 'href="?q=%E5%85%AC%E7%A7%AF%E9%87%91&amp;page=3"' in html
    assert 'href="?q=%E5%85%AC%E7%A7%AF%E9%87%91" rel="prev"' in html


def test_art21_without_a_query_or_a_result_the_page_offers_hot_searches(client, city, social_security):
    for _ in range(3):
        services.search(services.SearchQuery(text="社保", site=city))

    empty = get(client, "/search/").content.decode()
    nothing = get(client, "/search/", q="火星移民").content.decode()

    for html in (empty, nothing):
        assert "热门搜索" in html
        assert 'href="?q=%E7%A4%BE%E4%BF%9D">社保</a>' in html
    assert "没有找到相关信息" in nothing


# --- choosing a result ---------------------------------------------------------------------------


def test_art21_a_chosen_result_is_counted_and_opened(client, social_security):
    page_id = FIRST_PAGE_ID + 2
    response = get(client, "/search/go/", q="社保", p=str(page_id))

    assert response.status_code == 302
    assert response["Location"] == f"/news/a{page_id}/"
    assert ResultClick.objects.get(query="社保", page_id=page_id).clicks == 1


@pytest.mark.parametrize("page_id", ["123456789", "abc", "", "-1", "//evil.example.com", "1" * 40, "１２"])
def test_click_redirect_refuses_what_is_not_in_the_index(client, social_security, page_id):
    response = get(client, "/search/go/", q="社保", p=page_id)

    assert response.status_code == 404
    assert CHINESE.search(response.content.decode())
    assert not ResultClick.objects.exists()


# --- any input gives a normal page ---------------------------------------------------------------

HOSTILE = [
    "x" * 5000,
    "。，、！？…——",
    '"社保" OR *',
    "社保 NEAR(公积金, 3)",
    "' OR 1=1 --",
    "社保'; DROP TABLE govsearch_searchdocument; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "社\x00保",
    "\x00",
    "title:社保 body:*",
    "%",
    "_",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_query_gives_a_normal_page_with_nothing_rendered_as_markup(client, social_security, query):
    response = get(
        client, "/search/", q=query, type=query, issuer=query, number=query, page=query, sort=query
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html


@pytest.mark.parametrize(
    "query_string",
    [
        "q=%FF%FE%FD",
        "q=%E7%A4%BE%E4%BF",  # 社 and half a 保
        "q=%00&site=%00&year=%00",
        "q=社保&site=abc&year=99999&page=-3",
        "q=社保&site=99999999999999999999&page=99999999999999999999",
        "q=社保&unknown=1&site[]=1&page=2.5",
    ],
)
def test_broken_or_impossible_parameters_give_a_normal_page(client, social_security, query_string):
    response = client.get(f"/search/?{query_string}", HTTP_HOST=CITY_HOST)
    assert response.status_code == 200


def test_search_page_passes_nul_free_text_to_the_database(client, social_security):
    html = get(client, "/search/", q="社\x00保").content.decode()
    assert "5 条" in summary(html)


# --- suggestions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["社", "sheb", "sb", "SHEBAO"])
def test_art21_suggestions_by_characters_pinyin_or_initials(client, typed):
    services.learn_term("社保", "test")
    response = client.get("/search/suggest/", {"q": typed})
    assert response.status_code == 200
    assert response.json()[0] == "社保"  # the most searched first


def test_suggestions_of_nothing_are_an_empty_list(client):
    assert client.get("/search/suggest/", {"q": "\x00"}).json() == []
