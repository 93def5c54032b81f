"""Publishing benchmark (issue 4): serving speed, publish latency, files per publish, rebuild speed.

Run from the repository root with the project's Python (`make bench` does):

    .venv/bin/python bench/publishing/run.py [--sizes 1000,10000,100000] [--publishes 30] [--keep]

Everything happens in a throwaway directory: a fresh SQLite database (migrated, the demo city
loaded), a publish root and a vault. The city portal's 通知公告 column is filled with cloned,
review-approved articles (seed.py) in stages; at each stage the portal is rebuilt
(`rebuild_sites`, part d) and one article is published through the review chain while the publish
worker and the front run (part c: files written). At the largest stage the publish latency is
sampled (part b). Then one published article page is served by govsite's front, by stock Wagtail
under gunicorn, by a minimal nginx and by the nginx configuration govsite writes, each loaded with
wrk from loopback (part a). The results go to bench/results/publishing.json; README.md beside this
file explains them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import load
import machine
import nginx
import probe
import seed
from processes import Process, ProcessFailed, ProcessGroup, free_port, log, run_command

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_PATH = REPO_ROOT / "bench" / "results" / "publishing.json"
COLUMN_PATH = "/nantong/tzgg/"  # the city portal's 通知公告, a leaf column
SITE_SLUG = "nantong"
SITE_HOST = "localhost"  # the city portal's host name in the demo
DEFAULT_SIZES = (1_000, 10_000, 100_000)
SERVER_WORKERS = 2
QUIET_MACHINE_IDLE_SHARE = 0.9  # below this, something else runs on the machine during a load test
QUIET_MACHINE_WAIT_SECONDS = 60
APP_WARMUP_SECONDS = 5  # each gunicorn worker loads the URL configuration on its first request
TARGETS = {
    "front_vs_stock_wagtail": 30.0,
    "front_p99_ms": 10.0,
    "generated_vs_minimal_nginx": 0.9,
    "publish_latency_p95_s": 1.0,
    "files_per_publish_spread": 0,
    "rebuild_pages_per_s": 300.0,
}


# --- where the run happens ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "bench.sqlite3"

    @property
    def publish_root(self) -> Path:
        return self.root / "publish"

    @property
    def vault(self) -> Path:
        return self.root / "vault"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @classmethod
    def create(cls, parent: str | None) -> Workspace:
        root = Path(tempfile.mkdtemp(prefix="govsite-bench-publishing-", dir=parent))
        root.chmod(0o755)  # nginx workers run as another user and must read the publish root
        workspace = cls(root)
        for directory in (workspace.publish_root, workspace.vault, workspace.logs):
            directory.mkdir()
        return workspace

    def environment(self, secret_key: str) -> dict[str, str]:
        """What every process of the run gets: the throwaway database and publish root, production
        settings (no debug), no mail."""
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="govsite.settings",
            DATABASE_URL=f"sqlite:///{self.database}",
            GOVSITE_PUBLISH_ROOT=str(self.publish_root),
            GOVSITE_PUBLISH_VAULT=str(self.vault),
            GOVSITE_STATIC_ROOT=str(self.root / "static"),
            GOVSITE_MEDIA_ROOT=str(self.root / "media"),
            GOVSITE_DEBUG="0",
            GOVSITE_SECRET_KEY=secret_key,
            GOVSITE_ALLOWED_HOSTS="*",
            GOVSITE_SECURE_COOKIES="0",
            GOVSITE_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            PYTHONUNBUFFERED="1",
        )
        return env


FRONT_RUNS = 3
RUN_KEYS = ("requests_per_second", "p50_ms", "p90_ms", "p99_ms", "cpu_idle_share_before")


def venv_tool(name: str) -> str:
    """A console script installed next to this Python (gunicorn, granian)."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed in {Path(sys.executable).parent}")
    return found


def manage(*args: str) -> list[str]:
    return [sys.executable, str(REPO_ROOT / "manage.py"), *args]


# --- results -----------------------------------------------------------------------------------------


