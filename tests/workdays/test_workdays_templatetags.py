"""The deadline_display filter: a provisional deadline (§6.5) is shown as 暂定 with its reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template

from govsite.workdays.models import ConfirmedYear, WorkdayOverride
from govsite.workdays.services import SHANGHAI, Deadline, deadline
from govsite.workdays.templatetags.workdays import deadline_display

pytestmark = pytest.mark.django_db

PROVISIONAL_ABBR = (
    '<abbr title="该年度法定节假日安排尚未公布，按周一至周五计算，待管理员录入后确定">（暂定）</abbr>'
)


def render(value) -> str:
    return Template("{% load workdays %}{{ value|deadline_display }}").render(Context({"value": value}))


def test_official_year_deadline_shows_the_day_only():
    assert render(date(2025, 10, 11)) == "2025-10-11"


def test_provisional_deadline_is_marked_with_its_reason():
    assert render(date(2027, 1, 4)) == "2027-01-04" + PROVISIONAL_ABBR


def test_datetime_is_shown_by_its_day_in_shanghai():
    assert render(datetime(2025, 10, 10, 16, 30, tzinfo=UTC)) == "2025-10-11"
    assert render(datetime(2025, 10, 11, 23, 59, 59, tzinfo=SHANGHAI)) == "2025-10-11"


def test_deadline_object_keeps_its_own_mark():
    assert render(deadline(date(2026, 12, 25), 5)) == "2027-01-01" + PROVISIONAL_ABBR
    assert render(Deadline(due=date(2025, 10, 11), provisional=False)) == "2025-10-11"


def test_confirmed_year_is_no_longer_marked():
    WorkdayOverride.objects.create(date=date(2027, 1, 1), is_workday=False)
    ConfirmedYear.objects.create(year=2027)
    assert render(date(2027, 1, 4)) == "2027-01-04"


def test_empty_value_renders_nothing():
    assert render(None) == ""
    assert render("") == ""


def test_output_is_safe_html():
    assert hasattr(deadline_display(date(2027, 1, 4)), "__html__")
