"""The second-factor pages of the admin (issue 3 point 8): set-up, verification and an
administrator's reset. The rules are in `services.py`; these views only show and ask."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from govsite.accounts import services, totp
from govsite.accounts.forms import ResetForm, SetupCodeForm, VerifyCodeForm


def next_url(request: HttpRequest) -> str:
    """Where to go afterwards: a `next` on this host (never elsewhere), or the admin dashboard."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("wagtailadmin_home")


def _with_next(url_name: str, target: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': target})}"


def qr_code_data_uri(uri: str) -> str:
    """The otpauth URI as a QR code, an SVG data URI (the admin's CSP allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


def _refusal_target(form, field: str, refusal: services.SecondFactorRefusal) -> None:
    # A lock concerns the whole form; anything else the field that was typed in.
    form.add_error(None if refusal.code == "locked" else field, refusal)


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    target = next_url(request)
    if services.has_second_factor(user):
        return redirect(_with_next("accounts_2fa_verify", target))
    try:
        factor, secret = services.start_enrollment(user)
    except services.SecondFactorRefusal:
        return redirect(_with_next("accounts_2fa_verify", target))
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_enrollment(user, form.cleaned_data["code"], request=request)
        except services.SecondFactorRefusal as refusal:
            if refusal.code == "already_enrolled":
                return redirect(_with_next("accounts_2fa_verify", target))
            _refusal_target(form, "code", refusal)
        else:
            factor.refresh_from_db()
            services.mark_session_verified(request, factor)
            # Shown in this response only: the codes are stored hashed and never shown again.
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next_url": target, "username": user.get_username()},
            )
    uri = services.provisioning_uri(user, secret)
    until = services.locked_until(factor)
    return render(
        request,
        "accounts/setup.html",
        {
            "form": form,
            "next_url": target,
            "secret_grouped": totp.grouped(secret),
            "qr_code": qr_code_data_uri(uri),
            "username": user.get_username(),
            "issuer": services.issuer(),
            "lock_message": services.lock_message(until) if until else "",
            "required": services.requires_second_factor(user),
        },
    )


@sensitive_post_parameters("code", "recovery_code")
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    target = next_url(request)
    factor = services.confirmed_factor(user)
    if factor is None:
        if services.requires_second_factor(user):
            return redirect(_with_next("accounts_2fa_setup", target))
        return redirect(target)
    if services.session_is_verified(request.session, user, factor):
        return redirect(target)
    form = VerifyCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        field, typed = form.typed()
        try:
            verification = services.verify_code(user, typed, request=request)
        except services.SecondFactorRefusal as refusal:
            _refusal_target(form, field, refusal)
        else:
            services.mark_session_verified(request, verification)
            left = verification.recovery_codes_left
            if verification.method == "recovery_code":
                messages.warning(
                    request,
                    f"您使用了一个恢复码，还剩 {left} 个。恢复码用完后须请平台管理员重置二次验证；"
                    "如手机丢失，请尽快联系平台管理员。",
                )
            elif left <= services.FEW_RECOVERY_CODES:
                messages.warning(request, f"您的恢复码只剩 {left} 个，用完后须请平台管理员重置二次验证。")
            return redirect(target)
    until = services.locked_until(factor)
    return render(
        request,
        "accounts/verify.html",
        {
            "form": form,
            "next_url": target,
            "username": user.get_username(),
            "lock_message": services.lock_message(until) if until else "",
        },
    )


@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """A platform superuser resets another user's second factor (recorded as `auth.2fa_reset`)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    target_user = get_object_or_404(get_user_model(), pk=user_id)
    if target_user.pk == request.user.pk:
        messages.error(
            request,
            "不能重置自己的二次验证，请由另一位平台管理员操作，或在服务器上运行 manage.py reset_second_factor。",
        )
        return redirect("wagtailusers_users:index")
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        had = services.reset_second_factor(
            target_user, actor=request.user, request=request, via="admin", reason=form.cleaned_data["reason"]
        )
        name = target_user.get_username()
        if had:
            messages.success(request, f"已重置 {name} 的二次验证。该用户下次登录后台时须重新设置。")
        else:
            messages.info(request, f"{name} 原本没有启用二次验证；已清除未完成的设置和错误计数。")
        return redirect("wagtailusers_users:index")
    return render(
        request,
        "accounts/reset_confirm.html",
        {
            "form": form,
            "target_user": target_user,
            "has_factor": services.has_second_factor(target_user),
            "required": services.requires_second_factor(target_user),
        },
    )
