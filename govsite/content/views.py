"""Public views that are not pages: sitemap, site map, the leaving notice, the error-report entrance."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap
from wagtail.models import Site

from govsite.content import services

MAX_URL_LENGTH = 2000


def sitemap(request: HttpRequest) -> HttpResponse:
    """sitemap.xml of the site that answers this host, its own pages only."""
    return wagtail_sitemap(request)


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


def error_report_entry(request: HttpRequest) -> HttpResponse:
    """The “我为政府网站找错” entrance (Art. 18) that every page footer links to."""
    url = request.GET.get("url", "")[:MAX_URL_LENGTH]
    return render(request, "content/error_report.html", {"reported_url": url, "title": "我为政府网站找错"})
