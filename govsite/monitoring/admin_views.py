"""The operators' admin of monitoring (Art. 23): the dashboard (platform or one site), the findings
with their actions, and the history of inspection runs. Each action calls one function of
`services.py`; a refusal comes back as a Chinese message, never an error page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from govsite.admin_access import only_for
from govsite.monitoring import dashboard, services
from govsite.monitoring.models import Finding, Inspection, InspectionRun
from govsite.review import audit
from govsite.sites.models import GovSite

PAGE_SIZE = 50
_viewers_only = only_for(services.can_view_monitoring)
_operators_only = only_for(services.is_operator)


def _visible_sites(request: HttpRequest) -> list[GovSite]:
    sites = (
        GovSite.objects.filter(status=GovSite.Status.OPEN).select_related("site").order_by("identifier_code")
    )
    allowed = None if services.is_operator(request.user) else audit.visible_site_ids(request.user)
    return list(sites if allowed is None else sites.filter(pk__in=allowed))


def _chosen_site(request: HttpRequest, sites: list[GovSite]) -> GovSite | None:
    wanted = request.GET.get("site", "")
    return next((site for site in sites if str(site.pk) == wanted), None)


@_viewers_only
def overview(request: HttpRequest) -> TemplateResponse:
    """监测总览: the platform, or one site with ?site=<id>."""
    visible = _visible_sites(request)
    site = _chosen_site(request, visible)
    sites = visible if site is None else [site]
    findings = services.findings_visible_to(request.user)
    if site is not None:
        findings = findings.filter(gov_site=site)
    today = timezone.localdate()
    site_rows = dashboard.site_rows(findings)
    availability = dashboard.availability_rows(sites)
    freshness = dashboard.freshness_summary()
    context = {
        "header_title": f"监测总览 · {site.name}" if site else "监测总览 · 全平台",
        "sites": visible,
        "site": site,
        "severity": dashboard.severity_counts(findings),
        "overdue": services.overdue(findings, today).count(),
        "site_rows": site_rows,
        "site_bars": dashboard.bars(
            [(row["name"], row["total"], f"{row['total']}") for row in site_rows[:20]]
        ),
        "site_chart_height": dashboard.chart_height(site_rows[:20]),
        "availability_chart_height": dashboard.chart_height(availability),
        "columns": dashboard.daily_columns(findings, today),
        "availability": availability,
        "availability_bars": dashboard.bars(
            [
                (row.gov_site.name, round(row.week.share * 100, 2), f"{row.week.share:.1%}")
                for row in availability
            ]
        ),
        "freshness": [
            {"site": gov_site, **freshness[gov_site.slug]} for gov_site in sites if gov_site.slug in freshness
        ],
        "runs": dashboard.latest_runs(),
        "is_operator": services.is_operator(request.user),
    }
    return TemplateResponse(request, "monitoring/admin/overview.html", context)


@_viewers_only
def finding_list(request: HttpRequest) -> TemplateResponse:
    """巡检问题: filter by status, kind, severity and site."""
    findings = services.findings_visible_to(request.user)
    filters = {
        "status": request.GET.get("status", Finding.Status.OPEN),
        "kind": request.GET.get("kind", ""),
        "severity": request.GET.get("severity", ""),
        "site": request.GET.get("site", ""),
    }
    if filters["status"] in Finding.Status.values:
        findings = findings.filter(status=filters["status"])
    if filters["kind"] in Inspection.Kind.values:
        findings = findings.filter(kind=filters["kind"])
    if filters["severity"] in Finding.Severity.values:
        findings = findings.filter(severity=filters["severity"])
    if filters["site"].isdigit():
        findings = findings.filter(gov_site_id=int(filters["site"]))
    if request.GET.get("overdue") == "1":
        findings = services.overdue(findings)
    page = Paginator(findings.order_by("status", "due_on", "-last_seen"), PAGE_SIZE).get_page(
        request.GET.get("p")
    )
    context = {
        "header_title": "巡检问题",
        "page": page,
        "filters": filters,
        "statuses": Finding.Status.choices,
        "kinds": Inspection.Kind.choices,
        "severities": Finding.Severity.choices,
        "sites": _visible_sites(request),
        "today": timezone.localdate(),
    }
    return TemplateResponse(request, "monitoring/admin/finding_list.html", context)


@_viewers_only
def finding_detail(request: HttpRequest, pk: int) -> TemplateResponse:
    finding = get_object_or_404(services.findings_visible_to(request.user), pk=pk)
    owners = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
    context = {
        "header_title": finding.title,
        "finding": finding,
        "owners": owners if services.is_operator(request.user) else [],
        "is_operator": services.is_operator(request.user),
        "today": timezone.localdate(),
    }
    return TemplateResponse(request, "monitoring/admin/finding_detail.html", context)


@require_POST
@_viewers_only
def finding_action(request: HttpRequest, pk: int) -> HttpResponse:
    """整改 (owner or operator), 忽略 with a reason and 指派 (operators)."""
    finding = get_object_or_404(services.findings_visible_to(request.user), pk=pk)
    action = request.POST.get("action", "")
    operator = services.is_operator(request.user)
    try:
        if action == "fix":
            services.mark_fixed(finding, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, "已标记为整改完成，下次巡检将复查。")
        elif action == "dismiss" and operator:
            services.dismiss(finding, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, "已忽略该问题。")
        elif action == "assign" and operator:
            owner = services.owner_from(request.POST.get("owner"))
            services.assign(finding, owner=owner, actor=request.user)
            messages.success(request, "已指派责任人。" if owner else "已取消指派。")
        else:
            messages.error(request, "无法执行该操作。")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("monitoring_finding", pk=finding.pk)


@_viewers_only
def run_list(request: HttpRequest) -> TemplateResponse:
    """巡检记录: every run, newest first, with its progress."""
    runs = InspectionRun.objects.select_related("inspection")
    kind = request.GET.get("kind", "")
    if kind in Inspection.Kind.values:
        runs = runs.filter(inspection__kind=kind)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("p"))
    context = {
        "header_title": "巡检记录",
        "page": page,
        "kind": kind,
        "kinds": Inspection.Kind.choices,
        "inspections": dashboard.latest_runs(),
        "is_operator": services.is_operator(request.user),
    }
    return TemplateResponse(request, "monitoring/admin/run_list.html", context)


@require_POST
@_operators_only
def run_now(request: HttpRequest) -> HttpResponse:
    """Ask the scheduler to run an inspection at once (it picks it up within seconds)."""
    kind = request.POST.get("kind", "")
    if kind not in Inspection.Kind.values:
        messages.error(request, "没有这个巡检项目。")
    else:
        services.ensure_inspections()
        Inspection.objects.filter(kind=kind).update(next_run_at=timezone.now())
        messages.success(request, f"已安排立即运行“{Inspection.Kind(kind).label}”，巡检调度将在几秒内开始。")
    return redirect("monitoring_runs")
