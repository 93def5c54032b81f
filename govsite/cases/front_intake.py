"""The front's side of the public mailboxes: the form page from a published file, and fast intake.

Art. 10 asks for mailboxes that answer the public; Art. 19 asks that sites stay fast and up. The
mailbox page is published like any page (`published_forms.py` writes `.form.html` and `.form.json`
beside the directory's files) with two placeholders the front fills for every visitor: a fresh
captcha token and a CSRF token in Django's own format (the `csrftoken` cookie is set when the
visitor has none), so the page costs the application nothing and opens while it restarts.

A letter POSTed to that page is taken by the front when it is plain: no attachment, no markup,
every field valid by the same checks the application applies (`rules.check_letter`), a right
captcha answer, a valid CSRF token and origin, within the per-address rate. It is then written to
the intake spool in one short transaction (rate counted, captcha spent, letter stored), and only
after the commit does the visitor get the 303 to the receipt page, with the receipt number and the
query code in the signed receipt cookie the application's receipt page reads. Anything else
(attachments, a mistake to show, a refusal) is handed to the application unchanged and answered
there with the form and its Chinese messages; nothing was counted or spent for it here.

The intake worker registers spooled letters as cases with the same receipt number within
seconds (`manage.py cases_intake`). Nothing here reads Django's settings: the secret key, the
form rate and the cookie policy come from the environment `manage.py serve` passes.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from django.core import signing
from django.core.exceptions import ValidationError
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
    _get_new_csrf_string,
    _mask_cipher_secret,
    _unmask_cipher_token,
)
from django.utils.crypto import constant_time_compare

from govsite import throttle
from govsite.cases import captcha, rules
from govsite.cases.spool import Pending, spool

FORM_TEMPLATE = ".form.html"
FORM_SETTINGS = ".form.json"
CAPTCHA_PLACEHOLDER = "__GOVSITE_CAPTCHA_TOKEN__"
CSRF_PLACEHOLDER = "__GOVSITE_CSRF_TOKEN__"
CSRF_COOKIE = "csrftoken"
CSRF_COOKIE_SECONDS = 60 * 60 * 24 * 7 * 52  # Django's CSRF_COOKIE_AGE
RECEIPT_COOKIE = "govsite_receipt"  # views.RECEIPT_COOKIE
RECEIPT_SALT = "govsite.cases.receipt"  # views.RECEIPT_SALT
RECEIPT_SECONDS = 30 * 60
RECEIPT_PATH = "/hudong/huizhi/"
BODY_MAX_BYTES = 64 * 1024  # the longest plain letter is far below; anything bigger goes on
FIELD_LIMITS = {"phone": 30, "email": 254, "id_number": 30, "suggested": 200}  # forms.LetterForm
KNOWN_FIELDS = {
    *rules.LETTER_FIELDS,
    "wants_public",
    "suggested",
    "captcha_token",
    "captcha_answer",
    "csrfmiddlewaretoken",
}
FALSE_VALUES = {"", "false", "0", "off"}


@dataclass(frozen=True)
class Config:
    secret: str
    secure_cookies: bool
    rate: throttle.Rate


def config_from_environment() -> Config | None:
    """None (every form to the application) when no secret key was handed to the front."""
    secret = os.environ.get("GOVSITE_SECRET_KEY", "")
    if not secret:
        return None
    secure = os.environ.get("GOVSITE_SECURE_COOKIES", "").lower() in {"1", "true", "yes", "on"}
    rate = throttle.parse_rate(os.environ.get("GOVSITE_FORM_RATE") or throttle.DEFAULT_RATE)
    return Config(secret=secret, secure_cookies=secure, rate=rate)


# --- the form page ------------------------------------------------------------------------------


def cookie(header: str, name: str) -> str:
    """One cookie's value from a Cookie header ('' when absent)."""
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"')
    return ""


def _valid_secret(value: str) -> bool:
    return len(value) == CSRF_SECRET_LENGTH and all(char in CSRF_ALLOWED_CHARS for char in value)


def _cookie_header(name: str, value: str, seconds: int, path: str, config: Config, *, strict: bool) -> str:
    parts = [
        f"{name}={value}",
        f"Max-Age={seconds}",
        f"Path={path}",
        "SameSite=Strict" if strict else "SameSite=Lax",
    ]
    if strict:
        parts.append("HttpOnly")
    if config.secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


