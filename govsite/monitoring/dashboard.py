"""What the monitoring dashboards show (Art. 23): open findings per site and severity, findings over
time, availability over the last week, veto risks, and the latest run of each inspection. Every
chart comes with the rows of its data table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from govsite.monitoring import inspections, services
from govsite.monitoring.models import AvailabilityCheck, Finding, Inspection, InspectionRun
from govsite.sites.models import GovSite

CHART_WIDTH = 640
DAYS = 30
BASELINE = 130
BAR_STEP = 26


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    width: int
    y: int
    note: str = ""


def bars(rows: list[tuple[str, float, str]], *, width: int = CHART_WIDTH, step: int = BAR_STEP) -> list[Bar]:
    """Horizontal bars for inline SVG: label, value, and a note shown after the bar."""
    peak = max((value for _label, value, _note in rows), default=0) or 1
    usable = width - 260
    return [
        Bar(label, value, round(usable * value / peak), index * step, note)
        for index, (label, value, note) in enumerate(rows)
    ]


@dataclass(frozen=True)
class Column:
    label: str
    opened: int
    closed: int
    x: int
    opened_height: int
    closed_height: int

    @property
    def opened_y(self) -> int:
        return BASELINE - self.opened_height

    @property
    def closed_y(self) -> int:
        return BASELINE - self.closed_height


def chart_height(rows: list) -> int:
    return max(len(rows), 1) * BAR_STEP + 6


def daily_columns(
    findings: QuerySet[Finding], today: date, days: int = DAYS, height: int = 120
) -> list[Column]:
    """Findings opened and closed per day over the last `days` days (vertical bars)."""
    start = today - timedelta(days=days - 1)
    opened = _per_day(findings.filter(first_seen__date__gte=start), "first_seen")
    closed = _per_day(findings.filter(closed_at__date__gte=start), "closed_at")
    peak = max([*opened.values(), *closed.values(), 1])
    step = (CHART_WIDTH - 40) // days
    return [
        Column(
            label=f"{day:%m-%d}",
            opened=opened.get(day, 0),
            closed=closed.get(day, 0),
            x=30 + index * step,
            opened_height=round(height * opened.get(day, 0) / peak),
            closed_height=round(height * closed.get(day, 0) / peak),
        )
        for index, day in enumerate(start + timedelta(days=n) for n in range(days))
    ]


def _per_day(queryset: QuerySet[Finding], field: str) -> dict[date, int]:
    rows = queryset.annotate(day=TruncDate(field)).values("day").annotate(n=Count("pk"))
    return {row["day"]: row["n"] for row in rows}


def severity_counts(findings: QuerySet[Finding]) -> list[dict]:
    open_findings = findings.filter(status=Finding.Status.OPEN)
    counts = dict(open_findings.values_list("severity").annotate(n=Count("pk")))
    return [
        {"value": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Finding.Severity.choices
    ]


def site_rows(findings: QuerySet[Finding]) -> list[dict]:
    rows = (
        findings.filter(status=Finding.Status.OPEN)
        .values("gov_site_id", "gov_site__name")
        .annotate(
            total=Count("pk"),
            critical=Count("pk", filter=Q(severity=Finding.Severity.CRITICAL)),
            high=Count("pk", filter=Q(severity=Finding.Severity.HIGH)),
            overdue=Count("pk", filter=Q(due_on__lt=timezone.localdate())),
        )
        .order_by("-total", "gov_site__name")
    )
    return [{**row, "name": row["gov_site__name"] or "平台"} for row in rows]


@dataclass(frozen=True)
class AvailabilityRow:
    gov_site: GovSite
    week: inspections.AvailabilityWeek
    average_ms: float | None


def availability_rows(sites: list[GovSite]) -> list[AvailabilityRow]:
    """The last week of each site: its availability (§2.2) and the mean time of the checks that
    succeeded. Two queries, however many sites."""
    now = timezone.now()
    weeks = inspections.availability_weeks(sites, now)
    averages = dict(
        AvailabilityCheck.objects.filter(
            gov_site__in=sites, checked_at__gt=now - timedelta(days=7), ok=True, elapsed_ms__isnull=False
        )
        .values_list("gov_site_id")
        .annotate(Avg("elapsed_ms"))
        .order_by()
    )
    return [AvailabilityRow(gov_site, weeks[gov_site.pk], averages.get(gov_site.pk)) for gov_site in sites]


def latest_runs() -> list[tuple[Inspection, InspectionRun | None]]:
    services.ensure_inspections()
    return [
        (inspection, inspection.runs.order_by("-started_at").first())
        for inspection in Inspection.objects.all()
    ]


def freshness_summary() -> dict[str, dict]:
    """The veto counts per site from the latest freshness run (slug → counts and vetoes)."""
    run = inspections.last_run(Inspection.Kind.FRESHNESS)
    if run is None or run.status != InspectionRun.Status.OK:
        return {}
    return run.summary.get("sites", {})
