"""The second factor of the admin (issue 3 point 8): who needs one, enrolment, verification, reset.

Issue 3 point 8 asks for "a second factor (TOTP) required for reviewers, leaders and administrators,
with recovery codes", because those are the people whose approval puts information on a public
government website (Art. 14–15: 审核把关、三审三校). A stolen password alone must not be enough to
approve or publish. Every enrolment, verification, failure, lock, use of a recovery code and reset
is written to the tamper-evident audit chain (Art. 14, `govsite.review.audit`).

The rules, one function each:

* `requires_second_factor(user)` — who must use it;
* `start_enrollment` / `confirm_enrollment` — the set-up page; `enroll_with_secret` for the demo;
* `verify_code` — a TOTP code (RFC 6238, 30 s, 6 digits, ±1 step, never the same step twice) or a
  one-time recovery code, with a temporary lock after repeated failures;
* `reset_second_factor` — a platform administrator's decision, for a lost phone;
* `pending_step` / `mark_session_verified` — what the session still owes (read by the middleware).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

from govsite.accounts import encryption, totp
from govsite.accounts.models import RecoveryCode, SecondFactor, SecondFactorFailure
from govsite.review import audit

DEFAULT_REQUIRED_GROUP_SUFFIXES = ("-审核负责人", "-分管领导", "-主要领导")
TOLERANCE_STEPS = 1  # accept the previous and the next 30-second step too (clock drift, typing time)
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 16  # 16 characters of 31 ≈ 79 bits: a salted SHA-256 of it cannot be brute-forced
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read from paper without mistakes
FEW_RECOVERY_CODES = 3
FAILURE_HOUSEKEEPING_AGE = datetime.timedelta(days=1)
SESSION_KEY = "govsite_2fa"

# What the session still owes, as `pending_step` answers.
SETUP = "setup"
VERIFY = "verify"
STALE = "stale"  # verified against a factor that has since been reset or replaced: log out

MESSAGES = {
    "code_missing": "请输入验证码。",
    "code_invalid": (
        "验证码不正确。请输入身份验证器应用当前显示的 6 位数字；无法使用验证器时，可输入一个未使用过的恢复码。"
    ),
    "code_invalid_setup": (
        "验证码不正确。请确认已用身份验证器应用扫描本页的二维码（或手工输入密钥），输入它当前显示的 6 位数字，"
        "并检查手机时间是否准确。"
    ),
    "code_reused": "这个验证码已经使用过，不能重复使用。请等验证器显示下一个验证码（每 30 秒更新一次）后再输入。",
    "recovery_code_used": "这个恢复码已经使用过，每个恢复码只能使用一次。",
    "secret_unreadable": "无法读取您的二次验证密钥（平台密钥可能已更换）。请联系平台管理员重置二次验证。",
    "already_enrolled": "您已启用二次验证。如需更换手机或验证器，请联系平台管理员重置。",
    "not_enrolled": "您尚未设置二次验证，请先完成设置。",
    "not_started": "请先打开二次验证设置页面，用身份验证器应用扫描二维码。",
}
COUNTED_FAILURES = {"code_invalid", "code_reused", "recovery_code_used"}


class SecondFactorRefusal(ValidationError):
    """A code or a step of the second factor refused; `code` says why, the message is for people."""


def _refuse(code: str, message: str | None = None) -> SecondFactorRefusal:
    return SecondFactorRefusal(message or MESSAGES[code], code=code)


def _now() -> datetime.datetime:
    """The clock of the accounts app: the audit trail's, so tests move both together."""
    return audit._now()


# --- who must use it ---------------------------------------------------------------------------------


