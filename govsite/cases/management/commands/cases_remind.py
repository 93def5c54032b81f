"""Remind handlers of due-soon and overdue cases: `manage.py cases_remind [--date YYYY-MM-DD]`.

Run it every working morning (cron or a systemd timer); a second run on the same day sends nothing.
"""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from govsite.cases import services


class Command(BaseCommand):
    help = "向各单位办理人员发送即将到期和已超期事项的催办邮件（每单位每天最多一封）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", default="", help="按这一天计算（YYYY-MM-DD），默认今天")

    def handle(self, *args, date: str, **options) -> None:
        started = time.monotonic()
        on = self._parse(date)
        run = services.send_reminders(on)
        for unit in run.without_handlers:
            self.stderr.write(f"{unit}：没有可接收邮件的办理人员，未发送。")
        for failure in run.failed:
            self.stderr.write(f"发送失败：{failure}")
        self.stdout.write(
            f"催办提醒：发送 {run.sent} 个单位，今日已发送跳过 {run.skipped} 个，"
            f"失败 {len(run.failed)} 个，无办理人员 {len(run.without_handlers)} 个，"
            f"用时 {time.monotonic() - started:.1f} 秒。"
        )
        if run.failed:
            raise CommandError("部分催办邮件发送失败，稍后重新运行即可补发。")

    @staticmethod
    def _parse(value: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise CommandError("日期格式应为 YYYY-MM-DD。") from error
