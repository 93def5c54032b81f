from django.apps import AppConfig

# Chinese labels of this app's audit actions, for the audit view and its xlsx export (Art. 14).
AUDIT_ACTION_LABELS = {
    "auth.2fa_enrolled": "启用二次验证",
    "auth.2fa_verified": "二次验证通过",
    "auth.2fa_failed": "二次验证失败",
    "auth.2fa_lockout": "二次验证锁定",
    "auth.2fa_recovery_used": "使用恢复码",
    "auth.2fa_reset": "重置二次验证",
}


class AccountsConfig(AppConfig):
    """Account security beyond the password (issue 3 point 8): the second factor (TOTP) of the admin."""

    name = "govsite.accounts"
    label = "accounts"
    verbose_name = "账号安全"

    def ready(self) -> None:
        from govsite.accounts import checks, receivers  # noqa: F401  (registers checks and signal receivers)
        from govsite.review import audit

        for action, label in AUDIT_ACTION_LABELS.items():
            audit.ACTION_LABELS.setdefault(action, label)
