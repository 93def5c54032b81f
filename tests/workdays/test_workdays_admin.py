"""The “工作日历” admin: administrators enter next year's arrangement and confirm the year."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from govsite.workdays.models import ConfirmedYear, WorkdayOverride

pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar_admin(client):
    user = get_user_model().objects.create_superuser("calendar-admin", "admin@example.gov.cn", "x" * 16)
    client.force_login(user)
    return client


def test_menu_shows_the_workday_calendar(calendar_admin):
    response = calendar_admin.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    page = response.content.decode()  # the sidebar is JSON, its labels escaped
    assert json.dumps("工作日历") in page
    assert reverse("wagtailsnippets_workdays_workdayoverride:list") in page
    assert reverse("wagtailsnippets_workdays_confirmedyear:list") in page


def test_override_list_shows_what_the_package_says(calendar_admin):
    WorkdayOverride.objects.create(date=date(2025, 10, 11), is_workday=False, note="本地安排")
    response = calendar_admin.get(reverse("wagtailsnippets_workdays_workdayoverride:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "本地安排" in page
    assert "工作日" in page  # chinesecalendar calls 2025-10-11 a make-up workday


def test_administrator_enters_a_holiday_then_confirms_the_year(calendar_admin):
    add_override = reverse("wagtailsnippets_workdays_workdayoverride:add")
    add_year = reverse("wagtailsnippets_workdays_confirmedyear:add")

    refused = calendar_admin.post(add_year, {"year": "2027", "note": "国办发明电"})
    assert refused.status_code == 200
    assert "尚未录入2027年的节假日安排" in refused.content.decode()
    assert not ConfirmedYear.objects.exists()

    response = calendar_admin.post(add_override, {"date": "2027-01-01", "note": "元旦"})
    assert response.status_code == 302
    assert WorkdayOverride.objects.get(date=date(2027, 1, 1)).is_workday is False

    response = calendar_admin.post(add_year, {"year": "2027", "note": "国办发明电"})
    assert response.status_code == 302
    assert ConfirmedYear.objects.filter(year=2027).exists()


def test_confirmed_year_list_loads(calendar_admin):
    ConfirmedYear.objects.create(year=2026, note="国办发明电〔2025〕7号")
    response = calendar_admin.get(reverse("wagtailsnippets_workdays_confirmedyear:list"))
    assert response.status_code == 200
    assert "2026" in response.content.decode()
