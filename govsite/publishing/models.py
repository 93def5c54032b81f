"""What the static publisher keeps: the manifest of every published file, a record of each publish,
resumable rebuild runs, per-site publishing settings and tamper findings (Art. 19, 22, 23).

The rules (which files a change touches, how they are written and checked) live in `services.py`,
`plan.py`, `storage.py` and `tamper.py`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PublishedFile(models.Model):
    """One file of the manifest: what the publisher wrote at `host`/`path`, by its sha256.

    The tamper check compares what is on disk with these rows; the vault holds the bytes of every
    hash, so a changed or deleted file is restored exactly.
    """

    host = models.CharField("主机名", max_length=255)
    path = models.CharField("路径", max_length=1000)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField("大小")
    page_id = models.BigIntegerField("页面", null=True, blank=True, db_index=True)
    written_at = models.DateTimeField("写入时间", default=timezone.now)

    class Meta:
        verbose_name = "已发布文件"
        verbose_name_plural = "已发布文件"
        constraints = [models.UniqueConstraint(fields=["host", "path"], name="unique_published_file")]

    def __str__(self) -> str:
        return f"{self.host}/{self.path}"


class PublishRecord(models.Model):
    """One publish job done: what changed, which files it rendered and wrote, how long it took."""

    kind = models.CharField("变更", max_length=40)
    page_id = models.BigIntegerField("页面", null=True, blank=True)
    site_id = models.BigIntegerField("网站", null=True, blank=True)
    queued_at = models.DateTimeField("排队时间", null=True, blank=True)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间")
    files_rendered = models.PositiveIntegerField("生成文件数", default=0)
    files_written = models.PositiveIntegerField("写入文件数", default=0)
    files_removed = models.PositiveIntegerField("删除文件数", default=0)
    paths = models.JSONField("写入路径", default=list)
    refused = models.JSONField("拒绝发布", default=list)

    class Meta:
        verbose_name = "发布记录"
        verbose_name_plural = "发布记录"
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.page_id}: {self.files_written}"


class RebuildRun(models.Model):
    """A full rebuild of one site or all: progress is saved after every batch, so it can resume."""

    class Status(models.TextChoices):
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "中断"

    scope = models.CharField(
        "范围", max_length=100, help_text="网站标识（slug），空表示全部网站。", blank=True
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField("页面总数", default=0)
    done = models.PositiveIntegerField(
        "已完成", default=0, help_text="按固定顺序已写完的地址数，续跑时从这里继续。"
    )
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "全量重建"
        verbose_name_plural = "全量重建"
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.scope or '全部网站'} {self.done}/{self.total}"


class SitePublishing(models.Model):
    """Per-site publishing settings: whether a tampered file is restored automatically (网页防篡改)."""

    site = models.OneToOneField(
        "govsites.GovSite", verbose_name="网站", on_delete=models.CASCADE, related_name="publishing"
    )
    auto_restore = models.BooleanField(
        "篡改后自动恢复", default=True, help_text="关闭后只记录发现，由运维人员核实后手动恢复。"
    )

    class Meta:
        verbose_name = "网站发布设置"
        verbose_name_plural = "网站发布设置"

    def __str__(self) -> str:
        return str(self.site)


class TamperFinding(models.Model):
    """A served file that differs from the manifest: changed, added or deleted (Art. 22, 网页防篡改)."""

    class Kind(models.TextChoices):
        CHANGED = "changed", "被修改"
        ADDED = "added", "被添加"
        DELETED = "deleted", "被删除"

    host = models.CharField("主机名", max_length=255)
    path = models.CharField("路径", max_length=1000)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    expected_sha256 = models.CharField("应为", max_length=64, blank=True)
    found_sha256 = models.CharField("实为", max_length=64, blank=True)
    diff = models.TextField("差异", blank=True)
    detected_at = models.DateTimeField("发现时间", auto_now_add=True)
    restored_at = models.DateTimeField("恢复时间", null=True, blank=True)

    class Meta:
        verbose_name = "篡改发现"
        verbose_name_plural = "篡改发现"
        ordering = ["-detected_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.host}/{self.path}"
