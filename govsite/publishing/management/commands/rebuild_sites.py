"""Full rebuild of the published tree: `manage.py rebuild_sites [--site SLUG] [--resume]`."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from govsite.publishing import services
from govsite.sites.models import GovSite


class Command(BaseCommand):
    help = "全量重建静态页面，显示进度；中断后可用 --resume 从断点继续。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--site", default="", help="只重建这个网站（网站标识 slug）")
        parser.add_argument("--resume", action="store_true", help="继续上一次未完成的重建")
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1, help="并行生成页面的进程数（默认为 CPU 核数）"
        )

    def handle(self, *args, site: str, resume: bool, workers: int, **options) -> None:
        if site and not GovSite.objects.filter(slug=site).exists():
            raise CommandError(f"没有标识为“{site}”的网站。")

        def report(progress: services.Progress) -> None:
            share = progress.done / progress.total * 100 if progress.total else 100
            remaining = (progress.total - progress.done) / progress.rate if progress.rate else 0
            self.stderr.write(
                f"\r{progress.site}: {progress.done}/{progress.total} ({share:.0f}%), "
                f"{progress.rate:.0f} 页/秒，预计还需 {remaining:.0f} 秒",
                ending="",
            )

        run = services.rebuild(scope=site, resume=resume, report=report, workers=max(1, workers))
        self.stderr.write("")
        self.stdout.write(f"重建完成：{run.done} 个地址。")
