"""Signal receivers of the accounts app (issue 3 point 8)."""

from __future__ import annotations

from django.contrib.auth import user_logged_in
from django.dispatch import receiver

from govsite.accounts import services


@receiver(user_logged_in, dispatch_uid="govsite.accounts.forget-second-factor-on-login")
def forget_verification_on_login(sender, request, user, **kwargs) -> None:
    """Every password login owes its own second factor: Django keeps the session's data when the
    same user signs in again, so an earlier verification is dropped here."""
    session = getattr(request, "session", None)
    if session is not None:
        services.forget_session_verification(session)
