from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from govsite.content import views as content_views
from govsite.sites import views as sites_views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", content_views.sitemap, name="sitemap"),
    re_path(r"^sitemap-(?P<shard>[0-9]+)\.xml$", content_views.sitemap_shard, name="sitemap_shard"),
    path("sitemap/", content_views.site_map_page, name="site_map_page"),
    re_path(r"^(?P<column_path>(?:[\w\-]+/)+)feed\.xml$", content_views.column_feed, name="column_feed"),
    re_path(
        r"^(?P<column_path>(?:[\w\-]+/)+)list_(?P<number>[0-9]+)\.html$",
        content_views.column_archive,
        name="column_archive",
    ),
    path("", include("govsite.cases.urls")),  # /hudong/... and /error-report/ (issue 6)
    path("", include("govsite.search.urls")),
    path("leaving/", content_views.leaving_notice, name="leaving_notice"),
    path("archive/<slug:site_slug>/<path:page_path>", sites_views.archived_page, name="archived_page"),
    path("archive/<slug:site_slug>/", sites_views.archived_page, {"page_path": ""}, name="archived_home"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns.append(path("", include(wagtail_urls)))
