"""The handlers' admin of 互动交流 (Art. 10, 16, 18): case lists per unit, the case page with its
timeline and actions, the overdue list, and the statistics page.

Least privilege: a handler sees only the cases of their own units (and the letters their unit
reviews for publication); any other case answers 404. Every action calls one function of
`services.py`; a refusal comes back as a Chinese message on the case page, never as an error page.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from govsite.admin_access import only_for
from govsite.cases import deadlines, services, statistics
from govsite.cases.deadlines import DueState
from govsite.cases.models import Attachment, Case, KnowledgeEntry, Reply
from govsite.sites.models import Institution

PAGE_SIZE = 50


# Only handlers (members of a unit's handler group) and superusers reach these pages.
_handler_only = only_for(services.is_case_handler)


def _visible_case(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(
        services.cases_visible_to(request.user).select_related("gov_site", "unit", "mailbox__publisher"),
        pk=pk,
    )


# --- lists -------------------------------------------------------------------------------------


def filtered_cases(request: HttpRequest) -> tuple[QuerySet[Case], dict[str, str]]:
    """The user's cases filtered by kind, status, due state, unit and a text query."""
    chosen = {name: request.GET.get(name, "").strip() for name in ("kind", "status", "due", "unit", "q")}
    cases = services.cases_visible_to(request.user).select_related("unit", "gov_site", "mailbox")
    if chosen["kind"] in Case.Kind.values:
        cases = cases.filter(kind=chosen["kind"])
    if chosen["status"] in Case.Status.values:
        cases = cases.filter(status=chosen["status"])
    elif chosen["status"] == "open":
        cases = cases.exclude(status__in=(Case.Status.ANSWERED, Case.Status.CLOSED))
    if chosen["due"] in dict(DueState.CHOICES):
        cases = services.filter_due_state(cases, chosen["due"])
    if chosen["unit"].isdigit():
        cases = cases.filter(unit_id=int(chosen["unit"]))
    if chosen["q"]:
        query = chosen["q"][:50]
        cases = cases.filter(Q(receipt_number__icontains=query) | Q(subject__icontains=query))
    return cases.order_by("due_on", "-submitted_at"), chosen


@_handler_only
def case_list(request: HttpRequest) -> HttpResponse:
    """事项办理: the cases of the user's units, most urgent first."""
    cases, chosen = filtered_cases(request)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("p"))
    today = deadlines.today()
    rows = [(case, services.due_state_of(case, today)) for case in page.object_list]
    context = {
        "header_title": "互动交流事项",
        "rows": rows,
        "page": page,
        "chosen": chosen,
        "kinds": Case.Kind.choices,
        "statuses": [("open", "未答复"), *Case.Status.choices],
        "due_states": DueState.CHOICES,
        "due_labels": DueState.LABELS,
        "units": services.units_of(request.user).order_by("name") if not request.user.is_superuser else None,
        "query_string": "&".join(f"{key}={value}" for key, value in chosen.items() if value),
    }
    return TemplateResponse(request, "cases/admin/case_list.html", context)


@_handler_only
def overdue(request: HttpRequest) -> HttpResponse:
    """超期事项: per unit, the open cases past their deadline (long-overdue ones marked)."""
    today = deadlines.today()
    units = services.units_of(request.user).order_by("name")
    rows = []
    for unit in units:
        cases = list(services.overdue_cases(unit, today).select_related("gov_site"))
        if cases or not request.user.is_superuser:
            rows.append((unit, [(case, deadlines.working_days_late(case.due_on, today)) for case in cases]))
    context = {
        "header_title": "超期事项",
        "rows": rows,
        "long_overdue": deadlines.LONG_OVERDUE_WORKDAYS,
        "today": today,
    }
    return TemplateResponse(request, "cases/admin/overdue.html", context)


# --- the case page -------------------------------------------------------------------------------


def _actions_for(case: Case, user) -> set[str]:
    """Which action forms the case page offers this user (the services check again on submit)."""
    handles = services.handles(user, case.unit_id)
    actions: set[str] = set()
    if handles and case.status in services.OPEN_FOR_ROUTING:
        actions |= {"transfer"}
    if handles and case.status in (Case.Status.RECEIVED, Case.Status.FORWARDED):
        actions.add("accept")
    if handles and case.status in services.OPEN_FOR_DRAFT:
        actions.add("draft")
    if handles and case.status == Case.Status.REPLY_DRAFTED:
        actions.add("review")
    if handles and case.status == Case.Status.REPLY_REVIEWED:
        actions.add("send")
    if handles and case.kind == Case.Kind.DISCLOSURE and not case.extended and case.is_open:
        actions.add("approve_extension" if case.details.get("extension_request") else "request_extension")
    answered = case.status in (Case.Status.ANSWERED, Case.Status.CLOSED)
    if answered and case.kind != Case.Kind.DISCLOSURE and services.may_publish(case, user):
        actions |= {"publish", "withhold"} if not case.is_public else {"withhold"}
    if handles and case.status == Case.Status.ANSWERED:
        actions.add("close")
    if answered and (handles or services.may_publish(case, user)) and case.kind != Case.Kind.DISCLOSURE:
        actions.add("knowledge")
    return actions


