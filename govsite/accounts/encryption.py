"""Encryption at rest of the TOTP secrets (issue 3 point 8): Fernet (AES-128-CBC + HMAC-SHA256).

The key is derived from SECRET_KEY with HKDF-SHA256 under a purpose of its own, so it is never the
key Django signs sessions with. SECRET_KEY_FALLBACKS are tried when reading, so a secret key can
be rotated the way Django documents it: put the old key in the fallbacks, and every secret still
reads (and is re-encrypted under the new key the next time its owner verifies). A secret that no
key can read raises `SecretUnreadable`; its owner's second factor must then be reset.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

HKDF_SALT = b"govsite.accounts.second-factor"
HKDF_INFO = b"totp-secret-encryption-v1"


class SecretUnreadable(Exception):
    """No configured key decrypts this secret (SECRET_KEY changed without a fallback, or tampering)."""


def _fernet(secret_key: str | bytes) -> Fernet:
    material = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> list[Fernet]:
    return [_fernet(settings.SECRET_KEY)] + [
        _fernet(key) for key in getattr(settings, "SECRET_KEY_FALLBACKS", [])
    ]


def encrypt(plaintext: str) -> str:
    """Encrypt under the current SECRET_KEY."""
    return _fernet(settings.SECRET_KEY).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return MultiFernet(_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError, UnicodeError) as error:
        raise SecretUnreadable(
            "the second-factor secret cannot be decrypted with any configured key"
        ) from error


def needs_rotation(token: str) -> bool:
    """True when the current SECRET_KEY cannot read the token (it was written under a fallback key)."""
    try:
        _fernet(settings.SECRET_KEY).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError):
        return True
    return False
