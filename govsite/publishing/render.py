"""Rendering a public URL to bytes, the same way the application answers it.

The publisher calls the URL's view directly with a request for the site's host (no session, no
user), so a published file is exactly what the dynamic site would serve; headers are the front
server's business. A renderer keeps the site lookups of one publish or rebuild in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from wagtail.models import Page, Site

from govsite.sites.models import GovSite


@dataclass(frozen=True)
class Rendered:
    status: int
    body: bytes


class Renderer:
    """Renders URLs of the platform's sites; one instance per publish job or rebuild worker."""

    def __init__(self) -> None:
        self._factory = RequestFactory()
        self._gov_sites: dict[int, GovSite | None] = {}
        self._root_paths = None
        self.cache: dict = {}

    def gov_site(self, site: Site) -> GovSite | None:
        if site.pk not in self._gov_sites:
            self._gov_sites[site.pk] = (
                GovSite.objects.filter(site=site)
                .select_related("site", "parent__site", "logo", "successor__site")
                .first()
            )
        return self._gov_sites[site.pk]

    def request_for(self, site: Site, url_path: str):
        request = self._factory.get(url_path, HTTP_HOST=site.hostname, SERVER_PORT=str(site.port))
        request.user = AnonymousUser()
        request.gov_site = self.gov_site(site)
        request._wagtail_site = site
        if self._root_paths is None:
            self._root_paths = Site.get_site_root_paths()
        request._wagtail_cached_site_root_paths = self._root_paths
        request.render_cache = self.cache
        return request

    def render(self, site: Site, url_path: str, page: Page | None = None) -> Rendered:
        """The response body for `url_path` on `site`: 200 with bytes, or the status it answers.

        When `page` is the page at `url_path` (already loaded), it is served directly, as Wagtail's
        serve view would after routing to it.
        """
        request = self.request_for(site, url_path)
        try:
            if page is not None:
                response = page.serve(request)
            else:
                match = resolve(url_path)
                response = match.func(request, *match.args, **match.kwargs)
        except (Http404, Resolver404):
            return Rendered(404, b"")
        return _finish(response)


def _finish(response: HttpResponse) -> Rendered:
    if isinstance(response, SimpleTemplateResponse):
        response.render()
    if response.status_code != 200 or getattr(response, "streaming", False):
        return Rendered(response.status_code, b"")
    return Rendered(200, response.content)
