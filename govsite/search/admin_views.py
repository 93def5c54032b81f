"""Admin reports of search (platform operators): queries that found nothing, and hot queries (Art. 21)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from wagtail.admin.auth import permission_denied

from govsite.search import services

PERIODS = (30, 90)
REPORT_PERMISSION = "govsearch.view_queryday"


def can_read_reports(user) -> bool:
    """The platform operator (a superuser), or a group granted “可查看检索日志”."""
    return bool(user.is_active and (user.is_superuser or user.has_perm(REPORT_PERMISSION)))


def period_of(request: HttpRequest) -> int:
    value = request.GET.get("days", "")
    return int(value) if value in {str(days) for days in PERIODS} else PERIODS[0]


def _report(request: HttpRequest, template: str, title: str, rows: list, days: int) -> HttpResponse:
    context = {"header_title": title, "rows": rows, "days": days, "periods": PERIODS}
    return TemplateResponse(request, template, context)


def zero_results(request: HttpRequest) -> HttpResponse:
    """无结果检索词: what people looked for and did not find — content to add, or words to name better."""
    if not can_read_reports(request.user):
        return permission_denied(request)
    days = period_of(request)
    rows = services.zero_results_report(days)
    return _report(request, "search/admin/zero_results.html", "无结果检索词", rows, days)


def hot(request: HttpRequest) -> HttpResponse:
    """热门检索词: the most searched queries that found something."""
    if not can_read_reports(request.user):
        return permission_denied(request)
    days = period_of(request)
    return _report(
        request,
        "search/admin/hot_queries.html",
        "热门检索词",
        services.hot_queries_with_counts(None, limit=50, days=days),
        days,
    )
