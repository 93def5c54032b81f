"""Demo data of 互动交流 for `manage.py load_demo`: the city's mailboxes, handlers, knowledge entries
and a few letters at different stages (Art. 10, 16, 18)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from govsite.cases import services
from govsite.cases.models import KnowledgeEntry, Mailbox
from govsite.sites.models import GovSite, Institution

MAYOR_MAILBOX_UNIT = "南通市人民政府办公室"
PETITIONS_BUREAU = "南通市信访局"  # Art. 16: reviews the mayor's-mailbox letters for publication
MAYOR_DEADLINE_WORKDAYS = 15
MAILBOX_DEADLINE_WORKDAYS = 10

KNOWLEDGE = [
    (
        "social_security",
        "如何查询个人社保缴费记录？",
        "可登录“江苏智慧人社”网站或手机应用，实名认证后在“社保查询”中查看。",
    ),
    (
        "housing",
        "住房公积金如何提取？",
        "符合购房、租房等提取条件的，可通过南通市住房公积金管理中心网上服务大厅在线申请。",
    ),
    (
        "education",
        "小学新生入学报名需要哪些材料？",
        "一般需户口簿、房产证明或居住证明等，具体以当年学区招生公告为准。",
    ),
    (
        "transport",
        "公交线路调整的建议向谁反映？",
        "可通过市交通运输局部门信箱或12345热线反映，交通运输部门将研究答复。",
    ),
    (
        "government",
        "网站页面打不开或内容有误怎么办？",
        "请点击页面底部“我为政府网站找错”提交，网站主办单位将在3个工作日内答复。",
    ),
]


def load(make_user: Callable[[str, str, str, object], object]) -> int:
    """Mailboxes on every site, two handlers per unit (drafter and reviewer), knowledge entries,
    and three sample letters; returns the number of mailboxes. `make_user(username, first, last,
    group)` is load_demo's user factory (it sets the demo password)."""
    portal = GovSite.objects.get(kind=GovSite.Kind.CITY_PORTAL)
    office = Institution.objects.get(name=MAYOR_MAILBOX_UNIT)
    bureau = Institution.objects.get(name=PETITIONS_BUREAU)
    mayor = _mailbox(portal, office, Mailbox.Kind.MAYOR, "市长信箱", "mayor", bureau, MAYOR_DEADLINE_WORKDAYS)
    mailboxes = [mayor]
    for gov_site in GovSite.objects.exclude(pk=portal.pk).select_related("institution"):
        kind = Mailbox.Kind.COUNTY if gov_site.kind == GovSite.Kind.COUNTY_PORTAL else Mailbox.Kind.DEPARTMENT
        if kind == Mailbox.Kind.COUNTY:
            name = f"{gov_site.institution.name.removesuffix('人民政府')}长信箱"  # 崇川区长信箱
        else:
            name = f"{gov_site.institution.short_name or '部门'}信箱"
        mailboxes.append(
            _mailbox(
                gov_site,
                gov_site.institution,
                kind,
                name,
                "mailbox",
                gov_site.institution,
                MAILBOX_DEADLINE_WORKDAYS,
            )
        )
    units = {mailbox.institution for mailbox in mailboxes} | {bureau, portal.institution}
    for unit in units:
        group = services.provision_case_groups(unit)
        code = _code_of(unit)
        make_user(f"{code}_handler", "办理员", unit.short_name or unit.name, group)
        make_user(f"{code}_checker", "审核员", unit.short_name or unit.name, group)
    for topic, question, answer in KNOWLEDGE:
        KnowledgeEntry.objects.get_or_create(question=question, defaults={"answer": answer, "topic": topic})
    _sample_letters(mayor)
    return len(mailboxes)


def _code_of(unit: Institution) -> str:
    site = unit.gov_sites.first()
    if site is not None:
        return site.slug
    return {MAYOR_MAILBOX_UNIT: "zfb", PETITIONS_BUREAU: "xfj"}.get(unit.name, f"unit{unit.pk}")


def _mailbox(gov_site, institution, kind, name, slug, publisher, workdays) -> Mailbox:
    mailbox, _ = Mailbox.objects.get_or_create(
        gov_site=gov_site,
        slug=slug,
        defaults={
            "institution": institution,
            "kind": kind,
            "name": name,
            "publisher": publisher,
            "deadline_workdays": workdays,
            "intro": "请如实反映问题，留下真实联系方式。来信办理结果经审核后公开，个人信息将隐去。",
        },
    )
    return mailbox


def _sample_letters(mayor: Mailbox) -> None:
    """A recent letter, one received a month ago (overdue), and one from last week."""
    now = timezone.now()
    samples = [
        ("建议增加城东片区公交班次", "城东片区早高峰公交拥挤，建议增加班次。", now - timedelta(days=2)),
        ("小区旁工地夜间施工噪音扰民", "工地晚上十一点后仍在施工，影响休息。", now - timedelta(days=40)),
        ("咨询老旧小区加装电梯补贴政策", "请问加装电梯的补贴标准和申请流程。", now - timedelta(days=7)),
    ]
    for subject, body, received_at in samples:
        data = services.LetterData(subject=subject, body=body, name="王小明", phone="13900000000")
        services.submit_letter(mayor, data, received_at=received_at)
