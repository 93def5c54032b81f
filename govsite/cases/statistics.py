"""Statistics of the interaction channels (Art. 10: 意见建议受理反馈……情况要定期公开) and the
interaction counts of the annual website report (gov-site-rules.md §4.2).

A case counts in the month and year it was received, for the unit now responsible for it.
"Overdue" means answered after its due day, or still open after it. Handling time is counted in
working days from receipt to the reply being sent (`workdays_between`); the annual report asks for
calendar days instead, and `annual_report_counts` gives those.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q

from govsite.cases import deadlines
from govsite.cases.models import Case, KnowledgeEntry
from govsite.workdays import services as workdays

COLUMNS = ["收到", "已答复", "超期", "平均办理工作日"]


@dataclass
class Row:
    label: str
    received: int = 0
    answered: int = 0
    overdue: int = 0
    handling_workdays: int = 0

    @property
    def average_workdays(self) -> float | None:
        return round(self.handling_workdays / self.answered, 1) if self.answered else None

    def add(self, *, answered: bool, overdue: bool, handling: int) -> None:
        self.received += 1
        self.answered += answered
        self.overdue += overdue
        self.handling_workdays += handling

    def values(self) -> list:
        return [self.received, self.answered, self.overdue, self.average_workdays]


@dataclass
class Statistics:
    site_name: str
    year: int
    units: list[Row] = field(default_factory=list)
    months: list[Row] = field(default_factory=list)
    kinds: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row("合计"))


def _facts(cases, today: date):
    """(unit, month, kind, answered, overdue, handling working days) of each case, one query."""
    rows = cases.values_list("unit__name", "submitted_at", "kind", "answered_at", "due_on")
    with workdays.calendar_scope():
        for unit_name, submitted_at, kind, answered_at, due_on in rows:
            month = workdays.local_date(submitted_at).month
            if answered_at is not None:
                answered_on = workdays.local_date(answered_at)
                yield (
                    unit_name,
                    month,
                    kind,
                    True,
                    answered_on > due_on,
                    workdays.workdays_between(submitted_at, answered_at),
                )
            else:
                yield unit_name, month, kind, False, today > due_on, 0


def compute(cases, *, site_name: str, year: int, today: date | None = None) -> Statistics:
    """Per unit, per month (1-12) and per kind of the cases received in `year`."""
    today = today or deadlines.today()
    stats = Statistics(site_name=site_name, year=year)
    units: dict[str, Row] = {}
    months = {month: Row(f"{month}月") for month in range(1, 13)}
    kinds = {value: Row(label) for value, label in Case.Kind.choices}
    for unit_name, month, kind, answered, overdue, handling in _facts(_of_year(cases, year), today):
        for row in (units.setdefault(unit_name, Row(unit_name)), months[month], kinds[kind], stats.total):
            row.add(answered=answered, overdue=overdue, handling=handling)
    stats.units = sorted(units.values(), key=lambda row: (-row.received, row.label))
    stats.months = list(months.values())
    stats.kinds = [row for row in kinds.values() if row.received]
    return stats


def _of_year(cases, year: int):
    start = datetime(year, 1, 1, tzinfo=workdays.SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=workdays.SHANGHAI)
    return cases.filter(submitted_at__gte=start, submitted_at__lt=end)


def for_site(gov_site, year: int, today: date | None = None) -> Statistics:
    """Art. 10: the statistics of the cases a site received in `year`."""
    return compute(Case.objects.filter(gov_site=gov_site), site_name=gov_site.name, year=year, today=today)


def for_units(units, year: int, today: date | None = None) -> Statistics:
    """The statistics of the cases some units are responsible for (the handlers' admin page)."""
    return compute(Case.objects.filter(unit__in=units), site_name="本单位", year=year, today=today)


def years_overview(gov_site, years: list[int], today: date | None = None) -> list[Row]:
    """One row per year: the yearly totals."""
    rows = []
    for year in years:
        total = for_site(gov_site, year, today).total
        total.label = f"{year}年"
        rows.append(total)
    return rows


@dataclass(frozen=True)
class AnnualInteractionCounts:
    """gov-site-rules.md §4.2, 互动交流: 留言办理 (letters), in calendar days as the template asks."""

    uses_unified_platform: bool
    messages_received: int
    messages_closed: int
    average_days: float | None
    publicly_answered: int
    offers_smart_qa: bool


def annual_report_counts(gov_site, year: int) -> AnnualInteractionCounts:
    """The interaction rows of the annual report: letters received, closed (answered), their average
    handling time in calendar days, and the number answered publicly; 智能问答 = a current knowledge base."""
    letters = _of_year(Case.objects.filter(gov_site=gov_site, kind=Case.Kind.LETTER), year)
    answered = list(letters.filter(answered_at__isnull=False).values_list("submitted_at", "answered_at"))
    days = [(answered_at - submitted_at).total_seconds() / 86400 for submitted_at, answered_at in answered]
    return AnnualInteractionCounts(
        uses_unified_platform=True,
        messages_received=letters.count(),
        messages_closed=len(answered),
        average_days=round(sum(days) / len(days), 1) if days else None,
        publicly_answered=letters.filter(is_public=True, answered_at__isnull=False).count(),
        offers_smart_qa=KnowledgeEntry.objects.filter(is_current=True)
        .filter(Q(gov_site=gov_site) | Q(gov_site__isnull=True))
        .exists(),
    )


def to_xlsx(stats: Statistics) -> bytes:
    """The statistics as an xlsx workbook: one sheet per unit, month and kind breakdown."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheets = [
        ("按单位", "单位", stats.units),
        ("按月份", "月份", stats.months),
        ("按类型", "类型", stats.kinds),
    ]
    for index, (title, first, rows) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        sheet.append([f"{stats.site_name} {stats.year}年互动交流办理情况统计"])
        sheet.append([first, *COLUMNS])
        for row in [*rows, stats.total]:
            sheet.append([row.label, *row.values()])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 32
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def chart_bars(rows: list[Row], width: int = 640, bar_height: int = 22) -> list[dict]:
    """Geometry of a simple horizontal bar chart (received and answered per row) for inline SVG."""
    peak = max((row.received for row in rows), default=0) or 1
    usable = width - 220
    return [
        {
            "label": row.label,
            "y": index * (bar_height + 8),
            "received": row.received,
            "answered": row.answered,
            "received_width": round(usable * row.received / peak),
            "answered_width": round(usable * row.answered / peak),
        }
        for index, row in enumerate(rows)
    ]


def by_unit(stats: Statistics) -> dict[str, Row]:
    return {row.label: row for row in stats.units}
