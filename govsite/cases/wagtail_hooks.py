"""Admin of 互动交流 (Art. 10, 16, 18): the handlers' case pages, the overdue list and statistics,
and the mailboxes and knowledge entries as snippets."""

from __future__ import annotations

from functools import partial

from django.urls import path, reverse
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from govsite.admin_access import PermittedMenuItem
from govsite.cases import admin_views, services
from govsite.cases.models import KnowledgeEntry, Mailbox


class MailboxViewSet(SnippetViewSet):
    model = Mailbox
    icon = "mail"
    menu_label = "信箱"
    list_display = ["name", "gov_site", "kind", "institution", "publisher", "deadline_workdays", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    search_backend_name = None


class KnowledgeEntryViewSet(SnippetViewSet):
    model = KnowledgeEntry
    icon = "help"
    menu_label = "知识库"
    list_display = ["question", "topic", "views", "asks", "is_current", "reviewed_at"]
    list_filter = ["topic", "is_current"]
    search_fields = ["question", "answer"]
    search_backend_name = None


handler_menu_item = partial(PermittedMenuItem, predicate=services.is_case_handler)


class CasesGroup(SnippetViewSetGroup):
    items = (MailboxViewSet, KnowledgeEntryViewSet)
    menu_icon = "mail"
    menu_label = "互动交流"
    menu_name = "cases"
    menu_order = 250

    def get_submenu_items(self):
        pages = [
            handler_menu_item("事项办理", reverse("cases_admin_list"), name="cases-list", icon_name="tasks"),
            handler_menu_item(
                "超期事项", reverse("cases_admin_overdue"), name="cases-overdue", icon_name="warning"
            ),
            handler_menu_item(
                "统计", reverse("cases_admin_statistics"), name="cases-statistics", icon_name="table"
            ),
        ]
        items = super().get_submenu_items()
        for order, item in enumerate([*pages, *items]):
            item.order = order
        return pages + items


register_snippet(CasesGroup)


@hooks.register("register_admin_urls")
def cases_admin_urls():
    return [
        path("cases/", admin_views.case_list, name="cases_admin_list"),
        path("cases/overdue/", admin_views.overdue, name="cases_admin_overdue"),
        path("cases/statistics/", admin_views.statistics_page, name="cases_admin_statistics"),
        path("cases/<int:pk>/", admin_views.case_detail, name="cases_admin_case"),
        path("cases/<int:pk>/action/", admin_views.case_action, name="cases_admin_action"),
        path("cases/attachments/<int:pk>/", admin_views.attachment, name="cases_admin_attachment"),
    ]
