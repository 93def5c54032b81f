"""Time-based one-time passwords: RFC 6238 (TOTP) over RFC 4226 (HOTP), as authenticator apps compute them.

HMAC-SHA1, 30-second steps, 6 digits: the parameters every authenticator app (FreeOTP, Google
Authenticator, Microsoft Authenticator, 腾讯身份验证器 …) uses by default. Only the arithmetic lives
here; which steps are accepted, replay and lockout are rules of `services.py`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import re
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, the HMAC-SHA1 block the RFC recommends; 32 base32 characters
CODE_PATTERN = re.compile(r"\d{6}")


class InvalidSecret(ValueError):
    """The text is not a base32 TOTP secret of at least 80 bits."""


def new_secret() -> str:
    """A fresh random secret, base32 without padding (what authenticator apps accept)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def normalize_secret(secret: str) -> str:
    """The canonical form of a base32 secret (upper case, no spaces, hyphens or padding); refuses
    text that is not base32 or carries fewer than 80 bits (RFC 4226 §4 R6 asks for 128, better 160)."""
    cleaned = re.sub(r"[\s\-=]", "", secret or "").upper()
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError) as error:
        raise InvalidSecret("not base32") from error
    if len(key) < 10:
        raise InvalidSecret("shorter than 80 bits")
    return cleaned


def secret_key(secret: str) -> bytes:
    cleaned = normalize_secret(secret)
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def time_step(at: datetime.datetime | float) -> int:
    """The RFC 6238 counter T = floor((unix time - T0) / X), T0 = 0, X = 30 s."""
    timestamp = at.timestamp() if isinstance(at, datetime.datetime) else float(at)
    return int(timestamp // STEP_SECONDS)


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 §5.3: HMAC-SHA1 of the 8-byte big-endian counter, dynamic truncation, modulo 10^digits."""
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    binary = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def code_at_step(secret: str, step: int, digits: int = DIGITS) -> str:
    return hotp(secret_key(secret), step, digits)


def code_at(secret: str, at: datetime.datetime | float) -> str:
    """The code an authenticator app shows at that moment."""
    return code_at_step(secret, time_step(at))


def matching_steps(secret: str, code: str, at: datetime.datetime | float, tolerance: int = 1) -> list[int]:
    """The steps within ±`tolerance` of `at` whose code equals `code`, oldest first (usually one, or none).

    Every candidate is compared in constant time, and all of them always, so the answer's timing does
    not tell which step matched.
    """
    if not CODE_PATTERN.fullmatch(code or ""):
        return []
    key = secret_key(secret)
    current = time_step(at)
    matches = []
    for step in range(current - tolerance, current + tolerance + 1):
        if hmac.compare_digest(hotp(key, step).encode(), code.encode()):
            matches.append(step)
    return matches


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI of the Key Uri Format that authenticator apps scan from a QR code."""
    issuer = issuer.replace(":", "：")
    label = quote(f"{issuer}:{account.replace(':', '：')}", safe="")
    query = urlencode(
        {
            "secret": normalize_secret(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str, size: int = 4) -> str:
    """The secret in groups of four characters, for typing it into an app by hand."""
    cleaned = normalize_secret(secret)
    return " ".join(cleaned[index : index + size] for index in range(0, len(cleaned), size))
