"""`manage.py cases_intake`: register the letters the front accepted (Art. 10; docs/public-channels.md).

Runs beside the front and the application (`manage.py serve` starts it): every letter the front
stored in the intake spool becomes a case, with the receipt number the citizen already holds, usually
within a second. It lowers its own priority: the letters are safe in the spool, and under a burst the
cores are better spent taking more of them. `--once` registers what is waiting and exits (tests,
cron); `--failed` lists letters that could not be registered, `--retry-failed` queues them again.
The spool's copy of a registered letter (with its personal data) is removed a day later.
"""

from __future__ import annotations

import os
import time

from django.core.management.base import BaseCommand

from govsite.cases import services
from govsite.process import StopRequest
from govsite.throttle import current_spool

KEEP_REGISTERED_SECONDS = 86400  # a registered letter's spool copy is kept a day for diagnosis, then removed
PURGE_EVERY_SECONDS = 600


class Command(BaseCommand):
    help = "把前端收下的来信登记为办理事项（常驻运行；--once 处理完即退出）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="登记现有来信后退出")
        parser.add_argument("--interval", type=float, default=0.5, help="没有来信时的等待秒数")
        parser.add_argument("--batch", type=int, default=50, help="每批登记的来信数")
        parser.add_argument("--nice", type=int, default=10, help="降低本进程的优先级（0 不降低）")
        parser.add_argument("--failed", action="store_true", help="列出未能登记的来信")
        parser.add_argument("--retry-failed", action="store_true", help="把未能登记的来信重新排队")

    def handle(self, *args, once: bool, interval: float, batch: int, nice: int, **options) -> None:
        store = current_spool()
        if options["failed"]:
            for letter in store.by_state("failed", limit=1000):
                self.stdout.write(f"{letter.receipt_number}\t{letter.error}")
            return
        if options["retry_failed"]:
            self.stdout.write(f"重新排队 {store.retry_failed()} 件")
            return
        if nice > 0:
            os.nice(nice)
        stop = StopRequest()
        total = 0
        purged_at = 0.0
        while not stop.requested:
            if time.monotonic() - purged_at > PURGE_EVERY_SECONDS:
                store.purge_registered(time.time() - KEEP_REGISTERED_SECONDS)
                purged_at = time.monotonic()
            registered, failed = services.register_pending(batch)
            total += registered
            if failed:
                self.stderr.write(f"{failed} 件来信未能登记，见 manage.py cases_intake --failed")
            if registered or failed:
                continue
            if once:
                break
            time.sleep(interval)
        if once or total:
            counts = store.counts()
            self.stdout.write(
                f"已登记 {total} 件；待登记 {counts.get('pending', 0)}，未能登记 {counts.get('failed', 0)}"
            )
