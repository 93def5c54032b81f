"""The operators' admin of duty and incidents (Art. 23-24): the incident list, a new incident (from
a finding or by hand), the incident page with its timeline and one form per step, emergency plans,
the duty roster, handover and the printable daily inspection record.

Only superusers and the group 平台运维值班 (`incidents.OPERATORS_GROUP`) reach these pages; others
get Wagtail's permission_denied. Every action calls one function of `incidents.py`; a refusal comes
back as a Chinese message on the page, never as an error page.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_POST

from govsite.admin_access import only_for
from govsite.monitoring import incidents
from govsite.monitoring.models import DutyShift, EmergencyPlan, Finding, Incident, IncidentEvent
from govsite.sites.models import GovSite

PAGE_SIZE = 50
ACTIONS = ("event", "offline", "restore", "resolve", "report", "close")
_operators_only = only_for(incidents.is_operator)


def _show_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _field_errors(error: ValidationError) -> dict[str, list[str]]:
    """Messages per form field; a refusal that names no field goes under "__all__"."""
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}


def _sites() -> list[GovSite]:
    return list(GovSite.objects.exclude(site=None).select_related("site").order_by("identifier_code"))


# --- incidents -------------------------------------------------------------------------------------


def filtered_incidents(request: HttpRequest) -> tuple:
    chosen = {name: request.GET.get(name, "").strip() for name in ("site", "status", "drill")}
    queryset = incidents.incidents_visible_to(request.user)
    if chosen["site"].isdigit():
        queryset = queryset.filter(gov_site_id=int(chosen["site"]))
    if chosen["status"] in Incident.Status.values:
        queryset = queryset.filter(status=chosen["status"])
    if chosen["drill"] in ("0", "1"):
        queryset = queryset.filter(is_drill=chosen["drill"] == "1")
    return queryset.order_by("-opened_at"), chosen


@_operators_only
def incident_list(request: HttpRequest) -> HttpResponse:
    """安全事件与演练: filtered by site, status and drill."""
    queryset, chosen = filtered_incidents(request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("p"))
    context = {
        "header_title": "安全事件与演练",
        "page": page,
        "chosen": chosen,
        "sites": _sites(),
        "statuses": Incident.Status.choices,
        "query_string": "&".join(f"{key}={value}" for key, value in chosen.items() if value),
    }
    return TemplateResponse(request, "monitoring/incident_list.html", context)


def _finding_from(value: str) -> Finding | None:
    return (
        Finding.objects.select_related("gov_site").filter(pk=int(value)).first() if value.isdigit() else None
    )


def _new_form_values(request: HttpRequest, finding: Finding | None) -> dict[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    values = {name: source.get(name, "").strip() for name in ("site", "title", "level", "note", "drill")}
    if finding is not None and request.method == "GET":
        values["site"] = str(finding.gov_site_id or "")
        values["title"] = finding.title
        values["note"] = "\n".join(part for part in (finding.page_url, finding.detail[:1000]) if part)
    return values


@_operators_only
def incident_new(request: HttpRequest) -> HttpResponse:
    """开启安全事件 (or a drill); `?finding=<pk>` fills the form from a finding."""
    source = request.POST if request.method == "POST" else request.GET
    finding = _finding_from(source.get("finding", ""))
    values = _new_form_values(request, finding)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        site = GovSite.objects.filter(pk=int(values["site"])).first() if values["site"].isdigit() else None
        try:
            incident = incidents.open_incident(
                gov_site=site,
                title=values["title"],
                level=values["level"],
                is_drill=values["drill"] == "1",
                finding=finding,
                actor=request.user,
                note=values["note"],
            )
        except ValidationError as error:
            errors = _field_errors(error)
        else:
            messages.success(request, "已启动应急响应，请按时间线记录处置过程。")
            return redirect("monitoring_incident", pk=incident.pk)
    context = {
        "header_title": "开启安全事件",
        "finding": finding,
        "values": values,
        "errors": errors,
        "sites": _sites(),
        "levels": Incident.Level.choices,
    }
    return TemplateResponse(request, "monitoring/incident_form.html", context)


def _visible_incident(request: HttpRequest, pk: int) -> Incident:
    return get_object_or_404(incidents.incidents_visible_to(request.user), pk=pk)


@_operators_only
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The incident: its facts, its timeline and a form for each next step."""
    incident = _visible_incident(request, pk)
    page_urls = {event.page_url for event in incident.events.all() if event.page_url}
    if incident.finding and incident.finding.page_url:
        page_urls.add(incident.finding.page_url)
    context = {
        "header_title": str(incident),
        "incident": incident,
        "events": incidents.timeline(incident),
        "manual_kinds": [(kind, IncidentEvent.Kind(kind).label) for kind in incidents.MANUAL_EVENT_KINDS],
        "levels": Incident.Level.choices,
        "page_url": incident.finding.page_url if incident.finding else "",
        "page_urls": sorted(page_urls),
        "report_to": incidents.report_to_for(incident.gov_site),
        "result_reported": incidents.result_reported(incident),
    }
    return TemplateResponse(request, "monitoring/incident_detail.html", context)


