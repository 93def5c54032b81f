"""Models of the review app: the tamper-evident audit chain (Art. 14) and login lockout state.

The rules live in `audit.py` (appending, verifying, purging) and `lockout.py`; the models only
hold the facts and refuse the writes that would break the chain: an audit record is never
updated, and is deleted only by `audit.purge_before` once it is older than the retention period.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

GENESIS_HASH = "0" * 64


class AuditRefusal(ValidationError):
    """A write the audit trail refuses (Art. 14); `code` says which rule, the message is for people."""


class AuditRecordQuerySet(models.QuerySet):
    """Append-only: no bulk writes; deletes only through the purge, and never inside retention."""

    def update(self, **kwargs):
        # Deleting a user sets `actor` to NULL through QuerySet.update (on_delete=SET_NULL); the
        # hash covers the snapshot `actor_ref`/`actor_name`, never the foreign key, so this is safe.
        if set(kwargs) == {"actor"} and kwargs["actor"] is None:
            return super().update(**kwargs)
        raise AuditRefusal("审计记录只能追加，不能修改。", code="audit_append_only")

    def bulk_create(self, *args, **kwargs):
        raise AuditRefusal("审计记录只能逐条追加到记录链。", code="audit_append_only")

    def bulk_update(self, *args, **kwargs):
        raise AuditRefusal("审计记录只能追加，不能修改。", code="audit_append_only")

    def delete(self):
        from govsite.review import audit

        audit.check_removable(self)
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


class AuditRecord(models.Model):
    """One entry of the audit chain (Art. 14: 信息审核过程必须全程留痕).

    `record_hash` is the SHA-256 of a canonical JSON of every other field (see
    `audit.canonical_payload`), including `previous_hash`, the hash of the record before it, so
    that altering, inserting or removing a record breaks the chain at that point.
    """

    sequence = models.PositiveBigIntegerField("序号", unique=True, editable=False)
    occurred_at = models.DateTimeField("时间", db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Snapshots: what the hash covers, kept when the user is later deleted (actor becomes NULL).
    actor_ref = models.CharField("操作人编号", max_length=64, blank=True, editable=False)
    actor_name = models.CharField("操作人账号", max_length=150, blank=True, editable=False)
    ip_address = models.CharField("IP 地址", max_length=45, blank=True, editable=False)
    user_agent = models.CharField("浏览器标识", max_length=300, blank=True, editable=False)
    site = models.ForeignKey(
        "govsites.GovSite",
        verbose_name="网站",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_records",
    )
    action = models.CharField("操作", max_length=100, db_index=True, editable=False)
    object_type = models.CharField("对象类型", max_length=100, blank=True, editable=False)
    object_id = models.CharField("对象编号", max_length=64, blank=True, editable=False)
    object_repr = models.CharField("对象", max_length=255, blank=True, editable=False)
    detail = models.JSONField("详情", default=dict, blank=True, editable=False)
    previous_hash = models.CharField("前一条哈希", max_length=64, editable=False)
    record_hash = models.CharField("本条哈希", max_length=64, editable=False)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-sequence"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["site", "-occurred_at"], name="review_audit_site_time"),
            models.Index(fields=["actor", "-occurred_at"], name="review_audit_actor_time"),
            models.Index(fields=["object_type", "object_id"], name="review_audit_object"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_repr}".strip()

    def save(self, *args, **kwargs):
        """Only `audit.record` (and the purge checkpoint it writes) may add a record; nobody updates one."""
        if not self._state.adding or not getattr(self, "_chained", False):
            raise AuditRefusal("审计记录只能由留痕服务追加，不能修改。", code="audit_append_only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from govsite.review import audit

        audit.check_removable(AuditRecord.objects.filter(pk=self.pk))
        return super().delete(*args, **kwargs)

    @property
    def revision_id(self) -> int | None:
        value = (self.detail or {}).get("revision_id")
        return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


class AuditChainHead(models.Model):
    """The one row that says where the chain ends: the append lock's anchor and the tail check.

    `audit.record` moves it forward in the same transaction as the record it appends, so a record
    removed from or added to the end of the chain behind the platform's back shows as a mismatch.
    """

    sequence = models.PositiveBigIntegerField(default=0)
    record_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "审计记录链头"
        verbose_name_plural = "审计记录链头"
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.sequence} {self.record_hash[:12]}"


class LoginFailure(models.Model):
    """A failed login attempt, counted for the lockout (issue 3 point 8); kept one day."""

    username = models.CharField("用户名", max_length=150, db_index=True)
    ip_address = models.CharField("IP 地址", max_length=45, blank=True, db_index=True)
    occurred_at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "登录失败"
        verbose_name_plural = "登录失败"
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.username} {self.ip_address} {self.occurred_at:%Y-%m-%d %H:%M}"


class LoginLock(models.Model):
    """A user name or an IP address that may not log in until `locked_until`."""

    class Kind(models.TextChoices):
        USERNAME = "username", "用户名"
        IP = "ip", "IP 地址"

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    value = models.CharField("用户名或地址", max_length=150)
    locked_at = models.DateTimeField("锁定时间")
    locked_until = models.DateTimeField("解锁时间", db_index=True)

    class Meta:
        verbose_name = "登录锁定"
        verbose_name_plural = "登录锁定"
        default_permissions = ()
        indexes = [models.Index(fields=["kind", "value", "locked_until"], name="review_lock_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value} → {self.locked_until:%Y-%m-%d %H:%M}"


from govsite.review.chain import PortalSubmission, ReviewRoute, RoleApprovalTask, SiteRole  # noqa: E402

__all__ = ["PortalSubmission", "ReviewRoute", "RoleApprovalTask", "SiteRole"]
