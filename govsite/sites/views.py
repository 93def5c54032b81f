"""Public views of the registry: the archive of closed and merged sites."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from wagtail.models import Page, Site

from govsite.sites import services
from govsite.sites.models import GovSite


def archived_page(request: HttpRequest, site_slug: str, page_path: str) -> HttpResponse:
    """A page of a closed or merged site, kept reachable on its successor (Art. 13: 归并或关闭)."""
    gov_site = get_object_or_404(
        GovSite.objects.select_related("site__root_page"),
        slug=site_slug,
        status__in=(GovSite.Status.CLOSED, GovSite.Status.MERGED),
    )
    if Site.find_for_request(request) != services.serving_successor(gov_site).site:
        raise Http404("页面不存在")  # one address per archived page: on the site that now serves it
    root = gov_site.site.root_page
    url_path = root.url_path + page_path.strip("/") + ("/" if page_path.strip("/") else "")
    page = Page.objects.live().public().filter(url_path=url_path).first()
    if page is None:
        raise Http404("页面不存在")
    request.archived_site = gov_site
    return page.specific.serve(request)
