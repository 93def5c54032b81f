"""The site registry: who may open a site, and how it is named and numbered (Art. 4, 5; 指引 §1.1-1.3)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Site

from govsite.sites.models import GovSite, Institution
from govsite.sites.services import Registration, close_site, register_site
from tests import factories as f
from tests.sites.refusals import assert_refused, stored_counts

pytestmark = pytest.mark.django_db


def refuse(entry: Registration) -> ValidationError:
    """Register `entry`, expect a refusal, and check that nothing was stored."""
    before = stored_counts()
    with pytest.raises(ValidationError) as excinfo:
        register_site(entry, home_page=f.home_page_for(entry.slug))
    assert stored_counts() == before
    return excinfo.value


def accept(entry: Registration) -> GovSite:
    return register_site(entry, home_page=f.home_page_for(entry.slug))


# Art. 5: domains --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "nantong.gov.cn.evil.com",
        "www.nantong.com",
        "WWW.NANTONG.COM",
        "www.nantong.gov.com",
        "www.nantong.org.cn",
        "www.nantong-gov.cn",
        "www.nantonggov.cn",
        "www.nantong.gov.cn.",
        "gov.cn",
        ".gov.cn",
        "南通.政务",
        "",
    ],
)
def test_art5_domain_must_end_with_gov_cn(domain):
    error = refuse(f.registration(f.municipal_department(), domain=domain))
    assert_refused(error, exactly=True, domain="domain_not_gov_cn")


@pytest.mark.parametrize(
    "domain",
    [
        "https://fgw.nantong.gov.cn",
        "evil.com/x.gov.cn",
        "evil.com#.gov.cn",
        "fgw..nantong.gov.cn",
        "-fgw.nantong.gov.cn",
        "fgw-.nantong.gov.cn",
        "fgw_x.nantong.gov.cn",
        "fgw nantong.gov.cn",
        "发改委.nantong.gov.cn",
    ],
)
def test_art5_domain_must_be_a_plain_host_name(domain):
    error = refuse(f.registration(f.municipal_department(), domain=domain))
    assert_refused(error, exactly=True, domain="domain_format")


def test_art5_gov_cn_domain_in_upper_case_is_accepted_and_stored_in_lower_case():
    gov_site = accept(f.registration(f.municipal_department(), domain="  FGW.NanTong.GOV.CN "))
    assert gov_site.domain == "fgw.nantong.gov.cn"


def test_art5_county_portal_on_its_own_gov_cn_domain_is_registered_as_planned():
    county = f.county_government("崇川区人民政府", "320602")
    gov_site = accept(f.registration(county, slug="chongchuan", domain="www.chongchuan.gov.cn"))

    gov_site.refresh_from_db()
    assert gov_site.status == GovSite.Status.PLANNED
    assert gov_site.kind == GovSite.Kind.COUNTY_PORTAL
    assert gov_site.site.hostname == "chongchuan.localhost"
    assert gov_site.site.site_name == "崇川区人民政府"
    assert gov_site.site.root_page.specific.title == "chongchuan 首页"
    assert gov_site.host_unit == "崇川区人民政府"  # the host unit defaults to the institution's full name


def test_art5_domain_already_used_by_another_site_is_refused():
    first = f.department_site()
    error = refuse(f.registration(f.municipal_department(), domain=first.domain))
    assert_refused(error, exactly=True, domain="domain_taken")


def test_art5_host_name_already_answered_by_another_site_is_refused():
    first = f.department_site()
    error = refuse(f.registration(f.municipal_department(), hostname=first.site.hostname))
    assert_refused(error, exactly=True, domain="hostname_taken")


def test_art5_identifier_code_already_given_to_another_site_is_refused():
    first = f.department_site()
    error = refuse(f.registration(f.municipal_department(), identifier_code=first.identifier_code))
    assert_refused(error, exactly=True, identifier_code="identifier_code_taken")


def test_site_slug_already_used_by_another_site_is_refused():
    first = f.department_site()
    entry = f.registration(
        f.municipal_department(), slug=first.slug, domain="other.nantong.gov.cn", hostname="other.localhost"
    )
    before = stored_counts()
    with pytest.raises(ValidationError) as excinfo:
        register_site(entry, home_page=f.home_page_for("other-home"))
    assert stored_counts() == before
    assert_refused(excinfo.value, exactly=True, slug="slug_taken")


# Art. 4: who may open a site --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "division_code", "code"),
    [
        (Institution.Kind.COUNTY_DEPARTMENT, "320602", "county_department_no_site"),
        (Institution.Kind.TOWN, "320602", "town_no_site"),
        (Institution.Kind.SUBORDINATE_UNIT, "320600", "subordinate_unit_no_site"),
        (Institution.Kind.MANAGEMENT_COMMITTEE, "320600", "management_committee_no_site"),
    ],
)
def test_art4_units_that_publish_through_a_portal_may_not_open_site(kind, division_code, code):
    unit = f.make_institution(kind=kind, division_code=division_code)
    error = refuse(f.registration(unit))
    assert_refused(error, exactly=True, institution=code)


def test_art4_county_department_may_not_open_site():
    bureau = f.make_institution(
        "崇川区财政局", kind=Institution.Kind.COUNTY_DEPARTMENT, division_code="320602"
    )
    error = refuse(f.registration(bureau, domain="czj.chongchuan.gov.cn"))
    assert_refused(error, exactly=True, institution="county_department_no_site")
    assert "县级政府部门" in error.message_dict["institution"][0]


def test_art4_town_may_not_open_site():
    town = f.make_institution("崇川区狼山镇街道办事处", kind=Institution.Kind.TOWN, division_code="320602")
    error = refuse(f.registration(town))
    assert_refused(error, exactly=True, institution="town_no_site")


def test_art4_subordinate_unit_may_not_open_site():
    department = f.municipal_department("南通市教育局")
    unit = f.make_institution("南通市教育考试院", kind=Institution.Kind.SUBORDINATE_UNIT, parent=department)
    error = refuse(f.registration(unit))
    assert_refused(error, exactly=True, institution="subordinate_unit_no_site")


def test_art4_second_site_for_municipal_department_refused():
    department = f.municipal_department("南通市财政局")
    f.department_site(department)
    error = refuse(f.registration(department))
    assert_refused(error, exactly=True, institution="department_site_exists")


def test_art4_second_site_refused_while_the_first_is_still_planned():
    department = f.municipal_department("南通市财政局")
    f.department_site(department, opened=False)
    error = refuse(f.registration(department))
    assert_refused(error, exactly=True, institution="department_site_exists")


def test_art4_second_portal_for_county_government_refused():
    portal = f.county_portal("崇川区人民政府", "320602")
    error = refuse(f.registration(portal.institution))
    assert_refused(error, exactly=True, institution="portal_exists")


def test_art4_second_site_allowed_after_the_first_is_closed():
    department = f.municipal_department("南通市财政局")
    first = f.department_site(department)
    close_site(first)

    second = accept(f.registration(department))
    assert second.status == GovSite.Status.PLANNED
    assert list(department.gov_sites.order_by("pk")) == [first, second]


def test_art4_second_site_allowed_after_the_first_is_merged():
    department = f.municipal_department("南通市财政局")
    first = f.department_site(department)
    close_site(first, successor=f.city_portal(), merged=True)

    assert accept(f.registration(department)).status == GovSite.Status.PLANNED


def test_art4_editing_a_registered_site_does_not_count_it_as_a_second_site():
    gov_site = f.department_site()
    gov_site.contact_phone = "0513-85099999"
    gov_site.full_clean()  # validates against the registry without counting itself


@pytest.mark.parametrize(
    ("institution_kind", "site_kind"),
    [
        (Institution.Kind.MUNICIPAL_DEPARTMENT, GovSite.Kind.COUNTY_PORTAL),
        (Institution.Kind.MUNICIPAL_DEPARTMENT, GovSite.Kind.CITY_PORTAL),
        (Institution.Kind.COUNTY_GOVERNMENT, GovSite.Kind.DEPARTMENT_SITE),
    ],
)
def test_art4_site_kind_must_match_the_institution(institution_kind, site_kind):
    institution = f.make_institution(kind=institution_kind, parent=f.city_government())
    error = refuse(f.registration(institution, kind=site_kind))
    assert_refused(error, exactly=True, kind="kind_mismatch")


def test_art4_city_portal_has_no_parent_site():
    other_city = f.make_institution("测试市人民政府", kind=Institution.Kind.CITY_GOVERNMENT)
    error = refuse(f.registration(other_city, parent=f.city_portal(), domain="www.ceshi.gov.cn"))
    assert_refused(error, exactly=True, parent="parent_not_allowed")


def test_art4_county_portal_and_department_site_hang_under_the_city_portal():
    county = f.county_government("通州区人民政府", "320612")
    assert_refused(refuse(f.registration(county, parent=None)), exactly=True, parent="parent_required")

    department_parent = f.department_site()
    error = refuse(f.registration(f.municipal_department(), parent=department_parent))
    assert_refused(error, exactly=True, parent="parent_required")


# Art. 5: names ----------------------------------------------------------------------------------


def test_art5_name_must_be_institution_full_name():
    department = f.municipal_department("南通市发展和改革委员会", short_name="市发改委")
    error = refuse(f.registration(department, name="南通发改"))
    assert_refused(error, exactly=True, name="name_not_institution")
    assert "南通市发展和改革委员会" in error.message_dict["name"][0]


def test_art5_short_name_refused():
    department = f.municipal_department("南通市发展和改革委员会", short_name="市发改委")
    error = refuse(f.registration(department, name="市发改委"))
    assert_refused(error, exactly=True, name="name_not_institution")


@pytest.mark.parametrize("suffix", ["", "网站", "门户网站"])
def test_art5_full_name_with_website_suffix_accepted(suffix):
    department = f.municipal_department("南通市发展和改革委员会")
    gov_site = accept(f.registration(department, name=f"南通市发展和改革委员会{suffix}"))
    assert gov_site.name == f"南通市发展和改革委员会{suffix}"


# 指引 §1.3: identifier code, ICP and police record numbers --------------------------------------


@pytest.mark.parametrize(
    "code", ["320600001", "32060000012", "bm07000001", "32060O0001", "3206-00001", "３２０６０００００１", ""]
)
def test_art5_identifier_code_must_be_ten_digits(code):
    error = refuse(f.registration(f.municipal_department(), identifier_code=code))
    assert_refused(error, exactly=True, identifier_code="identifier_code_format")


def test_art5_identifier_code_serial_may_not_be_zero():
    error = refuse(f.registration(f.municipal_department(), identifier_code="3206000000"))
    assert_refused(error, exactly=True, identifier_code="identifier_code_serial")


def test_art5_identifier_code_must_begin_with_the_institutions_division_code():
    department = f.municipal_department()  # 320600, the city
    error = refuse(f.registration(department, identifier_code="3206020001"))
    assert_refused(error, exactly=True, identifier_code="identifier_code_division")
    assert "320600" in error.message_dict["identifier_code"][0]


@pytest.mark.parametrize("number", ["苏ICP备12345678号", "苏ICP备12345678号-1", "苏ICP备2021012345号-12"])
def test_art4_icp_number_in_the_recorded_format_accepted(number):
    assert accept(f.registration(f.municipal_department(), icp_number=number)).icp_number == number


@pytest.mark.parametrize(
    "number",
    [
        "ICP备12345678号",
        "苏ICP12345678号",
        "苏ICP备12345678",
        "苏ICP备12345号",
        "苏icp备12345678号",
        "苏ICP备12345678号-",
        "苏ICP证030173号",
        "苏ICP备１２３４５６７８号",
        "12345678",
    ],
)
def test_art4_icp_number_format_refused(number):
    error = refuse(f.registration(f.municipal_department(), icp_number=number))
    assert_refused(error, exactly=True, icp_number="icp_number_format")


@pytest.mark.parametrize("number", ["苏公网安备 32060202000123号", "苏公网安备32060202000123号"])
def test_art4_police_record_number_in_the_recorded_format_accepted(number):
    gov_site = accept(f.registration(f.municipal_department(), police_record_number=number))
    assert gov_site.police_record_number == number


@pytest.mark.parametrize(
    "number",
    [
        "苏公网安备 3206020200012号",
        "苏公网安备 320602020001234号",
        "公网安备 32060202000123号",
        "苏公网安备 32060202000123",
        "苏公安备 32060202000123号",
        "苏公网安备 ３２０６０２０２０００１２３号",
        "32060202000123",
    ],
)
def test_art4_police_record_number_format_refused(number):
    error = refuse(f.registration(f.municipal_department(), police_record_number=number))
    assert_refused(error, exactly=True, police_record_number="police_record_number_format")


# All problems at once ---------------------------------------------------------------------------


def test_several_problems_give_one_chinese_message_per_field():
    department = f.municipal_department("南通市财政局", short_name="市财政局")
    entry = f.registration(
        department,
        domain="czj.nantong.com",
        name="市财政局",
        identifier_code="3206020001",
        icp_number="ICP备1号",
        police_record_number="公网安备1号",
    )
    error = refuse(entry)
    assert_refused(
        error,
        exactly=True,
        domain="domain_not_gov_cn",
        name="name_not_institution",
        identifier_code="identifier_code_division",
        icp_number="icp_number_format",
        police_record_number="police_record_number_format",
    )


def test_refusal_from_a_unit_without_site_rights_still_reports_its_other_problems():
    town = f.make_institution(kind=Institution.Kind.TOWN, division_code="320602")
    error = refuse(f.registration(town, domain="town.example.com", identifier_code="12"))
    assert_refused(
        error,
        exactly=True,
        institution="town_no_site",
        domain="domain_not_gov_cn",
        identifier_code="identifier_code_format",
    )


def test_city_portal_registration_makes_it_the_default_site_only_when_none_exists():
    # Wagtail's own migration leaves a default site; the city portal does not take its place.
    portal = f.city_portal()
    assert Site.objects.filter(is_default_site=True).count() == 1
    assert portal.site.hostname == "nantong.localhost"


# Institutions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("division_code", ["32060", "3206001", "32O600", "３２０６００", ""])
def test_institution_division_code_is_six_digits(division_code):
    institution = Institution(
        name="南通市测试局", kind=Institution.Kind.MUNICIPAL_DEPARTMENT, division_code=division_code
    )
    with pytest.raises(ValidationError) as excinfo:
        institution.clean()
    assert_refused(excinfo.value, exactly=True, division_code="division_code_format")


@pytest.mark.parametrize("org_code", ["11320600MB1234567X", "000014349", "MB1234567"])
def test_institution_org_code_accepts_credit_code_or_organisation_code(org_code):
    f.make_institution(org_code=org_code)


@pytest.mark.parametrize("org_code", ["00001434-9", "11320600MB1234567", "11320600MB1234567I", "0000143"])
def test_institution_org_code_format_refused(org_code):
    institution = Institution(
        name="南通市测试局",
        kind=Institution.Kind.MUNICIPAL_DEPARTMENT,
        division_code="320600",
        org_code=org_code,
    )
    with pytest.raises(ValidationError) as excinfo:
        institution.clean()
    assert_refused(excinfo.value, exactly=True, org_code="org_code_format")
