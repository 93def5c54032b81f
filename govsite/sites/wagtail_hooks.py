"""Admin for the registry: institutions, sites, and the county/district portal coverage report."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from govsite.sites import admin_views
from govsite.sites.models import GovSite, Institution


class InstitutionViewSet(SnippetViewSet):
    model = Institution
    icon = "group"
    menu_label = "机构"
    list_display = ["name", "kind", "division_code", "org_code"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]


class GovSiteViewSet(SnippetViewSet):
    model = GovSite
    icon = "site"
    menu_label = "政府网站"
    list_display = ["name", "kind", "domain", "identifier_code", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "domain", "identifier_code"]


class RegistryGroup(SnippetViewSetGroup):
    items = (GovSiteViewSet, InstitutionViewSet)
    menu_icon = "site"
    menu_label = "网站登记"
    menu_name = "registry"


register_snippet(RegistryGroup)


@hooks.register("register_admin_urls")
def registry_urls():
    return [path("registry/portal-coverage/", admin_views.portal_coverage, name="portal_coverage")]


@hooks.register("register_reports_menu_item")
def portal_coverage_menu_item():
    return MenuItem("县区门户开设情况", reverse("portal_coverage"), icon_name="site")
