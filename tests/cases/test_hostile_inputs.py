"""A corpus of hostile inputs against the public forms (issue 6 part 7): script tags, oversized
fields, wrong encodings and invalid UTF-8, NUL bytes, forged attachments. Each is refused with a
Chinese message (400) and nothing is stored, or neutralized — and never rendered as markup."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govsite.cases import services, uploads
from govsite.cases.models import Attachment, Case
from tests.cases.conftest import make_handler
from tests.cases.test_public_forms import (
    _generous_rate,
    answered,
    error_post,
    get,
    letter_post,
    post,
    receipt_of,
    tiny_pdf,
    tiny_png,
)

__all__ = ["_generous_rate"]

pytestmark = pytest.mark.django_db

MAILBOX = "/hudong/xinxiang/mayor/"
SCRIPT = "<script>alert('x')</script>"


def refused(response, *fragments: str) -> str:
    html = response.content.decode()
    assert response.status_code == 400, html[:1500]
    for fragment in fragments:
        assert fragment in html, f"{fragment!r} not in the refusal"
    assert not Case.objects.exists() and not Attachment.objects.exists()
    return html


class _Elements(HTMLParser):
    """Every element of a page as the browser builds it: (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def no_markup_from_input(html: str) -> None:
    """No element the input could have made: no event handler, no inline or foreign script, no
    iframe or svg, no javascript: link, no image from outside the site."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.elements:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert tag not in {"iframe", "svg", "object", "embed"}, (tag, attrs)
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/"), attrs
        if tag == "a":
            assert not (attrs.get("href") or "").strip().lower().startswith("javascript:"), attrs
        if tag == "img":
            assert (attrs.get("src") or "").startswith(("/static/", "/hudong/captcha/", "data:")), attrs


# --- markup ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        SCRIPT,
        "<img src=x onerror=alert(1)>",
        "<iframe src=javascript:alert(1)></iframe>",
        "<svg onload=alert(1)>",
        '"><script>alert(1)</script>',
        '<a href="javascript:alert(1)">点我</a>',
    ],
)
def test_markup_in_a_letter_is_stripped_and_never_rendered(
    client, city, mayor_mailbox, petitions_bureau, payload
):
    data = letter_post(subject=f"道路积水{payload}", body=f"请处理积水问题。{payload}谢谢。")
    number, code = receipt_of(client, city, post(client, city, MAILBOX, data))
    case = Case.objects.get(receipt_number=number)
    assert "<" not in case.subject + case.body or "&lt;" not in case.body
    for text in (case.subject, case.body):
        assert (
            "<script" not in text.lower() and "onerror" not in text.lower() and "<iframe" not in text.lower()
        )

    lookup = post(client, city, "/hudong/chaxun/", {"receipt_number": number, "query_code": code})
    no_markup_from_input(lookup.content.decode())
    answered(case, f"已处理。{payload}")
    services.publish(Case.objects.get(pk=case.pk), actor=make_handler(petitions_bureau))
    for path in (MAILBOX, f"{MAILBOX}{number}/"):
        no_markup_from_input(get(client, city, path).content.decode())


def test_text_that_merely_looks_like_markup_is_kept_and_escaped(client, city, mayor_mailbox):
    body = "第3条规定 a<b 且 5 > 3 时 & 以上情况……请解释 &lt;script&gt; 的意思"
    number, code = receipt_of(client, city, post(client, city, MAILBOX, letter_post(body=body)))
    case = Case.objects.get(receipt_number=number)
    assert "a<b" in case.body and "5 > 3" in case.body
    html = post(
        client, city, "/hudong/chaxun/", {"receipt_number": number, "query_code": code}
    ).content.decode()
    assert "a&lt;b" in html and "<script>" not in html


def test_reported_url_with_markup_is_escaped_on_the_form(client, city):
    url = 'http://nantong.localhost/"><script>alert(1)</script>'
    html = get(client, city, "/error-report/", {"url": url}).content.decode()
    no_markup_from_input(html)
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x/y"]
)
def test_error_report_of_a_non_web_address_is_refused(client, city, url):
    refused(post(client, city, "/error-report/", error_post(page_url=url)), "http://")


def test_overlong_reported_url_on_the_footer_link_is_cut_not_a_500(client, city):
    response = get(client, city, "/error-report/", {"url": "http://nantong.localhost/" + "a" * 100_000})
    assert response.status_code == 200


# --- sizes and characters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("subject", "长" * (services.SUBJECT_MAX + 1), "标题不能超过"),
        ("body", "长" * (services.BODY_MAX + 1), "来信内容不能超过"),
        ("name", "名" * 200, "姓名不能超过"),
        ("phone", "1" * 100, "联系电话不能超过"),
        ("subject", "", "请填写标题"),
        ("phone", "12345", "联系电话格式不正确"),
        ("email", "not-an-address", "电子邮箱格式不正确"),
        ("id_number", "320602199001011234", "身份证号码不正确"),
    ],
)
def test_oversized_or_malformed_fields_are_refused(client, city, mayor_mailbox, field, value, message):
    refused(post(client, city, MAILBOX, letter_post(**{field: value})), message)


def test_nul_bytes_are_refused(client, city, mayor_mailbox):
    refused(post(client, city, MAILBOX, letter_post(body="积水\x00问题")), "空字符")


def test_control_and_direction_characters_are_removed(client, city, mayor_mailbox):
    body = "积水\u202e问题\x07严重\u200b请处理"
    number, _code = receipt_of(client, city, post(client, city, MAILBOX, letter_post(body=body)))
    assert Case.objects.get(receipt_number=number).body == "积水问题严重请处理"


def _raw_post(
    client, city, fields: dict[str, bytes], content_type: str = "application/x-www-form-urlencoded"
):
    from urllib.parse import quote_from_bytes

    body = "&".join(f"{key}={quote_from_bytes(value)}" for key, value in fields.items())
    return client.generic(
        "POST", MAILBOX, body.encode(), content_type=content_type, HTTP_HOST=city.site.hostname
    )


def _encoded(data: dict, encoding: str) -> dict[str, bytes]:
    return {key: value.encode(encoding) for key, value in data.items()}


def test_invalid_utf8_is_refused(client, city, mayor_mailbox):
    fields = _encoded(letter_post(), "utf-8")
    fields["body"] = b"\xff\xfe\xfd invalid \xc3\x28 utf-8"
    refused(_raw_post(client, city, fields), "无法识别的字符")


def test_gbk_sent_as_utf8_is_refused(client, city, mayor_mailbox):
    fields = _encoded(letter_post(), "utf-8")
    fields["body"] = "请尽快处理道路积水问题".encode("gbk")
    refused(_raw_post(client, city, fields), "无法识别的字符")


def test_form_declared_in_another_encoding_is_refused_in_chinese(client, city, mayor_mailbox):
    """Django 5.2 reads form posts as UTF-8 only; one declared as GBK is refused, not misread."""
    data = letter_post(body="请尽快处理道路积水问题")
    response = _raw_post(
        client, city, _encoded(data, "gbk"), "application/x-www-form-urlencoded; charset=gbk"
    )
    refused(response, "UTF-8")


# --- attachments -------------------------------------------------------------------------------


def _file(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode." + b"\x00" * 200
FORGED = [
    ("report.pdf", PE, "可执行程序"),
    ("photo.png", PE, "可执行程序"),
    ("run.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "可执行程序"),
    ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "可执行程序"),
    ("shot.png", b"<html><body><script>alert(1)</script></body></html>", "网页"),
    ("shot.png", b"\xef\xbb\xbf<!DOCTYPE html><p>hi", "网页"),
    ("pic.jpg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "网页"),
    ("page.html", b"<html></html>", "网页"),
    ("tool.exe", PE, "可执行程序"),
    ("notes.txt", "普通文本".encode(), "格式不受支持"),
    ("archive.zip", _zip({"a.txt": b"x"}), "格式不受支持"),
    ("shot.pdf", tiny_png(), "扩展名与文件内容"),
    ("letter.png", tiny_pdf(), "扩展名与文件内容"),
    ("noext", tiny_pdf(), "扩展名与文件内容"),
    ("broken.png", tiny_png()[:30], "不是完整有效的图片"),
    ("fake.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50, "不是完整有效的图片"),
    (
        "active.pdf",
        b"%PDF-1.4\n1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF",
        "活动内容",
    ),
    ("launch.pdf", b"%PDF-1.4\n1 0 obj<</S/Launch/F(cmd.exe)>>endobj\n%%EOF", "活动内容"),
    ("cut.pdf", b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n", "不是完整有效的 PDF"),
    ("empty.pdf", b"", "空文件"),
    (
        "bomb.docx",
        _zip({"[Content_Types].xml": b"<T/>", "word/document.xml": b"0" * (60 * 1024 * 1024)}),
        "压缩炸弹",
    ),
    (
        "macro.docx",
        _zip({"[Content_Types].xml": b"<T/>", "word/document.xml": b"<d/>", "word/vbaProject.bin": b"x"}),
        "宏",
    ),
    ("fake.docx", _zip({"a.txt": b"x"}), "不是有效的 Word"),
]


@pytest.mark.parametrize(
    ("name", "content", "message"), FORGED, ids=[f"{i}-{item[0]}" for i, item in enumerate(FORGED)]
)
def test_forged_attachments_are_refused_by_content(client, city, mayor_mailbox, name, content, message):
    data = {**letter_post(), "attachments": [_file(name, content)]}
    html = refused(post(client, city, MAILBOX, data), message)
    no_markup_from_input(html)


def test_oversized_attachment_is_refused(client, city, mayor_mailbox):
    big = tiny_pdf()[:-6] + b" " * (5 * 1024 * 1024) + b"%%EOF\n"
    refused(
        post(client, city, MAILBOX, {**letter_post(), "attachments": [_file("big.pdf", big)]}), "超过 5 MB"
    )


def test_image_bomb_is_refused():
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # small file, 81 megapixels
    with pytest.raises(Exception, match="尺寸过大"):
        uploads.check(_file("bomb.png", out.getvalue(), "image/png"))


def test_too_many_attachments_are_refused(client, city, mayor_mailbox):
    files = [_file(f"{i}.pdf", tiny_pdf()) for i in range(4)]
    refused(post(client, city, MAILBOX, {**letter_post(), "attachments": files}), "最多上传 3 个附件")


def test_attachment_names_lose_directories_and_control_characters():
    assert uploads.safe_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert uploads.safe_name("C:\\Users\\a\\报告.pdf") == "报告.pdf"
    assert uploads.safe_name("a\x00b<script>.pdf") == "a_b_script_.pdf"
    assert len(uploads.safe_name("长" * 300 + ".pdf")) == uploads.MAX_NAME_LENGTH


def test_browser_content_type_is_ignored(client, city, mayor_mailbox):
    data = {**letter_post(), "attachments": [_file("shot.png", tiny_png(), "text/html")]}
    number, _code = receipt_of(client, city, post(client, city, MAILBOX, data))
    assert Case.objects.get(receipt_number=number).attachments.get().content_type == "image/png"


# --- anything at all ---------------------------------------------------------------------------


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=TEXT, body=TEXT, name=TEXT)
def test_any_text_is_stored_or_refused_never_a_500_and_never_markup(
    client, city, mayor_mailbox, subject, body, name
):
    response = post(client, city, MAILBOX, letter_post(subject=subject, body=body, name=name))
    assert response.status_code in (303, 400)
    if response.status_code == 400:
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*src=\"/static/)", html)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=TEXT, code=TEXT)
def test_any_look_up_is_refused_cleanly(client, city, number, code):
    response = post(client, city, "/hudong/chaxun/", {"receipt_number": number, "query_code": code})
    assert response.status_code == 400