def _run_action(request: HttpRequest, incident: Incident) -> str:
    """Call the service of the posted step; return the success message."""
    post, user = request.POST, request.user
    action = post.get("action", "")
    if action == "event":
        event = incidents.add_event(
            incident,
            post.get("kind", ""),
            actor=user,
            note=post.get("note", ""),
            page_url=post.get("page_url", ""),
            level=post.get("level", ""),
        )
        if event.level:
            return f"已记录“{event.get_kind_display()}”，事件级别定为{event.get_level_display()}。"
        return f"已记录“{event.get_kind_display()}”。"
    if action == "offline":
        incidents.take_page_offline(incident, post.get("page_url", ""), actor=user)
        return "页面已下线，静态文件随即删除。"
    if action == "restore":
        incidents.restore_published_version(incident, post.get("page_url", ""), actor=user)
        return "已恢复平台发布的版本。"
    if action == "resolve":
        incidents.resolve_incident(incident, actor=user, note=post.get("note", ""))
        return "已记录处置完成。"
    if action == "report":
        incidents.report_result(incident, actor=user, note=post.get("note", ""))
        return "已记录向主管部门报告处置结果。"
    if action == "close":
        incidents.close_incident(incident, review=post.get("review", ""), actor=user)
        return "事件已结案。"
    raise ValidationError("未知的操作。", code="unknown_action")


@require_POST
@_operators_only
def incident_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Run one step of the incident, then back to the incident page with its outcome."""
    incident = _visible_incident(request, pk)
    try:
        messages.success(request, _run_action(request, incident))
    except ValidationError as error:
        _show_errors(request, error)
    return redirect("monitoring_incident", pk=incident.pk)


# --- emergency plans -------------------------------------------------------------------------------


@_operators_only
def plan_list(request: HttpRequest) -> HttpResponse:
    """应急预案: every site and whether its plan exists and when it was last revised."""
    plans = {plan.gov_site_id: plan for plan in EmergencyPlan.objects.all()}
    rows = [(site, plans.get(site.pk)) for site in _sites()]
    context = {"header_title": "应急预案", "rows": rows}
    return TemplateResponse(request, "monitoring/plan_list.html", context)


@_operators_only
def plan_edit(request: HttpRequest, site_pk: int) -> HttpResponse:
    """One site's emergency plan: read and revise."""
    gov_site = get_object_or_404(GovSite.objects.select_related("site"), pk=site_pk)
    plan = EmergencyPlan.objects.filter(gov_site=gov_site).first()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {
            name: request.POST.get(name, "") for name in ("body", "contacts", "report_to", "reviewed_on")
        }
        try:
            incidents.save_plan(
                gov_site,
                body=values["body"],
                contacts=values["contacts"],
                report_to=values["report_to"],
                reviewed_on=_parse_day(values["reviewed_on"]),
                actor=request.user,
            )
        except ValidationError as error:
            errors = _field_errors(error)
        else:
            messages.success(request, "应急预案已保存。")
            return redirect("monitoring_incident_plan", site_pk=gov_site.pk)
    else:
        values = {
            "body": plan.body if plan else "",
            "contacts": plan.contacts if plan else "",
            "report_to": plan.report_to if plan else incidents.report_to_for(gov_site),
            "reviewed_on": (plan.reviewed_on if plan else timezone.localdate()).isoformat(),
        }
    context = {
        "header_title": f"应急预案 · {gov_site.name}",
        "gov_site": gov_site,
        "plan": plan,
        "values": values,
        "errors": errors,
    }
    return TemplateResponse(request, "monitoring/plan_form.html", context)


# --- duty ------------------------------------------------------------------------------------------


def _parse_day(value: str) -> date | None:
    try:
        return parse_date((value or "").strip())
    except ValueError:
        return None


def _parse_local(value: str) -> datetime | None:
    """A `datetime-local` input (YYYY-MM-DDTHH:MM) as an aware time in the platform's zone."""
    try:
        moment = parse_datetime((value or "").strip())
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def gap_texts(day: date, gaps: list[tuple[datetime, datetime]]) -> list[str]:
    """Uncovered stretches of a local day as "HH:MM–HH:MM" (the day's end as 24:00)."""
    texts = []
    for start, end in gaps:
        local_end = timezone.localtime(end)
        until = "24:00" if local_end.date() != day else f"{local_end:%H:%M}"
        texts.append(f"{timezone.localtime(start):%H:%M}–{until}")
    return texts


