"""Authentication backend that refuses locked logins (issue 3 point 8), whatever view calls authenticate()."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from govsite.review import audit, lockout


class LockoutModelBackend(ModelBackend):
    """Django's ModelBackend, but a locked user name or client address is refused before the
    password is checked. Raising PermissionDenied stops authenticate() at once (no later backend
    is asked) and sends `user_login_failed`, which the audit trail records as a refusal."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is not None and lockout.active_lock(username, audit.client_ip(request)) is not None:
            raise PermissionDenied("locked")
        return super().authenticate(request, username=username, password=password, **kwargs)
