"""The search API for other channels (mobile apps, kiosks, other platforms): read-only JSON (Art. 21).

The same search as the page (`services.search`); the public data it returns may be read from any
origin (`Access-Control-Allow-Origin: *`). Bad parameters get a 400 with a Chinese `error`.
The contract is `openapi.document()`, served at /api/search/openapi.json. Each client address
may call it `GOVSITE_API_RATE` times (default 120 a minute, `govsite.throttle`); beyond, 429 with
a Chinese `error` and `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from html import unescape
from urllib.parse import urljoin

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.html import strip_tags
from django.views.decorators.http import require_GET

from govsite import throttle
from govsite.search import openapi, params, services
from govsite.search.views import current_site
from govsite.sites.models import GovSite

JSON_OPTIONS = {"ensure_ascii": False}
DEFAULT_API_RATE = "120/m"


def api_rate() -> throttle.Rate:
    return throttle.parse_rate(getattr(settings, "GOVSITE_API_RATE", "") or DEFAULT_API_RATE)


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params=JSON_OPTIONS)


def public_api(view: Callable[[HttpRequest], JsonResponse]) -> Callable[[HttpRequest], JsonResponse]:
    """GET only, readable from any origin, limited per client address, and a refused parameter
    answers 400 with its reason."""

    @require_GET
    @wraps(view)
    def wrapped(request: HttpRequest) -> JsonResponse:
        decision = throttle.check_request(request, "api", api_rate())
        if not decision.allowed:
            response = _json({"error": decision.message.replace("提交", "调用")}, status=429)
            response["Retry-After"] = str(decision.retry_after)
        else:
            try:
                response = view(request)
            except params.BadParameter as refusal:
                response = _json({"error": str(refusal)}, status=400)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapped


def site_for(request: HttpRequest) -> GovSite | None:
    """The site named by `site` (its slug), or the site answering this host."""
    slug = params.clean(request.GET.get("site"), 60)
    if not slug:
        return current_site(request)
    found = GovSite.objects.filter(slug=slug).select_related("site").first()
    if found is None:
        raise params.BadParameter(f"没有标识为“{slug}”的网站。")
    return found


def absolute(url: str, site: GovSite | None, request: HttpRequest) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    if site is not None and site.site_id:
        return urljoin(site.site.root_url + "/", url)
    return request.build_absolute_uri(url)


def hit_data(hit: services.Hit, site: GovSite | None, request: HttpRequest) -> dict:
    return {
        "title": unescape(strip_tags(hit.title)),
        "title_html": str(hit.title),
        "snippet_html": str(hit.snippet),
        "url": absolute(hit.url, site, request),
        "site": hit.site_name,
        "column": hit.column_title,
        "type": hit.ctype,
        "type_label": hit.ctype_label,
        "published_at": hit.published_at.isoformat() if hit.published_at else None,
        "document_number": hit.document_number,
        "issuer": hit.issuer,
        "validity": hit.validity,
        "validity_label": hit.validity_label,
        "pinned": hit.pinned,
    }


def facet_data(facet: services.Facet, site: GovSite | None, whole_platform: bool) -> dict:
    """A facet as the API shows it. Sites are named by slug, so `?site=<value>` narrows to one."""
    values = [
        {"value": value.value, "label": value.label, "count": value.count, "selected": value.selected}
        for value in facet.values
    ]
    if facet.key == "site":
        slugs = dict(GovSite.objects.filter(pk__in=[v.value for v in facet.values]).values_list("pk", "slug"))
        for value in values:
            value["value"] = slugs.get(int(value["value"]), "")
            value["selected"] = bool(site and not whole_platform and value["value"] == site.slug)
    return {"key": facet.key, "label": facet.label, "values": values}


@public_api
def search(request: HttpRequest) -> JsonResponse:
    site = site_for(request)
    wanted = params.read(request.GET, strict=True, skip=("site",))
    result = services.search(wanted.query(site))
    return _json(
        {
            "query": wanted.text,
            "searched_for": result.searched_for,
            "total": result.total,
            "total_is_lower_bound": result.total_is_lower_bound,
            "page": result.page,
            "pages": result.pages,
            "hits": [hit_data(hit, site, request) for hit in result.hits],
            "facets": [facet_data(facet, site, wanted.whole_platform) for facet in result.facets],
            "pinyin_from": result.pinyin_from,
            "corrected_from": result.corrected_from,
            "redirect": absolute(result.redirect, site, request),
        }
    )


@public_api
def suggest(request: HttpRequest) -> JsonResponse:
    return _json(services.suggest(params.clean(request.GET.get("q"), 40)))


@public_api
def hot(request: HttpRequest) -> JsonResponse:
    site = site_for(request)
    whole_platform = params.clean(request.GET.get("scope"), 10) == "all"
    return _json(services.hot_queries(None if whole_platform else site))


@public_api
def openapi_document(request: HttpRequest) -> JsonResponse:
    return _json(openapi.document(request.build_absolute_uri("/")))
