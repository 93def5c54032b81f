"""How the front reads a posted letter (issue 6 part 7): what it takes itself, and the hostile or
unusual bodies it leaves to the application's parser (HandOver), never guessing."""

from __future__ import annotations

import pytest

from govsite.cases import front_intake
from govsite.cases.front_intake import HandOver, parse_body

BOUNDARY = "----WebKitFormBoundaryAbC123xyz"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def part(name: str, value: str, extra: str = "") -> str:
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n{value}\r\n'


def body(*parts: str) -> bytes:
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


def test_a_browser_form_with_an_empty_file_input_is_read_with_its_line_breaks():
    raw = body(
        part("subject", "路灯不亮"),
        part("body", "第一行\r\n第二行"),
        part("attachments", "", '; filename=""\r\nContent-Type: application/octet-stream'),
    )
    assert parse_body(MULTIPART, raw) == {"subject": "路灯不亮", "body": "第一行\r\n第二行"}


def test_url_encoded_utf8_is_read():
    assert parse_body("application/x-www-form-urlencoded", b"subject=%E8%B7%AF%E7%81%AF") == {
        "subject": "路灯"
    }


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        (MULTIPART, body(part("attachments", "%PDF-1.4", '; filename="a.pdf"'))),  # a file to check
        (MULTIPART, body(part("subject", "a"), part("subject", "b"))),  # a field twice
        (MULTIPART, body(part("is_admin", "1"))),  # a field the form does not have
        (MULTIPART, body(part("subject", "标题", "\r\nContent-Transfer-Encoding: base64"))),
        (MULTIPART, body(part("subject", "\xff")).replace("ÿ".encode(), b"\xff")),  # not UTF-8
        (MULTIPART, body(part("subject", "标题"))[:-4]),  # no closing delimiter
        (MULTIPART, b"preamble\r\n" + body(part("subject", "标题"))),
        ("multipart/form-data", body(part("subject", "标题"))),  # no boundary
        ("multipart/form-data; boundary=other", body(part("subject", "标题"))),
        ("application/x-www-form-urlencoded", b"subject=%FF%FE"),  # not UTF-8
        ("application/x-www-form-urlencoded", "subject=路灯".encode()),  # raw bytes, not encoded
        ("application/json", b'{"subject": "a"}'),
        ("text/plain", b"subject=a"),
        (MULTIPART, b"--" + BOUNDARY.encode() + b"\r\n" + b"x" * (front_intake.BODY_MAX_BYTES + 1)),
    ],
    ids=[
        "attachment",
        "repeated-field",
        "unknown-field",
        "transfer-encoding",
        "not-utf8-part",
        "truncated",
        "preamble",
        "no-boundary",
        "other-boundary",
        "not-utf8-urlencoded",
        "raw-bytes-urlencoded",
        "json",
        "text-plain",
        "too-large",
    ],
)
def test_anything_unusual_is_left_to_the_application(content_type, raw):
    with pytest.raises(HandOver):
        parse_body(content_type, raw)


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "<img src=x onerror=alert(1)>", "body": "正文", "name": "张三", "phone": "13812345678"},
        {"subject": "标题", "body": "正文<!-- x -->", "name": "张三", "phone": "13812345678"},
        {"subject": "标题", "body": "正文\ufffd", "name": "张三", "phone": "13812345678"},
        {"subject": "标题", "body": "正文\x00", "name": "张三", "phone": "13812345678"},
        {"subject": "标" * 101, "body": "正文", "name": "张三", "phone": "13812345678"},
        {"subject": "标题", "body": "正文", "name": "张三", "phone": "1" * 31},
        {
            "subject": "标题",
            "body": "正文",
            "name": "张三",
            "phone": "13812345678",
            "id_number": "110101199003070000",
        },
    ],
    ids=["markup", "comment", "replacement-char", "nul", "long-subject", "long-phone", "bad-id-card"],
)
def test_a_letter_the_application_would_correct_is_handed_over(fields):
    with pytest.raises(HandOver):
        front_intake.check_letter(fields)


def test_a_plain_letter_is_cleaned_as_the_application_cleans_it():
    letter = front_intake.check_letter(
        {"subject": "  路灯  不亮 ", "body": "第一行\r\n第二行", "name": "张三", "phone": "138 1234 5678"}
    )
    assert (letter.subject, letter.body, letter.phone) == ("路灯 不亮", "第一行\n第二行", "13812345678")
    assert letter.wants_public is False  # the box was not ticked


def test_csrf_token_must_unmask_to_the_cookie_and_the_origin_must_be_this_host():
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    fields = {"csrfmiddlewaretoken": _mask_cipher_secret(secret)}
    cookie = f"other=1; csrftoken={secret}"
    front_intake.check_csrf(fields, cookie, {"origin": "http://localhost:8000"}, "http", "localhost:8000")
    front_intake.check_csrf(fields, cookie, {}, "http", "localhost:8000")  # an old browser: no Origin
    refusals = [
        (fields, f"csrftoken={_get_new_csrf_string()}", {}, "http"),
        ({"csrfmiddlewaretoken": "x" * 64}, cookie, {}, "http"),
        (fields, "", {}, "http"),
        (fields, cookie, {"origin": "http://evil.example"}, "http"),
        (fields, cookie, {"origin": "null"}, "http"),
        (fields, cookie, {}, "https"),  # https without Origin needs a same-site Referer
    ]
    for data, cookies, headers, scheme in refusals:
        with pytest.raises(HandOver):
            front_intake.check_csrf(data, cookies, headers, scheme, "localhost:8000")
