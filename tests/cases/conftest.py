"""Fixtures of the case engine: the city portal with the mayor's mailbox, department and county
sites with their mailboxes, and handlers of each unit.

`mayor_mailbox` is handled by 南通市人民政府办公室 and published by 南通市信访局 (Art. 16);
`department_mailbox` belongs to a department site and is published by the department itself.
`handler(unit)` makes a user in the unit's handler group (provisioned by `provision_case_groups`).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth import get_user_model

from govsite.cases import services
from govsite.cases.models import Mailbox
from govsite.workdays.services import SHANGHAI
from tests import factories

PASSWORD = "Nantong-Cases-2026!"


def make_mailbox(gov_site, institution, *, kind=Mailbox.Kind.DEPARTMENT, publisher=None, **fields) -> Mailbox:
    mailbox = Mailbox(
        gov_site=gov_site,
        institution=institution,
        kind=kind,
        name=fields.pop("name", f"{institution.name}信箱"),
        slug=fields.pop("slug", f"box{factories.next_number()}"),
        publisher=publisher or institution,
        **fields,
    )
    mailbox.full_clean()
    mailbox.save()
    return mailbox


def make_handler(unit, username: str | None = None, **fields):
    group = services.provision_case_groups(unit)
    username = username or f"handler{factories.next_number()}"
    user = get_user_model().objects.create_user(username, f"{username}@example.gov.cn", PASSWORD, **fields)
    user.groups.add(group)
    return user


def letter(**overrides) -> services.LetterData:
    values = {
        "subject": "关于小区门口道路积水的建议",
        "body": "我叫张三，住在崇川区人民中路18号3幢201室，电话13812345678。雨后道路积水严重，请尽快处理。",
        "name": "张三",
        "phone": "13812345678",
        "email": "zhangsan@example.com",
    }
    values.update(overrides)
    return services.LetterData(**values)


def error_report(
    page_url: str = "https://www.nantong.gov.cn/zwgk/1.html", **overrides
) -> services.ErrorReportData:
    values = {"page_url": page_url, "error_type": "wording", "description": "第二段“南通市”写成了“南同市”。"}
    values.update(overrides)
    return services.ErrorReportData(**values)


def disclosure(**overrides) -> services.DisclosureData:
    values = {
        "applicant_type": "citizen",
        "name": "李四",
        "id_type": "id_card",
        "id_number": "11010519491231002X",
        "organization": "",
        "legal_representative": "",
        "phone": "0513-85001234",
        "email": "lisi@example.com",
        "address": "南通市崇川区工农路1号",
        "postcode": "226000",
        "description": "2025年度本区老旧小区改造项目清单",
        "delivery": "email",
        "medium": "electronic",
    }
    values.update(overrides)
    return services.DisclosureData(**values)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def city():
    return factories.city_portal()


@pytest.fixture
def general_office(city):
    return factories.municipal_department("南通市人民政府办公室")


@pytest.fixture
def petitions_bureau(city):
    return factories.municipal_department("南通市信访局")


@pytest.fixture
def mayor_mailbox(city, general_office, petitions_bureau):
    return make_mailbox(
        city,
        general_office,
        kind=Mailbox.Kind.MAYOR,
        publisher=petitions_bureau,
        name="市长信箱",
        slug="mayor",
        deadline_workdays=15,
    )


@pytest.fixture
def department():
    return factories.department_site(factories.municipal_department())


@pytest.fixture
def department_mailbox(department):
    return make_mailbox(
        department, department.institution, name="局长信箱", slug="director", deadline_workdays=10
    )


@pytest.fixture
def county():
    return factories.county_portal()
