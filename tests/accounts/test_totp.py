"""Issue 3 point 8: the TOTP arithmetic is RFC 6238's (HMAC-SHA1, 30 s, 6 digits), as apps compute it."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from govsite.accounts import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238 Appendix B, SHA-1 key


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_point8_totp_matches_the_rfc6238_test_vectors(unix_time, eight_digits):
    step = totp.time_step(unix_time)
    assert totp.code_at_step(RFC_SECRET, step, digits=8) == eight_digits
    assert totp.code_at(RFC_SECRET, unix_time) == eight_digits[-6:]  # 6 digits: the same value mod 10^6


def test_point8_one_step_either_side_is_accepted_and_no_more():
    now = 1_700_000_015
    previous, current, following = (totp.code_at(RFC_SECRET, now + delta) for delta in (-30, 0, 30))
    assert totp.matching_steps(RFC_SECRET, current, now) == [totp.time_step(now)]
    assert totp.matching_steps(RFC_SECRET, previous, now) == [totp.time_step(now) - 1]
    assert totp.matching_steps(RFC_SECRET, following, now) == [totp.time_step(now) + 1]
    two_back = totp.code_at(RFC_SECRET, now - 60)
    assert two_back not in {previous, current, following}
    assert totp.matching_steps(RFC_SECRET, two_back, now) == []


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 3456", None])
def test_point8_only_six_digits_can_match(typed):
    assert totp.matching_steps(RFC_SECRET, typed, 59) == []


def test_point8_new_secrets_are_160_random_bits_in_base32():
    first, second = totp.new_secret(), totp.new_secret()
    assert first != second
    assert len(first) == 32 and len(base64.b32decode(first)) == 20


def test_point8_secrets_are_normalized_and_short_or_foreign_ones_refused():
    assert totp.normalize_secret("gezd gnbv-gy3t qojq") == "GEZDGNBVGY3TQOJQ"
    with pytest.raises(totp.InvalidSecret):
        totp.normalize_secret("GEZDGNBV")  # 40 bits
    with pytest.raises(totp.InvalidSecret):
        totp.normalize_secret("not base32 at all 0189")


def test_point8_provisioning_uri_names_the_platform_and_the_account():
    uri = totp.provisioning_uri(RFC_SECRET, "chongchuan_reviewer", "南通市政府网站集约化平台")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/南通市政府网站集约化平台:chongchuan_reviewer"
    query = parse_qs(parts.query)
    assert query == {
        "secret": [RFC_SECRET],
        "issuer": ["南通市政府网站集约化平台"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }


def test_point8_secret_is_shown_in_groups_of_four():
    assert totp.grouped("GEZDGNBVGY3TQOJQ") == "GEZD GNBV GY3T QOJQ"
