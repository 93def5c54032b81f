"""Submission, routing and handling of cases (Art. 10, 14, 16, 18)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from govsite.cases import rules, services
from govsite.cases.models import Attachment, Case, CaseStep
from govsite.review.models import AuditRecord
from tests import factories
from tests.cases.conftest import disclosure, error_report, letter, make_handler

pytestmark = pytest.mark.django_db


@dataclass
class Upload:
    name: str
    content_type: str
    content: bytes


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {name: [e.code for e in errors] for name, errors in error.error_dict.items()}


def answer(case, drafter, reviewer, body="已安排市政部门于本周内疏通排水管道。"):
    services.draft_reply(case, body, actor=drafter)
    services.review_reply(case, actor=reviewer, approve=True)
    services.send_reply(case, actor=drafter)
    case.refresh_from_db()
    return case


# --- submission ---------------------------------------------------------------------------------


def test_art10_letter_routed_to_mailbox_unit_with_receipt_and_hashed_query_code(
    mayor_mailbox, general_office
):
    receipt = services.submit_letter(mayor_mailbox, letter(), [Upload("现场.png", "image/png", PNG)])
    case = Case.objects.get(receipt_number=receipt.receipt_number)
    assert case.unit == general_office
    assert case.status == Case.Status.RECEIVED
    assert case.kind == Case.Kind.LETTER
    assert receipt.query_code not in case.query_code_hash
    assert len(receipt.query_code) == rules.QUERY_CODE_LENGTH
    assert Attachment.objects.get(case=case).size == len(PNG)
    assert services.look_up(receipt.receipt_number, receipt.query_code.lower()) == case
    assert services.look_up(receipt.receipt_number, "WRONGCOD") is None
    assert services.look_up("X0000", receipt.query_code) is None


def test_art10_refused_letter_stores_nothing_and_names_every_problem(mayor_mailbox):
    bad = letter(
        subject="", body="长" * (services.BODY_MAX + 1), phone="12345", id_number="320602199001011235"
    )
    uploads = [Upload(f"{n}.exe", "application/x-msdownload", b"MZ") for n in range(4)]
    with pytest.raises(ValidationError) as refused:
        services.submit_letter(mayor_mailbox, bad, uploads)
    found = codes(refused.value)
    assert found["subject"] == ["required"]
    assert found["body"] == ["too_long"]
    assert found["phone"] == ["invalid_phone"]
    assert found["id_number"] == ["invalid_id_number"]
    assert "too_many_attachments" in found["attachments"]
    assert "attachment_type" in found["attachments"]
    assert all(re.search(r"[\u4e00-\u9fa5]", message) for message in refused.value.messages)
    assert not Case.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="cases.").exists()


def test_art10_hostile_text_is_stored_as_plain_text_without_control_characters(mayor_mailbox):
    receipt = services.submit_letter(
        mayor_mailbox, letter(subject="<script>alert(1)</script>\u202e标题\x00", body="正文\r\n第二行\x07")
    )
    case = receipt.case
    assert case.subject == "<script>alert(1)</script>标题"  # escaped by every template, never rendered
    assert case.body == "正文\n第二行"


def test_art10_letter_to_inactive_mailbox_is_refused(mayor_mailbox):
    mayor_mailbox.is_active = False
    mayor_mailbox.save()
    with pytest.raises(ValidationError) as refused:
        services.submit_letter(mayor_mailbox, letter())
    assert codes(refused.value)["__all__"] == ["mailbox_inactive"]


def test_art16_mayor_mailbox_only_on_city_portal(department, petitions_bureau):
    from tests.cases.conftest import make_mailbox

    with pytest.raises(ValidationError) as refused:
        make_mailbox(department, department.institution, kind="mayor", publisher=petitions_bureau)
    assert codes(refused.value)["kind"] == ["mayor_mailbox_not_on_city_portal"]


def test_art18_error_report_forwarded_to_host_unit_at_submission(department):
    receipt = services.submit_error_report(department, error_report(f"https://{department.domain}/a.html"))
    case = receipt.case
    assert case.unit == department.institution
    assert case.status == Case.Status.FORWARDED
    assert case.forwarded_at == case.submitted_at
    assert list(case.steps.values_list("action", flat=True)) == ["submit", "forward"]
    assert case.is_public


def test_art18_error_report_goes_to_named_host_unit(county):
    host = factories.municipal_department("南通市大数据管理局")
    county.host_unit = host.name
    county.save()
    assert services.submit_error_report(county, error_report()).case.unit == host


def test_art18_error_report_refuses_non_http_url(city):
    with pytest.raises(ValidationError) as refused:
        services.submit_error_report(city, error_report("javascript:alert(1)", error_type="nonsense"))
    assert codes(refused.value) == {"page_url": ["invalid_url"], "error_type": ["invalid_error_type"]}
    assert not Case.objects.exists()


def test_disclosure_art29_request_goes_to_site_institution(county):
    case = services.submit_disclosure_request(county, disclosure()).case
    assert case.unit == county.institution
    assert case.kind == Case.Kind.DISCLOSURE
    assert case.details["delivery"] == "email"
    assert not case.is_public


def test_disclosure_art29_requires_what_the_regulation_lists(county):
    bad = disclosure(
        applicant_type="organization", organization="", legal_representative="", delivery="post", postcode=""
    )
    bad.email = ""
    with pytest.raises(ValidationError) as refused:
        services.submit_disclosure_request(county, bad)
    found = codes(refused.value)
    assert found["organization"] == ["required"]
    assert found["legal_representative"] == ["required"]
    assert found["postcode"] == ["invalid_postcode"]
    assert not Case.objects.exists()


# --- handling -----------------------------------------------------------------------------------


def test_art14_every_step_is_a_case_step_and_an_audit_record(mayor_mailbox, general_office, petitions_bureau):
    drafter = make_handler(general_office)
    department = factories.municipal_department()
    case = services.submit_letter(mayor_mailbox, letter()).case
    services.transfer(case, department, actor=drafter, reason="属市政设施管理范围")
    worker, checker = make_handler(department), make_handler(department)
    services.accept(case, actor=worker)
    answer(case, worker, checker)
    services.publish(case, actor=make_handler(petitions_bureau))
    actions = list(CaseStep.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["submit", "forward", "accept", "draft", "review", "send", "publish"]
    audited = list(
        AuditRecord.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert audited == [f"cases.{action}" for action in actions]


def test_transfer_needs_a_reason_and_keeps_the_citizens_deadline(mayor_mailbox, general_office):
    handler = make_handler(general_office)
    case = services.submit_letter(mayor_mailbox, letter()).case
    target = factories.municipal_department()
    with pytest.raises(ValidationError):
        services.transfer(case, target, actor=handler, reason="  ")
    with pytest.raises(ValidationError):
        services.transfer(case, general_office, actor=handler, reason="同一单位")
    due = case.due_on
    moved = services.transfer(case, target, actor=handler, reason="职责调整")
    assert moved.unit == target and moved.due_on == due
    step = moved.steps.get(action="forward")
    assert (step.from_unit, step.to_unit, step.note) == (general_office, target, "职责调整")
    # Once transferred, the former unit may no longer act on it.
    with pytest.raises(PermissionDenied):
        services.accept(moved, actor=handler)
    again = services.transfer(moved, general_office, actor=make_handler(target), reason="退回重新分办")
    assert again.steps.filter(action="transfer").exists()


def test_reply_is_reviewed_by_someone_other_than_the_drafter(
    mayor_mailbox, general_office, django_capture_on_commit_callbacks
):
    drafter, reviewer = make_handler(general_office), make_handler(general_office)
    case = services.submit_letter(mayor_mailbox, letter()).case
    services.draft_reply(case, "初稿", actor=drafter)
    with pytest.raises(PermissionDenied):
        services.review_reply(case, actor=drafter, approve=True)
    with pytest.raises(ValidationError):
        services.send_reply(case, actor=drafter)
    with pytest.raises(ValidationError):
        services.review_reply(case, actor=reviewer, approve=False)  # a return needs a note
    services.review_reply(case, actor=reviewer, approve=False, note="请写明办理时限")
    case.refresh_from_db()
    assert case.status == Case.Status.HANDLING
    with django_capture_on_commit_callbacks(execute=True):
        answer(case, drafter, reviewer, body="已于3日内疏通。")
    assert case.status == Case.Status.ANSWERED and case.answered_at is not None
    assert [m.to for m in mail.outbox] == [["zhangsan@example.com"]]
    assert services.sent_reply(case).body == "已于3日内疏通。"


def test_handler_of_another_unit_cannot_act(mayor_mailbox):
    stranger = make_handler(factories.municipal_department())
    case = services.submit_letter(mayor_mailbox, letter()).case
    for act in (
        lambda: services.accept(case, actor=stranger),
        lambda: services.draft_reply(case, "答复", actor=stranger),
        lambda: services.transfer(case, factories.municipal_department(), actor=stranger, reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            act()
    assert case not in services.cases_visible_to(stranger)


def test_rating_only_once_after_the_reply_and_it_closes_the_case(mayor_mailbox, general_office):
    case = services.submit_letter(mayor_mailbox, letter()).case
    with pytest.raises(ValidationError):
        services.rate(case, 5)
    answer(case, make_handler(general_office), make_handler(general_office))
    with pytest.raises(ValidationError):
        services.rate(case, 9)
    services.rate(case, 4, "处理及时")
    case.refresh_from_db()
    assert (case.rating, case.status) == (4, Case.Status.CLOSED)
    with pytest.raises(ValidationError):
        services.rate(case, 5)
    record = services.public_record(case)
    assert record.rating == 4 and not record.can_rate


def test_art10_receipt_number_drawn_twice_is_drawn_again(mayor_mailbox, monkeypatch):
    first = services.submit_letter(mayor_mailbox, letter())
    numbers = iter([first.receipt_number, "X2026010199999999"])
    monkeypatch.setattr(services, "_new_receipt_number", lambda kind, now: next(numbers))
    second = services.submit_letter(mayor_mailbox, letter(), [Upload("现场.png", "image/png", PNG)])
    assert second.receipt_number == "X2026010199999999"
    assert Case.objects.count() == 2
    assert services.look_up(second.receipt_number, second.query_code) == second.case
    assert second.case.attachments.count() == 1


def test_art10_failed_submission_leaves_no_attachment_file(mayor_mailbox, monkeypatch, settings, tmp_path):
    settings.GOVSITE_CASE_ATTACHMENT_ROOT = str(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    services.submit_letter(mayor_mailbox, letter(), [Upload("先前.png", "image/png", PNG)])
    assert (
        len([path for path in tmp_path.rglob("*") if path.is_file()]) == 1
    )  # the storage follows the setting
    for path in tmp_path.rglob("*.png"):
        path.unlink()
    Case.objects.all().delete()
    monkeypatch.setattr(services, "_step", broken)
    with pytest.raises(RuntimeError):
        services.submit_letter(mayor_mailbox, letter(), [Upload("现场.png", "image/png", PNG)])
    assert not Case.objects.exists()
    assert tmp_path.exists()
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
