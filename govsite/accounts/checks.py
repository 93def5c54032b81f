"""System checks of the accounts app: the second factor must be wired and on (issue 3 point 8)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

MIDDLEWARE_PATH = "govsite.accounts.middleware.SecondFactorMiddleware"


@register(Tags.security)
def second_factor_wiring(app_configs=None, **kwargs):
    problems = []
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in middleware:
        problems.append(
            Error(
                "二次验证中间件未启用：审核负责人、领导和管理员登录后台时不会被要求输入动态验证码。",
                hint=f"在 MIDDLEWARE 中 AuthenticationMiddleware 和 MessageMiddleware 之后加入 {MIDDLEWARE_PATH}。",
                id="accounts.E001",
            )
        )
    else:
        position = middleware.index(MIDDLEWARE_PATH)
        for required in (
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ):
            if required not in middleware[:position]:
                problems.append(Error(f"{MIDDLEWARE_PATH} 必须排在 {required} 之后。", id="accounts.E002"))
    if not getattr(settings, "GOVSITE_2FA_ENFORCED", True) and not settings.DEBUG:
        problems.append(
            Warning(
                "二次验证未强制执行（GOVSITE_2FA_ENFORCED=0）：只凭密码即可审核、发布。",
                hint="生产环境请删除 GOVSITE_2FA_ENFORCED 或设为 1。",
                id="accounts.W001",
            )
        )
    return problems
