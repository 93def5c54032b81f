"""Full reindex of search: `manage.py search_reindex [--site SLUG] [--resume]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from govsite.search import documents
from govsite.sites.models import GovSite


class Command(BaseCommand):
    help = "重建站内检索索引，显示进度；中断后可用 --resume 从断点继续。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--site", default="", help="只重建这个网站（网站标识 slug）")
        parser.add_argument("--resume", action="store_true", help="继续上一次未完成的重建")

    def handle(self, *args, site: str, resume: bool, **options) -> None:
        gov_site = None
        if site:
            gov_site = GovSite.objects.filter(slug=site).select_related("site__root_page").first()
            if gov_site is None:
                raise CommandError(f"没有标识为“{site}”的网站。")

        def report(progress: documents.ReindexProgress) -> None:
            share = progress.done / progress.total * 100 if progress.total else 100
            self.stderr.write(
                f"\r检索索引：{progress.done}/{progress.total} ({share:.0f}%)，{progress.rate:.0f} 篇/秒，"
                f"预计还需 {progress.remaining_seconds:.0f} 秒",
                ending="",
            )

        run = documents.reindex(site=gov_site, resume=resume, report=report)
        self.stderr.write("")
        self.stdout.write(f"检索索引重建完成：{run.done} 篇。")
