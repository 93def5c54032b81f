"""Duty and incidents (Art. 23-24): the 24-hour roster, handover notes and the daily inspection
record; emergency plans, incidents and drills with their timeline, from discovery to the review.

Every rule lives in one function here; the admin views (`incident_views.py`) only call them. Every
state change writes one `IncidentEvent` (the incident's timeline) and one record of the audit chain
(`govsite.review.audit`), in the same transaction. A refusal is a `ValidationError` with a Chinese
message and a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.models import Page, PageLogEntry, Revision

from govsite.monitoring.models import (
    DutyShift,
    EmergencyPlan,
    Finding,
    Incident,
    IncidentEvent,
    Inspection,
    InspectionRun,
)
from govsite.monitoring.services import OPERATORS_GROUP, is_operator
from govsite.publishing import storage, tamper
from govsite.review import audit
from govsite.sites.models import GovSite

__all__ = ["OPERATORS_GROUP", "is_operator"]  # re-exported: the one group of platform operators

Kind = IncidentEvent.Kind
MANUAL_EVENT_KINDS = (Kind.REPORTED, Kind.ASSESSED, Kind.ACTION)
MAX_SHIFT = timedelta(hours=24)
TEXT_LIMIT = 5000


# --- incidents -------------------------------------------------------------------------------------


def _refuse(message: str, code: str, field_name: str | None = None) -> ValidationError:
    error = ValidationError(message, code=code)
    return ValidationError({field_name: error}) if field_name else error


def _text(value: str | None) -> str:
    return (value or "").replace("\x00", "").strip()[:TEXT_LIMIT]


def _record_event(
    incident: Incident,
    kind: str,
    *,
    actor,
    note: str = "",
    page_url: str = "",
    level: str = "",
    detail: dict | None = None,
) -> IncidentEvent:
    """One step on the timeline and its audit record (action `monitoring.incident.<kind>`)."""
    event = IncidentEvent.objects.create(
        incident=incident, kind=kind, actor=actor, note=note, page_url=page_url[:2000], level=level
    )
    audit.record(
        f"monitoring.incident.{kind}",
        actor=actor,
        site=incident.gov_site,
        obj=incident,
        detail={"event": event.pk, "note": note[:500], "page_url": page_url, **(detail or {})},
    )
    return event


def _refuse_if_closed(incident: Incident) -> None:
    if incident.status == Incident.Status.CLOSED:
        raise _refuse("该事件已结案，不能再记录处置环节。", "incident_closed")


@transaction.atomic
def open_incident(
    *,
    gov_site: GovSite | None,
    title: str,
    level: str | int,
    is_drill: bool = False,
    finding: Finding | None = None,
    actor,
    note: str = "",
) -> Incident:
    """Art. 24: 发生安全事件时，应立即启动应急响应 — open an incident (or a drill: 定期组织演练).

    From a finding, the site, the title and the page come from the finding when not given. The
    timeline starts with the DISCOVERED event. All problems of the input are reported at once.
    """
    if finding is not None:
        gov_site = gov_site or finding.gov_site
        title = title or finding.title
    title = _text(title)
    errors: dict[str, ValidationError] = {}
    if gov_site is None:
        errors["gov_site"] = ValidationError("请选择发生事件的网站。", code="site_required")
    if not title:
        errors["title"] = ValidationError("请填写事件名称。", code="title_required")
    elif len(title) > Incident._meta.get_field("title").max_length:
        errors["title"] = ValidationError("事件名称不能超过200字。", code="title_too_long")
    if str(level) not in Incident.Level.values:
        errors["level"] = ValidationError("请选择事件级别（Ⅰ级至Ⅳ级）。", code="level_invalid")
    if errors:
        raise ValidationError(errors)
    incident = Incident.objects.create(
        gov_site=gov_site,
        title=title,
        level=str(level),
        is_drill=bool(is_drill),
        finding=finding,
        opened_by=actor,
    )
    page_url = finding.page_url if finding is not None else ""
    detail = {
        "level": incident.level,
        "is_drill": incident.is_drill,
        "finding": finding.pk if finding else None,
    }
    _record_event(incident, Kind.DISCOVERED, actor=actor, note=_text(note), page_url=page_url, detail=detail)
    return incident


@transaction.atomic
def add_event(
    incident: Incident,
    kind: str,
    *,
    actor,
    note: str = "",
    page_url: str = "",
    level: str | int | None = None,
) -> IncidentEvent:
    """Art. 24: record a step of the response by hand — reported (上报), assessed (研判定级) or an
    action taken (处置措施). Steps with their own rule (page offline, restore, resolve, report the
    result, close) go through their own functions.

    An assessment may set the incident's level (研判定级): the incident takes it, and the event and
    its audit record keep the level and the one before. Only an assessment sets a level.
    """
    _refuse_if_closed(incident)
    if kind not in MANUAL_EVENT_KINDS:
        raise _refuse("请选择上报、研判定级或处置措施。", "event_kind_not_manual", "kind")
    level = "" if level is None else str(level).strip()
    note = _text(note)
    errors: dict[str, ValidationError] = {}
    if level and kind != Kind.ASSESSED:
        errors["level"] = ValidationError("只有研判定级环节可以确定事件级别。", code="level_not_assessment")
    elif level and level not in Incident.Level.values:
        errors["level"] = ValidationError("请选择事件级别（Ⅰ级至Ⅳ级）。", code="level_invalid")
    if not note:
        errors["note"] = ValidationError("请填写说明。", code="note_required")
    if errors:
        raise ValidationError(errors)
    detail = {}
    if level:
        detail = {"level": level, "previous_level": incident.level}
        incident.level = level
        incident.save(update_fields=["level"])
    return _record_event(
        incident, kind, actor=actor, note=note, page_url=_text(page_url), level=level, detail=detail
    )


def _url_path_on_site(gov_site: GovSite, page_url: str) -> str:
    """The path of `page_url` (a path or a full address) when it belongs to `gov_site`."""
    parts = urlsplit(_text(page_url))
    if not parts.path and not parts.netloc:
        raise _refuse("请填写页面地址。", "page_url_required", "page_url")
    hosts = {gov_site.site.hostname.lower(), (gov_site.domain or "").lower()}
    if parts.netloc and (parts.hostname or "").lower() not in hosts:
        raise _refuse("该地址不属于本事件所在的网站。", "page_other_site", "page_url")
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    if not storage.safe_relative(storage.file_for(path)):
        raise _refuse("页面地址无效。", "page_url_invalid", "page_url")
    return path


def _page_at(gov_site: GovSite, path: str) -> Page | None:
    """The Wagtail page at `path` on the site (live or not)."""
    root = gov_site.site.root_page
    wanted = root.url_path + path.lstrip("/")
    if not wanted.endswith("/"):
        wanted += "/"
    page = Page.objects.filter(url_path=wanted, path__startswith=root.path).first()
    return page.specific if page is not None else None


@transaction.atomic
def take_page_offline(incident: Incident, page_url: str, *, actor) -> IncidentEvent:
    """Art. 24 (应急处置): unpublish the live page at `page_url` on the incident's site.

    The publisher removes the published file when a page is unpublished (publishing/receivers.py).
    The emergency response needs no editing permission on the page: operators act for the platform.
    """
    _refuse_if_closed(incident)
    path = _url_path_on_site(incident.gov_site, page_url)
    page = _page_at(incident.gov_site, path)
    if page is None:
        raise _refuse("在本网站找不到该地址对应的页面。", "page_not_found", "page_url")
    if page.pk == incident.gov_site.site.root_page_id:
        raise _refuse("不能下线网站首页；关停网站请走网站关停流程。", "page_is_home", "page_url")
    if not page.live:
        raise _refuse("该页面已经下线。", "page_not_live", "page_url")
    UnpublishPageAction(page, user=actor).execute(skip_permission_checks=True)
    return _record_event(
        incident,
        Kind.PAGE_OFFLINE,
        actor=actor,
        note=f"已下线页面“{page.title}”。",
        page_url=path,
        detail={"page": page.pk},
    )


def _last_live_revision(page: Page) -> Revision | None:
    """The revision that was live last (Wagtail's publish log keeps which one)."""
    entry = (
        PageLogEntry.objects.filter(page=page, action="wagtail.publish", revision__isnull=False)
        .select_related("revision")
        .order_by("-timestamp", "-pk")
        .first()
    )
    return entry.revision if entry is not None else None


@transaction.atomic
def restore_published_version(incident: Incident, page_url: str, *, actor) -> IncidentEvent:
    """Art. 24 (应急处置): put back what the platform last published at `page_url`.

    A live page's file gets back the exact bytes of the manifest from the vault (a defaced file is
    replaced at once). A page taken offline is published again at its last live revision, which
    already passed review; the publisher then writes its file. Any other published file (a list
    page, a feed) is restored from the vault.
    """
    _refuse_if_closed(incident)
    gov_site = incident.gov_site
    path = _url_path_on_site(gov_site, page_url)
    page = _page_at(gov_site, path)
    detail: dict = {"page": page.pk if page else None}
    if page is not None and not page.live:
        revision = _last_live_revision(page)
        if revision is None:
            raise _refuse("找不到该页面此前发布的版本，无法恢复。", "no_published_version", "page_url")
        revision.publish(user=actor, skip_permission_checks=True)
        detail["revision"] = revision.pk
        note = f"已重新发布页面“{page.title}”的上一发布版本。"
    else:
        relative = storage.file_for(path)
        if not tamper.restore_file(gov_site.site.hostname, relative):
            raise _refuse("平台没有该地址的发布记录，无法恢复。", "no_published_file", "page_url")
        detail["file"] = relative
        note = "已用平台发布时的版本替换现有文件。"
    return _record_event(incident, Kind.PAGE_RESTORED, actor=actor, note=note, page_url=path, detail=detail)


@transaction.atomic
def resolve_incident(incident: Incident, *, actor, note: str) -> Incident:
    """Art. 24: the response is over (处置完成); the result still has to be reported."""
    if incident.status != Incident.Status.OPEN:
        raise _refuse("只有处置中的事件才能标记为处置完成。", "incident_not_open")
    note = _text(note)
    if not note:
        raise _refuse("请填写处置结果。", "note_required", "note")
    incident.status = Incident.Status.RESOLVED
    incident.resolved_at = timezone.now()
    incident.save(update_fields=["status", "resolved_at"])
    _record_event(incident, Kind.RESOLVED, actor=actor, note=note)
    return incident


def report_to_for(gov_site: GovSite) -> str:
    """Whom the site's emergency plan names for the result report (the plan's default without one)."""
    plan = EmergencyPlan.objects.filter(gov_site=gov_site).first()
    if plan is not None and plan.report_to:
        return plan.report_to
    return EmergencyPlan._meta.get_field("report_to").get_default()


@transaction.atomic
def report_result(incident: Incident, *, actor, note: str) -> IncidentEvent:
    """Art. 24: 按照规定向有关管理部门报告处置结果 — to the authority the site's plan names."""
    if incident.status != Incident.Status.RESOLVED:
        raise _refuse("事件处置完成后才能报告处置结果。", "incident_not_resolved")
    note = _text(note)
    if not note:
        raise _refuse("请填写报告内容（报告方式、文号或接收人）。", "note_required", "note")
    report_to = report_to_for(incident.gov_site)
    return _record_event(
        incident,
        Kind.RESULT_REPORTED,
        actor=actor,
        note=f"已向{report_to}报告处置结果：{note}",
        detail={"report_to": report_to},
    )


def result_reported(incident: Incident) -> bool:
    return incident.events.filter(kind=Kind.RESULT_REPORTED).exists()


@transaction.atomic
def close_incident(incident: Incident, *, review: str, actor) -> Incident:
    """Art. 24: close an incident with its review (总结评估).

    Only after the response is over and — for a real incident, not a drill — the result was reported
    to the authority. All missing conditions are reported at once.
    """
    if incident.status == Incident.Status.CLOSED:
        raise _refuse("该事件已结案。", "incident_closed")
    review = _text(review)
    errors: list[ValidationError] = []
    if incident.status != Incident.Status.RESOLVED:
        errors.append(ValidationError("事件尚未处置完成，不能结案。", code="incident_not_resolved"))
    if not incident.is_drill and not result_reported(incident):
        errors.append(
            ValidationError(
                "尚未向主管部门报告处置结果，不能结案（第二十四条）。", code="result_not_reported"
            )
        )
    if not review:
        errors.append(ValidationError("请填写总结评估。", code="review_required"))
    if errors:
        raise ValidationError(errors)
    incident.status = Incident.Status.CLOSED
    incident.review = review
    incident.save(update_fields=["status", "review"])
    _record_event(incident, Kind.REVIEWED, actor=actor, note=review, detail={"status": incident.status})
    return incident


def incidents_visible_to(user) -> QuerySet[Incident]:
    """Operators (and superusers) see every incident; others those of the sites their groups grant."""
    queryset = Incident.objects.select_related("gov_site", "opened_by", "finding")
    if is_operator(user):
        return queryset
    if not (user and user.is_authenticated):
        return queryset.none()
    sites = audit.visible_site_ids(user)
    return queryset if sites is None else queryset.filter(gov_site_id__in=sites)


def timeline(incident: Incident) -> list[IncidentEvent]:
    """The incident's steps, oldest first."""
    return list(incident.events.select_related("actor").order_by("at", "pk"))


# --- emergency plans -------------------------------------------------------------------------------


@transaction.atomic
def save_plan(
    gov_site: GovSite, *, body: str, contacts: str, report_to: str, reviewed_on: date | None, actor
) -> EmergencyPlan:
    """Art. 24: 制定网站安全应急预案 — write or revise a site's emergency plan."""
    body, contacts, report_to = _text(body), _text(contacts), _text(report_to)
    errors: dict[str, ValidationError] = {}
    if not body:
        errors["body"] = ValidationError("请填写预案内容。", code="plan_body_required")
    if not report_to:
        errors["report_to"] = ValidationError("请填写处置结果的报告对象。", code="report_to_required")
    elif len(report_to) > 200:
        errors["report_to"] = ValidationError("报告对象不能超过200字。", code="report_to_too_long")
    if reviewed_on is None:
        errors["reviewed_on"] = ValidationError("请填写修订日期（YYYY-MM-DD）。", code="reviewed_on_invalid")
    elif reviewed_on > timezone.localdate():
        errors["reviewed_on"] = ValidationError("修订日期不能晚于今天。", code="reviewed_on_future")
    if errors:
        raise ValidationError(errors)
    plan, created = EmergencyPlan.objects.update_or_create(
        gov_site=gov_site,
        defaults={"body": body, "contacts": contacts, "report_to": report_to, "reviewed_on": reviewed_on},
    )
    audit.record(
        "monitoring.plan.saved",
        actor=actor,
        site=gov_site,
        obj=plan,
        detail={"created": created, "report_to": report_to, "reviewed_on": reviewed_on},
    )
    return plan


# --- duty ------------------------------------------------------------------------------------------


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end of a local day (settings.TIME_ZONE, Asia/Shanghai)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return start, end


def shifts_between(start: datetime, end: datetime) -> QuerySet[DutyShift]:
    return DutyShift.objects.filter(starts_at__lt=end, ends_at__gt=start).select_related("person")


def on_duty(at: datetime) -> list[DutyShift]:
    """Art. 23 (24小时值班): who is on duty at `at`."""
    return list(DutyShift.objects.filter(starts_at__lte=at, ends_at__gt=at).select_related("person"))


def uncovered_hours(day: date) -> list[tuple[datetime, datetime]]:
    """Art. 23 (24小时值班): the stretches of the local `day` that no shift covers."""
    start, end = day_bounds(day)
    gaps: list[tuple[datetime, datetime]] = []
    covered_until = start
    for shift in shifts_between(start, end).order_by("starts_at"):
        if shift.starts_at > covered_until:
            gaps.append((covered_until, shift.starts_at))
        covered_until = max(covered_until, shift.ends_at)
    if covered_until < end:
        gaps.append((covered_until, end))
    return gaps


@transaction.atomic
def add_shift(
    *, person, starts_at: datetime | None, ends_at: datetime | None, phone: str = "", actor
) -> DutyShift:
    """Art. 23: put a person on the duty roster for one shift (at most 24 hours, never two shifts of
    the same person at once)."""
    errors: dict[str, ValidationError] = {}
    if person is None or not person.is_active:
        errors["person"] = ValidationError("请选择值班人员。", code="person_required")
    if starts_at is None or ends_at is None:
        errors["starts_at"] = ValidationError("请填写开始和结束时间。", code="shift_times_required")
    elif ends_at <= starts_at:
        errors["ends_at"] = ValidationError("结束时间须晚于开始时间。", code="shift_ends_before_start")
    elif ends_at - starts_at > MAX_SHIFT:
        errors["ends_at"] = ValidationError("一个班次不能超过24小时。", code="shift_too_long")
    elif person is not None and shifts_between(starts_at, ends_at).filter(person=person).exists():
        errors["starts_at"] = ValidationError("该人员在这段时间已有班次。", code="shift_overlaps")
    if errors:
        raise ValidationError(errors)
    shift = DutyShift.objects.create(
        person=person, starts_at=starts_at, ends_at=ends_at, phone=_text(phone)[:40]
    )
    audit.record(
        "monitoring.duty.shift_added",
        actor=actor,
        obj=shift,
        detail={"person": person.get_username(), "starts_at": starts_at, "ends_at": ends_at},
    )
    return shift


@transaction.atomic
def hand_over(shift: DutyShift, *, note: str, actor) -> DutyShift:
    """Art. 23 (值班 … 做好记录): the handover note of a shift, by its person or an operator."""
    if actor is None or (actor.pk != shift.person_id and not is_operator(actor)):
        raise _refuse("只有本班次的值班人员或平台运维值班人员可以交班。", "not_your_shift")
    if shift.handed_over_at is not None:
        raise _refuse("该班次已经交班。", "already_handed_over")
    if shift.starts_at > timezone.now():
        raise _refuse("班次尚未开始，不能交班。", "shift_not_started")
    note = _text(note)
    if not note:
        raise _refuse("请填写交接班记录。", "note_required", "note")
    shift.handover = note
    shift.handed_over_at = timezone.now()
    shift.save(update_fields=["handover", "handed_over_at"])
    audit.record("monitoring.duty.handover", actor=actor, obj=shift, detail={"note": note[:500]})
    return shift


# --- the daily inspection record -------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    """One inspection kind's runs of a day."""

    kind: str
    label: str
    runs: int
    failed: int
    checked: int
    problems: int


@dataclass
class DailyRecord:
    """Art. 23 (日常巡检 … 做好记录): a day's inspection record, generated from the stored runs,
    findings, shifts and incidents (nothing in it is typed by hand but the handover notes)."""

    day: date
    runs: list[RunSummary]
    findings_opened: list[Finding]
    findings_closed: list[Finding]
    shifts: list[DutyShift]
    incidents: list[Incident]
    uncovered: list[tuple[datetime, datetime]]
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def total_runs(self) -> int:
        return sum(summary.runs for summary in self.runs)

    @property
    def total_problems(self) -> int:
        return sum(summary.problems for summary in self.runs)


def _run_summaries(start: datetime, end: datetime) -> list[RunSummary]:
    runs = InspectionRun.objects.filter(started_at__gte=start, started_at__lt=end).select_related(
        "inspection"
    )
    per_kind: dict[str, list[InspectionRun]] = {kind: [] for kind in Inspection.Kind.values}
    for run in runs:
        per_kind.setdefault(run.inspection.kind, []).append(run)
    labels = dict(Inspection.Kind.choices)
    return [
        RunSummary(
            kind=kind,
            label=labels.get(kind, kind),
            runs=len(items),
            failed=sum(1 for run in items if run.status == InspectionRun.Status.FAILED),
            checked=sum(run.checked for run in items),
            problems=sum(run.problems for run in items),
        )
        for kind, items in per_kind.items()
    ]


def daily_record(day: date) -> DailyRecord:
    """Art. 23: the daily inspection record of the local `day`, built from the runs."""
    start, end = day_bounds(day)
    findings = Finding.objects.select_related("gov_site", "owner")
    return DailyRecord(
        day=day,
        runs=_run_summaries(start, end),
        findings_opened=list(
            findings.filter(first_seen__gte=start, first_seen__lt=end).order_by("first_seen")
        ),
        findings_closed=list(
            findings.filter(Q(closed_at__gte=start) & Q(closed_at__lt=end)).order_by("closed_at")
        ),
        shifts=list(shifts_between(start, end).order_by("starts_at")),
        incidents=list(
            Incident.objects.filter(opened_at__gte=start, opened_at__lt=end)
            .select_related("gov_site")
            .order_by("opened_at")
        ),
        uncovered=uncovered_hours(day),
    )
