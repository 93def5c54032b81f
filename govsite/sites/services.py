"""Rules of the site registry: who may open a site, its name, domain and identifier code.

Art. 4: county/district governments open a portal; county-level departments and towns do not
open sites; a municipal department opens at most one site.
Art. 5: a site is named after its institution and uses an English domain ending in .gov.cn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site

from govsite.sites.models import GovSite, Institution

DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
IDENTIFIER_CODE = re.compile(r"^(?P<division>\d{6})(?P<serial>\d{4})$", re.ASCII)
ICP_NUMBER = re.compile(r"^[\u4e00-\u9fa5]ICP备\d{6,10}号(-\d{1,3})?$", re.ASCII)
POLICE_RECORD_NUMBER = re.compile(r"^[\u4e00-\u9fa5]公网安备\s?\d{14}号$", re.ASCII)
ORG_CODE = re.compile(r"^([0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}|[0-9A-Z]{9})$", re.ASCII)
NAME_SUFFIXES = ("", "网站", "门户网站", "政府网站")

SITE_KIND_FOR_INSTITUTION = {
    Institution.Kind.CITY_GOVERNMENT: GovSite.Kind.CITY_PORTAL,
    Institution.Kind.COUNTY_GOVERNMENT: GovSite.Kind.COUNTY_PORTAL,
    Institution.Kind.MUNICIPAL_DEPARTMENT: GovSite.Kind.DEPARTMENT_SITE,
}

NO_SITE_REASONS = {
    Institution.Kind.COUNTY_DEPARTMENT: (
        "county_department_no_site",
        "县级政府部门原则上不开设政府网站，应通过县级政府门户网站开展信息公开、提供政务服务（第四条）。",
    ),
    Institution.Kind.TOWN: (
        "town_no_site",
        "乡（镇、街道）原则上不开设政府网站，应通过县级政府门户网站开展信息公开、提供政务服务（第四条）。",
    ),
    Institution.Kind.SUBORDINATE_UNIT: (
        "subordinate_unit_no_site",
        "政府部门下属单位原则上不开设政府网站，相关信息在部门网站上发布（第四条）。",
    ),
    Institution.Kind.MANAGEMENT_COMMITTEE: (
        "management_committee_no_site",
        "开发区（园区）管委会不是一级政府，通过市政府门户网站发布信息（第四条）。",
    ),
}

ACTIVE_STATUSES = (GovSite.Status.PLANNED, GovSite.Status.OPEN)


def validate_institution(institution: Institution) -> None:
    """Check the facts of an institution that the registry relies on."""
    errors: dict[str, ValidationError] = {}
    if not re.fullmatch(r"\d{6}", institution.division_code or "", re.ASCII):
        errors["division_code"] = ValidationError("行政区划代码应为6位数字。", code="division_code_format")
    if institution.org_code and not ORG_CODE.fullmatch(institution.org_code):
        errors["org_code"] = ValidationError(
            "机构代码应为18位统一社会信用代码或9位组织机构代码（不含“-”）。", code="org_code_format"
        )
    if errors:
        raise ValidationError(errors)


def domain_problem(domain: str) -> ValidationError | None:
    """Art. 5: an English domain ending in .gov.cn, written as a plain host name."""
    domain = (domain or "").strip().lower()
    if not domain.endswith(".gov.cn") or domain == ".gov.cn":
        return ValidationError(
            "政府网站须使用以“.gov.cn”为后缀的英文域名，不得使用其他后缀（第五条）。",
            code="domain_not_gov_cn",
        )
    labels = domain.split(".")
    if not all(DOMAIN_LABEL.fullmatch(label) for label in labels) or len(labels) < 3:
        return ValidationError(
            "域名格式不正确：只能包含小写字母、数字和连字符，各级之间用“.”分隔。", code="domain_format"
        )
    return None


def identifier_code_problem(code: str, institution: Institution | None) -> ValidationError | None:
    """gov-site-rules §1.3: 10 characters, the 6-digit division code then a 4-digit serial."""
    match = IDENTIFIER_CODE.fullmatch(code or "")
    if not match:
        return ValidationError(
            "网站标识码应为10位数字：6位行政区划代码加4位顺序号。", code="identifier_code_format"
        )
    if match["serial"] == "0000":
        return ValidationError("网站标识码的4位顺序号不能为0000。", code="identifier_code_serial")
    if institution is not None and match["division"] != institution.division_code:
        return ValidationError(
            f"网站标识码的前6位应为开办机构所在地的行政区划代码 {institution.division_code}。",
            code="identifier_code_division",
        )
    return None


def name_problem(name: str, institution: Institution) -> ValidationError | None:
    """Art. 5: portals and department sites are named after their institution's full name."""
    name = (name or "").strip()
    if any(name == institution.name + suffix for suffix in NAME_SUFFIXES):
        return None
    return ValidationError(
        f"网站名称须以机构全称“{institution.name}”命名（可加“网站”或“门户网站”），不得使用简称或其他名称（第五条）。",
        code="name_not_institution",
    )


