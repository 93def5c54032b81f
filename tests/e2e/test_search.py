"""A visitor searches the demo city (Art. 21): types in the header's search box, picks a suggestion,
narrows the results by a facet and opens a result, landing on the item itself.

The suggestions come from the words search knows (the platform's default dictionary has 营商环境,
and the demo city writes about it). The pages obey the site's Content-Security-Policy
(`strict_page`): the suggestion script is the site's own file, with no inline script.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from .accessibility import assert_no_serious_axe_violations

if TYPE_CHECKING:
    from .conftest import DemoServer

pytestmark = pytest.mark.e2e

HEADER_BOX = "#site-search-q"
SUGGESTIONS = "#site-search-q-suggestions"
QUERY = "营商环境"
COUNT = re.compile(r"(\d+)\+? 条")


def result_count(page: Page) -> int:
    match = COUNT.search(page.locator(".search-summary").inner_text())
    assert match, f"no result count on {page.url}"
    return int(match.group(1))


def search_from_the_header(page: Page, typed: str, wanted: str) -> None:
    """Type in the header's box, wait for the suggestion `wanted`, choose it with the keyboard."""
    box = page.locator(HEADER_BOX)
    box.fill(typed)
    listbox = page.locator(SUGGESTIONS)
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    labels = [options.nth(i).inner_text() for i in range(options.count())]
    assert wanted in labels, f"suggestions for {typed!r}: {labels}"
    for _ in range(labels.index(wanted) + 1):
        box.press("ArrowDown")
    expect(box).to_have_value(wanted)
    expect(listbox.get_by_role("option", name=wanted)).to_have_attribute("aria-selected", "true")
    with page.expect_navigation():
        box.press("Enter")


def test_visitor_searches_narrows_and_opens_a_result(strict_page: Page, demo_server: DemoServer):
    page = strict_page
    page.goto(demo_server.url + "/")

    search_from_the_header(page, "营商", QUERY)

    assert urlsplit(page.url).path == "/search/"
    assert parse_qs(urlsplit(page.url).query)["q"] == [QUERY]
    hits = page.locator(".search-hit")
    expect(hits.first).to_be_visible()
    expect(hits.first.locator("em").first).to_have_text(re.compile("营商|环境"))
    everything = result_count(page)

    facet = page.locator('.search-facet:has(h3:text-is("内容类型")) a').first
    label = facet.inner_text()
    with page.expect_navigation():
        facet.click()
    narrowed = result_count(page)
    assert narrowed == int(re.search(r"（(\d+)）", label).group(1))
    assert narrowed <= everything
    expect(page.locator('.search-facet a[aria-current="true"]')).to_have_text(label)

    first = page.locator(".search-hit-title a").first
    title = first.inner_text().replace("推荐答案", "").strip()
    with page.expect_navigation() as navigation:
        first.click()
    response = navigation.value
    assert response is not None and response.ok, f"{page.url} answered {response and response.status}"
    assert "/search/" not in urlsplit(page.url).path
    expect(page.locator("h1").first).to_contain_text(title[:10])
    assert not page.console_errors, page.console_errors  # type: ignore[attr-defined]


def test_escape_closes_the_suggestions_and_keeps_what_was_typed(strict_page: Page, demo_server: DemoServer):
    page = strict_page
    page.goto(demo_server.url + "/")
    box = page.locator(HEADER_BOX)
    box.fill("yingshang")
    expect(page.locator(SUGGESTIONS)).to_be_visible()
    box.press("ArrowDown")
    box.press("Escape")
    expect(page.locator(SUGGESTIONS)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("yingshang")


def test_search_page_passes_the_accessibility_check(page: Page, demo_server: DemoServer):
    response = page.goto(f"{demo_server.url}/search/?q={QUERY}&scope=all")
    assert response is not None and response.ok
    expect(page.locator(".search-hit").first).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.goto(f"{demo_server.url}/search/")
    assert_no_serious_axe_violations(page)
