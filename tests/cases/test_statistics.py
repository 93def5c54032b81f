"""Statistics of the interaction channels (Art. 10) and the annual-report counts (§4.2)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from govsite.cases import services, statistics
from govsite.cases.models import Case, KnowledgeEntry
from tests.cases.conftest import at, error_report, letter

pytestmark = pytest.mark.django_db


def answer_at(case: Case, when) -> None:
    Case.objects.filter(pk=case.pk).update(status=Case.Status.ANSWERED, answered_at=when)


@pytest.fixture
def facts(city, mayor_mailbox):
    """Three letters and an error report on the city portal in 2026, one letter in 2025."""
    september = services.submit_letter(mayor_mailbox, letter(), received_at=at(2026, 9, 30)).case
    answer_at(september, at(2026, 10, 9))  # 2 working days (10-08, 10-09)
    late = services.submit_letter(mayor_mailbox, letter(), received_at=at(2026, 3, 2)).case
    answer_at(late, at(2026, 4, 30))  # after its 15 working days
    services.submit_letter(mayor_mailbox, letter(), received_at=at(2026, 3, 3))  # open, overdue by now
    report = services.submit_error_report(city, error_report(), received_at=at(2026, 9, 30)).case
    answer_at(report, at(2026, 10, 10))  # the make-up Saturday: 3 working days
    services.submit_letter(mayor_mailbox, letter(), received_at=at(2025, 12, 31))
    return {"september": september, "late": late, "report": report}


def test_art10_statistics_per_unit_month_and_year(city, facts, general_office):
    stats = services.public_statistics(city, 2026)
    assert (stats.total.received, stats.total.answered, stats.total.overdue) == (4, 3, 2)
    units = statistics.by_unit(stats)
    assert units[general_office.name].received == 3
    assert units[city.institution.name].received == 1
    assert units[city.institution.name].average_workdays == 3.0
    march, september = stats.months[2], stats.months[8]
    assert (march.received, march.answered, march.overdue) == (2, 1, 2)
    assert (september.received, september.answered, september.average_workdays) == (2, 2, 2.5)
    assert sum(row.received for row in stats.months) == 4
    assert services.public_statistics(city, 2025).total.received == 1
    overview = statistics.years_overview(city, [2025, 2026])
    assert [(row.label, row.received) for row in overview] == [("2025年", 1), ("2026年", 4)]


def test_art10_overdue_counted_against_the_day_asked(city, facts):
    early = statistics.for_site(city, 2026, today=date(2026, 3, 4))
    assert early.months[2].overdue == 1  # only the late answered one; the open letter is not due yet


def test_art10_xlsx_export_opens_and_has_the_figures(city, facts, general_office):
    data = services.statistics_xlsx(services.public_statistics(city, 2026))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["按单位", "按月份", "按类型"]
    rows = list(book["按单位"].iter_rows(values_only=True))
    assert rows[1] == ("单位", "收到", "已答复", "超期", "平均办理工作日")
    assert (general_office.name, 3, 2, 2) == rows[2][:4]
    assert rows[-1][:4] == ("合计", 4, 3, 2)
    months = list(book["按月份"].iter_rows(values_only=True))
    assert months[2 + 8][:3] == ("9月", 2, 2)


def test_annual_report_interaction_counts(city, facts, petitions_bureau):
    Case.objects.filter(pk=facts["september"].pk).update(is_public=True)
    counts = statistics.annual_report_counts(city, 2026)
    assert counts.messages_received == 3  # letters only; error reports have their own figures
    assert counts.messages_closed == 2
    assert counts.publicly_answered == 1
    # Calendar days, as the template asks: 9 days (09-30 to 10-09) and 59 days (03-02 to 04-30).
    assert counts.average_days == 34.0
    assert counts.uses_unified_platform and not counts.offers_smart_qa
    KnowledgeEntry.objects.create(
        question="如何查询社保缴费记录？", answer="登录江苏智慧人社。", topic="social_security"
    )
    assert statistics.annual_report_counts(city, 2026).offers_smart_qa