def kind_problems(gov_site: GovSite) -> dict[str, ValidationError]:
    """Art. 4: who may open which kind of site, and at most one per unit."""
    institution = gov_site.institution
    if institution.kind in NO_SITE_REASONS:
        code, message = NO_SITE_REASONS[institution.kind]
        return {"institution": ValidationError(message, code=code)}
    expected = SITE_KIND_FOR_INSTITUTION[institution.kind]
    if gov_site.kind != expected:
        return {
            "kind": ValidationError(
                f"“{institution.name}”只能开设{GovSite.Kind(expected).label}。", code="kind_mismatch"
            )
        }
    others = GovSite.objects.filter(institution=institution, status__in=ACTIVE_STATUSES).exclude(
        pk=gov_site.pk
    )
    if others.exists():
        if expected == GovSite.Kind.DEPARTMENT_SITE:
            message, code = (
                "市级政府部门最多开设一个政府网站，该部门已有网站（第四条）。",
                "department_site_exists",
            )
        else:
            message, code = "该政府已开设门户网站，同一单位只能开设一个网站（第四条）。", "portal_exists"
        return {"institution": ValidationError(message, code=code)}
    return {}


def parent_problem(gov_site: GovSite) -> ValidationError | None:
    if gov_site.kind == GovSite.Kind.CITY_PORTAL:
        if gov_site.parent_id:
            return ValidationError("市政府门户网站没有上级网站。", code="parent_not_allowed")
        return None
    if gov_site.parent is None or gov_site.parent.kind != GovSite.Kind.CITY_PORTAL:
        return ValidationError(
            "县（市）区门户网站和市级部门网站的上级网站应为市政府门户网站。", code="parent_required"
        )
    return None


def record_number_problems(gov_site: GovSite) -> dict[str, ValidationError]:
    errors = {}
    if gov_site.icp_number and not ICP_NUMBER.fullmatch(gov_site.icp_number):
        errors["icp_number"] = ValidationError(
            f"ICP备案编号格式应为“{settings.GOVSITE_PROVINCE_SHORT}ICP备12345678号”（可带“-1”等后缀）。",
            code="icp_number_format",
        )
    if gov_site.police_record_number and not POLICE_RECORD_NUMBER.fullmatch(gov_site.police_record_number):
        errors["police_record_number"] = ValidationError(
            f"公安机关备案号格式应为“{settings.GOVSITE_PROVINCE_SHORT}公网安备 32060202000123号”（14位数字）。",
            code="police_record_number_format",
        )
    return errors


def uniqueness_problems(gov_site: GovSite) -> dict[str, ValidationError]:
    """One site per domain, identifier code and slug: refused with a message, not a database error."""
    others = GovSite.objects.exclude(pk=gov_site.pk)
    errors = {}
    if others.filter(domain=(gov_site.domain or "").strip().lower()).exists():
        errors["domain"] = ValidationError("该域名已登记给其他网站。", code="domain_taken")
    if others.filter(identifier_code=gov_site.identifier_code).exists():
        errors["identifier_code"] = ValidationError(
            "该网站标识码已登记给其他网站。", code="identifier_code_taken"
        )
    if others.filter(slug=gov_site.slug).exists():
        errors["slug"] = ValidationError("该网站代号已被其他网站使用。", code="slug_taken")
    return errors


def validate_registration(gov_site: GovSite) -> None:
    """Collect every registration problem at once, one Chinese message per problem."""
    errors: dict[str, ValidationError] = {}
    if problem := domain_problem(gov_site.domain):
        errors["domain"] = problem
    institution = gov_site.institution if gov_site.institution_id else None
    if problem := identifier_code_problem(gov_site.identifier_code, institution):
        errors["identifier_code"] = problem
    for field, problem in uniqueness_problems(gov_site).items():
        errors.setdefault(field, problem)
    if institution is None:
        errors["institution"] = ValidationError("请选择开办网站的机构。", code="institution_required")
    else:
        if problem := name_problem(gov_site.name, institution):
            errors["name"] = problem
        errors.update(kind_problems(gov_site))
    if "kind" not in errors and (problem := parent_problem(gov_site)):
        errors["parent"] = problem
    errors.update(record_number_problems(gov_site))
    if gov_site.successor_id and gov_site.successor_id == gov_site.pk:
        errors["successor"] = ValidationError("承接网站不能是网站自身。", code="successor_self")
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class Registration:
    institution: Institution
    kind: str
    name: str
    slug: str
    domain: str
    identifier_code: str
    host_unit: str = ""
    parent: GovSite | None = None
    hostname: str = ""
    port: int = 80
    icp_number: str = ""
    police_record_number: str = ""
    operator_unit: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    contact_address: str = ""
    security_officer: str = ""
    security_officer_phone: str = ""
    theme_colour: str = "#b5121b"


