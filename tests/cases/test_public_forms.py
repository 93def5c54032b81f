"""The public side of the case engine through the Django test client (issue 6 parts 1, 4-7):
submit each kind, a receipt only after commit, look-up, rating, published letters and error
reports, knowledge base, statistics. SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import Client

from govsite.cases import captcha, services, views
from govsite.cases.models import Case, KnowledgeEntry
from tests.cases.conftest import letter, make_handler

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(r"data-receipt-number>([A-Z0-9]+)<")
CODE = re.compile(r"data-query-code>([A-Z0-9]+)<")


# --- helpers (also used by test_hostile_inputs.py and test_captcha.py) -------------------------


@pytest.fixture(autouse=True)
def _generous_rate(settings):
    """One test posts many times from 127.0.0.1; the rate-limit tests set their own rate."""
    settings.GOVSITE_FORM_RATE = "1000/m"


def host_of(gov_site) -> str:
    return gov_site.site.hostname


def with_captcha(data: dict) -> dict:
    token, answer = captcha.issue()
    return {**data, "captcha_token": token, "captcha_answer": answer}


def letter_post(**overrides) -> dict:
    data = {
        "subject": "关于小区门口道路积水的建议",
        "body": "雨后人民中路18号门口积水严重，老人出行不便，请尽快疏通排水。",
        "name": "张三",
        "phone": "13812345678",
        "email": "zhangsan@example.com",
        "wants_public": "on",
    }
    data.update(overrides)
    return with_captcha(data)


def error_post(**overrides) -> dict:
    data = {
        "page_url": "http://nantong.localhost/zwgk/1.html",
        "error_type": "wording",
        "description": "第二段“南通市”写成了“南同市”。",
    }
    data.update(overrides)
    return with_captcha(data)


def disclosure_post(**overrides) -> dict:
    data = {
        "applicant_type": "citizen",
        "name": "李四",
        "id_type": "id_card",
        "id_number": "11010519491231002X",
        "phone": "0513-85001234",
        "email": "lisi@example.com",
        "address": "南通市崇川区工农路1号",
        "postcode": "226000",
        "description": "2025年度本区老旧小区改造项目清单",
        "delivery": "email",
        "medium": "electronic",
    }
    data.update(overrides)
    return with_captcha(data)


def post(client: Client, gov_site, path: str, data: dict, **extra):
    return client.post(path, data, HTTP_HOST=host_of(gov_site), **extra)


def get(client: Client, gov_site, path: str, params: dict | None = None, **extra):
    return client.get(path, params or {}, HTTP_HOST=host_of(gov_site), **extra)


def receipt_of(client: Client, gov_site, response) -> tuple[str, str]:
    """Follow the 303 to the receipt page; the number and query code it shows."""
    assert response.status_code == 303, response.content.decode()[:2000]
    assert response["Location"] == "/hudong/huizhi/"
    page = get(client, gov_site, response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    return RECEIPT.search(html).group(1), CODE.search(html).group(1)


def tiny_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def tiny_pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def tiny_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def answered(case: Case, body: str = "已安排市政部门疏通排水，感谢您的监督。") -> Case:
    """Reply drafted, reviewed by someone else and sent (the handler side, through services)."""
    drafter, reviewer = make_handler(case.unit), make_handler(case.unit)
    services.draft_reply(case, body, actor=drafter)
    services.review_reply(case, actor=reviewer, approve=True)
    services.send_reply(case, actor=reviewer)
    case.refresh_from_db()
    return case


# --- submitting -------------------------------------------------------------------------------


def test_art10_letter_to_mayors_mailbox_gives_a_receipt_after_commit(client, city, mayor_mailbox):
    form = get(client, city, "/hudong/xinxiang/mayor/")
    assert form.status_code == 200
    assert "市长信箱" in form.content.decode() and 'name="captcha_token"' in form.content.decode()

    response = post(client, city, "/hudong/xinxiang/mayor/", letter_post())
    number, code = receipt_of(client, city, response)
    assert response["X-Receipt-Number"] == number
    case = Case.objects.get(receipt_number=number)
    assert case.mailbox == mayor_mailbox and case.kind == Case.Kind.LETTER
    assert services.look_up(number, code) == case


def test_art10_letter_to_department_mailbox_on_its_own_site(client, department, department_mailbox):
    response = post(client, department, "/hudong/xinxiang/director/", letter_post())
    number, _code = receipt_of(client, department, response)
    assert Case.objects.get(receipt_number=number).unit == department.institution


def test_mailbox_of_another_site_is_not_found(client, county, mayor_mailbox):
    assert get(client, county, "/hudong/xinxiang/mayor/").status_code == 404


def test_art18_error_report_from_the_footer_is_prefilled_and_forwarded_at_once(client, city):
    page_url = "http://nantong.localhost/zwgk/1.html"
    form = get(client, city, "/error-report/", {"url": page_url})
    html = form.content.decode()
    assert form.status_code == 200 and f'value="{page_url}"' in html and "1个工作日内" in html

    number, _code = receipt_of(
        client, city, post(client, city, "/error-report/", error_post(page_url=page_url))
    )
    case = Case.objects.get(receipt_number=number)
    assert case.kind == Case.Kind.ERROR_REPORT and case.status == Case.Status.FORWARDED
    assert case.gov_site == city and case.forwarded_at is not None


def test_art18_error_report_goes_to_the_site_the_page_belongs_to(client, city, county):
    page_url = f"http://{host_of(county)}/news/2.html"
    number, _code = receipt_of(
        client, city, post(client, city, "/error-report/", error_post(page_url=page_url))
    )
    assert Case.objects.get(receipt_number=number).gov_site == county


def test_disclosure_art29_request_with_its_fields(client, county):
    form = get(client, county, "/hudong/yishenqing/")
    assert "特征性描述" in form.content.decode() and "载体形式" in form.content.decode()
    number, _code = receipt_of(client, county, post(client, county, "/hudong/yishenqing/", disclosure_post()))
    case = Case.objects.get(receipt_number=number)
    assert case.kind == Case.Kind.DISCLOSURE and case.details["medium"] == "electronic"


def test_disclosure_service_refusal_is_shown_on_the_form(client, county):
    response = post(client, county, "/hudong/yishenqing/", disclosure_post(delivery="post", postcode=""))
    assert response.status_code == 400
    assert "邮政编码" in response.content.decode()
    assert not Case.objects.exists()


def test_attachments_are_stored_with_the_type_read_from_their_content(client, city, mayor_mailbox):
    files = [
        _upload("shot.png", tiny_png()),
        _upload("letter.pdf", tiny_pdf()),
        _upload("list.docx", tiny_docx()),
    ]
    data = {**letter_post(), "attachments": files}
    number, _code = receipt_of(client, city, post(client, city, "/hudong/xinxiang/mayor/", data))
    types = sorted(Case.objects.get(receipt_number=number).attachments.values_list("content_type", flat=True))
    assert types == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "image/png",
    ]


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


# --- the receipt only after commit ------------------------------------------------------------


def test_receipt_only_after_commit_database_failure_gives_chinese_page_and_no_receipt(
    client, city, mayor_mailbox, monkeypatch
):
    def broken_save(self, *args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(Case, "save", broken_save)
    response = post(client, city, "/hudong/xinxiang/mayor/", letter_post(subject="数据库故障时的来信"))
    html = response.content.decode()
    assert response.status_code == 503
    assert "尚未提交" in html and "没有生成受理编号" in html
    assert "数据库故障时的来信" in html  # what was typed is kept
    assert views.RECEIPT_COOKIE not in response.cookies and "X-Receipt-Number" not in response
    monkeypatch.undo()
    assert not Case.objects.exists()
    assert get(client, city, "/hudong/huizhi/").status_code == 404


def test_receipt_page_without_a_submission_shows_no_receipt(client, city):
    response = get(client, city, "/hudong/huizhi/")
    assert response.status_code == 404
    assert "没有可显示的回执" in response.content.decode()


def test_receipt_cookie_cannot_be_forged(client, city):
    client.cookies[views.RECEIPT_COOKIE] = '{"r": "X2026", "c": "FAKECODE"}'
    response = get(client, city, "/hudong/huizhi/")
    assert response.status_code == 404 and "FAKECODE" not in response.content.decode()


def test_csrf_is_required(city, mayor_mailbox):
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, city, "/hudong/xinxiang/mayor/", letter_post())
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_csrf_token_from_the_form_page_lets_the_letter_in(city, mayor_mailbox):
    strict = Client(enforce_csrf_checks=True)
    page = get(strict, city, "/hudong/xinxiang/mayor/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = post(strict, city, "/hudong/xinxiang/mayor/", {**letter_post(), "csrfmiddlewaretoken": token})
    assert response.status_code == 303


# --- look-up and rating -----------------------------------------------------------------------


def test_look_up_with_the_right_code_shows_status_and_public_steps(client, city, mayor_mailbox):
    number, code = receipt_of(client, city, post(client, city, "/hudong/xinxiang/mayor/", letter_post()))
    response = post(client, city, "/hudong/chaxun/", {"receipt_number": number, "query_code": code.lower()})
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-lookup-result" in html and "已收到" in html and "办理过程" in html
    assert "13812345678" not in html  # personal data masked, even for the submitter's own look-up


def test_look_up_with_a_wrong_code_is_refused(client, city, mayor_mailbox):
    number, _code = receipt_of(client, city, post(client, city, "/hudong/xinxiang/mayor/", letter_post()))
    response = post(client, city, "/hudong/chaxun/", {"receipt_number": number, "query_code": "WRONG123"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "受理编号或查询码不正确" in html and "data-lookup-result" not in html


def test_rating_after_the_reply_once(client, city, mayor_mailbox):
    receipt = services.submit_letter(mayor_mailbox, letter())
    answered(receipt.case)
    page = post(
        client,
        city,
        "/hudong/chaxun/",
        {"receipt_number": receipt.receipt_number, "query_code": receipt.query_code},
    )
    html = page.content.decode()
    assert "已安排市政部门疏通排水" in html and "满意度评价" in html
    ticket = re.search(r'name="ticket" value="([^"]+)"', html).group(1)

    rated = post(client, city, "/hudong/chaxun/pingjia/", {"ticket": ticket, "score": "5", "comment": "很快"})
    assert rated.status_code == 200 and "感谢您的评价" in rated.content.decode()
    case = Case.objects.get(pk=receipt.case.pk)
    assert case.rating == 5 and case.status == Case.Status.CLOSED

    again = post(client, city, "/hudong/chaxun/pingjia/", {"ticket": ticket, "score": "1"})
    assert again.status_code == 400
    assert Case.objects.get(pk=case.pk).rating == 5


def test_rating_before_the_reply_is_not_offered_and_refused(client, city, mayor_mailbox):
    receipt = services.submit_letter(mayor_mailbox, letter())
    page = post(
        client,
        city,
        "/hudong/chaxun/",
        {"receipt_number": receipt.receipt_number, "query_code": receipt.query_code},
    )
    assert "满意度评价" not in page.content.decode()
    ticket = views._ticket(receipt.case)
    response = post(client, city, "/hudong/chaxun/pingjia/", {"ticket": ticket, "score": "5"})
    assert response.status_code == 400 and "答复发送后才能评价" in response.content.decode()
    assert Case.objects.get(pk=receipt.case.pk).rating is None


def test_rating_with_a_forged_ticket_is_refused(client, city, mayor_mailbox):
    response = post(client, city, "/hudong/chaxun/pingjia/", {"ticket": "1:forged", "score": "5"})
    assert response.status_code == 400 and "查询已过期" in response.content.decode()


# --- what is published ------------------------------------------------------------------------


def test_art16_published_letter_is_masked_on_the_mailbox_page(client, city, mayor_mailbox, petitions_bureau):
    receipt = services.submit_letter(mayor_mailbox, letter())
    case = answered(receipt.case)
    services.publish(case, actor=make_handler(petitions_bureau))
    listing = get(client, city, "/hudong/xinxiang/mayor/").content.decode()
    assert "关于小区门口道路积水的建议" in listing
    detail = get(client, city, f"/hudong/xinxiang/mayor/{receipt.receipt_number}/")
    html = detail.content.decode()
    assert detail.status_code == 200 and "已安排市政部门疏通排水" in html
    assert "13812345678" not in html and "张三" not in html


def test_unpublished_letter_is_not_shown(client, city, mayor_mailbox):
    receipt = services.submit_letter(mayor_mailbox, letter())
    assert get(client, city, f"/hudong/xinxiang/mayor/{receipt.receipt_number}/").status_code == 404


def test_art18_answered_error_reports_are_public_with_their_outcome(client, city):
    receipt = services.submit_error_report(
        city,
        services.ErrorReportData(
            page_url="http://nantong.localhost/a.html",
            error_type="broken_link",
            description="附件链接打不开。",
        ),
    )
    answered(receipt.case, "链接已修复。")
    listing = get(client, city, "/hudong/jiucuo/").content.decode()
    assert "附件链接打不开" in listing
    detail = get(client, city, f"/hudong/jiucuo/{receipt.receipt_number}/").content.decode()
    assert "链接已修复" in detail and "链接无法访问" in detail


# --- home, knowledge base, statistics ---------------------------------------------------------


def test_interaction_home_lists_the_sites_mailboxes_and_channels(client, city, mayor_mailbox):
    html = get(client, city, "/hudong/").content.decode()
    assert "/hudong/xinxiang/mayor/" in html and "/error-report/" in html and "/hudong/yishenqing/" in html


def test_home_page_entrances_lead_to_the_channels(client, city, mayor_mailbox):
    assert get(client, city, "/hudong/mayor/")["Location"] == "/hudong/xinxiang/mayor/"
    assert get(client, city, "/hudong/disclosure/")["Location"] == "/hudong/yishenqing/"
    assert get(client, city, "/hudong/department/").status_code == 302
    assert get(client, city, "/hudong/nothing-here/").status_code == 404


def _entry(city, **fields) -> KnowledgeEntry:
    values = {
        "gov_site": city,
        "question": "如何办理社保卡挂失？",
        "answer": "可通过南通人社APP或各社保经办网点办理挂失。",
        "topic": KnowledgeEntry.Topic.SOCIAL_SECURITY,
    }
    values.update(fields)
    return KnowledgeEntry.objects.create(**values)


def test_art10_knowledge_base_search_and_entry_views_are_counted(client, city):
    entry = _entry(city)
    html = get(client, city, "/hudong/zhishiku/", {"q": "社保卡"}).content.decode()
    assert "如何办理社保卡挂失" in html
    page = get(client, city, f"/hudong/zhishiku/{entry.pk}/")
    assert page.status_code == 200 and "南通人社APP" in page.content.decode()
    entry.refresh_from_db()
    assert entry.views == 1


def test_art10_suggestions_beside_the_mailbox_form(client, city, mayor_mailbox):
    entry = _entry(city)
    response = get(client, city, "/hudong/zhishiku/suggest/", {"q": "社保卡丢了怎么办"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    items = response.json()
    assert items and items[0]["id"] == entry.pk and items[0]["url"] == f"/hudong/zhishiku/{entry.pk}/"
    assert get(client, city, "/hudong/zhishiku/suggest/", {"q": "a"}).json() == []
    form = get(client, city, "/hudong/xinxiang/mayor/").content.decode()
    assert "/static/cases/js/cases.js" in form and "<script>" not in form  # no inline script (CSP)


def test_art10_suggested_entries_count_as_asked_when_the_letter_is_sent(client, city, mayor_mailbox):
    entry = _entry(city)
    response = post(client, city, "/hudong/xinxiang/mayor/", {**letter_post(), "suggested": f"{entry.pk},x"})
    assert response.status_code == 303
    entry.refresh_from_db()
    assert entry.asks == 1


def test_art10_statistics_page_has_a_chart_and_a_table_and_exports_xlsx(client, city, mayor_mailbox):
    services.submit_letter(mayor_mailbox, letter())
    page = get(client, city, "/hudong/tongji/")
    html = page.content.decode()
    assert (
        page.status_code == 200
        and "<svg" in html
        and "data-monthly" in html
        and "南通市人民政府办公室" in html
    )
    export = get(client, city, "/hudong/tongji/", {"format": "xlsx"})
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert "spreadsheetml" in export["Content-Type"]
    assert get(client, city, "/hudong/tongji/", {"year": "abc"}).status_code == 200


# --- rate limits ------------------------------------------------------------------------------


def test_rate_limit_answers_429_in_chinese_and_stores_nothing(client, city, mayor_mailbox, settings):
    settings.GOVSITE_FORM_RATE = "2/m"
    for _ in range(2):
        assert post(client, city, "/hudong/xinxiang/mayor/", letter_post()).status_code == 303
    refused = post(client, city, "/hudong/xinxiang/mayor/", letter_post(subject="第三封"))
    html = refused.content.decode()
    assert refused.status_code == 429
    assert "提交得太频繁" in html and "每分钟最多提交 2 次" in html
    assert int(refused["Retry-After"]) >= 1
    assert "第三封" in html  # what was typed is shown again
    assert Case.objects.count() == 2


def test_rate_limit_is_per_client_address(client, city, mayor_mailbox, settings):
    settings.GOVSITE_FORM_RATE = "1/m"
    assert (
        post(client, city, "/hudong/xinxiang/mayor/", letter_post(), REMOTE_ADDR="10.0.0.1").status_code
        == 303
    )
    assert (
        post(client, city, "/hudong/xinxiang/mayor/", letter_post(), REMOTE_ADDR="10.0.0.1").status_code
        == 429
    )
    assert (
        post(client, city, "/hudong/xinxiang/mayor/", letter_post(), REMOTE_ADDR="10.0.0.2").status_code
        == 303
    )


def test_look_up_is_rate_limited_against_guessing_codes(client, city, settings):
    settings.GOVSITE_FORM_RATE = "3/m"
    codes = [
        post(client, city, "/hudong/chaxun/", {"receipt_number": "X1", "query_code": f"C{i}"})
        for i in range(4)
    ]
    assert [response.status_code for response in codes] == [400, 400, 400, 429]


def test_services_validation_error_on_submit_is_shown_not_raised(client, city, mayor_mailbox, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValidationError({"body": ValidationError("来信内容不符合要求。", code="x")})

    monkeypatch.setattr(services, "submit_letter", refuse)
    response = post(client, city, "/hudong/xinxiang/mayor/", letter_post())
    assert response.status_code == 400 and "来信内容不符合要求" in response.content.decode()
