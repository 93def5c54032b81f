"""Forms of the second-factor pages (issue 3 point 8): Chinese labels, accessible, made for phones."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

CODE_ATTRS = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "autocapitalize": "none",
    "spellcheck": "false",
    "autofocus": True,
    "size": 10,
}


def code_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="6 位动态验证码",
        required=required,
        max_length=20,
        help_text="打开手机上的身份验证器应用，输入本平台账号下当前显示的 6 位数字（每 30 秒更新一次）。",
        error_messages={"required": "请输入验证码。", "max_length": "验证码过长，请输入 6 位数字。"},
        widget=forms.TextInput(attrs=CODE_ATTRS),
    )


class SetupCodeForm(forms.Form):
    """Set-up: one current code from the app proves the secret was added correctly."""

    code = code_field(required=True)


class VerifyCodeForm(forms.Form):
    """Verification: a current code, or (when the phone is not at hand) one unused recovery code."""

    code = code_field(required=False)
    recovery_code = forms.CharField(
        label="恢复码",
        required=False,
        max_length=40,
        help_text="启用二次验证时保存的 10 个恢复码之一，形如 abcd-efgh-jkmn-pqrs；每个只能使用一次。",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("code") and not cleaned.get("recovery_code"):
            raise ValidationError("请输入验证码或恢复码。", code="code_missing")
        return cleaned

    def typed(self) -> tuple[str, str]:
        """(field name, text): the TOTP code when one was typed, else the recovery code."""
        if self.cleaned_data.get("code"):
            return "code", self.cleaned_data["code"]
        return "recovery_code", self.cleaned_data["recovery_code"]


class ResetForm(forms.Form):
    reason = forms.CharField(
        label="重置原因",
        required=False,
        max_length=500,
        help_text="例如“手机丢失”“更换手机”“恢复码已用完”。将写入审计记录。",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
