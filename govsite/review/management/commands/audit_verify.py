"""manage.py audit_verify — prove the audit chain was not altered, and name the first bad record (Art. 14)."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand

from govsite.review import audit


class Command(BaseCommand):
    help = "校验审计记录链：重算每条记录的哈希，检查序号连续和前后衔接；发现问题时指出第一条异常记录并以 1 退出。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="from_sequence",
            type=int,
            default=None,
            help="从第 N 条继续校验（信任第 N-1 条），用于续跑很长的记录链。",
        )
        parser.add_argument("--quiet", action="store_true", help="不显示进度。")

    def handle(self, *args, from_sequence=None, quiet=False, **options):
        started = time.monotonic()
        last_report = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if quiet or (now - last_report[0] < 1.0 and done < total):
                return
            last_report[0] = now
            percent = 100 * done // total if total else 100
            self.stdout.write(f"已校验 {done} / {total} 条（{percent}%）")

        result = audit.verify_chain(progress=progress, from_sequence=from_sequence)
        elapsed = time.monotonic() - started
        for note in result.notes:
            self.stdout.write(note)
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"审计记录链完整：{result.count} 条"))
            if result.last_sequence is not None:
                self.stdout.write(
                    f"链头：第 {result.last_sequence} 条，哈希 {result.last_hash}（用时 {elapsed:.1f} 秒）"
                )
            return
        problem = result.problem
        where = f"序号 {problem.sequence}" if problem.sequence is not None else "链头"
        ident = f"，id={problem.record_id}" if problem.record_id is not None else ""
        self.stderr.write(
            self.style.ERROR(f"审计记录链被破坏：第一条异常记录 {where}{ident}（{problem.kind_label}）")
        )
        self.stderr.write(problem.message)
        self.stderr.write(f"此前已校验 {result.count} 条完好（用时 {elapsed:.1f} 秒）。")
        sys.exit(1)
