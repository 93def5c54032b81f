"""Public views that are not pages: sitemap, site map, the leaving notice (search is
`govsite.search.views`; the interaction channels and the error-report form are `govsite.cases.views`)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from wagtail.models import Site

from govsite.content import feeds, services
from govsite.content.models import ColumnPage
from govsite.content.render_cache import per_run

MAX_URL_LENGTH = 2000


SITEMAP_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _site_or_404(request: HttpRequest) -> Site:
    site = Site.find_for_request(request)
    if site is None:
        raise Http404("网站不存在")
    return site


def sitemap(request: HttpRequest) -> HttpResponse:
    """sitemap.xml of the site that answers this host: an index of fixed shards of its own pages."""
    site = _site_or_404(request)
    base = site.root_url
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_XMLNS}">']
    for shard in services.sitemap_shards(site.root_page):
        parts.append(f"<sitemap><loc>{escape(base)}/sitemap-{shard}.xml</loc></sitemap>")
    parts.append("</sitemapindex>\n")
    return HttpResponse("\n".join(parts), content_type="application/xml; charset=utf-8")


def sitemap_shard(request: HttpRequest, shard: str) -> HttpResponse:
    """One shard of the sitemap: the site's live pages whose ids fall in the shard's range."""
    site = _site_or_404(request)
    if len(shard) > 9:
        raise Http404("网站地图不存在")
    entries = services.sitemap_entries(site.root_page, int(shard))
    if not entries:
        raise Http404("网站地图不存在")
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_XMLNS}">']
    for path, published in entries:
        lastmod = f"<lastmod>{published.date().isoformat()}</lastmod>" if published else ""
        parts.append(f"<url><loc>{escape(site.root_url + path)}</loc>{lastmod}</url>")
    parts.append("</urlset>\n")
    return HttpResponse("\n".join(parts), content_type="application/xml; charset=utf-8")


def site_map_page(request: HttpRequest) -> HttpResponse:
    """网站地图 (指引 §1.4): every column of the site, as a tree."""
    site = Site.find_for_request(request)
    root = site.root_page.specific if site else None
    columns = services.site_pages_for_map(root) if root else []
    return render(request, "content/site_map.html", {"page": root, "columns": columns, "title": "网站地图"})


def leaving_notice(request: HttpRequest) -> HttpResponse:
    """指引 §1.4: a link leaving the site first says so, and names where it goes."""
    target = request.GET.get("to", "")[:MAX_URL_LENGTH]
    parts = urlsplit(target)
    valid = parts.scheme in {"http", "https"} and bool(parts.netloc)
    context = {
        "target": target if valid else "",
        "target_host": parts.netloc if valid else "",
        "title": "即将离开本网站",
    }
    return render(request, "content/leaving.html", context, status=200 if valid else 400)


def _column_at(request: HttpRequest, column_path: str) -> ColumnPage:
    site = Site.find_for_request(request)
    if site is None:
        raise Http404("栏目不存在")
    url_path = f"{site.root_page.url_path}{column_path}"
    column = per_run(  # the static publisher renders many pages of one column
        request,
        ("column-at", url_path),
        lambda: ColumnPage.objects.live().public().filter(url_path=url_path).first(),
    )
    if column is None:
        raise Http404("栏目不存在")
    return column


def column_feed(request: HttpRequest, column_path: str) -> HttpResponse:
    """RSS of the column at `column_path` on this host's site (指引 §1.6)."""
    return feeds.column_feed(request, _column_at(request, column_path))


def column_archive(request: HttpRequest, column_path: str, number: str) -> HttpResponse:
    """Archive page `number` of a column (1 = oldest): stable addresses, so static pages stay valid."""
    column = _column_at(request, column_path)
    if len(number) > 9:
        raise Http404("该页不存在")
    response = column.serve(request, archive_number=int(number))
    return response
