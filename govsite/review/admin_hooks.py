"""Admin wiring of the review chain: no publish button for content, no live copies or bulk
publishing around the chain, the interpretation deadlines report (Art. 8, 14), and the submissions
of units' items to the city portal (Art. 15-16)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets.button import Button
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from govsite.content.models import ContentPage
from govsite.review import audit, services, submission_views, submissions
from govsite.review.chain import ReviewRoute, Role, SiteRole
from govsite.sites.models import GovSite

CHAIN_ONLY = "内容须经三级审核后由审核流程自动发布，请使用“提交给三级审核”（第十四条、第十五条）。"


@hooks.register("construct_page_action_menu")
def only_the_chain_publishes(menu_items, request, context) -> None:
    """Art. 14: content has no “publish” button; the last approval publishes it."""
    page = context.get("page")
    if isinstance(page, ContentPage):
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


@hooks.register("before_copy_page")
def no_live_copies_of_content(request: HttpRequest, page: Page) -> HttpResponse | None:
    """A copy of content is a new item: it is copied as a draft and passes review itself."""
    if (
        request.method == "POST"
        and request.POST.get("publish_copies")
        and isinstance(page.specific, ContentPage)
    ):
        messages.error(request, "复制的内容须重新经过三级审核，不能直接发布。请取消“发布副本”后再复制。")
        return redirect("wagtailadmin_pages:copy", page.pk)
    return None


@hooks.register("before_bulk_action")
def no_bulk_publishing_of_content(
    request: HttpRequest, action_type: str, objects, action
) -> HttpResponse | None:
    if action_type == "publish" and any(isinstance(obj.specific, ContentPage) for obj in objects):
        messages.error(request, CHAIN_ONLY)
        return redirect("wagtailadmin_explore_root")
    return None


def interpretation_deadlines(request: HttpRequest) -> HttpResponse:
    """Art. 8: per site, policy documents still waiting for their interpretation, and which are overdue."""
    visible = audit.visible_site_ids(request.user)
    sites = GovSite.objects.select_related("site__root_page").order_by("identifier_code")
    if visible is not None:
        sites = sites.filter(pk__in=visible)
    rows = [(site, services.pending_interpretations(site.site.root_page)) for site in sites]
    context = {
        "rows": rows,
        "overdue_count": sum(1 for _, clocks in rows for clock in clocks if clock.overdue),
        "header_title": "政策解读时限",
    }
    return TemplateResponse(request, "review/admin/interpretation_deadlines.html", context)


@hooks.register("register_admin_urls")
def review_urls():
    return [
        path("review/interpretations/", interpretation_deadlines, name="review_interpretation_deadlines"),
        path("review/submissions/", submission_views.portal_submissions, name="review_portal_submissions"),
        path(
            "review/submissions/queue/",
            submission_views.submission_queue,
            name="review_portal_submission_queue",
        ),
        path(
            "review/submissions/<int:pk>/approve/",
            submission_views.approve_submission,
            name="review_portal_submission_approve",
        ),
        path(
            "review/submissions/<int:pk>/reject/",
            submission_views.reject_submission,
            name="review_portal_submission_reject",
        ),
    ]


class SendToPortalMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser or submissions.may_send(request.user)


class SubmissionQueueMenuItem(MenuItem):
    def is_shown(self, request):
        return submissions.may_review(request.user)


@hooks.register("register_admin_menu_item")
def send_to_portal_menu_item():
    """Art. 7, 15: a unit's editors send items to the city portal (and see where they stand)."""
    return SendToPortalMenuItem(
        "报送到市政府门户网站",
        reverse("review_portal_submissions"),
        name="portal-submissions",
        icon_name="upload",
        order=260,
    )


@hooks.register("register_admin_menu_item")
def submission_queue_menu_item():
    """Art. 15-16: the sending unit's leader in charge, then the portal's approver, decide."""
    return SubmissionQueueMenuItem(
        "报送审核",
        reverse("review_portal_submission_queue"),
        name="portal-submission-queue",
        icon_name="tasks",
        order=261,
    )


@hooks.register("register_page_header_buttons")
def send_to_portal_button(page, user, view_name, next_url=None):
    """On a live item of a department or county site, its editors find “报送到市政府门户网站”."""
    if not (page.live and isinstance(page.specific_deferred, ContentPage)):
        return
    gov_site = services.site_of(page)
    if submissions.is_city_portal(gov_site) or gov_site is None:
        return
    if submissions.holds_role(user, gov_site, Role.EDITOR):
        yield Button(
            "报送到市政府门户网站",
            f"{reverse('review_portal_submissions')}?item={page.pk}",
            icon_name="upload",
            priority=40,
        )


@hooks.register("register_reports_menu_item")
def interpretation_menu_item():
    return MenuItem("政策解读时限", reverse("review_interpretation_deadlines"), icon_name="time", order=1060)


class ReviewRouteViewSet(SnippetViewSet):
    """Art. 16: the city portal's routing is data the platform operator edits."""

    model = ReviewRoute
    icon = "redirect"
    menu_label = "审核路由"
    list_display = ["site", "role", "group", "priority", "only_concerning_leaders"]
    list_filter = ["site", "role"]


class SiteRoleViewSet(SnippetViewSet):
    model = SiteRole
    icon = "group"
    menu_label = "网站审核角色"
    list_display = ["site", "role", "group"]
    list_filter = ["site", "role"]


class ReviewGroup(SnippetViewSetGroup):
    items = (SiteRoleViewSet, ReviewRouteViewSet)
    menu_icon = "tasks"
    menu_label = "审核设置"
    menu_name = "review-settings"


register_snippet(ReviewGroup)


def own_site_pages(pages, user):
    """Pages within the sites the user's groups grant; everything for the platform operator."""
    if user.is_superuser:
        return pages
    roots = Page.objects.filter(group_permissions__group__user=user).distinct()
    allowed = Q()
    for root in roots:
        allowed |= Q(path__startswith=root.path)
    return pages.filter(allowed) if roots else pages.none()


@hooks.register("construct_page_chooser_queryset")
def choosers_show_own_sites_only(pages, request):
    """Site isolation: a page chooser offers nothing of other sites (sharing across sites into the
    resource library is the platform operator's)."""
    return own_site_pages(pages, request.user)
