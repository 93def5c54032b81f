"""The Wagtail admin login form with the lockout message (issue 3 point 8)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from wagtail.admin.forms.auth import LoginForm

from govsite.review import audit, lockout


class LockoutLoginForm(LoginForm):
    """Wagtail's LoginForm (WAGTAILADMIN_USER_LOGIN_FORM); when the user name or the address is
    locked, the error says so in Chinese — the same words for accounts that exist and that don't."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            lock = lockout.active_lock(self.cleaned_data.get("username"), audit.client_ip(self.request))
            if lock is not None:
                raise ValidationError(lockout.lock_message(lock), code="login_locked") from None
            raise