def _normalized(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def required_group_suffixes() -> tuple[str, ...]:
    """GOVSITE_2FA_REQUIRED_GROUP_SUFFIXES: the role-group name endings that need a second factor."""
    configured = getattr(settings, "GOVSITE_2FA_REQUIRED_GROUP_SUFFIXES", DEFAULT_REQUIRED_GROUP_SUFFIXES)
    return tuple(suffix for suffix in (_normalized(item) for item in configured) if suffix)


def requires_second_factor(user: AbstractBaseUser | None) -> bool:
    """Issue 3 point 8 (Art. 14–15): must this user confirm a second factor in the admin?

    Yes for those whose approval puts information on a public page, or who administer the platform:
    superusers (the platform operators), and members of a group whose name ends with one of
    GOVSITE_2FA_REQUIRED_GROUP_SUFFIXES — by default “-审核负责人”, “-分管领导”, “-主要领导”, the per-site
    role groups `<site name>-<role>` of reviewers, leaders in charge and principal leaders (Art. 15:
    the three review levels). Editors (录入员) only submit, and need none; anyone may enrol anyway.
    Group names are compared after NFKC normalisation (a full-width “－” counts as “-”) and trimming.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    suffixes = required_group_suffixes()
    if not suffixes:
        return False
    return any(_normalized(name).endswith(suffixes) for name in user.groups.values_list("name", flat=True))


def is_enforced() -> bool:
    """GOVSITE_2FA_ENFORCED (default on): whether the admin asks for the second factor at all."""
    return bool(getattr(settings, "GOVSITE_2FA_ENFORCED", True))


def confirmed_factor(user: AbstractBaseUser) -> SecondFactor | None:
    return SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).first()


def has_second_factor(user: AbstractBaseUser) -> bool:
    return SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


# --- codes --------------------------------------------------------------------------------------------


def normalize_code(text: str | None) -> str:
    """What the person typed, as compared: full-width characters from a Chinese input method made
    half-width (NFKC), spaces and hyphens dropped, letters in lower case."""
    return re.sub(r"[\s\-]", "", _normalized(text or "")).lower()


def is_totp_code(text: str | None) -> bool:
    return bool(totp.CODE_PATTERN.fullmatch(normalize_code(text)))


def current_code(secret: str, at: datetime.datetime | None = None) -> str:
    """The 6-digit code an authenticator app shows now (or at `at`) for this base32 secret: for tests
    and for the demo."""
    return totp.code_at(secret, at or _now())


def issuer() -> str:
    """The name the authenticator app shows for the platform (GOVSITE_2FA_ISSUER, else WAGTAIL_SITE_NAME)."""
    return getattr(settings, "GOVSITE_2FA_ISSUER", "") or settings.WAGTAIL_SITE_NAME


def provisioning_uri(user: AbstractBaseUser, secret: str) -> str:
    """The otpauth:// URI (QR code) naming the platform and the account."""
    return totp.provisioning_uri(secret, user.get_username(), issuer())


def new_recovery_code() -> str:
    """A fresh recovery code, shown as four groups of four characters (xxxx-xxxx-xxxx-xxxx)."""
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[index : index + 4] for index in range(0, RECOVERY_CODE_LENGTH, 4))


def hash_recovery_code(code: str) -> str:
    salt = secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}${normalize_code(code)}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def recovery_code_matches(stored: str, code: str) -> bool:
    algorithm, _, rest = stored.partition("$")
    salt, _, digest = rest.partition("$")
    if algorithm != "sha256" or not salt or not digest:
        return False
    candidate = hashlib.sha256(f"{salt}${normalize_code(code)}".encode()).hexdigest()
    return hmac.compare_digest(candidate, digest)


def _replace_recovery_codes(factor: SecondFactor) -> list[str]:
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    factor.recovery_codes.all().delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(factor=factor, code_hash=hash_recovery_code(code)) for code in codes
    )
    return codes


def recovery_codes_left(factor: SecondFactor) -> int:
    return factor.recovery_codes.filter(used_at__isnull=True).count()


# --- failures and the temporary lock ----------------------------------------------------------------


def max_failures() -> int:
    return max(0, int(getattr(settings, "GOVSITE_2FA_MAX_FAILURES", 5)))


def failure_window() -> datetime.timedelta:
    return datetime.timedelta(
        seconds=max(1, int(getattr(settings, "GOVSITE_2FA_FAILURE_WINDOW_SECONDS", 900)))
    )


def lock_duration() -> datetime.timedelta:
    return datetime.timedelta(seconds=max(1, int(getattr(settings, "GOVSITE_2FA_LOCK_SECONDS", 900))))


