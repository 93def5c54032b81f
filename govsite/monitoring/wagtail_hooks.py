"""Admin of 监测巡检 (Art. 23-25): dashboard, findings, inspection runs, duty and incidents, and the
wording dictionaries and inspection intervals as snippets."""

from __future__ import annotations

from functools import partial

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from govsite.admin_access import PermittedMenuItem
from govsite.monitoring import admin_views, incident_views, services
from govsite.monitoring.models import Inspection, WordingEntry


class WordingEntryViewSet(SnippetViewSet):
    model = WordingEntry
    icon = "spell-check"
    menu_label = "错敏词库"
    list_display = ["term", "correction", "kind", "severity", "enabled", "updated_at"]
    list_filter = ["kind", "severity", "enabled"]
    search_fields = ["term", "correction"]
    search_backend_name = None


class InspectionViewSet(SnippetViewSet):
    model = Inspection
    icon = "time"
    menu_label = "巡检项目"
    list_display = ["kind", "interval_seconds", "enabled", "next_run_at"]
    search_backend_name = None


operator_menu_item = partial(PermittedMenuItem, predicate=services.is_operator)
viewer_menu_item = partial(PermittedMenuItem, predicate=services.can_view_monitoring)


class MonitoringGroup(SnippetViewSetGroup):
    items = (WordingEntryViewSet, InspectionViewSet)
    menu_icon = "view"
    menu_label = "监测巡检"
    menu_name = "monitoring"
    menu_order = 260

    def get_submenu_items(self):
        pages = [
            viewer_menu_item(
                "监测总览", reverse("monitoring_overview"), name="monitoring-overview", icon_name="view"
            ),
            viewer_menu_item(
                "巡检问题", reverse("monitoring_findings"), name="monitoring-findings", icon_name="warning"
            ),
            viewer_menu_item(
                "巡检记录", reverse("monitoring_runs"), name="monitoring-runs", icon_name="history"
            ),
            operator_menu_item(
                "值班表", reverse("monitoring_duty_roster"), name="monitoring-duty", icon_name="user"
            ),
            operator_menu_item(
                "巡检日志", reverse("monitoring_duty_today"), name="monitoring-daily", icon_name="doc-full"
            ),
            operator_menu_item(
                "安全事件与演练",
                reverse("monitoring_incident_list"),
                name="monitoring-incidents",
                icon_name="warning",
            ),
            operator_menu_item(
                "应急预案",
                reverse("monitoring_incident_plans"),
                name="monitoring-plans",
                icon_name="clipboard-list",
            ),
        ]
        items = super().get_submenu_items()
        for order, item in enumerate([*pages, *items]):
            item.order = order
        return [*pages, *items]


register_snippet(MonitoringGroup)

monitoring_urls = [
    path("", admin_views.overview, name="monitoring_overview"),
    path("findings/", admin_views.finding_list, name="monitoring_findings"),
    path("findings/<int:pk>/", admin_views.finding_detail, name="monitoring_finding"),
    path("findings/<int:pk>/action/", admin_views.finding_action, name="monitoring_finding_action"),
    path("runs/", admin_views.run_list, name="monitoring_runs"),
    path("runs/now/", admin_views.run_now, name="monitoring_run_now"),
    path("", include(incident_views.urlpatterns)),
]


@hooks.register("register_admin_urls")
def register_monitoring_urls():
    return [path("monitoring/", include(monitoring_urls))]


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def warn_about_wording(request, page) -> None:
    """§5.1: warning-level dictionary hits are shown to the editor after saving (blocking hits
    already stopped the form, see content.models.ContentPageForm)."""
    from django.contrib import messages

    from govsite.content.models import ContentPage

    specific = page.specific
    if not isinstance(specific, ContentPage):
        return
    for message in services.wording_warnings({"title": specific.title, "body": specific.body}):
        messages.warning(request, f"错敏字提示：{message}")
