"""Login lockout (issue 3 point 8): repeated failures for a user name or from an address lock it for a while.

Defaults: 5 failures within 15 minutes lock that user name, and 5 from one IP address lock that
address, for 15 minutes (GOVSITE_LOGIN_MAX_FAILURES, GOVSITE_LOGIN_IP_MAX_FAILURES,
GOVSITE_LOGIN_FAILURE_WINDOW_SECONDS, GOVSITE_LOGIN_LOCK_SECONDS; 0 failures switches a kind off).
A user name that does not exist is counted and locked exactly like one that does, and the refusal
reads the same, so the lockout never tells whether an account exists. Every failure, refusal and
lock is written to the audit trail (Art. 14).

`LockoutModelBackend` refuses a locked login inside `authenticate()`, whatever form or view
asks; `LockoutLoginForm` (the Wagtail admin login form) turns that refusal into the message.
"""

from __future__ import annotations

import datetime
import math

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest

from govsite.review import audit
from govsite.review.models import LoginFailure, LoginLock

HOUSEKEEPING_AGE = datetime.timedelta(days=1)


def max_failures() -> int:
    return max(0, int(getattr(settings, "GOVSITE_LOGIN_MAX_FAILURES", 5)))


def ip_max_failures() -> int:
    return max(0, int(getattr(settings, "GOVSITE_LOGIN_IP_MAX_FAILURES", max_failures())))


def failure_window() -> datetime.timedelta:
    return datetime.timedelta(
        seconds=max(1, int(getattr(settings, "GOVSITE_LOGIN_FAILURE_WINDOW_SECONDS", 900)))
    )


def lock_duration() -> datetime.timedelta:
    return datetime.timedelta(seconds=max(1, int(getattr(settings, "GOVSITE_LOGIN_LOCK_SECONDS", 900))))


def normalize_username(username: str | None) -> str:
    """The lockout key of a user name: trimmed and case-folded, so “Admin” and “admin” count together."""
    return (username or "").strip().casefold()[:150]


def active_lock(
    username: str | None, ip: str | None, *, now: datetime.datetime | None = None
) -> LoginLock | None:
    """The lock that currently refuses this user name or this address, if any (the one lasting longest)."""
    now = now or audit._now()
    key = normalize_username(username)
    condition = Q()
    if key:
        condition |= Q(kind=LoginLock.Kind.USERNAME, value=key)
    if ip:
        condition |= Q(kind=LoginLock.Kind.IP, value=ip)
    if not condition:
        return None
    return LoginLock.objects.filter(condition, locked_until__gt=now).order_by("-locked_until").first()


def lock_message(lock: LoginLock | None = None, *, now: datetime.datetime | None = None) -> str:
    """The refusal people see: the same words whether or not the account exists."""
    now = now or audit._now()
    remaining = (lock.locked_until - now) if lock is not None else lock_duration()
    minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    return (
        f"登录失败次数过多，已暂停登录，请 {minutes} 分钟后再试。"
        "如需提前解锁，请联系本单位网站管理员或平台管理员。"
    )


def _failures_since(field: str, value: str, kind: str, now: datetime.datetime) -> int:
    """Failures of this key inside the window, not counting those that caused its last lock."""
    since = now - failure_window()
    last_lock = LoginLock.objects.filter(kind=kind, value=value).aggregate(at=Max("locked_at"))["at"]
    if last_lock is not None and last_lock > since:
        since = last_lock
    return LoginFailure.objects.filter(**{field: value}, occurred_at__gt=since).count()


def register_failure(username: str | None, request: HttpRequest | None) -> LoginLock | None:
    """Count a failed login and lock the user name or address once it reaches its limit.

    A login refused because of a lock is recorded but not counted again, so a lock lasts its set
    time from the failure that caused it. Returns the lock now in force, if any.
    """
    now = audit._now()
    attempted = (username or "")[:150]
    key = normalize_username(username)
    ip = audit.client_ip(request)
    user_ref = {"object_type": "auth.user", "object_repr": attempted}
    lock = active_lock(key, ip, now=now)
    if lock is not None:
        audit.record(
            "auth.login_failed",
            request=request,
            detail={
                "username": attempted,
                "reason": "locked",
                "lock_kind": lock.kind,
                "locked_until": lock.locked_until.isoformat(),
            },
            **user_ref,
        )
        return lock

    new_locks: list[tuple[LoginLock, int]] = []
    with transaction.atomic():
        if key or ip:
            LoginFailure.objects.create(username=key, ip_address=ip, occurred_at=now)
        audit.record(
            "auth.login_failed",
            request=request,
            detail={"username": attempted, "reason": "invalid_credentials"},
            **user_ref,
        )
        limits = [
            (LoginLock.Kind.USERNAME, "username", key, max_failures()),
            (LoginLock.Kind.IP, "ip_address", ip, ip_max_failures()),
        ]
        for kind, field, value, limit in limits:
            if not value or limit <= 0:
                continue
            failures = _failures_since(field, value, kind, now)
            if failures >= limit:
                lock = LoginLock.objects.create(
                    kind=kind, value=value, locked_at=now, locked_until=now + lock_duration()
                )
                new_locks.append((lock, failures))
        for lock, failures in new_locks:
            audit.record(
                "auth.lockout",
                request=request,
                detail={
                    "username": attempted,
                    "lock_kind": lock.kind,
                    "locked_value": lock.value,
                    "failures": failures,
                    "window_seconds": int(failure_window().total_seconds()),
                    "locked_until": lock.locked_until.isoformat(),
                },
                **user_ref,
            )
        LoginFailure.objects.filter(occurred_at__lt=now - HOUSEKEEPING_AGE).delete()
        LoginLock.objects.filter(locked_until__lt=now - HOUSEKEEPING_AGE).delete()
    return max((lock for lock, _ in new_locks), key=lambda lock: lock.locked_until, default=None)


def clear_failures(username: str | None) -> None:
    """A successful login forgets the failures of that user name (not of the address)."""
    key = normalize_username(username)
    if key:
        LoginFailure.objects.filter(username=key).delete()


def unlock(value: str, *, actor=None) -> int:
    """Lift the active locks of a user name or an IP address now (an administrator's decision, recorded)."""
    now = audit._now()
    ip = audit.normalize_ip(value)
    condition = Q(kind=LoginLock.Kind.USERNAME, value=normalize_username(value))
    if ip:
        condition |= Q(kind=LoginLock.Kind.IP, value=ip)
    with transaction.atomic():
        locks = LoginLock.objects.filter(condition, locked_until__gt=now)
        lifted = locks.update(locked_until=now)
        if lifted:
            LoginFailure.objects.filter(
                Q(username=normalize_username(value)) | Q(ip_address=ip or "-")
            ).delete()
            audit.record(
                "auth.unlock",
                actor=actor,
                object_type="auth.user",
                object_repr=value[:150],
                detail={"value": value[:150], "locks_lifted": lifted},
            )
    return lifted
