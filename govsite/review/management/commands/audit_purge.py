"""manage.py audit_purge --before YYYY-MM-DD — remove audit records past retention, keep the chain verifiable."""

from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from govsite.review import audit
from govsite.review.models import AuditRefusal


class Command(BaseCommand):
    help = (
        "清理指定日期之前的审计记录。保存期内（至少 183 天，GOVSITE_AUDIT_RETENTION_DAYS）的日期一律拒绝；"
        "清理后追加一条检查点记录，audit_verify 从检查点继续校验。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--before", required=True, help="清理此日期（本地时间 0 点）之前的记录，格式 YYYY-MM-DD。"
        )

    def handle(self, *args, before: str, **options):
        try:
            day = datetime.date.fromisoformat(before)
        except ValueError:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{before}") from None
        started = time.monotonic()
        self.stdout.write(f"校验记录链并清理 {day:%Y-%m-%d} 之前的审计记录……")
        try:
            result = audit.purge_before(day)
        except AuditRefusal as refusal:
            raise CommandError(" ".join(refusal.messages)) from None
        elapsed = time.monotonic() - started
        if not result.purged:
            self.stdout.write(f"没有 {day:%Y-%m-%d} 之前的审计记录，未清理（用时 {elapsed:.1f} 秒）。")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已清理第 {result.first_sequence}～{result.last_sequence} 条，共 {result.purged} 条；"
                f"检查点为第 {result.checkpoint.sequence} 条（用时 {elapsed:.1f} 秒）。"
            )
        )
