"""A visitor browses the demo city: the Nantong portal, a district portal, columns, articles,
policy documents and their interpretations.

What every public page must show comes from the national rules (政府网站发展指引 and
政府网站网页设计规范, gov-site-rules.md): the site name in the header, a search box, the column
navigation, a footer with the host unit, contact, 网站标识码, ICP and 公安备案 numbers, the
党政机关 mark, the site map and the “我为政府网站找错” entrance, and the meta tags
(SiteName, SiteDomain, SiteIDCode; ColumnName; ArticleTitle, PubDate) that inspection tools read.
Every page type also passes axe-core with no serious or critical violation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .accessibility import assert_no_serious_axe_violations

if TYPE_CHECKING:
    from .conftest import DemoServer

pytestmark = pytest.mark.e2e

CITY_NAME = "南通市人民政府"
DISTRICT_SLUG, DISTRICT_NAME = "chongchuan", "崇川区人民政府"
NAV = 'nav[aria-label="栏目导航"]'
PAGINATION = 'nav[aria-label="分页"]'
ITEM_LINKS = "ol.item-list > li > a"
FOOTER_PARTS = (
    "host-unit",
    "contact",
    "identifier-code",
    "icp",
    "police-record",
    "party-gov-mark",
    "site-map",
    "error-report",
)
METADATA_LABELS = ("索引号", "发布机构", "文号", "成文日期", "发布日期", "主题分类", "有效性")
# Known for every published document; a placeholder (—) may stand for the others.
METADATA_ALWAYS_KNOWN = ("索引号", "发布机构", "发布日期", "有效性")
PUB_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
IDENTIFIER_CODE = re.compile(r"^[0-9A-Z]{10}$")


# --- what a visitor checks on a page --------------------------------------------------------------


def meta(page: Page, name: str) -> str | None:
    tag = page.locator(f'meta[name="{name}"]')
    return tag.first.get_attribute("content") if tag.count() else None


def open_url(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None, f"no response for {url}"
    assert response.ok, f"{url} answered {response.status}"


def click_and_wait(page: Page, link: Locator) -> None:
    """Follow a link as a person does, and check the page it leads to was served."""
    with page.expect_navigation() as navigation:
        link.click()
    response = navigation.value
    assert response is not None and response.ok, (
        f"{page.url} answered {response.status if response else None}"
    )


def nav_link(page: Page, text: str) -> Locator:
    return page.locator(NAV).get_by_role("link", name=text, exact=True).first


def assert_site_frame(page: Page, site_name: str) -> None:
    """Header with the site name and a search box, column navigation, main content, the meta tags."""
    header = page.locator('header[role="banner"]')
    expect(header).to_be_visible()
    expect(header.locator(".site-name")).to_contain_text(site_name)
    expect(header.locator('form[role="search"]')).to_have_count(1)
    expect(header.locator('form[role="search"] input').first).to_be_visible()
    expect(page.locator(NAV)).to_be_visible()
    expect(page.locator("main#main")).to_be_visible()

    assert site_name in (meta(page, "SiteName") or ""), (
        f"SiteName meta on {page.url}: {meta(page, 'SiteName')!r}"
    )
    domain = meta(page, "SiteDomain") or ""
    assert domain.endswith(".gov.cn"), f"SiteDomain meta on {page.url}: {domain!r}"
    code = meta(page, "SiteIDCode") or ""
    assert IDENTIFIER_CODE.match(code), f"SiteIDCode meta on {page.url}: {code!r}"


def assert_footer_complete(page: Page) -> None:
    """The footer every page carries (指引 §1.4, 网页设计规范): all its parts, none empty."""
    footer = page.locator('footer[role="contentinfo"]')
    expect(footer).to_be_visible()
    for part in FOOTER_PARTS:
        element = footer.locator(f'[data-footer="{part}"]').first
        expect(element, f"footer part {part!r} on {page.url}").to_be_attached()
        if part == "party-gov-mark":  # the 党政机关 mark is an image: it needs a text alternative
            assert element.evaluate(
                "el => (el.innerText || '').trim() !== '' || !!el.querySelector('img[alt]:not([alt=\"\"])')"
                " || (el.tagName === 'IMG' && !!el.getAttribute('alt'))"
            ), f"the 党政机关 mark on {page.url} has neither text nor an image with alt text"
        else:
            assert element.inner_text().strip(), f"footer part {part!r} is empty on {page.url}"
    code = meta(page, "SiteIDCode")
    expect(footer.locator('[data-footer="identifier-code"]').first).to_contain_text(code or "<no SiteIDCode>")
    error_report = footer.locator('[data-footer="error-report"]').first
    link = (
        error_report if error_report.evaluate("el => el.tagName") == "A" else error_report.locator("a").first
    )
    expect(link).to_have_text(re.compile(r"^\s*我为政府网站找错\s*$"))
    assert link.get_attribute("href"), f"the error-report link on {page.url} goes nowhere"


def assert_content_meta(page: Page) -> str:
    """ArticleTitle and PubDate (YYYY-MM-DD HH:MM) on a content page; returns the title."""
    title = meta(page, "ArticleTitle") or ""
    assert title.strip(), f"ArticleTitle meta missing on {page.url}"
    pub_date = meta(page, "PubDate") or ""
    assert PUB_DATE.match(pub_date), f"PubDate meta on {page.url}: {pub_date!r} (want YYYY-MM-DD HH:MM)"
    return title


def item_links(page: Page) -> list[tuple[str, str]]:
    """(title, href) of the items a column page lists."""
    links = page.locator(ITEM_LINKS)
    return [
        (links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href") or "")
        for i in range(links.count())
    ]


# --- the demo city's pages, found once by following links from the home page ----------------------


PAGE_KINDS = ("home", "column", "article", "policy", "interpretation")


def _absolute(page: Page, href: str) -> str:
    return page.evaluate("href => new URL(href, document.baseURI).href", href)


def _first_item_of(page: Page, home: str, column: str) -> str | None:
    """Open a column from the home page's navigation and return the address of its first item."""
    open_url(page, home)
    open_url(page, _absolute(page, nav_link(page, column).get_attribute("href") or ""))
    items = item_links(page)
    return _absolute(page, items[0][1]) if items else None


