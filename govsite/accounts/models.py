"""Models of the accounts app: a user's second factor (TOTP), its recovery codes and failed attempts.

The rules live in `services.py`; the models hold the facts. Nothing here is stored in a form that
lets a database reader log in: the TOTP secret is encrypted (`encryption.py`) and recovery codes
are kept as salted SHA-256 hashes.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class SecondFactor(models.Model):
    """A user's TOTP authenticator (issue 3 point 8).

    Created pending (`confirmed_at` empty) when the user opens the set-up page, confirmed once they
    type a current code. `last_used_step` is the newest 30-second step whose code was accepted: a
    code of that step or an older one is never accepted again (no replay). `uuid` changes whenever
    the factor is replaced, so a session verified against an earlier factor can be told apart.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="second_factor"
    )
    uuid = models.UUIDField("编号", default=uuid.uuid4, unique=True, editable=False)
    encrypted_secret = models.TextField("密钥（已加密）", editable=False)
    created_at = models.DateTimeField("创建时间", editable=False)
    confirmed_at = models.DateTimeField("启用时间", null=True, blank=True, editable=False)
    last_used_step = models.BigIntegerField("最近使用的时间步", null=True, blank=True, editable=False)
    last_verified_at = models.DateTimeField("最近验证时间", null=True, blank=True, editable=False)
    locked_at = models.DateTimeField("锁定时间", null=True, blank=True, editable=False)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "二次验证（动态验证码）"
        verbose_name_plural = "二次验证（动态验证码）"

    def __str__(self) -> str:
        state = "已启用" if self.confirmed_at else "待设置"
        return f"{self.user.get_username()} 的二次验证（{state}）"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """One of a factor's one-time recovery codes, as `sha256$<salt>$<digest>`; `used_at` once spent."""

    factor = models.ForeignKey(
        SecondFactor, verbose_name="二次验证", on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField("恢复码摘要", max_length=128, editable=False)
    used_at = models.DateTimeField("使用时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "恢复码"
        verbose_name_plural = "恢复码"

    def __str__(self) -> str:
        return f"恢复码 #{self.pk}（{'已使用' if self.used_at else '未使用'}）"


class SecondFactorFailure(models.Model):
    """A wrong, replayed or refused code; counted for the temporary lock (issue 3 point 8)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="+"
    )
    occurred_at = models.DateTimeField("时间", db_index=True)
    reason = models.CharField("原因", max_length=32)

    class Meta:
        verbose_name = "二次验证失败"
        verbose_name_plural = "二次验证失败"
        indexes = [models.Index(fields=["user", "occurred_at"], name="accounts_2fa_failure_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.occurred_at:%Y-%m-%d %H:%M:%S} {self.reason}"