def fill_form(template: bytes, cookie_header: str, config: Config) -> tuple[bytes, list[tuple[str, str]]]:
    """The page for one visitor: a fresh captcha and a CSRF token; the cookie header to add, if any."""
    secret = cookie(cookie_header, CSRF_COOKIE)
    headers: list[tuple[str, str]] = []
    if not _valid_secret(secret):
        secret = _get_new_csrf_string()
        headers.append(
            (
                "set-cookie",
                _cookie_header(CSRF_COOKIE, secret, CSRF_COOKIE_SECONDS, "/", config, strict=False),
            )
        )
    token, _answer = captcha.issue(secret=config.secret)
    body = template.replace(CAPTCHA_PLACEHOLDER.encode(), token.encode()).replace(
        CSRF_PLACEHOLDER.encode(), _mask_cipher_secret(secret).encode()
    )
    return body, headers


# --- reading a POST -----------------------------------------------------------------------------


class HandOver(Exception):
    """This letter is for the application: it shows the form again with the reason, or takes it."""


def parse_body(content_type: str, body: bytes) -> dict[str, str]:
    """The fields of an url-encoded or multipart form; HandOver for files, repeats, other encodings."""
    if len(body) > BODY_MAX_BYTES:
        raise HandOver("too large")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except (UnicodeDecodeError, ValueError) as error:
            raise HandOver("encoding") from error
    elif kind == "multipart/form-data":
        pairs = _multipart_pairs(content_type, body)
    else:
        raise HandOver("content type")
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields or name not in KNOWN_FIELDS:
            raise HandOver(f"field {name[:40]}")
        fields[name] = value
    return fields