def locked_until(
    factor: SecondFactor | None, *, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """When the factor's temporary lock ends, or None when it is not locked."""
    now = now or _now()
    if factor is None or factor.locked_until is None or factor.locked_until <= now:
        return None
    return factor.locked_until


def lock_message(until: datetime.datetime, *, now: datetime.datetime | None = None) -> str:
    minutes = max(1, math.ceil((until - (now or _now())).total_seconds() / 60))
    return f"验证码错误次数过多，已暂停验证，请 {minutes} 分钟后再试。如需提前解除，请联系平台管理员。"


def _user_ref(user: AbstractBaseUser) -> dict:
    return {"object_type": "auth.user", "object_id": user.pk, "object_repr": user.get_username()}


def _register_failure(
    factor: SecondFactor, reason: str, *, stage: str, request: HttpRequest | None
) -> datetime.datetime | None:
    """Issue 3 point 8: record a refused code (Art. 14) and, for a wrong or replayed one, count it;
    GOVSITE_2FA_MAX_FAILURES (5) within GOVSITE_2FA_FAILURE_WINDOW_SECONDS (15 min) lock the user's
    second factor for GOVSITE_2FA_LOCK_SECONDS (15 min) — in the spirit of the login lockout
    (`govsite.review.lockout`): failures that caused the last lock are not counted again, and
    attempts during a lock are recorded but not counted. Returns the end of a lock set now."""
    user = factor.user
    now = _now()
    with transaction.atomic():
        counted = reason in COUNTED_FAILURES
        if counted:
            SecondFactorFailure.objects.create(user=user, occurred_at=now, reason=reason)
        audit.record(
            "auth.2fa_failed",
            actor=user,
            request=request,
            detail={"reason": reason, "stage": stage},
            **_user_ref(user),
        )
        limit = max_failures()
        if not counted or limit <= 0:
            return None
        factor.refresh_from_db(fields=["locked_at", "locked_until"])
        since = now - failure_window()
        if factor.locked_at is not None and factor.locked_at > since:
            since = factor.locked_at
        failures = SecondFactorFailure.objects.filter(user=user, occurred_at__gt=since).count()
        SecondFactorFailure.objects.filter(occurred_at__lt=now - FAILURE_HOUSEKEEPING_AGE).delete()
        if failures < limit:
            return None
        until = now + lock_duration()
        SecondFactor.objects.filter(pk=factor.pk).update(locked_at=now, locked_until=until)
        audit.record(
            "auth.2fa_lockout",
            actor=user,
            request=request,
            detail={
                "failures": failures,
                "window_seconds": int(failure_window().total_seconds()),
                "locked_until": until.isoformat(),
            },
            **_user_ref(user),
        )
        return until


# --- checking a code ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """A code accepted: how (`totp` or `recovery_code`) and how many recovery codes remain."""

    factor: SecondFactor
    method: str
    recovery_codes_left: int


def _accept_totp(factor: SecondFactor, code: str, now: datetime.datetime) -> int:
    """RFC 6238 with ±1 step; the step must be newer than the last accepted one (no replay).

    The newest-step check and its update are one conditional UPDATE, so two requests carrying the
    same code at the same moment cannot both pass, on SQLite or PostgreSQL."""
    try:
        secret = encryption.decrypt(factor.encrypted_secret)
    except encryption.SecretUnreadable:
        raise _refuse("secret_unreadable") from None
    steps = totp.matching_steps(secret, code, now, tolerance=TOLERANCE_STEPS)
    if not steps:
        raise _refuse("code_invalid")
    step = max(steps)
    changes = {"last_used_step": step, "last_verified_at": now}
    if encryption.needs_rotation(factor.encrypted_secret):
        changes["encrypted_secret"] = encryption.encrypt(secret)  # written under a fallback key: renew
    fresh = Q(last_used_step__isnull=True) | Q(last_used_step__lt=step)
    if SecondFactor.objects.filter(fresh, pk=factor.pk).update(**changes) != 1:
        raise _refuse("code_reused")
    return step


def _accept_recovery_code(factor: SecondFactor, code: str, now: datetime.datetime) -> int:
    """A recovery code is spent by a conditional UPDATE: it works exactly once. Returns those left."""
    for candidate in factor.recovery_codes.all():
        if not recovery_code_matches(candidate.code_hash, code):
            continue
        spent = RecoveryCode.objects.filter(pk=candidate.pk, used_at__isnull=True).update(used_at=now)
        if spent != 1:
            raise _refuse("recovery_code_used")
        SecondFactor.objects.filter(pk=factor.pk).update(last_verified_at=now)
        return recovery_codes_left(factor)
    raise _refuse("code_invalid")


def _check(
    factor: SecondFactor, code: str | None, *, stage: str, request: HttpRequest | None, allow_recovery: bool
) -> tuple[str, int | None]:
    """Check `code` against `factor` under the lock rules; record and count what is refused."""
    now = _now()
    factor.refresh_from_db()
    until = locked_until(factor, now=now)
    if until is not None:
        _register_failure(factor, "locked", stage=stage, request=request)
        raise _refuse("locked", lock_message(until, now=now))
    typed = normalize_code(code)
    if not typed:
        raise _refuse("code_missing")
    try:
        if totp.CODE_PATTERN.fullmatch(typed):
            _accept_totp(factor, typed, now)
            return "totp", None
        if allow_recovery:
            return "recovery_code", _accept_recovery_code(factor, typed, now)
        raise _refuse("code_invalid")
    except SecondFactorRefusal as refusal:
        until = _register_failure(factor, refusal.code, stage=stage, request=request)
        if until is not None:
            raise _refuse("locked", lock_message(until, now=now)) from None
        if stage == "setup" and refusal.code == "code_invalid":
            raise _refuse("code_invalid", MESSAGES["code_invalid_setup"]) from None
        raise


# --- enrolment ----------------------------------------------------------------------------------------


def start_enrollment(user: AbstractBaseUser) -> tuple[SecondFactor, str]:
    """The set-up page: the user's pending factor and its secret (the same one on every visit until
    confirmed, so a page reload after scanning does not break the app's entry). Refuses a user whose
    factor is already confirmed: replacing it takes an administrator's reset."""
    factor, _created = SecondFactor.objects.get_or_create(
        user=user, defaults={"encrypted_secret": encryption.encrypt(totp.new_secret()), "created_at": _now()}
    )
    if factor.is_confirmed:
        raise _refuse("already_enrolled")
    try:
        return factor, encryption.decrypt(factor.encrypted_secret)
    except encryption.SecretUnreadable:
        secret = totp.new_secret()
        factor.encrypted_secret = encryption.encrypt(secret)
        factor.save(update_fields=["encrypted_secret"])
        return factor, secret


def confirm_enrollment(
    user: AbstractBaseUser, code: str | None, *, request: HttpRequest | None = None
) -> list[str]:
    """Issue 3 point 8: a current code from the app confirms the pending factor; returns the 10
    one-time recovery codes, in clear this once (only their salted hashes are kept)."""
    factor = SecondFactor.objects.filter(user=user).first()
    if factor is None:
        raise _refuse("not_started")
    if factor.is_confirmed:
        raise _refuse("already_enrolled")
    _check(factor, code, stage="setup", request=request, allow_recovery=False)
    with transaction.atomic():
        now = _now()
        if SecondFactor.objects.filter(pk=factor.pk, confirmed_at__isnull=True).update(confirmed_at=now) != 1:
            raise _refuse("already_enrolled")
        factor.refresh_from_db()
        codes = _replace_recovery_codes(factor)
        SecondFactorFailure.objects.filter(user=user).delete()
        audit.record(
            "auth.2fa_enrolled",
            actor=user,
            request=request,
            detail={"method": "authenticator_app", "recovery_codes": len(codes)},
            **_user_ref(user),
        )
    return codes


def enroll_with_secret(user: AbstractBaseUser, base32_secret: str, *, actor=None) -> list[str]:
    """Give `user` a confirmed factor with a known secret (the demo prints it, so a person can add it
    to an authenticator app); replaces any factor the user had. Returns fresh recovery codes.

    Only for demonstration and test data: a secret that is printed or shared is no second factor.
    Recorded as `auth.2fa_enrolled` with `method: preset_secret`.
    """
    secret = totp.normalize_secret(base32_secret)
    with transaction.atomic():
        SecondFactor.objects.filter(user=user).delete()
        now = _now()
        factor = SecondFactor.objects.create(
            user=user, encrypted_secret=encryption.encrypt(secret), created_at=now, confirmed_at=now
        )
        codes = _replace_recovery_codes(factor)
        audit.record(
            "auth.2fa_enrolled",
            actor=actor,
            detail={"method": "preset_secret", "recovery_codes": len(codes)},
            **_user_ref(user),
        )
    return codes


# --- verification ---------------------------------------------------------------------------------------


def verify_code(
    user: AbstractBaseUser, code: str | None, *, request: HttpRequest | None = None
) -> Verification:
    """Issue 3 point 8: the verify page. Accepts a current TOTP code (RFC 6238, ±1 step of 30 s, and
    never a step already used) or one unused recovery code, which is spent. Wrong codes are counted
    toward the temporary lock; everything is recorded (Art. 14)."""
    factor = confirmed_factor(user)
    if factor is None:
        raise _refuse("not_enrolled")
    method, left = _check(factor, code, stage="verify", request=request, allow_recovery=True)
    with transaction.atomic():
        SecondFactorFailure.objects.filter(user=user).delete()
        if left is None:
            left = recovery_codes_left(factor)
        else:
            audit.record(
                "auth.2fa_recovery_used",
                actor=user,
                request=request,
                detail={"recovery_codes_left": left},
                **_user_ref(user),
            )
        audit.record(
            "auth.2fa_verified", actor=user, request=request, detail={"method": method}, **_user_ref(user)
        )
    factor.refresh_from_db()
    return Verification(factor=factor, method=method, recovery_codes_left=left)


# --- reset ------------------------------------------------------------------------------------------------


def reset_second_factor(
    user: AbstractBaseUser, *, actor=None, request: HttpRequest | None = None, via: str = "", reason: str = ""
) -> bool:
    """Issue 3 point 8: a platform administrator removes a user's second factor (lost or replaced
    phone, used-up recovery codes, a lock to lift). Sessions verified with the old factor end at
    their next admin request; the user sets up a new one at the next login. Recorded as
    `auth.2fa_reset` (Art. 14). Returns whether the user had a confirmed factor."""
    with transaction.atomic():
        had = SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()
        SecondFactor.objects.filter(user=user).delete()
        SecondFactorFailure.objects.filter(user=user).delete()
        detail = {"had_second_factor": had, "via": via}
        if reason:
            detail["reason"] = reason[:500]
        audit.record("auth.2fa_reset", actor=actor, request=request, detail=detail, **_user_ref(user))
    return had


# --- the session ------------------------------------------------------------------------------------------


def mark_session_verified(request: HttpRequest, verification: Verification | SecondFactor) -> None:
    """Record in the session that its user confirmed `factor`, under a new session key (the key a
    password-only attacker may have seen before is worthless afterwards)."""
    factor = verification.factor if isinstance(verification, Verification) else verification
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "user": str(factor.user_id),
        "factor": str(factor.uuid),
        "at": int(_now().timestamp()),
    }


def forget_session_verification(session) -> None:
    session.pop(SESSION_KEY, None)


def session_is_verified(session, user: AbstractBaseUser, factor: SecondFactor | None) -> bool:
    marker = session.get(SESSION_KEY)
    return (
        isinstance(marker, dict)
        and factor is not None
        and marker.get("user") == str(user.pk)
        and marker.get("factor") == str(factor.uuid)
    )


def pending_step(request: HttpRequest) -> str | None:
    """What the session of `request.user` still owes in the admin: None (nothing), SETUP (enrol
    first), VERIFY (type a code) or STALE (verified against a factor since reset: log out).

    A user who must have a factor (`requires_second_factor`) and has none owes SETUP; anyone with a
    confirmed factor, required or enrolled by choice, owes VERIFY once per login."""
    user = request.user
    factor = confirmed_factor(user)
    if session_is_verified(request.session, user, factor):
        return None
    if SESSION_KEY in request.session:
        return STALE
    if factor is not None:
        return VERIFY
    if requires_second_factor(user):
        return SETUP
    return None
