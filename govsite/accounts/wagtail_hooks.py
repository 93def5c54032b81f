"""Admin wiring of the second factor (issue 3 point 8): its pages, and a reset button in the user list."""

from __future__ import annotations

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.widgets import Button

from govsite.accounts import views
from govsite.accounts.models import SecondFactor


@hooks.register("register_admin_urls")
def second_factor_urls():
    return [
        path("2fa/setup/", views.setup, name="accounts_2fa_setup"),
        path("2fa/verify/", views.verify, name="accounts_2fa_verify"),
        path("2fa/reset/<int:user_id>/", views.reset, name="accounts_2fa_reset"),
    ]


@hooks.register("register_user_listing_buttons")
def second_factor_reset_button(user, request_user):
    """Platform superusers see “重置二次验证” for other users who have (or began) a second factor."""
    if (
        request_user.is_superuser
        and user.pk != request_user.pk
        and SecondFactor.objects.filter(user=user).exists()
    ):
        yield Button(
            "重置二次验证", reverse("accounts_2fa_reset", args=[user.pk]), icon_name="key", priority=90
        )