def _multipart_pairs(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The parts of a multipart/form-data body as browsers write it (RFC 7578); HandOver otherwise.

    Only what a plain letter needs: a name per part, text in UTF-8, file parts that are empty.
    Anything unusual (a transfer encoding, a part without a name, a body that does not end with the
    closing delimiter) is left to Django's parser in the application.
    """
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise HandOver("multipart")
    chunks = body.split(b"--" + match.group(1).encode("latin-1"))
    if len(chunks) < 3 or chunks[0] not in (b"", b"\r\n") or not chunks[-1].startswith(b"--"):
        raise HandOver("multipart")
    pairs = []
    for chunk in chunks[1:-1]:
        head, separator, value = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator or not value.endswith(b"\r\n"):
            raise HandOver("multipart part")
        name, filename = _part_name(head)
        value = value[:-2]
        if filename is not None or name == "attachments":
            if value:
                raise HandOver("attachment")
            continue  # an empty file input: the browser sends it with every form
        try:
            pairs.append((name, value.decode("utf-8")))
        except UnicodeDecodeError as error:
            raise HandOver("encoding") from error
    return pairs


_BOUNDARY = re.compile(r'boundary="?([0-9A-Za-z\'()+_,./:=?-]{1,70})"?', re.IGNORECASE)
_DISPOSITION = re.compile(
    rb'^content-disposition:\s*form-data;\s*name="([^"]+)"(?:;\s*filename="([^"]*)")?\s*$', re.I
)


def _part_name(head: bytes) -> tuple[str, str | None]:
    name = filename = None
    for line in head.split(b"\r\n"):
        match = _DISPOSITION.match(line)
        if match is not None:
            name = match.group(1).decode("ascii", "replace")
            filename = match.group(2).decode("utf-8", "replace") if match.group(2) is not None else None
        elif not line.lower().startswith(b"content-type:"):
            raise HandOver("multipart header")
    if name is None:
        raise HandOver("part without a name")
    return name, filename


def check_csrf(fields: dict[str, str], cookie_header: str, headers, scheme: str, host: str) -> None:
    """Django's CSRF rule for this form: the token matches the cookie, the origin is this host."""
    secret = cookie(cookie_header, CSRF_COOKIE)
    token = fields.get("csrfmiddlewaretoken", "")
    if not _valid_secret(secret) or len(token) != CSRF_TOKEN_LENGTH:
        raise HandOver("csrf")
    if any(char not in CSRF_ALLOWED_CHARS for char in token):
        raise HandOver("csrf")
    if not constant_time_compare(_unmask_cipher_token(token), secret):
        raise HandOver("csrf")
    origin = headers.get("origin")
    if origin is not None and origin != f"{scheme}://{host}":
        raise HandOver("origin")
    if (
        origin is None
        and scheme == "https"
        and not (headers.get("referer") or "").startswith(f"https://{host}/")
    ):
        raise HandOver("referer")


def check_letter(fields: dict[str, str]) -> rules.LetterData:
    """The letter as the application would store it; HandOver when it would show a message."""
    for name, value in fields.items():
        if rules.TAG.search(value) or rules.REPLACEMENT in value or "\x00" in value:
            raise HandOver(f"markup in {name}")
        if len(value.strip()) > FIELD_LIMITS.get(name, rules.BODY_MAX):
            raise HandOver(f"long {name}")
    data = rules.LetterData(
        **{name: fields.get(name, "").strip() for name in rules.LETTER_FIELDS},
        wants_public=fields.get("wants_public", "").strip().lower() not in FALSE_VALUES,
    )
    cleaned, errors = rules.check_letter(data)
    if errors.errors:
        raise HandOver("invalid")
    return cleaned


def check_captcha(fields: dict[str, str], secret: str) -> captcha.Ticket:
    try:
        ticket = captcha.read(fields.get("captcha_token", ""), secret=secret)
    except ValidationError as error:
        raise HandOver("captcha") from error
    answer = captcha.normalize_answer(fields.get("captcha_answer", ""))
    if not answer or not constant_time_compare(answer, captcha._answer_of(ticket.nonce, secret)):
        raise HandOver("captcha")
    return ticket


# --- storing and the receipt --------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    receipt_number: str
    cookie: str


def accept_letter(
    fields: dict[str, str], form: dict, client_ip: str, config: Config, *, now: float | None = None
) -> Accepted:
    """Check everything, then store in one spool transaction; HandOver when the application must answer."""
    if not form.get("active") or form.get("kind") != "letter":
        raise HandOver("mailbox")
    letter = check_letter(fields)
    ticket = check_captcha(fields, config.secret)
    moment = time.time() if now is None else now
    local = datetime.fromtimestamp(moment, ZoneInfo(form.get("tz") or "Asia/Shanghai"))
    query_code = rules.new_query_code()
    store = spool()
    for _attempt in range(5):
        receipt_number = rules.new_receipt_number("X", local)
        receipt = _receipt_cookie(receipt_number, query_code, form, local, config)  # before the commit
        try:
            with store.transaction() as db:
                _guard(store, db, ticket, client_ip, config.rate, moment)
                store.add_letter(
                    db,
                    {
                        "receipt_number": receipt_number,
                        "query_code_hash": rules.hash_query_code(receipt_number, query_code, config.secret),
                        "received_at": moment,
                        "mailbox_id": int(form["mailbox"]),
                        "fields": {**letter.__dict__, "suggested": fields.get("suggested", "")[:200]},
                        "client_ip": client_ip,
                    },
                )
        except sqlite3.IntegrityError:
            continue  # a receipt number drawn twice: draw again (nothing was committed)
        except Pending as refused:
            raise HandOver(refused.reason) from refused
        return Accepted(receipt_number, receipt)
    raise HandOver("receipt numbers")


def _guard(store, db, ticket: captcha.Ticket, client_ip: str, rate: throttle.Rate, moment: float) -> None:
    """Within the transaction: the address's rate (counted only for a letter kept), the captcha spent."""
    if not rate.unlimited:
        window = int(moment // rate.period * rate.period)
        key = f"letter:{client_ip or '-'}"[: throttle.MAX_KEY_LENGTH]
        if store.count_hit(key, window, db) > rate.count:
            raise Pending("rate")
    if not store.spend_nonce(captcha.nonce_digest(ticket.nonce), float(ticket.expires), db):
        raise Pending("captcha used")


def _receipt_cookie(receipt_number: str, query_code: str, form: dict, local: datetime, config: Config) -> str:
    value = {
        "r": receipt_number,
        "c": query_code,
        "k": form.get("label", ""),
        "u": form.get("unit", ""),
        "d": "",
        "p": False,
        "w": form.get("deadline_workdays"),
        "t": local.strftime("%Y-%m-%d %H:%M"),
    }
    signer = signing.TimestampSigner(key=config.secret, salt=RECEIPT_SALT, fallback_keys=[])
    signed = signer.sign_object(value, compress=True)
    return _cookie_header(RECEIPT_COOKIE, signed, RECEIPT_SECONDS, "/hudong/", config, strict=True)


def read_settings(raw: bytes) -> dict | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
