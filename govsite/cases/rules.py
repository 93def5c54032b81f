"""The checks of a letter that need no database: cleaning text, required fields and lengths, phone,
e-mail and ID-card numbers (Art. 10; 信访 practice).

`services` uses them for every submission, and the front's fast intake (`front_intake.py`) uses the
same functions before it accepts a letter without the application, so both accept exactly the
same letters. Only `django.core` is imported (validators and ValidationError), never settings or
models: the front does not configure Django.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.crypto import salted_hmac

SUBJECT_MAX = 100
BODY_MAX = 5000
NAME_MAX = 30
ADDRESS_MAX = 200
LETTER_FIELDS = ("subject", "body", "name", "phone", "email", "address", "id_number")
QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
QUERY_CODE_LENGTH = 8
# A tag as a browser would read one: a name, then attributes without CJK text (so "a<b 且 5 > 3" is
# text), or a comment / doctype / processing instruction.
TAG = re.compile(
    r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9-]*(\s+[^<>\u3000-\u9fff\uff00-\uffef]*)?/?>|<!--|<![a-zA-Z]|<\?"
)
REPLACEMENT = "\ufffd"  # what a wrong encoding leaves behind


@dataclass
class LetterData:
    subject: str
    body: str
    name: str
    phone: str
    email: str = ""
    address: str = ""
    id_number: str = ""
    wants_public: bool = True


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_ID_CARD = re.compile(r"^\d{17}[\dX]$")
_POSTCODE = re.compile(r"^\d{6}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def clean_text(value: object, *, multiline: bool = False) -> str:
    """Plain text as stored: NFC, no control or direction characters, unified line breaks, trimmed.

    Markup is not removed but never rendered: templates escape it. A value that is not a `str`
    (wrong encodings arrive as bytes) becomes empty and is refused by the required-field checks.
    """
    if not isinstance(value, str):
        return ""
    value = value.encode("utf-8", "replace").decode("utf-8")
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    if not multiline:
        value = " ".join(value.split())
    return value.strip()


class _Errors:
    """Collects every problem of a submission, to refuse it once with all messages."""

    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field_name: str, message: str, code: str) -> None:
        self.errors.setdefault(field_name, []).append(ValidationError(message, code=code))

    def required(self, field_name: str, value: str, label: str) -> None:
        if not value:
            self.add(field_name, f"请填写{label}。", "required")

    def max_length(self, field_name: str, value: str, label: str, limit: int) -> None:
        if len(value) > limit:
            self.add(field_name, f"{label}不能超过{limit}个字（现有{len(value)}个字）。", "too_long")

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def is_valid_id_card(value: str) -> bool:
    """GB 11643-1999: 17 digits and a check character (ISO 7064 MOD 11-2)."""
    if not _ID_CARD.match(value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value).replace("－", "-").removeprefix("+86")


def _check_phone(errors: _Errors, value: str, *, required: bool) -> None:
    if not value:
        if required:
            errors.add("phone", "请填写联系电话。", "required")
        return
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        errors.add("phone", "联系电话格式不正确，请填写11位手机号码或带区号的固定电话。", "invalid_phone")


def _check_email(errors: _Errors, value: str, *, required: bool = False) -> None:
    if not value:
        if required:
            errors.add("email", "选择电子邮件方式获取时，请填写电子邮箱。", "required")
        return
    try:
        validate_email(value)
    except ValidationError:
        errors.add("email", "电子邮箱格式不正确。", "invalid_email")


def check_letter(data: LetterData) -> tuple[LetterData, _Errors]:
    """The cleaned letter and every problem found in it (attachments and the mailbox aside)."""
    cleaned = LetterData(
        subject=clean_text(data.subject),
        body=clean_text(data.body, multiline=True),
        name=clean_text(data.name),
        phone=normalize_phone(clean_text(data.phone)),
        email=clean_text(data.email),
        address=clean_text(data.address),
        id_number=clean_text(data.id_number).upper(),
        wants_public=bool(data.wants_public),
    )
    errors = _Errors()
    errors.required("subject", cleaned.subject, "标题")
    errors.max_length("subject", cleaned.subject, "标题", SUBJECT_MAX)
    errors.required("body", cleaned.body, "来信内容")
    errors.max_length("body", cleaned.body, "来信内容", BODY_MAX)
    errors.required("name", cleaned.name, "姓名")
    errors.max_length("name", cleaned.name, "姓名", NAME_MAX)
    _check_phone(errors, cleaned.phone, required=True)
    _check_email(errors, cleaned.email)
    errors.max_length("address", cleaned.address, "地址", ADDRESS_MAX)
    if cleaned.id_number and not is_valid_id_card(cleaned.id_number):
        errors.add("id_number", "身份证号码不正确，请核对18位号码。", "invalid_id_number")
    return cleaned, errors


# --- receipt numbers and query codes ---------------------------------------------------------


def hash_query_code(receipt_number: str, query_code: str, secret: str) -> str:
    """The stored form of a query code: an HMAC under the secret key, tied to its receipt number."""
    value = f"{receipt_number}:{query_code.strip().upper()}"
    return salted_hmac("govsite.cases.query_code", value, secret=secret, algorithm="sha256").hexdigest()


def new_receipt_number(prefix: str, local_now: datetime) -> str:
    """X20261128 and eight random digits: the kind, the day received (local time), a draw."""
    return f"{prefix}{local_now:%Y%m%d}{secrets.randbelow(10**8):08d}"


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))
