"""System checks: the settings the audit trail and the lockout rely on (Art. 14; issue 3 point 8)."""

from django.conf import settings
from django.core.checks import Warning, register

from govsite.review.audit import MIN_RETENTION_DAYS

BACKEND = "govsite.review.auth_backends.LockoutModelBackend"
MIDDLEWARE = "govsite.review.middleware.AuditRequestMiddleware"


@register()
def review_settings(app_configs, **kwargs):
    problems = []
    configured = getattr(settings, "GOVSITE_AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS)
    try:
        too_short = int(configured) < MIN_RETENTION_DAYS
    except (TypeError, ValueError):
        too_short = True
    if too_short:
        problems.append(
            Warning(
                f"GOVSITE_AUDIT_RETENTION_DAYS={configured!r} 少于 {MIN_RETENTION_DAYS} 天，按 {MIN_RETENTION_DAYS} 天执行。",
                id="review.W001",
            )
        )
    if BACKEND not in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        problems.append(
            Warning(f"AUTHENTICATION_BACKENDS 未包含 {BACKEND}：登录锁定不起作用。", id="review.W002")
        )
    if MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(
            Warning(f"MIDDLEWARE 未包含 {MIDDLEWARE}：审计记录缺少 IP 地址和浏览器标识。", id="review.W003")
        )
    return problems