@transaction.atomic
def register_site(registration: Registration, *, home_page: Page) -> GovSite:
    """Art. 4-5: register a site in the planned state, with a Wagtail Site rooted at `home_page`.

    `home_page` must be an unsaved page; it is added under the tree root only when every rule
    passes, so a refused registration leaves nothing behind. The Wagtail Site answers on
    `hostname` (the registered domain unless told otherwise, e.g. `chongchuan.localhost` in the demo).
    """
    data = registration.__dict__ | {"domain": registration.domain.strip().lower()}
    hostname, port = data.pop("hostname") or data["domain"], data.pop("port")
    gov_site = GovSite(**data, status=GovSite.Status.PLANNED)
    gov_site.host_unit = gov_site.host_unit or registration.institution.name
    try:
        validate_registration(gov_site)
    except ValidationError as error:
        raise ValidationError(error.error_dict) from None
    if Site.objects.filter(hostname=hostname, port=port).exists():
        raise ValidationError({"domain": ValidationError("该域名已被其他网站使用。", code="hostname_taken")})
    root = Page.get_first_root_node()
    root.add_child(instance=home_page)
    is_default = (
        gov_site.kind == GovSite.Kind.CITY_PORTAL and not Site.objects.filter(is_default_site=True).exists()
    )
    gov_site.site = Site.objects.create(
        hostname=hostname, port=port, root_page=home_page, site_name=gov_site.name, is_default_site=is_default
    )
    gov_site.save()
    return gov_site


def open_site(gov_site: GovSite) -> GovSite:
    """Art. 4 and 指引 §1.1: a site goes live only with its ICP and police record numbers.

    The numbers are checked for their format and stored together with the new status.
    """
    errors = record_number_problems(gov_site)
    if not gov_site.icp_number:
        errors["icp_number"] = ValidationError("开通前须完成ICP备案并填写备案编号。", code="icp_required")
    if not gov_site.police_record_number:
        errors["police_record_number"] = ValidationError(
            "开通前须完成公安机关备案并填写备案号。", code="police_record_required"
        )
    if gov_site.status != GovSite.Status.PLANNED:
        errors["status"] = ValidationError("只有筹建中的网站可以开通。", code="not_planned")
    if errors:
        raise ValidationError(errors)
    return _set_status(gov_site, GovSite.Status.OPEN, "icp_number", "police_record_number")


def close_site(gov_site: GovSite, *, successor: GovSite | None = None, merged: bool = False) -> GovSite:
    """Close or merge a site: its pages stay reachable under the successor's archive, old URLs redirect.

    A closed site without a named successor hands over to its parent portal.
    """
    successor = successor or gov_site.parent
    if successor is None or successor.pk == gov_site.pk:
        raise ValidationError({"successor": ValidationError("请指定承接网站。", code="successor_required")})
    if successor.status != GovSite.Status.OPEN:
        raise ValidationError(
            {"successor": ValidationError("承接网站须处于已开通状态。", code="successor_not_open")}
        )
    if gov_site.status not in ACTIVE_STATUSES:
        raise ValidationError({"status": ValidationError("该网站已关停或已整合。", code="already_closed")})
    gov_site.successor = successor
    return _set_status(gov_site, GovSite.Status.MERGED if merged else GovSite.Status.CLOSED)


def _set_status(gov_site: GovSite, status: str, *also_save: str) -> GovSite:
    gov_site.status = status
    gov_site.status_changed_at = timezone.now()
    gov_site.save(update_fields=["status", "status_changed_at", "successor", *also_save])
    return gov_site


@dataclass(frozen=True)
class PortalCoverage:
    government: Institution
    portal: GovSite | None

    @property
    def missing(self) -> bool:
        return self.portal is None


def portal_coverage() -> list[PortalCoverage]:
    """Art. 4: every county/district government should have an open (or planned) portal."""
    portals = {
        site.institution_id: site
        for site in GovSite.objects.filter(kind=GovSite.Kind.COUNTY_PORTAL, status__in=ACTIVE_STATUSES)
    }
    governments = Institution.objects.filter(kind=Institution.Kind.COUNTY_GOVERNMENT).order_by(
        "division_code"
    )
    return [PortalCoverage(government, portals.get(government.pk)) for government in governments]


def gov_site_for_page(page: Page) -> GovSite | None:
    """The GovSite whose tree holds `page` (Wagtail caches the site root paths)."""
    site = page.get_site()
    return GovSite.objects.filter(site=site).select_related("site", "institution").first() if site else None


def serving_successor(gov_site: GovSite) -> GovSite:
    """The site that now serves a closed or merged site's pages: its successor, or the first
    successor down the chain that still serves, so an old URL takes one redirect and never ends
    on a dead archive."""
    successor = gov_site.successor
    assert successor is not None
    seen = {gov_site.pk}
    while not successor.is_serving and successor.successor_id and successor.pk not in seen:
        seen.add(successor.pk)
        successor = successor.successor
    return successor


def archive_url(gov_site: GovSite, path: str) -> str:
    """Where an old URL of a closed or merged site lives now, on its serving successor."""
    return f"{serving_successor(gov_site).site.root_url}/archive/{gov_site.slug}/{path.lstrip('/')}"


def successor_url(gov_site: GovSite, path: str) -> str:
    """Where a platform path (search, sitemap, forms) of a closed site goes: the same path on its successor."""
    return f"{serving_successor(gov_site).site.root_url}{path}"