@dataclass
class Results:
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    settings: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    peers: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def fail(self, part: str, error: BaseException) -> None:
        log(f"{part} failed: {error}")
        self.errors.append({"part": part, "error": f"{type(error).__name__}: {error}"})

    def as_dict(self) -> dict:
        return {
            "benchmark": "publishing",
            "issue": 4,
            "date": self.started.isoformat(timespec="seconds"),
            "duration_s": round((datetime.now(UTC) - self.started).total_seconds(), 1),
            "machine": machine.describe(),
            "settings": self.settings,
            "figures": self.figures,
            "peers": self.peers,
            "goals": goals(self.figures, self.peers),
            "errors": self.errors,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n")
        log(f"results written to {path}")


def goal(name: str, value: float | None, target: float, comparator: str, unit: str = "") -> dict:
    compare: dict[str, Callable[[float, float], bool]] = {
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
        "==": lambda a, b: a == b,
    }
    met = value is not None and compare[comparator](value, target)
    rounded = round(value, 3) if isinstance(value, float) else value
    return {
        "name": name,
        "value": rounded,
        "target": target,
        "comparator": comparator,
        "unit": unit,
        "met": met,
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _rps(entry: dict | None) -> float | None:
    return entry.get("requests_per_second") if entry and entry.get("clean") else None


def goals(figures: dict, peers: dict) -> list[dict]:
    """Each goal of issue 4 computed from what was measured; a part that failed counts as not met."""
    serving = figures.get("serving", {})
    front = serving.get("govsite_front")
    latency = figures.get("publish_latency", {})
    files = [entry.get("files_written") for entry in figures.get("files_per_publish", [])]
    largest_rebuild = max(
        figures.get("rebuild", []), key=lambda entry: entry["articles_in_column"], default=None
    )
    return [
        goal(
            "front requests/s ÷ stock Wagtail (gunicorn, 2 workers) requests/s",
            ratio(_rps(front), _rps(peers.get("stock_wagtail_gunicorn"))),
            TARGETS["front_vs_stock_wagtail"],
            ">=",
            "×",
        ),
        goal(
            "front p99 latency",
            front.get("p99_ms") if front and front.get("clean") else None,
            TARGETS["front_p99_ms"],
            "<=",
            "ms",
        ),
        goal(
            "generated nginx requests/s ÷ minimal nginx requests/s",
            ratio(_rps(serving.get("govsite_nginx")), _rps(peers.get("minimal_nginx"))),
            TARGETS["generated_vs_minimal_nginx"],
            ">=",
            "×",
        ),
        goal(
            f"publish latency p95 ({latency.get('articles_in_column', '?')} articles in the column)",
            latency.get("p95_s"),
            TARGETS["publish_latency_p95_s"],
            "<=",
            "s",
        ),
        goal(
            "files written per publish: largest − smallest over column sizes "
            + ", ".join(
                str(entry.get("articles_in_column")) for entry in figures.get("files_per_publish", [])
            ),
            (max(files) - min(files)) if files and None not in files and len(files) > 1 else None,
            TARGETS["files_per_publish_spread"],
            "==",
            "files",
        ),
        goal(
            rebuild_goal_name(largest_rebuild),
            largest_rebuild["pages_per_s"] if largest_rebuild else None,
            TARGETS["rebuild_pages_per_s"],
            ">=",
            "pages/s",
        ),
    ]


def rebuild_goal_name(entry: dict | None) -> str:
    if entry is None:
        return "full rebuild speed"
    done = f"{entry['urls']:,} of {entry['urls_total'] or 0:,} pages"
    interrupted = "" if entry["complete"] else ", interrupted at the time budget"
    return f"full rebuild speed ({entry['articles_in_column']:,} articles in the column: {done}{interrupted})"


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- the benchmark -----------------------------------------------------------------------------------


@dataclass
class Options:
    sizes: list[int]
    publishes: int
    wrk_seconds: int
    rebuild_budget_s: float
    keep: bool
    workdir: str | None
    drain_demo_queue: bool


class Benchmark:
    """One run: the workspace, the processes it started, what it measured."""

    def __init__(self, options: Options, workspace: Workspace, processes: ProcessGroup, results: Results):
        self.options = options
        self.workspace = workspace
        self.processes = processes
        self.results = results
        self.env = workspace.environment(secrets.token_urlsafe(50))
        self.worker: Process | None = None
        self.front: Process | None = None
        self.front_port = 0
        self.samples: list[probe.PublishSample] = []
        self.tree_complete = False  # did the last rebuild finish (so every file a publish touches exists)?

    # setting up
    def prepare_database(self) -> None:
        started = time.monotonic()
        log("migrating a fresh SQLite database")
        self.command("migrate", manage("migrate", "--no-input", "-v", "0"))
        log("loading the demo city (about a minute)")
        self.command("load_demo", manage("load_demo", "--port", str(free_port())))
        self.results.figures["setup"] = {"migrate_and_load_demo_s": round(time.monotonic() - started, 1)}
        os.environ.update(self.env)
        seed.setup_django()
        from django.conf import settings

        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

    def command(self, name: str, argv: list[str], timeout: float | None = None):
        return run_command(name, argv, env=self.env, log_dir=self.workspace.logs, timeout=timeout)

    def settle_queue(self, label: str) -> None:
        """Leave the publish queue empty before measuring: work it off (`publish_worker --batch`), or,
        right after load_demo unless --drain-demo-queue, discard it (the full rebuild that follows
        writes every file those jobs would have)."""
        from django_tasks_db.models import DBTaskResult

        queued = DBTaskResult.objects.ready().filter(backend_name="publishing")
        count = queued.count()
        if label == "load_demo" and not self.options.drain_demo_queue:
            queued.delete()
            log(f"{label}: discarded {count} queued publish jobs (the rebuild writes every file)")
            self.results.figures.setdefault("queue", []).append(
                {"after": label, "jobs": count, "discarded": True}
            )
            return
        started = time.monotonic()
        self.command("publish_worker_batch", manage("publish_worker", "--batch"))
        seconds = time.monotonic() - started
        log(f"{label}: worked off {count} queued publish jobs in {seconds:.1f} s")
        self.results.figures.setdefault("queue", []).append(
            {"after": label, "jobs": count, "seconds": round(seconds, 1)}
        )

    # serving processes
    def start_worker(self) -> None:
        if self.worker is None:
            self.worker = self.processes.start(
                "publish_worker", manage("publish_worker", "--interval", "0.1"), env=self.env
            )
            time.sleep(1.0)
            if not self.worker.running():
                raise ProcessFailed(f"publish_worker exited:\n{self.worker.log_tail()}")

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.processes.stop(self.worker)
            self.worker = None

    def start_front(self, upstream_port: int) -> tuple[Process, int]:
        """govsite's default serving: the Granian RSGI front (files by host, the rest to the app)."""
        port = free_port()
        env = dict(self.env, GOVSITE_APP_UPSTREAM=f"http://127.0.0.1:{upstream_port}")
        argv = [
            venv_tool("granian"),
            "--interface",
            "rsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(SERVER_WORKERS),
            "govsite.publishing.front:app",
        ]
        process = self.processes.start("front", argv, env=env)
        process.wait_for_port(port)
        return process, port

    def ensure_front_for_publishing(self) -> None:
        """For part (b) the front's application upstream is a closed port: only a published file can
        answer 200, never the application rendering the page from the database."""
        if self.front is None:
            self.front, self.front_port = self.start_front(free_port())

    def stop_front(self) -> None:
        if self.front is not None:
            self.processes.stop(self.front)
            self.front = None

    # parts (c), (d) and (b)
    def run_stages(self) -> None:
        for size in self.options.sizes:
            self.stage(size, largest=size == max(self.options.sizes))

    def stage(self, size: int, *, largest: bool) -> None:
        report = seed.seed_column(COLUMN_PATH, size)
        check = seed.verify_column(COLUMN_PATH)
        self.results.figures.setdefault("seeding", []).append(
            {
                "articles_in_column": report.items,
                "created": report.created,
                "seconds": round(report.seconds, 2),
                "articles_per_s": round(report.rows_per_second),
                "rows_per_article": 8,
                "verified_live_and_passed": check.live_and_passed,
                "sampled_revision_passed_review": f"{check.sample_passed}/{check.sample_checked}",
            }
        )
        if not check.ok:
            raise RuntimeError(f"seeded clones did not all pass review: {check}")
        from django.db import connection

        connection.close()
        self.settle_queue(f"seeding {size}")
        self.stop_worker()
        self.rebuild(size)
        self.guarded(f"render timings at {size}", lambda: self.render_timings(size))
        self.start_worker()
        self.ensure_front_for_publishing()
        self.publish_samples(size, latency_samples=self.options.publishes if largest else 0)
        self.stop_worker()

    def rebuild(self, size: int) -> None:
        """Part (d): `rebuild_sites --site nantong`, with a time budget (interrupted, and said so, past it)."""
        from govsite.publishing.models import RebuildRun

        idle = machine.cpu_idle_share()
        log(f"rebuilding the city portal ({size:,} articles in the column)")
        name = f"rebuild_{size}"
        process = self.processes.start(name, manage("rebuild_sites", "--site", SITE_SLUG), env=self.env)
        started = time.monotonic()
        while process.running() and time.monotonic() - started < self.options.rebuild_budget_s:
            time.sleep(0.2)
        seconds = time.monotonic() - started
        complete = not process.running() and process.popen.returncode == 0
        if process.running():
            log(f"rebuild still running after {self.options.rebuild_budget_s:.0f} s: interrupting it")
        elif process.popen.returncode != 0:
            raise ProcessFailed(f"rebuild_sites failed:\n{process.log_tail()}")
        self.processes.stop(process)
        run = RebuildRun.objects.filter(scope=SITE_SLUG).order_by("-pk").first()
        done = run.done if run else 0
        entry = {
            "articles_in_column": size,
            "urls": done,
            "urls_total": run.total if run else None,
            "seconds": round(seconds, 1),
            "pages_per_s": round(done / seconds, 1) if seconds else None,
            "command_reported_pages_per_s": reported_rate(process.log_path.read_text(errors="replace")),
            "complete": complete,
            "cpu_idle_share_before": idle,
        }
        self.results.figures.setdefault("rebuild", []).append(entry)
        self.tree_complete = complete
        log(
            f"rebuild: {done:,} of {entry['urls_total']:,} pages in {seconds:.1f} s ({entry['pages_per_s']} pages/s)"
        )

    def render_timings(self, size: int) -> None:
        """Diagnostics: how long the publisher's renderer takes for the URLs one publish rewrites,
        in this process, at this column size (each rendered twice; the second, warm time is kept)."""
        from wagtail.models import Site

        from govsite.content import services as content
        from govsite.content.models import ColumnPage
        from govsite.publishing.render import Renderer

        column = ColumnPage.objects.get(url_path=COLUMN_PATH)
        site = Site.objects.get(hostname=SITE_HOST)
        newest = content.archive_page_count(column)
        column_path = "/" + column.url_path.removeprefix(site.root_page.url_path)
        urls = {
            "home": "/",
            "column front": column_path,
            "column feed": f"{column_path}feed.xml",
            "oldest archive page": f"{column_path}list_1.html",
            "newest archive page": f"{column_path}list_{newest}.html",
            "sitemap index": "/sitemap.xml",
        }
        renderer = Renderer()
        timings: dict[str, Any] = {"articles_in_column": size}
        for label, url in urls.items():
            renderer.render(site, url)
            started = time.perf_counter()
            rendered = renderer.render(site, url)
            timings[label] = {
                "url": url,
                "status": rendered.status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
        self.results.figures.setdefault("render_ms", []).append(timings)
        log(
            "render times: "
            + ", ".join(f"{k} {v['ms']} ms" for k, v in timings.items() if isinstance(v, dict))
        )

    def publish_samples(self, size: int, *, latency_samples: int) -> None:
        """Part (c): the first publish at this size (the worker has just started), checked on disk too;
        part (b): then `latency_samples` more, timed."""
        from govsite.content.models import ColumnPage

        column = ColumnPage.objects.get(url_path=COLUMN_PATH)
        self.results.settings["column_per_page"] = column.per_page
        first = self.publish_one(column, size, check_disk=True, label="files")
        self.results.figures.setdefault("files_per_publish", []).append(
            {
                "articles_in_column": first.articles_in_column,
                "files_written": first.files_written,
                "files_rendered": first.files_rendered,
                "changed_on_disk": first.changed_on_disk,
                "latency_s": round(first.latency_s, 3),
                "tree_complete_before": self.tree_complete,
                "paths": first.paths,
            }
        )
        timed = [
            self.publish_one(column, size, check_disk=False, label=f"latency {number + 1}/{latency_samples}")
            for number in range(latency_samples)
        ]
        if timed:
            summary = latency_summary(size, timed)
            summary["first_publish_after_worker_start_s"] = round(first.latency_s, 3)
            self.results.figures["publish_latency"] = summary

    def publish_one(self, column, size: int, *, check_disk: bool, label: str) -> probe.PublishSample:
        sample = probe.publish_and_measure(
            column,
            len(self.samples) + 1,
            front_port=self.front_port,
            host=SITE_HOST,
            publish_root=self.workspace.publish_root,
            check_disk=check_disk,
        )
        self.samples.append(sample)
        log(
            f"publish ({label}) at {size:,}: {sample.latency_s * 1000:.0f} ms to served, "
            f"{sample.files_written} files written"
        )
        return sample

    # part (a)
    def serving(self) -> None:
        """One published article page under wrk: front, stock Wagtail, minimal nginx, generated nginx."""
        sample = self.samples[-1] if self.samples else None
        if sample is None:
            raise RuntimeError("no article was published, nothing to serve")
        url_path = sample.url_path
        page_file = self.workspace.publish_root / SITE_HOST / url_path.strip("/") / "index.html"
        expected = page_file.read_bytes()
        serving: dict[str, Any] = {"url_path": url_path, "host": SITE_HOST, "file_bytes": len(expected)}
        self.results.figures["serving"] = serving
        self.stop_front()
        # The rebuilds just wrote some 400,000 files: let the kernel write them back now, so that the
        # servers are measured serving, not competing with the page cache being flushed.
        serving["dirty_kib_before_sync"] = machine.dirty_kib()
        os.sync()
        serving["dirty_kib_after_sync"] = machine.dirty_kib()
        self.measure_app_and_front(url_path, expected, serving)
        self.measure_nginx_peer(url_path, expected)
        self.measure_generated_nginx(url_path, expected, serving)
        self.guarded("serving: TLS configuration check", self.check_tls_nginx_config)

    def measure_app_and_front(self, url_path: str, expected: bytes, serving: dict) -> None:
        """Stock Wagtail under gunicorn (the dynamic peer), and the front with gunicorn as its app."""
        app_port = free_port()
        argv = [
            venv_tool("gunicorn"),
            "--workers",
            str(SERVER_WORKERS),
            "--bind",
            f"127.0.0.1:{app_port}",
            "govsite.wsgi:application",
        ]
        app = self.processes.start("gunicorn", argv, env=self.env)
        try:
            app.wait_for_port(app_port)
            self.guarded("serving: front", lambda: self.measure_front(app_port, url_path, expected, serving))
            self.guarded("serving: stock Wagtail", lambda: self.measure_app(app_port, url_path, expected))
        finally:
            self.processes.stop(app)

    def measure_front(self, app_port: int, url_path: str, expected: bytes, serving: dict) -> None:
        front, front_port = self.start_front(app_port)
        try:
            runs = [
                self.load_test(front_port, url_path, expected, same_bytes=True) for _ in range(FRONT_RUNS)
            ]
        finally:
            self.processes.stop(front)
        # p99 over 10 s on 2 shared cores swings with the scheduler: the run with the median p99
        # stands for the front, and every run is kept beside it.
        median = sorted(runs, key=lambda run: run.get("p99_ms") or float("inf"))[len(runs) // 2]
        serving["govsite_front"] = {**median, "runs": [{k: run.get(k) for k in RUN_KEYS} for run in runs]}

    def measure_app(self, app_port: int, url_path: str, expected: bytes) -> None:
        result = self.load_test(app_port, url_path, expected, same_bytes=False)
        self.results.peers["stock_wagtail_gunicorn"] = result

    def measure_nginx_peer(self, url_path: str, expected: bytes) -> None:
        def run() -> None:
            port = free_port()
            prefix = self.workspace.root / "nginx-minimal"
            root = self.workspace.publish_root / SITE_HOST
            config = nginx.write_config(prefix, nginx.minimal_server(port, SITE_HOST, root))
            self.results.peers["minimal_nginx"] = self.nginx_load_test(
                "nginx_minimal", prefix, config, port, url_path, expected
            )

        self.guarded("serving: minimal nginx", run)

    def measure_generated_nginx(self, url_path: str, expected: bytes, serving: dict) -> None:
        def run() -> None:
            port = free_port()
            prefix = self.workspace.root / "nginx-generated"
            config = self.generated_nginx_config(prefix, port)
            serving["govsite_nginx"] = self.nginx_load_test(
                "nginx_generated", prefix, config, port, url_path, expected
            )

        self.guarded("serving: generated nginx", run)

    def generated_nginx_config(self, prefix: Path, port: int) -> Path:
        """`manage.py nginx_config --http-only` (plain HTTP, as the peer), included in a main file like
        the peer's; its `listen` lines are bound to loopback. The application upstream is a closed port:
        only published files are measured."""
        generated = prefix / "generated"
        argv = manage(
            "nginx_config",
            "--output",
            str(generated),
            "--publish-root",
            str(self.workspace.publish_root),
            "--upstream",
            f"127.0.0.1:{free_port()}",
            "--listen",
            str(port),
            "--http-only",
        )
        self.command("nginx_config", argv)
        for path in generated.rglob("*.conf"):
            path.write_text(nginx.rebind(path.read_text(), port))
        return nginx.write_config(prefix, f"    include {generated / 'govsite.conf'};")

    def check_tls_nginx_config(self) -> None:
        """Informational: does the default (TLS) configuration pass `nginx -t` on this nginx? The
        certificate paths are placeholders, so a missing certificate is expected; anything else is
        reported."""
        prefix = self.workspace.root / "nginx-tls-check"
        generated = prefix / "generated"
        self.command("nginx_config_tls", manage("nginx_config", "--output", str(generated)))
        config = nginx.write_config(prefix, f"    include {generated / 'govsite.conf'};")
        try:
            nginx.check_config(prefix, config)
            outcome = "ok"
        except RuntimeError as error:
            outcome = str(error).splitlines()[1] if len(str(error).splitlines()) > 1 else str(error)
        self.results.figures.setdefault("serving", {})["generated_tls_config_nginx_t"] = outcome
        log(f"nginx -t of the default (TLS) configuration: {outcome}")

    def nginx_load_test(
        self, name: str, prefix: Path, config: Path, port: int, url_path: str, expected: bytes
    ) -> dict:
        nginx.check_config(prefix, config)
        process = self.processes.start(name, nginx.command(prefix, config), env=self.env)
        try:
            process.wait_for_port(port)
            return self.load_test(port, url_path, expected, same_bytes=True)
        finally:
            self.processes.stop(process)

    def load_test(self, port: int, url_path: str, expected: bytes, *, same_bytes: bool) -> dict:
        """Check the page answers 200 (with the published bytes, for a file server), then run wrk."""
        url = f"http://127.0.0.1:{port}{url_path}"
        response = httpx.get(url, headers={"Host": SITE_HOST, "Accept-Encoding": "identity"}, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        if same_bytes and response.content != expected:
            raise RuntimeError(f"{url} did not answer the published file ({len(response.content)} bytes)")
        idle = wait_for_quiet_machine()
        log(f"wrk {self.options.wrk_seconds} s on {url}")
        warmup = APP_WARMUP_SECONDS if not same_bytes else load.WARMUP_SECONDS
        result = load.run_wrk(url, SITE_HOST, seconds=self.options.wrk_seconds, warmup=warmup)
        log(f"  {result.requests_per_second:,.0f} requests/s, p99 {result.p99_ms:.2f} ms")
        data = result.as_dict()
        data["cpu_idle_share_before"] = idle
        data["response_bytes"] = len(response.content)
        data["response_headers"] = {k: v for k, v in response.headers.items() if k.lower() not in {"date"}}
        return data

    def guarded(self, part: str, action: Callable[[], None]) -> None:
        """Run one measurement; a failure is recorded and the others still run."""
        try:
            action()
        except Exception as error:
            self.results.fail(part, error)


def wait_for_quiet_machine() -> float | None:
    """Wait (up to a minute) until other work leaves the CPUs idle, so that a load test measures the
    server, not the neighbours; returns the idle share seen last (recorded with the figures)."""
    deadline = time.monotonic() + QUIET_MACHINE_WAIT_SECONDS
    idle = machine.cpu_idle_share()
    while idle is not None and idle < QUIET_MACHINE_IDLE_SHARE and time.monotonic() < deadline:
        idle = machine.cpu_idle_share()
    if idle is not None and idle < QUIET_MACHINE_IDLE_SHARE:
        log(f"warning: other work keeps the CPUs {(1 - idle) * 100:.0f}% busy; the figures will be low")
    return idle


def reported_rate(output: str) -> float | None:
    """The last rate `rebuild_sites` printed in its progress line (`… 123 页/秒 …`)."""
    rates = re.findall(r"(\d+(?:\.\d+)?) 页/秒", output)
    return float(rates[-1]) if rates else None


def latency_summary(size: int, samples: list[probe.PublishSample]) -> dict:
    latencies = [s.latency_s for s in samples]
    jobs = [s.job_s for s in samples if s.job_s is not None]
    waits = [s.queue_wait_s for s in samples if s.queue_wait_s is not None]
    return {
        "articles_in_column": size,
        "samples": len(samples),
        "p50_s": round(percentile(latencies, 0.50), 3),
        "p95_s": round(percentile(latencies, 0.95), 3),
        "max_s": round(max(latencies), 3),
        "mean_s": round(statistics.fmean(latencies), 3),
        "final_approval_p50_s": round(percentile([s.approval_s for s in samples], 0.5), 3),
        "queue_wait_p50_s": round(percentile(waits, 0.5), 3) if waits else None,
        "job_p50_s": round(percentile(jobs, 0.5), 3) if jobs else None,
        "files_written": sorted({s.files_written for s in samples if s.files_written is not None}),
        "latencies_s": [round(value, 3) for value in latencies],
    }


# --- entry point ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="articles in the column per stage"
    )
    parser.add_argument("--publishes", type=int, default=30, help="publishes timed at the largest size")
    parser.add_argument("--wrk-seconds", type=int, default=load.WRK_SECONDS)
    parser.add_argument("--rebuild-budget", type=float, default=900.0, help="seconds a rebuild may take")
    parser.add_argument(
        "--drain-demo-queue",
        action="store_true",
        help="work off the demo's publish jobs instead of discarding them",
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory (logs, database)")
    parser.add_argument(
        "--workdir", help="where to make the throwaway directory (default: the system's temp)"
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    return Options(
        sizes,
        max(2, args.publishes),
        args.wrk_seconds,
        args.rebuild_budget,
        args.keep,
        args.workdir,
        args.drain_demo_queue,
    )


def stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C does, so every process started is stopped."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    stop_on_sigterm()
    workspace = Workspace.create(options.workdir)
    results = Results()
    results.settings = {
        "column": COLUMN_PATH,
        "site_host": SITE_HOST,
        "sizes": options.sizes,
        "publishes": options.publishes,
        "wrk": " ".join(load.wrk_command("URL", SITE_HOST, options.wrk_seconds)[1:-1]),
        "server_workers": SERVER_WORKERS,
        "database": "SQLite (WAL), throwaway",
        "workspace": str(workspace.root),
    }
    log(f"workspace {workspace.root}")
    try:
        with ProcessGroup(workspace.logs) as processes:
            benchmark = Benchmark(options, workspace, processes, results)
            benchmark.prepare_database()
            benchmark.settle_queue("load_demo")
            benchmark.guarded("publishing stages", benchmark.run_stages)
            benchmark.stop_worker()
            benchmark.guarded("serving", benchmark.serving)
    except BaseException as error:
        results.fail("run", error)
        raise
    finally:
        results.write(RESULTS_PATH)
        if options.keep:
            log(f"kept {workspace.root}")
        else:
            shutil.rmtree(workspace.root, ignore_errors=True)
    return 0 if not results.errors else 1


if __name__ == "__main__":
    sys.exit(main())
