"""网页防篡改检查: `manage.py tamper_check [--site SLUG] [--no-restore] [--every SECONDS]`."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from govsite.publishing import tamper
from govsite.sites.models import GovSite


class Command(BaseCommand):
    help = "比对已发布文件与发布清单，发现被修改、添加或删除的文件，记录审计并按设置自动恢复。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--site", default="", help="只检查这个网站（网站标识 slug）")
        parser.add_argument("--no-restore", action="store_true", help="只报告，不恢复（忽略网站设置）")
        parser.add_argument("--every", type=int, default=0, help="每隔多少秒检查一次（0 表示只检查一次）")

    def handle(self, *args, site: str, no_restore: bool, every: int, **options) -> None:
        restore = False if no_restore else None
        while True:
            self._check_once(site, restore)
            if every <= 0:
                return
            time.sleep(every)

    def _check_once(self, slug: str, restore: bool | None) -> None:
        if slug:
            gov_site = GovSite.objects.filter(slug=slug).select_related("site").first()
            if gov_site is None or gov_site.site is None:
                raise CommandError(f"没有标识为“{slug}”的网站。")
            reports = [tamper.check_host(gov_site.site.hostname, restore=restore)]
        else:
            reports = tamper.check_all(restore=restore)
        for report in reports:
            self.stdout.write(
                f"{report.host}: 检查 {report.checked} 个文件，发现 {len(report.findings)} 处异常，"
                f"已恢复 {report.restored} 处"
            )
            for finding in report.findings:
                state = "已恢复" if finding.restored_at else "待处理"
                self.stdout.write(f"  {finding.get_kind_display()} {finding.path}（{state}）")
