"""The inspection scheduler (Art. 23): `manage.py monitor` runs each inspection on its own interval.

    manage.py monitor                 run forever (what `make run` and the systemd unit start)
    manage.py monitor --once          run what is due now, then stop
    manage.py monitor --run links     run these inspections now, whatever their schedule

Besides the inspections it sends the case-deadline reminders once a working day (kind `reminders`,
the job of `manage.py cases_remind`).

Each run is kept in the history (巡检记录) with its progress, so the dashboard shows how far a long
run is; a run interrupted by a restart is marked as such and the next one starts afresh (the link
checker's cache makes it pick up where the interrupted run stopped).
"""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from govsite.monitoring import services
from govsite.monitoring.models import Inspection

IDLE_SECONDS = 15.0


class Command(BaseCommand):
    help = (
        "巡检调度：按各巡检项目的间隔运行可用性、链接、栏目更新、错敏字、安全与防篡改检查，"
        "并在工作日发送办理事项催办提醒。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="只运行当前到期的巡检，然后退出")
        parser.add_argument(
            "--run",
            nargs="+",
            default=[],
            metavar="KIND",
            help="立即运行这些巡检：" + "、".join(Inspection.Kind.values),
        )

    def handle(self, *args, once: bool, run: list[str], **options) -> None:
        unknown = sorted(set(run) - set(Inspection.Kind.values))
        if unknown:
            raise CommandError(
                f"没有这些巡检项目：{'、'.join(unknown)}。可选：{'、'.join(Inspection.Kind.values)}"
            )
        services.ensure_inspections()
        if run:
            for result in services.run_kinds(run):
                self._report(result)
            return
        interrupted = services.mark_interrupted_runs()
        if interrupted:
            self.stderr.write(f"上次有 {interrupted} 个巡检被中断，已记录。")
        stopping = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
        while not stopping["now"]:
            for result in services.run_due():
                self._report(result)
            if once:
                return
            time.sleep(IDLE_SECONDS)

    def _report(self, run) -> None:
        moment = timezone.localtime(run.started_at)
        if run.status == run.Status.OK:
            note = run.summary.get("note", "")
            self.stdout.write(
                f"{moment:%H:%M:%S} {run.inspection}：检查 {run.checked} 项，发现 {run.problems} 个问题，"
                f"用时 {run.seconds:.1f} 秒{'；' + note if note else ''}"
            )
        else:
            self.stderr.write(f"{moment:%H:%M:%S} {run.inspection}：出错 {run.error}")
