"""Serve the platform on one machine: `manage.py serve --port 8000` (what `make run` uses).

Five processes, restarted if one stops:
- the front (Granian RSGI, `govsite.publishing.front`) on PORT: published pages by host, the rest
  proxied to the application;
- the application (Granian WSGI) on PORT+1, bound to 127.0.0.1 only;
- the publish worker, which writes static files after each approved change;
- the intake worker (`manage.py cases_intake`), which registers the letters the front took as cases;
- the inspection scheduler (`manage.py monitor`, Art. 23): availability, links, freshness, wording,
  security and the tamper check, each on its own interval (docs/monitoring.md).

The front does not depend on the application: stop the application and published pages are
still served (docs/publishing.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from govsite.process import StopRequest

RESTART_DELAY = 2.0
FRONT_STOP_GRACE = 3  # seconds


class Command(BaseCommand):
    help = "启动前端静态服务、应用、发布队列和巡检调度（开发与单机部署）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="前端监听地址")
        parser.add_argument("--port", type=int, default=8000, help="前端端口；应用使用下一个端口")
        parser.add_argument("--front-workers", type=int, default=2, help="前端进程数")

    def handle(self, *args, host: str, port: int, front_workers: int, **options) -> None:
        commands = self.commands(host, port, front_workers)
        environment = {
            **os.environ,
            "GOVSITE_APP_UPSTREAM": f"http://127.0.0.1:{port + 1}",
            "GOVSITE_PUBLISH_ROOT": str(settings.PUBLISH_ROOT),
            "GOVSITE_STATIC_ROOT": str(settings.STATIC_ROOT),
            "GOVSITE_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "GOVSITE_BEHIND_PROXY": "1",
            "GOVSITE_MONITOR_ORIGIN": os.environ.get("GOVSITE_MONITOR_ORIGIN", f"http://127.0.0.1:{port}"),
            **front_intake_environment(),
        }
        running: dict[str, subprocess.Popen] = {}
        stop = StopRequest()
        self.stdout.write(f"前端 http://{host}:{port}/ ，应用 127.0.0.1:{port + 1}（Ctrl+C 退出）")
        try:
            while not stop.requested:
                for name, command in commands.items():
                    process = running.get(name)
                    if process is None or process.poll() is not None:
                        if process is not None:
                            self.stderr.write(
                                f"{name} 已退出（{process.returncode}），{RESTART_DELAY} 秒后重启"
                            )
                            time.sleep(RESTART_DELAY)
                        running[name] = subprocess.Popen(command, env=environment, start_new_session=True)
                time.sleep(0.5)
        finally:
            for process in running.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in running.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

    def commands(self, host: str, port: int, front_workers: int) -> dict[str, list[str]]:
        bin_dir = Path(sys.executable).parent
        granian = str(bin_dir / "granian")
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        commands = {
            "前端": [
                granian,
                *f"--interface rsgi --host {host} --port {port} --workers {front_workers}".split(),
                # Busy keep-alive connections can hold a graceful stop for long: after FRONT_STOP_GRACE
                # the workers are stopped (a request is answered in milliseconds; a letter cut off
                # before its commit was not stored and the citizen is not given a receipt).
                *["--workers-kill-timeout", str(FRONT_STOP_GRACE)],
                *["--log-level", "warning", "govsite.publishing.front:app"],
            ],
            "应用": [
                granian,
                *f"--interface wsgi --host 127.0.0.1 --port {port + 1} --workers 1".split(),
                *["--blocking-threads", "4", "govsite.wsgi:application"],
            ],
            "发布队列": [*manage, "publish_worker"],
            "来信登记": [*manage, "cases_intake"],
        }
        if os.environ.get("GOVSITE_MONITOR", "on") != "off":
            commands["巡检调度"] = [*manage, "monitor"]
        return commands


def front_intake_environment() -> dict[str, str]:
    """What the front needs to fill mailbox forms and take letters (govsite.cases.front_intake)."""
    return {
        "GOVSITE_SECRET_KEY": settings.SECRET_KEY,
        "GOVSITE_INTAKE_DB": str(settings.GOVSITE_INTAKE_DB),
        "GOVSITE_FORM_RATE": str(settings.GOVSITE_FORM_RATE),
        "GOVSITE_SECURE_COOKIES": "1" if settings.SECURE_COOKIES else "0",
    }
