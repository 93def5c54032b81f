"""The public search page of every site, the click redirect and the suggestions (Art. 21).

Thin on purpose: parameters are read by `params`, the search itself and every rule about it
(segmentation, synonyms, ranking, pinned answers, pinyin, corrections) are `services`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from wagtail.models import Site

from govsite.search import params, services
from govsite.sites.models import GovSite, Institution

MAX_PAGE_LINKS_EACH_SIDE = 2
SUGGEST_CACHE_SECONDS = 60
MAX_ISSUERS = 300
SCOPES = (("site", "本站"), ("all", "全平台"))
SORT_LABELS = (("relevance", "按相关度"), ("date", "按时间"))


def current_site(request: HttpRequest) -> GovSite | None:
    """The GovSite answering this host (set by the lifecycle middleware, looked up otherwise)."""
    found = getattr(request, "gov_site", None)
    if found is not None:
        return found
    site = Site.find_for_request(request)
    return GovSite.objects.filter(site=site).select_related("site").first() if site else None


# --- links that keep the rest of the search ---------------------------------------------------


class Links:
    """Addresses of the search page for the same search with one thing changed (page 1 again)."""

    def __init__(self, search: params.SearchParams) -> None:
        self.base: dict[str, str] = {"q": search.text}
        if search.whole_platform:
            self.base["scope"] = "all"
        if search.sort != "relevance":
            self.base["sort"] = search.sort
        if search.number:
            self.base["number"] = search.number
        if search.literal:
            self.base["raw"] = "1"
        self.base |= search.filters

    def url(self, **changes: str | None) -> str:
        values = {**self.base, **changes}
        return "?" + urlencode({key: value for key, value in values.items() if value})

    def page(self, number: int) -> str:
        return self.url(page=str(number) if number > 1 else None)

    def toggle(self, key: str, value: str) -> str:
        return self.url(**{key: None if self.base.get(key) == value else value})


@dataclass
class Choice:
    label: str
    url: str
    current: bool


def facet_choices(facets: list[services.Facet], links: Links) -> list[tuple[services.Facet, list[Choice]]]:
    return [
        (
            facet,
            [
                Choice(
                    f"{value.label}（{value.count}）", links.toggle(facet.key, value.value), value.selected
                )
                for value in facet.values
            ],
        )
        for facet in facets
    ]


def page_numbers(current: int, pages: int) -> list[int | None]:
    """Page numbers around the current one and at both ends, `None` where numbers are left out."""
    shown = {1, pages, *range(current - MAX_PAGE_LINKS_EACH_SIDE, current + MAX_PAGE_LINKS_EACH_SIDE + 1)}
    numbers: list[int | None] = []
    for number in sorted(n for n in shown if 1 <= n <= pages):
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def click_url(query_text: str, hit: services.Hit) -> str:
    return "/search/go/?" + urlencode({"q": query_text, "p": hit.page_id})


def hot_links(site: GovSite | None) -> list[tuple[str, str]]:
    return [(word, "?" + urlencode({"q": word})) for word in services.hot_queries(site)]


def count_text(result: services.SearchResult) -> str:
    return f"约 {result.total}+ 条" if result.total_is_lower_bound else f"{result.total} 条"


def policy_issuers(selected: str) -> list[str]:
    """发布机构 offered by the policy-document form: the registered institutions (a small table;
    the index's issuers are their full names)."""
    names = list(Institution.objects.order_by("name").values_list("name", flat=True)[:MAX_ISSUERS])
    return names if not selected or selected in names else [selected, *names]


def results_context(search: params.SearchParams, result: services.SearchResult, site: GovSite | None) -> dict:
    """What the results template shows, with every link already built."""
    links = Links(search)
    searched = bool(search.text or search.filters or search.number)
    return {
        "title": "站内搜索",
        "search": search,
        "result": result,
        "searched": searched,
        "count_text": count_text(result),
        "facets": facet_choices(result.facets, links),
        "scopes": [
            Choice(label, links.url(scope=key), search.whole_platform == (key == "all"))
            for key, label in SCOPES
        ],
        "sorts": [Choice(label, links.url(sort=key), search.sort == key) for key, label in SORT_LABELS],
        "pages": [
            (number, links.page(number) if number else "")
            for number in page_numbers(search.page, result.pages)
        ],
        "previous_url": links.page(search.page - 1) if search.page > 1 else "",
        "next_url": links.page(search.page + 1) if search.page < result.pages else "",
        "hits": [(hit, click_url(result.searched_for, hit)) for hit in result.hits],
        "hot": hot_links(site) if not searched or not result.total else [],
        "issuers": policy_issuers(search.filters.get("issuer", "")),
        "validities": list(services.VALIDITY_LABELS.items()),
        "literal_url": links.url(q=result.pinyin_from, raw="1") if result.pinyin_from else "",
        "clear_url": "?" + urlencode({"q": search.text}) if search.text else "?",
    }


# --- views ------------------------------------------------------------------------------------


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """站内搜索: this site or the whole platform, facets, policy-document search, hot searches."""
    site = current_site(request)
    search = params.read(request.GET)
    result = services.search(search.query(site))
    if result.redirect:
        return HttpResponseRedirect(result.redirect)
    return render(request, "search/results.html", results_context(search, result, site))


@require_GET
def go(request: HttpRequest) -> HttpResponse:
    """A result was chosen: count it for the query (no personal data) and go to the item.

    Only items in the index can be reached: the address comes from the index, never from the request.
    """
    query = params.clean(request.GET.get("q"))
    page_id = params.clean(request.GET.get("p"), 12)
    known = re.fullmatch(r"[0-9]{1,9}", page_id) is not None
    url = services.record_click(query, int(page_id), current_site(request)) if known else ""
    if not url or url.startswith("//") or not url.startswith(("/", "http://", "https://")):
        return render(request, "404.html", {"title": "页面不存在"}, status=404)
    return HttpResponseRedirect(url)


@require_GET
def suggestions(request: HttpRequest) -> JsonResponse:
    """Words to offer while someone types in a search box (a JSON list of strings)."""
    words = services.suggest(params.clean(request.GET.get("q"), 40))
    response = JsonResponse(words, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={SUGGEST_CACHE_SECONDS}"
    return response
