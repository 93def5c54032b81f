"""Demo data of 监测巡检 for `manage.py load_demo`: the operators on duty and their roster, the
wording dictionary, an emergency plan per site, and the inspection schedule (Art. 23-25)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from govsite.monitoring import services
from govsite.monitoring.models import DutyShift, EmergencyPlan, WordingEntry
from govsite.monitoring.wording_demo import DEMO_RULES
from govsite.sites.models import GovSite

OPERATORS = [("duty_day", "白班", "值班员"), ("duty_night", "夜班", "值班员")]
SHIFT_HOURS = 12
PLAN = (
    "一、发现：值班人员通过巡检、用户反映或上级通报发现异常，立即记录。\n"
    "二、报告：30分钟内报告网站安全责任人和市大数据管理局。\n"
    "三、研判定级：按影响范围和严重程度确定Ⅰ至Ⅳ级。\n"
    "四、处置：必要时下线相关页面，从发布清单恢复已发布版本，排查原因。\n"
    "五、恢复与报告：处置完成后恢复服务，按规定向有关管理部门报告处置结果。\n"
    "六、总结：形成事件总结，修订本预案。"
)
OPERATOR_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("review", "view_auditrecord"),
    *[
        ("monitoring", f"{action}_{model}")
        for action in ("add", "change", "delete", "view")
        for model in (
            "wordingentry",
            "inspection",
            "dutyshift",
            "emergencyplan",
        )
    ],
]


def load(make_user: Callable[[str, str, str, object], object]) -> list:
    """The operators' group and accounts, a week of 12-hour shifts from today, the dictionary and the
    plans; returns the operators."""
    group = operators_group()
    operators = [make_user(username, first, last, group) for username, first, last in OPERATORS]
    roster(operators)
    for rule in DEMO_RULES:
        WordingEntry.objects.get_or_create(
            term=rule.term,
            kind=str(rule.kind),
            defaults={
                "severity": str(rule.severity),
                "correction": rule.correction,
                "allowed": "\n".join(rule.allowed),
            },
        )
    for gov_site in GovSite.objects.all():
        EmergencyPlan.objects.get_or_create(
            gov_site=gov_site,
            defaults={
                "body": PLAN,
                "contacts": f"{gov_site.security_officer or '安全责任人'} {gov_site.contact_phone}",
            },
        )
    services.ensure_inspections()
    return operators


def operators_group() -> Group:
    group, _ = Group.objects.get_or_create(name=services.OPERATORS_GROUP)
    for app_label, codename in OPERATOR_PERMISSIONS:
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            group.permissions.add(permission)
    return group


def roster(operators: list, days: int = 7) -> None:
    """Art. 23 (24小时值班): a day and a night shift for every day of the coming week."""
    today = timezone.localdate()
    for offset in range(days):
        start = timezone.make_aware(datetime.combine(today + timedelta(days=offset), time(8)))
        for number, person in enumerate(operators):
            begins = start + timedelta(hours=SHIFT_HOURS * number)
            DutyShift.objects.get_or_create(
                person=person,
                starts_at=begins,
                defaults={"ends_at": begins + timedelta(hours=SHIFT_HOURS), "phone": "0513-85099110"},
            )
