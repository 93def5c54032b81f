"""Request-level parts of the audit trail and of account security (Art. 14; issue 3 point 8)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from govsite.review import audit

LAST_ACTIVITY_KEY = "govsite_admin_last_activity"
ACTIVITY_RESOLUTION_SECONDS = 60  # write the session at most once a minute for this


class AuditRequestMiddleware:
    """Makes the current request (who, from which address, with which browser) available to
    `audit.record` for everything written while it is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit.request_context(request):
            return self.get_response(request)


class AdminIdleTimeoutMiddleware:
    """Logs a user out of the admin after GOVSITE_ADMIN_IDLE_SECONDS (1800) without an admin request.

    Any admin request counts as activity, including the editor's background pings, so an open edit
    form keeps its session (unsaved work is never lost); SESSION_COOKIE_AGE bounds it in any case.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        idle_seconds = int(getattr(settings, "GOVSITE_ADMIN_IDLE_SECONDS", 1800))
        user = getattr(request, "user", None)
        if idle_seconds > 0 and user is not None and user.is_authenticated:
            admin_prefix = reverse("wagtailadmin_home")
            if request.path.startswith(admin_prefix):
                now = audit._now().timestamp()
                last = request.session.get(LAST_ACTIVITY_KEY)
                if isinstance(last, int | float) and now - last > idle_seconds:
                    request.govsite_logout_reason = "idle"
                    logout(request)
                    minutes = max(1, idle_seconds // 60)
                    messages.info(request, f"您已超过 {minutes} 分钟未操作，已自动退出，请重新登录。")
                    return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
                if not isinstance(last, int | float) or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                    request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
