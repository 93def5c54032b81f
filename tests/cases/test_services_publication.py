"""Publication and masking (Art. 16, 18): who publishes what, and no personal data in public."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from govsite.cases import masking, services
from govsite.cases.models import Case
from tests import factories
from tests.cases.conftest import disclosure, error_report, letter, make_handler

pytestmark = pytest.mark.django_db


def answered(case, unit, body="经核实，已安排疏通。如有问题请拨打0513-85001234联系王五。"):
    drafter, reviewer = make_handler(unit), make_handler(unit)
    services.draft_reply(case, body, actor=drafter)
    services.review_reply(case, actor=reviewer, approve=True)
    services.send_reply(case, actor=drafter)
    case.refresh_from_db()
    return case


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三", "张**"),
        ("张三丰", "张**"),
        ("欧阳修", "欧阳**"),
        ("", ""),
    ],
)
def test_art16_names_keep_only_the_surname(raw, masked):
    assert masking.mask_name(raw) == masked


def test_art16_masking_inside_the_text():
    text = (
        "我叫王小明，身份证320602199001011234，手机13812345678，座机0513-85001234，"
        "邮箱wang.xm@example.com，住崇川区人民中路18号3幢201室。我是市民，本人李四。"
    )
    masked = masking.mask_text(text)
    for secret in ("王小明", "199001011", "1381234", "85001234", "wang.xm", "18号", "201室", "李四"):
        assert secret not in masked, secret
    assert "王**" in masked and "3206" in masked and "138****5678" in masked and "w***@example.com" in masked
    assert "人民中路**号**幢**室" in masked
    assert "我是市民" in masked  # a role, not a name


def test_art16_public_record_masks_the_submitters_data_everywhere(mayor_mailbox, general_office):
    case = services.submit_letter(
        mayor_mailbox,
        letter(
            subject="张三反映道路积水",
            body="张三的联系电话13812345678，地址崇川区人民中路18号。身份证11010519491231002X",
            id_number="11010519491231002X",
            address="崇川区人民中路18号",
        ),
    ).case
    record = services.public_record(answered(case, general_office))
    public_text = " ".join([record.subject, record.body, record.name, record.reply])
    for secret in ("张三", "13812345678", "人民中路18号", "11010519491231002X", "85001234"):
        assert secret not in public_text, secret
    assert record.name == "张**"
    assert record.subject == "张**反映道路积水"


def test_art16_mayor_mailbox_letters_published_by_the_petitions_bureau(
    mayor_mailbox, general_office, petitions_bureau, city
):
    case = answered(services.submit_letter(mayor_mailbox, letter()).case, general_office)
    assert case not in services.published_cases(city, Case.Kind.LETTER)
    with pytest.raises(PermissionDenied):
        services.publish(case, actor=make_handler(general_office))  # the answering unit may not
    services.publish(case, actor=make_handler(petitions_bureau))
    assert list(services.published_cases(city, Case.Kind.LETTER, mayor_mailbox)) == [case]
    # The bureau sees the letter among what it reviews, without handling it.
    assert case in services.cases_visible_to(make_handler(petitions_bureau))


def test_art16_department_letters_published_by_the_department(department_mailbox, department):
    unit = department.institution
    case = answered(services.submit_letter(department_mailbox, letter()).case, unit)
    services.publish(case, actor=make_handler(unit))
    assert case in services.published_cases(department, Case.Kind.LETTER)


def test_art16_unanswered_or_declined_letters_are_not_published(department_mailbox, department):
    unit = department.institution
    publisher = make_handler(unit)
    case = services.submit_letter(department_mailbox, letter(wants_public=False)).case
    with pytest.raises(ValidationError):
        services.publish(case, actor=publisher)  # not answered yet
    answered(case, unit)
    with pytest.raises(ValidationError) as refused:
        services.publish(case, actor=publisher)
    assert refused.value.code == "submitter_declined"


def test_art18_error_reports_and_outcome_public_once_answered(city):
    case = services.submit_error_report(city, error_report()).case
    assert case not in services.published_cases(city, Case.Kind.ERROR_REPORT)  # no outcome yet
    answered(case, city.institution, body="已更正。")
    assert list(services.published_cases(city, Case.Kind.ERROR_REPORT)) == [case]
    assert services.public_record(case).reply == "已更正。"


def test_art18_error_report_withheld_only_as_untrue_or_unsuitable_with_reason(city):
    case = answered(services.submit_error_report(city, error_report()).case, city.institution)
    handler = make_handler(city.institution)
    with pytest.raises(ValidationError):
        services.withhold(case, actor=handler, kind="boring", reason="无")
    with pytest.raises(ValidationError):
        services.withhold(case, actor=handler, kind=Case.Withheld.UNTRUE, reason=" ")
    with pytest.raises(PermissionDenied):
        stranger = make_handler(factories.municipal_department())
        services.withhold(case, actor=stranger, kind=Case.Withheld.UNTRUE, reason="x")
    services.withhold(case, actor=handler, kind=Case.Withheld.UNTRUE, reason="经核实页面内容无误")
    assert case not in services.published_cases(city, Case.Kind.ERROR_REPORT)
    case.refresh_from_db()
    assert case.withheld_reason == "经核实页面内容无误"


def test_disclosure_requests_are_never_published(county):
    case = services.submit_disclosure_request(county, disclosure()).case
    assert not services.published_cases(county, Case.Kind.DISCLOSURE).exists()
    with pytest.raises(ValidationError):
        services.publish(case, actor=make_handler(county.institution))
