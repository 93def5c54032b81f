"""Admin of search (“站内检索”, platform operators, Art. 21): the custom dictionary, synonyms and
pinned answers are edited here; reindex runs are records to read; the zero-results and hot-query
reports show what people look for. The index itself and the query log are not edited by hand."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList, PageChooserPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from govsite.publishing.wagtail_hooks import ReadOnlyPolicy
from govsite.search import admin_views, services
from govsite.search.models import PinnedResult, ReindexRun, SearchWord, SynonymGroup


class SearchWordViewSet(SnippetViewSet):
    model = SearchWord
    icon = "openquote"
    menu_label = "检索词典"
    list_display = ["word", "kind", "weight", "active", "note"]
    list_filter = ["kind", "active"]
    search_fields = ["word", "note"]
    search_backend_name = None  # a plain database match: the stock backend cannot segment Chinese


class SynonymGroupViewSet(SnippetViewSet):
    model = SynonymGroup
    icon = "list-ul"
    menu_label = "同义词"
    list_display = ["words", "active", "note"]
    list_filter = ["active"]
    search_fields = ["words", "note"]
    search_backend_name = None


class PinnedResultForm(WagtailAdminModelForm):
    def clean_query(self) -> str:
        """Kept as search compares it (`services.query_key`): full-width to half-width, lower case."""
        key = services.query_key(self.cleaned_data.get("query", ""))
        if not key:
            raise ValidationError("请填写检索词。", code="query_empty")
        return key


class PinnedResultViewSet(SnippetViewSet):
    model = PinnedResult
    icon = "pick"
    menu_label = "置顶答案"
    list_display = ["query", "page", "site", "until", "active"]
    list_filter = ["active", "site"]
    search_fields = ["query", "note"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            FieldPanel("query", help_text="群众输入的检索词；保存时统一为半角、小写。"),
            PageChooserPanel("page"),
            FieldPanel("site"),
            FieldPanel("until"),
            FieldPanel("active"),
            FieldPanel("note"),
        ],
        base_form_class=PinnedResultForm,
    )


class ReindexRunViewSet(SnippetViewSet):
    """Reindex runs (`manage.py search_reindex`): read, never edited."""

    model = ReindexRun
    icon = "history"
    menu_label = "重建索引记录"
    list_display = ["scope", "done", "total", "started_at", "finished_at"]
    inspect_view_enabled = True

    @property
    def permission_policy(self):
        return ReadOnlyPolicy(self.model)


class ReportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return admin_views.can_read_reports(request.user)


class SearchGroup(SnippetViewSetGroup):
    items = (SearchWordViewSet, SynonymGroupViewSet, PinnedResultViewSet, ReindexRunViewSet)
    menu_icon = "search"
    menu_label = "站内检索"
    menu_name = "site-search"

    def get_submenu_items(self):
        reports = [
            ReportMenuItem(
                "无结果检索词",
                reverse("search_zero_results"),
                name="search-zero-results",
                icon_name="warning",
            ),
            ReportMenuItem(
                "热门检索词", reverse("search_hot_queries"), name="search-hot-queries", icon_name="pick"
            ),
        ]
        items = super().get_submenu_items()
        for order, item in enumerate(reports, start=len(items) + 1):
            item.order = order
        return items + reports


register_snippet(SearchGroup)


@hooks.register("register_admin_urls")
def search_report_urls():
    return [
        path("site-search/zero-results/", admin_views.zero_results, name="search_zero_results"),
        path("site-search/hot/", admin_views.hot, name="search_hot_queries"),
    ]


@hooks.register("register_permissions")
def search_report_permission():
    """Lets administrators grant the search reports (“can view 检索日志”) to a group."""
    return Permission.objects.filter(content_type__app_label="govsearch", codename="view_queryday")