@pytest.fixture(scope="package")
def demo_pages(demo_server: DemoServer, browser: Browser) -> dict[str, str | None]:
    """One city-portal page of each type, reached the way a visitor reaches them (None: not found)."""
    context = browser.new_context()
    page = context.new_page()
    try:
        home = demo_server.url + "/"
        open_url(page, home)
        found: dict[str, str | None] = {
            "home": home,
            "column": _absolute(page, nav_link(page, "通知公告").get_attribute("href") or ""),
        }
        found["article"] = _first_item_of(page, home, "通知公告")
        found["policy"] = _first_item_of(page, home, "政策文件")
        found["interpretation"] = _first_item_of(page, home, "政策解读")
        return found
    finally:
        context.close()


def open_demo_page(page: Page, demo_pages: dict[str, str | None], kind: str) -> None:
    url = demo_pages[kind]
    if url is None:
        pytest.fail(f"the demo city has no {kind} page: its column lists nothing")
    open_url(page, url)


# --- the tests -------------------------------------------------------------------------------------


def test_city_home_page_shows_the_portal_with_its_columns_and_footer(page: Page, demo_server: DemoServer):
    open_url(page, demo_server.url + "/")

    assert_site_frame(page, CITY_NAME)
    nav = page.locator(NAV)
    for column in ("政策文件", "政策解读"):
        expect(nav.get_by_role("link", name=column, exact=True).first).to_be_visible()
    assert meta(page, "ColumnName") is None, "the home page is not a column page"
    assert_footer_complete(page)
    assert_no_serious_axe_violations(page)


def test_visitor_opens_a_column_from_the_navigation_and_reads_an_item(page: Page, demo_server: DemoServer):
    open_url(page, demo_server.url + "/")

    click_and_wait(page, nav_link(page, "通知公告"))
    assert meta(page, "ColumnName") == "通知公告"
    items = page.locator(ITEM_LINKS)
    expect(items.first).to_be_visible()
    first_title = items.first.inner_text().strip()
    assert first_title, "the first item of the list has no title"

    click_and_wait(page, items.first)
    article_title = assert_content_meta(page)
    assert article_title in first_title or first_title.rstrip("…. ") in article_title
    expect(page.locator("main#main")).to_contain_text(article_title[:10])
    assert_site_frame(page, CITY_NAME)


def test_a_long_column_is_split_into_pages(page: Page, demo_server: DemoServer):
    """The district's 政务动态 holds more items than one page shows (20)."""
    open_url(page, demo_server.site_url(DISTRICT_SLUG))
    click_and_wait(page, nav_link(page, "政务动态"))
    first_page = item_links(page)
    assert first_page, "政务动态 lists nothing"

    pagination = page.locator(PAGINATION)
    expect(pagination).to_be_visible()
    next_link = pagination.get_by_role("link", name=re.compile(r"^\s*(下一页|2)\s*$")).first
    click_and_wait(page, next_link)
    second_page = item_links(page)
    assert second_page, f"page 2 of 政务动态 ({page.url}) lists nothing"
    assert not set(second_page) & set(first_page), "page 2 repeats items of page 1"
    assert meta(page, "ColumnName") == "政务动态"


