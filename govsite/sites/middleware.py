"""Request-level parts of the registry: site lifecycle redirects and strict security headers."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from wagtail.models import Site

from govsite.paths import PLATFORM_PREFIXES
from govsite.sites import services
from govsite.sites.models import GovSite

DYNAMIC_PREFIXES = ("/admin/", "/static/", "/media/", "/documents/")
ADMIN_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)


class SiteLifecycleMiddleware:
    """A closed or merged site's old URLs redirect to its successor's archive (Art. 13, 指引 URL stability);
    a planned site is not yet public."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(DYNAMIC_PREFIXES):
            return self.get_response(request)
        site = Site.find_for_request(request)
        gov_site = (
            GovSite.objects.filter(site=site)
            .select_related("site", "parent__site", "logo", "successor__site")
            .first()
            if site
            else None
        )
        request.gov_site = gov_site
        if gov_site is None or gov_site.status == GovSite.Status.OPEN:
            return self.get_response(request)
        if gov_site.status == GovSite.Status.PLANNED:
            if request.user.is_authenticated and request.user.has_perm("wagtailadmin.access_admin"):
                return self.get_response(request)
            return render(request, "sites/planned.html", {"gov_site": gov_site}, status=503)
        path = quote(request.path) + (f"?{request.GET.urlencode()}" if request.GET else "")
        if request.path.startswith(PLATFORM_PREFIXES):
            return HttpResponsePermanentRedirect(services.successor_url(gov_site, path))
        return HttpResponsePermanentRedirect(services.archive_url(gov_site, path))


class SecurityHeadersMiddleware:
    """Strict headers on every response: CSP (looser only inside the Wagtail admin), permissions policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = ADMIN_CSP if request.path.startswith("/admin/") else settings.GOVSITE_CSP
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(), camera=(), microphone=(), payment=()"
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-site")
        return response
