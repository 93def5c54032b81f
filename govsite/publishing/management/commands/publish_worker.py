"""Work off the publishing queue: `manage.py publish_worker [--interval 0.2] [--batch]`."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import Worker


class Command(BaseCommand):
    help = "运行静态发布队列的工作进程（审核通过后生成静态页面）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=0.2, help="队列为空时的轮询间隔（秒）")
        parser.add_argument("--batch", action="store_true", help="处理完队列中已有的任务后退出")

    def handle(self, *args, interval: float, batch: bool, **options) -> None:
        worker = Worker(
            queue_names=["publishing"],
            interval=interval,
            batch=batch,
            backend_name="publishing",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"publish-{os.getpid()}",
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