def test_policy_document_shows_its_metadata_and_leads_to_its_interpretation_and_back(
    page: Page, demo_server: DemoServer
):
    open_url(page, demo_server.url + "/")
    click_and_wait(page, nav_link(page, "政策文件"))
    assert meta(page, "ColumnName") == "政策文件"
    documents = item_links(page)
    assert documents, "政策文件 lists no documents"

    # A visitor opens the documents one by one until one has an interpretation.
    for _, href in documents:
        open_url(page, _absolute(page, href))
        if page.locator("section#interpretations a[href]").count():
            break
    else:
        pytest.fail("no document listed in 政策文件 links to an interpretation")
    document_url = page.url
    document_title = assert_content_meta(page)

    table = page.locator("table.metadata")
    expect(table).to_be_visible()
    for label in METADATA_LABELS:
        row = table.locator("tr", has=page.locator("th", has_text=label)).first
        expect(row, f"metadata row {label}").to_be_attached()
        value = row.locator("td").first.inner_text().strip()
        assert value, f"metadata {label} is empty on {document_url}"
        if label in METADATA_ALWAYS_KNOWN:
            assert value.strip("—- "), (
                f"metadata {label} of a published document is unknown on {document_url}"
            )

    click_and_wait(page, page.locator("section#interpretations a[href]").first)
    assert_content_meta(page)
    back = page.locator('a[data-rel="interpreted-document"]')
    expect(back.first).to_be_visible()
    expect(back.first).to_contain_text(document_title[:10])

    click_and_wait(page, back.first)
    assert urlsplit(page.url).path == urlsplit(document_url).path
    assert meta(page, "ArticleTitle") == document_title


def test_interpretation_column_lists_interpretations_that_point_to_their_documents(
    page: Page, demo_server: DemoServer
):
    open_url(page, demo_server.url + "/")
    click_and_wait(page, nav_link(page, "政策解读"))
    assert meta(page, "ColumnName") == "政策解读"
    items = page.locator(ITEM_LINKS)
    expect(items.first).to_be_visible()

    click_and_wait(page, items.first)
    interpretation_url = page.url
    click_and_wait(page, page.locator('a[data-rel="interpreted-document"]').first)
    expect(page.locator("table.metadata")).to_be_visible()
    interpretations = page.locator("section#interpretations a[href]")
    paths = [urlsplit(_absolute(page, interpretations.nth(i).get_attribute("href") or "")).path
             for i in range(interpretations.count())]  # fmt: skip
    assert urlsplit(interpretation_url).path in paths, "the document does not link back to its interpretation"


def test_district_portal_home_page(page: Page, demo_server: DemoServer):
    open_url(page, demo_server.site_url(DISTRICT_SLUG))

    assert_site_frame(page, DISTRICT_NAME)
    assert meta(page, "SiteName") != CITY_NAME
    expect(page.locator(NAV).get_by_role("link", name="政策文件", exact=True).first).to_be_visible()
    assert_footer_complete(page)
    assert_no_serious_axe_violations(page)


def test_district_and_city_have_their_own_identifier_codes(page: Page, demo_server: DemoServer):
    open_url(page, demo_server.url + "/")
    city_code = meta(page, "SiteIDCode")
    open_url(page, demo_server.site_url(DISTRICT_SLUG))
    district_code = meta(page, "SiteIDCode")
    assert city_code and district_code and city_code != district_code


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_every_page_type_has_the_full_footer_and_meta_tags_and_passes_axe(page: Page, demo_pages, kind: str):
    open_demo_page(page, demo_pages, kind)

    assert_site_frame(page, CITY_NAME)
    assert_footer_complete(page)
    if kind == "column":
        assert meta(page, "ColumnName"), f"ColumnName meta missing on {page.url}"
    if kind in {"article", "policy", "interpretation"}:
        assert_content_meta(page)
    if kind == "policy":
        expect(page.locator("table.metadata")).to_be_visible()
    if kind == "interpretation":
        expect(page.locator('a[data-rel="interpreted-document"]').first).to_be_visible()
    assert_no_serious_axe_violations(page)


@pytest.mark.parametrize("part", ["error-report", "site-map"])
def test_footer_links_open_their_pages(page: Page, demo_pages, part: str):
    open_demo_page(page, demo_pages, "article")
    element = page.locator(f'footer[role="contentinfo"] [data-footer="{part}"]').first
    link = element if element.evaluate("el => el.tagName") == "A" else element.locator("a[href]").first
    click_and_wait(page, link)
    assert_footer_complete(page)
    if part == "error-report":
        expect(page.locator("main#main")).to_contain_text("找错")


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_pages_work_under_the_sites_content_security_policy(strict_page: Page, demo_pages, kind: str):
    """With the CSP enforced as in a visitor's browser: no blocked script or style, no script error,
    and every stylesheet, script and image the page asks for is served."""
    failed: list[str] = []
    strict_page.on(
        "response",
        lambda response: (
            response.status >= 400
            and response.request.resource_type in {"stylesheet", "script", "image", "font"}
            and failed.append(f"{response.status} {response.url}")
        ),
    )
    open_demo_page(strict_page, demo_pages, kind)
    strict_page.wait_for_load_state("load")

    assert not failed, f"resources not served on {strict_page.url}: {failed}"
    assert not strict_page.console_errors, (
        f"console errors on {strict_page.url}: {strict_page.console_errors}"
    )