@_operators_only
def duty_roster(request: HttpRequest) -> HttpResponse:
    """值班表: this week's shifts (or `?week=YYYY-MM-DD`), who is on duty now, the uncovered hours."""
    today = timezone.localdate()
    chosen = _parse_day(request.GET.get("week", "")) or today
    monday = chosen - timedelta(days=chosen.weekday())
    days = [monday + timedelta(days=offset) for offset in range(7)]
    start, _ = incidents.day_bounds(days[0])
    _, end = incidents.day_bounds(days[-1])
    context = {
        "header_title": "值班表",
        "days": [(day, gap_texts(day, incidents.uncovered_hours(day))) for day in days],
        "shifts": list(incidents.shifts_between(start, end).order_by("starts_at")),
        "on_duty": incidents.on_duty(timezone.now()),
        "previous_week": (monday - timedelta(days=7)).isoformat(),
        "next_week": (monday + timedelta(days=7)).isoformat(),
        "today": today,
        "people": get_user_model().objects.filter(is_active=True).order_by("username"),
        "values": {},
    }
    return TemplateResponse(request, "monitoring/duty_roster.html", context)


@require_POST
@_operators_only
def duty_shift_add(request: HttpRequest) -> HttpResponse:
    """Add a shift to the roster."""
    post = request.POST
    person_id = post.get("person", "")
    person = get_user_model().objects.filter(pk=int(person_id)).first() if person_id.isdigit() else None
    starts_at = _parse_local(post.get("starts_at", ""))
    try:
        incidents.add_shift(
            person=person,
            starts_at=starts_at,
            ends_at=_parse_local(post.get("ends_at", "")),
            phone=post.get("phone", ""),
            actor=request.user,
        )
    except ValidationError as error:
        _show_errors(request, error)
    else:
        messages.success(request, "班次已加入值班表。")
    roster = reverse("monitoring_duty_roster")
    return redirect(
        f"{roster}?week={timezone.localtime(starts_at).date().isoformat()}" if starts_at else roster
    )


@_operators_only
def duty_handover(request: HttpRequest, pk: int) -> HttpResponse:
    """交接班: the shift's handover note, with the day's open findings and incidents beside it."""
    shift = get_object_or_404(DutyShift.objects.select_related("person"), pk=pk)
    note = request.POST.get("note", "") if request.method == "POST" else shift.handover
    if request.method == "POST":
        try:
            incidents.hand_over(shift, note=note, actor=request.user)
        except ValidationError as error:
            _show_errors(request, error)
        else:
            messages.success(request, "已交班。")
            return redirect("monitoring_duty_roster")
    context = {
        "header_title": "交接班记录",
        "shift": shift,
        "note": note,
        "open_incidents": incidents.incidents_visible_to(request.user).exclude(status=Incident.Status.CLOSED),
        "open_findings": Finding.objects.filter(status=Finding.Status.OPEN).count(),
    }
    return TemplateResponse(request, "monitoring/duty_handover.html", context)


@_operators_only
def duty_today(request: HttpRequest) -> HttpResponse:
    return redirect("monitoring_duty_daily", day=timezone.localdate().isoformat())


@_operators_only
def duty_daily(request: HttpRequest, day: str) -> HttpResponse:
    """巡检日志: the printable daily inspection record of one local day, generated from the runs."""
    chosen = _parse_day(day)
    if chosen is None:
        raise Http404("日期无效，请使用 YYYY-MM-DD 格式。")
    record = incidents.daily_record(chosen)
    context = {
        "header_title": f"巡检日志 · {chosen:%Y年%m月%d日}",
        "record": record,
        "uncovered": gap_texts(chosen, record.uncovered),
        "previous_day": (chosen - timedelta(days=1)).isoformat(),
        "next_day": (chosen + timedelta(days=1)).isoformat(),
    }
    return TemplateResponse(request, "monitoring/duty_daily.html", context)


urlpatterns: list = [
    path("incidents/", incident_list, name="monitoring_incident_list"),
    path("incidents/new/", incident_new, name="monitoring_incident_new"),
    path("incidents/<int:pk>/", incident_detail, name="monitoring_incident"),
    path("incidents/<int:pk>/action/", incident_action, name="monitoring_incident_action"),
    path("incidents/plans/", plan_list, name="monitoring_incident_plans"),
    path("incidents/plans/<int:site_pk>/", plan_edit, name="monitoring_incident_plan"),
    path("duty/", duty_roster, name="monitoring_duty_roster"),
    path("duty/shifts/", duty_shift_add, name="monitoring_duty_shift_add"),
    path("duty/shifts/<int:pk>/handover/", duty_handover, name="monitoring_duty_handover"),
    path("duty/daily/", duty_today, name="monitoring_duty_today"),
    re_path(r"^duty/daily/(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})/$", duty_daily, name="monitoring_duty_daily"),
]