@_handler_only
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The case: submitter's data (unmasked, for the handler), timeline, replies and actions."""
    case = _visible_case(request, pk)
    draft = case.replies.filter(status=Reply.Status.DRAFT).first()
    context = {
        "header_title": f"{case.get_kind_display()} {case.receipt_number}",
        "case": case,
        "due_state": services.due_state_of(case),
        "due_labels": DueState.LABELS,
        "steps": case.steps.select_related("from_unit", "to_unit").all(),
        "step_labels": services.STEP_LABELS,
        "replies": case.replies.select_related("drafted_by", "reviewed_by").all(),
        "draft": draft,
        "attachments": case.attachments.all(),
        "actions": _actions_for(case, request.user),
        "units": Institution.objects.exclude(pk=case.unit_id).order_by("division_code", "name"),
        "withheld_choices": [choice for choice in Case.Withheld.choices if choice[0]],
        "topics": KnowledgeEntry.Topic.choices,
        "error_type": dict(services.ERROR_TYPES).get(case.details.get("error_type", ""), ""),
        "extension_request": case.details.get("extension_request"),
        "default_notice": services.default_extension_notice(case)
        if case.kind == Case.Kind.DISCLOSURE
        else "",
        "drafted_by_me": draft is not None and draft.drafted_by_id == request.user.pk,
    }
    return TemplateResponse(request, "cases/admin/case_detail.html", context)


def _run_action(request: HttpRequest, case: Case) -> str:
    """Call the service for the posted action; return the success message."""
    post, user = request.POST, request.user
    action = post.get("action", "")
    if action == "transfer":
        to_unit = Institution.objects.filter(pk=post.get("to_unit") or 0).first()
        if to_unit is None:
            raise ValidationError("请选择转办单位。")
        services.transfer(case, to_unit, actor=user, reason=post.get("reason", ""))
        return f"已转至{to_unit.name}。"
    if action == "accept":
        services.accept(case, actor=user, note=post.get("note", ""))
        return "已受理。"
    if action == "draft":
        services.draft_reply(case, post.get("body", ""), actor=user)
        return "答复已保存，请由其他人员审核。"
    if action == "review":
        approve = post.get("decision") == "approve"
        services.review_reply(case, actor=user, approve=approve, note=post.get("note", ""))
        return "答复已审核通过。" if approve else "答复已退回修改。"
    if action == "send":
        services.send_reply(case, actor=user)
        return "答复已发送。"
    if action == "request_extension":
        services.request_extension(
            case, actor=user, reason=post.get("reason", ""), notice=post.get("notice", "")
        )
        return "延期申请已提交，请由负责人批准。"
    if action == "approve_extension":
        services.approve_extension(case, actor=user)
        return "已批准延期，并记录向申请人的告知。"
    if action == "publish":
        services.publish(case, actor=user)
        return "已公开（个人信息已脱敏）。"
    if action == "withhold":
        services.withhold(case, actor=user, kind=post.get("kind", ""), reason=post.get("reason", ""))
        return "已标记为不予公开。"
    if action == "close":
        services.close(case, actor=user, note=post.get("note", ""))
        return "已办结。"
    if action == "knowledge":
        entry = services.draft_knowledge_entry(case, actor=user, topic=post.get("topic", ""))
        return f"已生成知识库条目草稿“{entry.question}”，核对后请在“知识库”中设为现行有效。"
    raise ValidationError("未知的操作。")


@require_POST
@_handler_only
def case_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Run one action on the case, then back to the case page with its outcome."""
    case = _visible_case(request, pk)
    try:
        messages.success(request, _run_action(request, case))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error) or "您无权进行此操作。")
    return redirect("cases_admin_case", pk=case.pk)


@_handler_only
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Download an attachment of a case the user may see (never served as a public file)."""
    item = get_object_or_404(Attachment.objects.select_related("case"), pk=pk)
    _visible_case(request, item.case_id)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("附件文件不存在。") from error
    return FileResponse(handle, as_attachment=True, filename=item.name, content_type=item.content_type)


# --- statistics ----------------------------------------------------------------------------------


def year_of(request: HttpRequest) -> int:
    value = request.GET.get("year", "")
    this_year = timezone.localdate().year
    return int(value) if value.isdigit() and 2000 <= int(value) <= this_year else this_year


@_handler_only
def statistics_page(request: HttpRequest) -> HttpResponse:
    """统计: received, answered, overdue and average working days of the user's units (Art. 10)."""
    year = year_of(request)
    stats = statistics.for_units(services.units_of(request.user), year)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            statistics.to_xlsx(stats),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="cases-{year}.xlsx"'
        return response
    bars = statistics.chart_bars(stats.months)
    context = {
        "header_title": f"{year}年互动交流统计",
        "stats": stats,
        "year": year,
        "years": list(range(date.today().year, 2019, -1)),
        "bars": bars,
        "chart_height": len(bars) * 30 + 10,
    }
    return TemplateResponse(request, "cases/admin/statistics.html", context)
