"""The handlers' admin of 互动交流 (Art. 10, 16, 18): least privilege, actions, lists, statistics."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from govsite.cases import services
from govsite.cases.models import Case
from tests import factories
from tests.cases.conftest import at, disclosure, error_report, letter, make_handler

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def case(mayor_mailbox):
    return services.submit_letter(mayor_mailbox, letter(subject="城东小区道路积水")).case


def test_art10_handler_sees_own_units_cases_with_filters(client, case, general_office, city):
    other = services.submit_error_report(factories.county_portal(), error_report()).case
    browser = logged_in(client, make_handler(general_office))
    page = browser.get("/admin/cases/")
    assert page.status_code == 200
    html = page.content.decode()
    assert case.receipt_number in html and other.receipt_number not in html
    assert case.receipt_number not in browser.get("/admin/cases/?kind=error_report").content.decode()
    assert case.receipt_number in browser.get("/admin/cases/?status=open&due=on_track").content.decode()
    assert "/admin/cases/overdue/" in browser.get("/admin/").content.decode()  # the 互动交流 menu


def test_art10_handler_of_another_unit_gets_404_and_cannot_act(client, case):
    stranger = make_handler(factories.municipal_department())
    browser = logged_in(client, stranger)
    assert browser.get(f"/admin/cases/{case.pk}/").status_code == 404
    assert browser.post(f"/admin/cases/{case.pk}/action/", {"action": "accept"}).status_code == 404
    case.refresh_from_db()
    assert case.status == Case.Status.RECEIVED


def test_art10_user_without_a_unit_is_refused(client, case):
    editor = factories.User.objects.create_user("plain-editor", "e@example.gov.cn", "x")
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    browser = logged_in(client, editor)
    for url in (
        "/admin/cases/",
        f"/admin/cases/{case.pk}/",
        "/admin/cases/overdue/",
        "/admin/cases/statistics/",
    ):
        assert browser.get(url).status_code in (302, 403), url


def test_art16_handler_replies_reviewer_approves_bureau_publishes(
    client, case, general_office, petitions_bureau, city, mayor_mailbox
):
    drafter, reviewer = make_handler(general_office), make_handler(general_office)
    action = f"/admin/cases/{case.pk}/action/"
    page = logged_in(client, drafter).get(f"/admin/cases/{case.pk}/")
    assert page.status_code == 200 and "13812345678" in page.content.decode()  # the handler sees contact data
    client.post(action, {"action": "draft", "body": "已安排疏通，感谢您的来信。"})
    refused = client.post(action, {"action": "review", "decision": "approve"}, follow=True)
    assert "拟稿人以外" in refused.content.decode()  # separation of duties, as a message, not an error page
    logged_in(client, reviewer).post(action, {"action": "review", "decision": "approve"})
    client.post(action, {"action": "send"})
    case.refresh_from_db()
    assert case.status == Case.Status.ANSWERED
    bureau = make_handler(petitions_bureau)
    page = logged_in(client, bureau).get(f"/admin/cases/{case.pk}/")
    assert "审核公开" in page.content.decode()
    client.post(action, {"action": "publish"})
    assert case in services.published_cases(city, Case.Kind.LETTER, mayor_mailbox)


def test_transfer_from_the_admin_needs_a_reason(client, case, general_office):
    target = factories.municipal_department()
    browser = logged_in(client, make_handler(general_office))
    response = browser.post(
        f"/admin/cases/{case.pk}/action/", {"action": "transfer", "to_unit": target.pk}, follow=True
    )
    assert "请填写转办理由" in response.content.decode()
    browser.post(
        f"/admin/cases/{case.pk}/action/",
        {"action": "transfer", "to_unit": target.pk, "reason": "属该局职责"},
    )
    case.refresh_from_db()
    assert case.unit == target
    assert browser.get(f"/admin/cases/{case.pk}/").status_code == 404  # no longer ours


def test_disclosure_art33_extension_from_the_admin(client, county):
    request = services.submit_disclosure_request(county, disclosure(), received_at=at(2026, 9, 30)).case
    action = f"/admin/cases/{request.pk}/action/"
    logged_in(client, make_handler(county.institution)).post(
        action, {"action": "request_extension", "reason": "需征求第三方意见", "notice": ""}
    )
    logged_in(client, make_handler(county.institution)).post(action, {"action": "approve_extension"})
    request.refresh_from_db()
    assert request.extended and str(request.due_on) == "2026-12-01"


def test_art18_overdue_list_per_unit(client, city):
    late = services.submit_error_report(city, error_report(), received_at=at(2026, 9, 30)).case
    page = logged_in(client, make_handler(city.institution)).get("/admin/cases/overdue/")
    html = page.content.decode()
    assert page.status_code == 200 and late.receipt_number in html and "严重超期" in html


def test_art10_statistics_page_with_chart_table_and_xlsx(client, case, general_office):
    browser = logged_in(client, make_handler(general_office))
    page = browser.get("/admin/cases/statistics/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "按单位" in html and general_office.name in html
    export = browser.get("/admin/cases/statistics/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content))["按单位"].iter_rows(values_only=True))
    assert rows[2][:2] == (general_office.name, 1)


def test_attachment_download_only_for_the_unit(client, mayor_mailbox, general_office):
    from tests.cases.test_services import PNG, Upload

    with_file = services.submit_letter(mayor_mailbox, letter(), [Upload("a.png", "image/png", PNG)]).case
    attachment = with_file.attachments.get()
    assert (
        logged_in(client, make_handler(general_office))
        .get(f"/admin/cases/attachments/{attachment.pk}/")
        .status_code
        == 200
    )
    stranger = make_handler(factories.municipal_department())
    assert logged_in(client, stranger).get(f"/admin/cases/attachments/{attachment.pk}/").status_code == 404
