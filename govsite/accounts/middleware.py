"""The admin's second-factor gate (issue 3 point 8)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from govsite.accounts import services

# Admin URLs never gated: signing in and out, and the public assets of the login layout.
UNGATED_URL_NAMES = (
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_sprite",
    "wagtailadmin_javascript_catalog",
)
# The factor's own pages: open to a session that owes its second factor (not to a stale one).
FACTOR_URL_NAMES = ("accounts_2fa_setup", "accounts_2fa_verify")


class SecondFactorMiddleware:
    """Sends a signed-in user who owes a second factor (`services.pending_step`) from every Wagtail
    admin URL to the set-up or verify page, keeping where they were going in `next`.

    Goes after AuthenticationMiddleware, MessageMiddleware and the admin idle timeout. Other URLs
    (the public sites, static and media files) are not touched. A session verified against a
    factor that has since been reset is logged out. GOVSITE_2FA_ENFORCED=0 switches the gate off
    (tests of other features; `manage.py check` warns about it outside DEBUG).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._paths: tuple[str, frozenset[str], frozenset[str]] | None = None

    def paths(self) -> tuple[str, frozenset[str], frozenset[str]]:
        if self._paths is None:
            self._paths = (
                reverse("wagtailadmin_home"),
                frozenset(reverse(name) for name in UNGATED_URL_NAMES),
                frozenset(reverse(name) for name in FACTOR_URL_NAMES),
            )
        return self._paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not services.is_enforced():
            return self.get_response(request)
        admin_prefix, ungated, factor_pages = self.paths()
        if not request.path.startswith(admin_prefix) or request.path in ungated:
            return self.get_response(request)
        step = services.pending_step(request)
        if step == services.STALE:
            # Verified against a factor that was reset since: this session may not even enrol anew.
            request.govsite_logout_reason = "second_factor_reset"
            logout(request)
            messages.info(request, "您的二次验证已被平台管理员重置，请重新登录并重新设置。")
            return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
        if step is None or request.path in factor_pages:
            return self.get_response(request)
        target = reverse("accounts_2fa_setup" if step == services.SETUP else "accounts_2fa_verify")
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
