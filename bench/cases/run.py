"""Cases benchmark (issue 6): citizens writing to the mayor's mailbox, 100 at once, across a restart.

Run from the repository root with the project's Python (`make bench` does):

    .venv/bin/python bench/cases/run.py                 # 10 s warm-up + 30 s per target, restart at 15 s
    .venv/bin/python bench/cases/run.py --quick         # 5 s warm-up + 16 s per target: a smoke run
    .venv/bin/python bench/cases/run.py --targets stock_wagtail_forms --duration 20 --keep

The default SQLite set-up in a throwaway directory: a fresh database, `migrate`, `load_demo`,
`collectstatic`, `rebuild_sites` (as `make run` does), then the front, the application and the intake
worker started with the argv of `manage.py serve` (Granian, the same process counts). 100 clients
(load.py) each loop: GET the mayor's mailbox form, answer a captcha issued in this process with the
server's SECRET_KEY (`govsite.cases.captcha.issue()`), POST the letter as a browser posts this form
(multipart, an empty file input), read the receipt number. Halfway through, every process that takes a
letter (front, application, intake worker) is stopped (SIGTERM) and started again while the clients go
on; at the end the benchmark waits until the intake worker has registered every letter, then looks up
every receipt number a client read among the cases (lost = read, not a case). The per-address rate
limit is raised for the run (GOVSITE_FORM_RATE): every client comes from 127.0.0.1.

The peer in the same run: Wagtail's stock form builder (`wagtail.contrib.forms`, an `AbstractForm`
page with the same fields: peerapp/, peer_settings.py) in its own SQLite database, behind the same
front and Granian application set-up, loaded by the same clients. Results go to
bench/results/cases.json; README.md beside this file explains them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import secrets
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(REPO_ROOT / "bench" / "publishing"), str(REPO_ROOT)]

import load  # noqa: E402
import machine  # noqa: E402  (bench/publishing/machine.py)
from processes import Process, ProcessFailed, ProcessGroup, free_port, log, run_command  # noqa: E402

RESULTS_PATH = REPO_ROOT / "bench" / "results" / "cases.json"
TARGETS = ("govsite", "stock_wagtail_forms")
DEFAULT_DURATION_S = 30.0
QUICK_DURATION_S = 16.0  # long enough to see the application come back after the restart at 8 s
DEFAULT_CLIENTS = 100
WARMUP_S = 10.0  # 100 clients on a server doing ~20 letters/s: a cycle takes ~5 s, two cycles to settle
QUICK_WARMUP_S = 5.0
FORM_RATE = "100000/m"  # GOVSITE_FORM_RATE for the run: 100 clients share one address
SITE_HOST = "localhost"  # the city portal's host in the demo
PEER_FORM_PATH = "/letters/"
GOALS = {"accepted_per_s": 300.0, "p99_ms": 300.0, "lost": 0}
APP_READY_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 900.0  # the intake worker registers the letters the front took during the load


# --- where the run happens ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def database(self) -> Path:
        return self.root / "govsite.sqlite3"

    @property
    def peer_database(self) -> Path:
        return self.root / "stock-wagtail-forms.sqlite3"

    @property
    def port_file(self) -> Path:
        return self.root / "front-port"

    @classmethod
    def create(cls, parent: str | None) -> Workspace:
        workspace = cls(Path(tempfile.mkdtemp(prefix="govsite-bench-cases-", dir=parent)))
        workspace.logs.mkdir()
        return workspace

    def environment(self, secret_key: str, form_rate: str) -> dict[str, str]:
        """Production settings (no debug), the throwaway database and directories, no mail."""
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="govsite.settings",
            DATABASE_URL=f"sqlite:///{self.database}",
            GOVSITE_DEBUG="0",
            GOVSITE_SECRET_KEY=secret_key,
            GOVSITE_ALLOWED_HOSTS="*",
            GOVSITE_SECURE_COOKIES="0",
            GOVSITE_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            GOVSITE_PUBLISH_ROOT=str(self.root / "publish"),
            GOVSITE_PUBLISH_VAULT=str(self.root / "vault"),
            GOVSITE_STATIC_ROOT=str(self.root / "static"),
            GOVSITE_MEDIA_ROOT=str(self.root / "media"),
            GOVSITE_FORM_RATE=form_rate,
            GOVSITE_INTAKE_DB=str(self.root / "intake.sqlite3"),
            GOVSITE_TAMPER_INTERVAL="3600",
            PYTHONUNBUFFERED="1",
        )
        return env


def manage(*args: str) -> list[str]:
    return [sys.executable, str(REPO_ROOT / "manage.py"), *args]


def peer_django(*args: str) -> list[str]:
    return [sys.executable, "-m", "django", *args]


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
            "benchmark": "cases",
            "issue": 6,
            "date": self.started.isoformat(timespec="seconds"),
            "duration_s": round((datetime.now(UTC) - self.started).total_seconds(), 1),
            "machine": machine.describe() | {"software": software()},
            "settings": self.settings,
            "govsite": self.figures,
            "peers": self.peers,
            "goals": goals(self.figures, self.peers),
            "notes": NOTES,
            "errors": self.errors,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n")
        log(f"results written to {path}")


NOTES = [
    "Each client loops GET form page → captcha (govsite only) → POST letter → read the receipt number, "
    "with its own cookies and one keep-alive connection to the front (http1.py: a lean asyncio HTTP/1.1 "
    "client, about 1 ms of CPU per letter, so the clients take little from the server on the same machine); "
    "after a failed cycle it pauses "
    f"{load.RETRY_PAUSE_S} s and tries again. Accepted = a receipt number was read. govsite's form has a "
    "file input, so its letters are posted as multipart/form-data with the file left empty, as Chromium "
    "does; the stock form has none and gets url-encoded posts.",
    "govsite: the mailbox page is a published file the front fills with a captcha and CSRF token per "
    "visitor, and a plain letter is stored by the front in the intake spool (one SQLite commit) before the "
    "303 with the receipt (docs/decisions/0008-front-intake-spool.md); the intake worker registers the "
    "spooled letters as cases at a lower priority. intake: letters still pending when the load ended and "
    "the seconds until all were cases; lost is counted after that, against the cases.",
    "accepted_per_s counts the letters accepted within the measured window (warm-up excluded) divided by "
    "its length, the restart included; steady_accepted_per_s leaves out the longest pause without an "
    "accepted letter after the SIGTERM (restart.longest_pause_without_acceptance_s).",
    "Restart: the front, the application and (govsite) the intake worker get SIGTERM together and are "
    "started again once they have exited, for both targets; the front stops its workers after "
    "`--workers-kill-timeout` (3 s) if busy keep-alive connections hold the graceful stop.",
    "Latency: post_ms is the POST of an accepted letter (with reading the receipt number); cycle_ms "
    "adds the GET of the form and the captcha. The goals use post_ms over the whole window.",
    "lost = receipt numbers a client read that are not cases at the end; letters stored whose answer never "
    "reached a client (cut off by the restart) are counted as stored_not_acknowledged.",
    "The per-address rate limit is raised for the run (settings.form_rate, GOVSITE_FORM_RATE): all 100 "
    "clients come from 127.0.0.1. Captchas are answered legitimately with govsite.cases.captcha.issue() "
    "in the benchmark's process, which shares the server's SECRET_KEY.",
    "cpu_seconds / cpu_ms_per_accepted_letter: CPU time of each process group (Linux /proc) and of the "
    "benchmark process over the measured window; a restarted process's includes its start-up (importing "
    "Django, first requests), so the application's is above its steady cost.",
    "The stock Wagtail peer has no captcha, no rate limit and no receipt page of its own: its landing page "
    "shows the FormSubmission id, read as the receipt number. Its SQLite connection settings are govsite's.",
    "The publish worker and the inspection scheduler are not started (load_demo leaves publish jobs that "
    "would run during the load). The benchmark's clients run on the same machine and share its cores.",
]


def software() -> dict:
    base = machine.describe()["software"]
    keep = {name: base[name] for name in ("django", "wagtail", "granian")}
    keep["sqlite"] = sqlite3.sqlite_version
    return keep


def goal(name: str, value: float | None, target: float, comparator: str, unit: str) -> dict:
    compare: dict[str, Callable[[float, float], bool]] = {
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
        "==": lambda a, b: a == b,
    }
    met = value is not None and compare[comparator](value, target)
    return {
        "name": name,
        "value": value,
        "target": target,
        "comparator": comparator,
        "unit": unit,
        "met": met,
    }


def goals(figures: dict, peers: dict) -> list[dict]:
    """The goals of issue 6 for govsite, each named with the stock peer's figure; a failed part is not met."""
    peer = peers.get("stock_wagtail_forms", {})

    def beside(key: str, unit: str) -> str:
        value = peer.get(key)
        return f" (stock Wagtail forms: {value} {unit})" if value is not None else ""

    clients = figures.get("clients", DEFAULT_CLIENTS)
    lost = figures.get("lost")
    return [
        goal(
            f"accepted letters/s, {clients} clients, restart included" + beside("accepted_per_s", "/s"),
            figures.get("accepted_per_s"),
            GOALS["accepted_per_s"],
            ">=",
            "letters/s",
        ),
        goal(
            "p99 latency of an accepted letter's POST" + beside("post_p99_ms", "ms"),
            figures.get("post_ms", {}).get("p99"),
            GOALS["p99_ms"],
            "<=",
            "ms",
        ),
        goal(
            "receipt numbers read by clients but not stored (restart included)",
            lost if figures.get("receipts_checked") else None,
            GOALS["lost"],
            "==",
            "letters",
        ),
    ]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> dict:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50": round(percentile(values, 0.50), 1),
        "p90": round(percentile(values, 0.90), 1),
        "p99": round(percentile(values, 0.99), 1),
        "mean": round(statistics.fmean(values), 1),
        "max": round(max(values), 1),
    }


# --- processes and their CPU time -----------------------------------------------------------------------


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the live processes in a process group (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the command: state ppid pgrp …; utime, stime at 11, 12
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass
class Server:
    """The processes of `manage.py serve` that take a letter: the front, the application and, for
    govsite, the intake worker (not the publish worker or the inspection scheduler)."""

    name: str
    processes: ProcessGroup
    front_argv: list[str]
    app_argv: list[str]
    env: dict[str, str]
    app_cwd: Path
    front_port: int
    app_port: int
    host: str
    probe_path: str
    worker_argv: list[str] | None = None
    front: Process | None = None
    app: Process | None = None
    worker: Process | None = None
    cpu_done: dict[str, float] = field(default_factory=dict)  # CPU of processes stopped after the mark
    restarts: list[dict] = field(default_factory=list)

    def start(self) -> None:
        self.start_front()
        self.start_app()
        self.start_worker()
        self.wait_until_answering()

    def start_front(self) -> None:
        self.front = self.processes.start(f"{self.name}-front", self.front_argv, env=self.env, cwd=REPO_ROOT)
        self.front.wait_for_port(self.front_port)

    def start_app(self) -> None:
        self.app = self.processes.start(f"{self.name}-app", self.app_argv, env=self.env, cwd=self.app_cwd)
        self.app.wait_for_port(self.app_port, timeout=APP_READY_TIMEOUT_S)

    def start_worker(self) -> None:
        if self.worker_argv is not None:
            self.worker = self.processes.start(
                f"{self.name}-worker", self.worker_argv, env=self.env, cwd=REPO_ROOT
            )

    def running(self) -> dict[str, Process]:
        named = {"front": self.front, "app": self.app, "intake_worker": self.worker}
        return {name: process for name, process in named.items() if process is not None}

    def wait_until_answering(self) -> float:
        """Wait until the form page answers 200 through the front (the application has loaded)."""
        import httpx

        started = time.monotonic()
        deadline = started + APP_READY_TIMEOUT_S
        with httpx.Client(
            base_url=f"http://127.0.0.1:{self.front_port}", headers={"Host": self.host}
        ) as http:
            while time.monotonic() < deadline:
                try:
                    if http.get(self.probe_path, timeout=10).status_code == 200:
                        return time.monotonic() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        assert self.app is not None
        raise ProcessFailed(
            f"{self.probe_path} did not answer 200 within {APP_READY_TIMEOUT_S:.0f} s:\n{self.app.log_tail()}"
        )

    def restart(self, at: float) -> None:
        """SIGTERM to every process that takes a letter at once, wait for them to exit, start them again
        (blocking: run in a thread). Each finishes what it is doing first (Granian's graceful stop)."""
        for name, process in self.running().items():
            self.cpu_done[name] = self.cpu_done.get(name, 0.0) + group_cpu_seconds(process.pid)
        started = time.monotonic()
        for process in self.running().values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running().values():
            self.processes.stop(process)
        stopped = time.monotonic()
        self.start_front()
        front_up = time.monotonic()
        self.start_app()
        self.start_worker()
        listening = time.monotonic()
        self.restarts.append(
            {
                "at_s": round(at, 2),
                "restarted": sorted(self.running()),
                "sigterm_to_exit_s": round(stopped - started, 2),
                "front_start_to_listening_s": round(front_up - stopped, 2),
                "start_to_listening_s": round(listening - stopped, 2),
            }
        )

    def cpu_mark(self) -> dict[str, float]:
        self.cpu_done = {}
        return {name: group_cpu_seconds(process.pid) for name, process in self.running().items()}

    def cpu_since(self, mark: dict[str, float]) -> dict[str, float]:
        """CPU seconds since the mark; a restarted process's: the stopped one's after the mark + the new one's."""
        return {
            name: round(group_cpu_seconds(process.pid) + self.cpu_done.get(name, 0.0) - mark[name], 1)
            for name, process in self.running().items()
        }

    def stop(self) -> None:
        for process in (self.worker, self.app, self.front):
            if process is not None:
                self.processes.stop(process)
        self.app = self.front = self.worker = None


def serve_argv(front_port: int, app_workers: int | None, blocking_threads: int | None) -> tuple[list, list]:
    """The front's and the application's argv exactly as `manage.py serve --port PORT` runs them."""
    from govsite.publishing.management.commands.serve import Command

    commands = Command().commands("127.0.0.1", front_port, 2)
    front, app = commands["前端"], commands["应用"]
    if app_workers is not None:
        app = replace_option(app, "--workers", str(app_workers))
    if blocking_threads is not None:
        app = replace_option(app, "--blocking-threads", str(blocking_threads))
    return front, app


def replace_option(argv: list[str], option: str, value: str) -> list[str]:
    argv = list(argv)
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv[-1:-1] = [option, value]
    return argv


# --- the benchmark ---------------------------------------------------------------------------------------


@dataclass
class Options:
    targets: list[str]
    duration_s: float
    clients: int
    warmup_s: float
    restart: bool
    form_rate: str
    app_workers: int | None
    blocking_threads: int | None
    form_path: str | None
    keep: bool
    workdir: str | None
    reuse: str | None
    direct: bool


class Benchmark:
    def __init__(self, options: Options, workspace: Workspace, processes: ProcessGroup, results: Results):
        self.options = options
        self.workspace = workspace
        self.processes = processes
        self.results = results
        secret_file = workspace.root / "secret-key"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(50))
        self.env = workspace.environment(secret_file.read_text().strip(), options.form_rate)
        if workspace.port_file.exists():
            self.front_port = int(workspace.port_file.read_text())
        else:
            self.front_port = free_port()
            workspace.port_file.write_text(str(self.front_port))
        # This process reads govsite's settings too: the serve command's argv, captchas, the receipts stored.
        os.environ.update(self.env)
        import django

        django.setup()

    def command(self, name: str, argv: list[str], env: dict | None = None) -> None:
        run_command(name, argv, env=env or self.env, log_dir=self.workspace.logs)

    def guarded(self, part: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as error:
            self.results.fail(part, error)

    def client_port(self, server: Server) -> int:
        """The front's port, or with --direct (a diagnosis, not the production path) the application's."""
        return server.app_port if self.options.direct else server.front_port

    # govsite
    def prepare_govsite(self) -> None:
        if self.workspace.database.exists():
            log(f"reusing {self.workspace.database}")
        else:
            started = time.monotonic()
            log("govsite: migrating a fresh SQLite database, loading the demo city (about a minute)")
            self.command("migrate", manage("migrate", "--no-input", "-v", "0"))
            self.command("load_demo", manage("load_demo", "--port", str(self.front_port)))
            self.command("collectstatic", manage("collectstatic", "--no-input", "-v", "0"))
            self.command("rebuild_sites", manage("rebuild_sites"))  # the published files, mailbox forms too
            self.results.figures["setup_s"] = round(time.monotonic() - started, 1)

    def govsite_form_path(self) -> str:
        if self.options.form_path:
            return self.options.form_path
        from govsite.cases.models import Mailbox

        mailbox = (
            Mailbox.objects.filter(kind="mayor", is_active=True, gov_site__site__hostname=SITE_HOST)
            .order_by("pk")
            .first()
        )
        if mailbox is None:
            raise RuntimeError("load_demo made no active mayor's mailbox on the city portal (localhost)")
        return f"/hudong/xinxiang/{mailbox.slug}/"

    def govsite(self) -> None:
        self.prepare_govsite()
        from govsite.cases import captcha

        form_path = self.govsite_form_path()
        app_port = self.front_port + 1
        front_argv, app_argv = serve_argv(
            self.front_port, self.options.app_workers, self.options.blocking_threads
        )
        from govsite.publishing.management.commands.serve import Command, front_intake_environment

        worker_argv = Command().commands("127.0.0.1", self.front_port, 2)["来信登记"]
        env = self.env | {
            "GOVSITE_APP_UPSTREAM": f"http://127.0.0.1:{app_port}",
            "GOVSITE_BEHIND_PROXY": "1",
            **front_intake_environment(),
        }
        server = Server(
            "govsite",
            self.processes,
            front_argv,
            app_argv,
            env,
            REPO_ROOT,
            self.front_port,
            app_port,
            f"{SITE_HOST}:{self.front_port}",
            form_path,
            worker_argv=worker_argv,
        )
        target = load.Target(
            "govsite", self.client_port(server), server.host, form_path, captcha.issue, multipart=True
        )
        figures = self.measure(server, target, self.govsite_stored, drain=self.govsite_drain)
        figures["form_path"] = form_path
        self.results.figures.update(figures)

    def govsite_drain(self) -> dict:
        """Wait until the intake worker has registered every spooled letter; how long it took."""
        from govsite.throttle import current_spool

        spool = current_spool()
        started = time.monotonic()
        first = spool.counts()
        while spool.counts().get("pending", 0) and time.monotonic() - started < DRAIN_TIMEOUT_S:
            time.sleep(0.2)
        counts = spool.counts()
        seconds = time.monotonic() - started
        log(
            f"govsite: intake drained in {seconds:.1f} s ({first.get('pending', 0)} pending at the end of the load)"
        )
        return {
            "pending_at_end_of_load": first.get("pending", 0),
            "drain_s": round(seconds, 1),
            "registered": counts.get("registered", 0),
            "failed": counts.get("failed", 0),
            "still_pending": counts.get("pending", 0),
        }

    def govsite_stored(self, receipts: Sequence[str]) -> tuple[int, int]:
        """(how many of the receipts are stored, how many letters are stored in all)."""
        from govsite.cases.models import Case

        found = 0
        for chunk in chunks(sorted(set(receipts)), 500):
            found += Case.objects.filter(receipt_number__in=chunk).count()
        return found, Case.objects.filter(kind="letter").count()

    # the stock Wagtail peer
    def peer_env(self) -> dict[str, str]:
        env = self.env | {
            "DJANGO_SETTINGS_MODULE": "peer_settings",
            "DATABASE_URL": f"sqlite:///{self.workspace.peer_database}",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(HERE), str(REPO_ROOT), os.environ.get("PYTHONPATH")])
            ),
        }
        return env

    def stock_wagtail_forms(self) -> None:
        env = self.peer_env()
        if not self.workspace.peer_database.exists():
            log("stock Wagtail forms: migrating its own SQLite database, creating the form page")
            self.command("peer-migrate", peer_django("migrate", "--no-input", "-v", "0"), env)
            self.command("peer-setup", peer_django("peer_setup"), env)
        port = free_port()
        app_port = free_port()
        front_argv, app_argv = serve_argv(port, self.options.app_workers, self.options.blocking_threads)
        app_argv = replace_option(app_argv, "--port", str(app_port))
        app_argv[-1] = "peer_wsgi:application"
        env |= {
            "GOVSITE_APP_UPSTREAM": f"http://127.0.0.1:{app_port}",
            "GOVSITE_PUBLISH_ROOT": str(self.workspace.root / "peer-publish"),  # empty: every path is proxied
        }
        server = Server(
            "stock_wagtail_forms",
            self.processes,
            front_argv,
            app_argv,
            env,
            HERE,
            port,
            app_port,
            f"localhost:{port}",
            PEER_FORM_PATH,
        )
        target = load.Target("stock_wagtail_forms", self.client_port(server), server.host, PEER_FORM_PATH)
        self.results.peers["stock_wagtail_forms"] = self.measure(server, target, self.peer_stored)

    def peer_stored(self, receipts: Sequence[str]) -> tuple[int, int]:
        ids = sorted({int(receipt) for receipt in receipts if receipt.isdigit()})
        with sqlite3.connect(self.workspace.peer_database) as connection:
            found = 0
            for chunk in chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                query = f"SELECT COUNT(*) FROM wagtailforms_formsubmission WHERE id IN ({marks})"
                found += connection.execute(query, chunk).fetchone()[0]
            total = connection.execute("SELECT COUNT(*) FROM wagtailforms_formsubmission").fetchone()[0]
        return found, total

    # measuring one target
    def measure(
        self,
        server: Server,
        target: load.Target,
        stored: Callable[[Sequence[str]], tuple[int, int]],
        drain: Callable[[], dict] | None = None,
    ) -> dict:
        options = self.options
        log(
            f"{target.name}: starting the front (:{server.front_port}) and the application (:{server.app_port})"
        )
        server.start()
        try:
            _, stored_before = stored([])
            idle = machine.cpu_idle_share(1.0)
            restart_at = options.duration_s / 2

            async def restart() -> None:
                log(f"{target.name}: restarting the front, the application and workers (SIGTERM, then start)")
                await asyncio.to_thread(server.restart, restart_at)

            events = [(restart_at, restart)] if options.restart else []
            log(
                f"{target.name}: {options.clients} clients for {options.warmup_s:.0f} s warm-up + "
                f"{options.duration_s:.0f} s"
                + (f", restart at {restart_at:.0f} s" if options.restart else "")
            )
            wall = time.monotonic()
            cpu_bench = os.times()
            mark: dict[str, float] = {}

            async def go() -> load.Tally:
                async def take_mark() -> None:
                    mark.update(server.cpu_mark())

                return await load.run_load(
                    target,
                    clients=options.clients,
                    warmup_s=options.warmup_s,
                    duration_s=options.duration_s,
                    events=[(0.0, take_mark), *events],
                )

            tally = asyncio.run(go())
            cpu = server.cpu_since(mark)
            cpu_after = os.times()
            cpu["benchmark_clients"] = round(
                (cpu_after.user + cpu_after.system) - (cpu_bench.user + cpu_bench.system), 1
            )
            wall = time.monotonic() - wall
            intake = drain() if drain is not None else None
            found, stored_after = stored(tally.receipts)
        finally:
            server.stop()
        figures = summarize(tally, options, server.restarts)
        unique = len(set(tally.receipts))
        figures |= {
            "receipts_checked": unique,
            "receipts_stored": found,
            "lost": unique - found,
            "duplicate_receipts": len(tally.receipts) - unique,
            "stored_during_run": stored_after - stored_before,
            "stored_not_acknowledged": max(0, stored_after - stored_before - unique),
            "cpu_seconds": cpu | {"wall_s_with_warmup": round(wall, 1)},
            "cpu_ms_per_accepted_letter": {
                name: round(seconds * 1000 / figures["accepted"], 1) if figures["accepted"] else None
                for name, seconds in cpu.items()
            },
            "cpu_idle_share_before": idle,
            "server": {"front": server.front_argv[1:], "app": server.app_argv[1:]}
            | ({"intake_worker": server.worker_argv[2:]} if server.worker_argv else {}),
        }
        if intake is not None:
            figures["intake"] = intake
        log(
            f"{target.name}: {figures['accepted_per_s']} accepted/s, POST p50 {figures['post_ms'].get('p50')} ms "
            f"p99 {figures['post_ms'].get('p99')} ms, lost {figures['lost']}, outcomes {dict(tally.outcomes)}"
        )
        return figures


def chunks(values: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def longest_pause(accepted_at: Sequence[float], since: float, until: float) -> dict:
    """The longest stretch after `since` (the SIGTERM) with no letter accepted: the restart as clients saw it."""
    times = [since, *(at for at in accepted_at if at > since), until]
    seconds, start = max((later - earlier, earlier) for earlier, later in itertools.pairwise(times))
    return {"seconds": round(seconds, 2), "from_s": round(start, 2), "to_s": round(start + seconds, 2)}


def summarize(tally: load.Tally, options: Options, restarts: list[dict]) -> dict:
    duration = options.duration_s
    in_window = [at for at in tally.accepted_at if at <= duration]
    figures: dict[str, Any] = {
        "clients": options.clients,
        "measured_s": duration,
        "accepted": len(in_window),
        "attempts": tally.attempts,
        "accepted_per_s": round(len(in_window) / duration, 1),
        "outcomes": dict(tally.outcomes.most_common()),
        "post_ms": summary_ms(tally.post_ms),
        "cycle_ms": summary_ms(tally.cycle_ms),
        "get_ms": summary_ms(tally.get_ms),
        "accepted_per_second_timeline": [
            sum(1 for at in in_window if second <= at < second + 1) for second in range(int(duration))
        ],
        "receipt_pages_checked": dict(tally.receipt_pages),
        "refusal_samples": tally.refusal_samples,
    }
    if restarts:
        restart = dict(restarts[0])
        pause = longest_pause(sorted(in_window), restart["at_s"], duration)
        restart["longest_pause_without_acceptance_s"] = pause
        restart["failed_attempts_after_sigterm"] = sum(1 for at in tally.failed_at if at >= restart["at_s"])
        figures["restart"] = restart
        if pause["seconds"] < duration:
            figures["steady_accepted_per_s"] = round(len(in_window) / (duration - pause["seconds"]), 1)
    figures["post_p99_ms"] = figures["post_ms"].get("p99")
    return figures


# --- entry point -------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=float, default=DEFAULT_DURATION_S, help="measured seconds per target"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"a smoke run: {QUICK_DURATION_S:.0f} s per target"
    )
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS, help="concurrent clients")
    parser.add_argument(
        "--warmup",
        type=float,
        help=f"unmeasured seconds of load first ({WARMUP_S:.0f}, --quick {QUICK_WARMUP_S:.0f})",
    )
    parser.add_argument("--no-restart", action="store_true", help="do not restart the application halfway")
    parser.add_argument(
        "--targets", default=",".join(TARGETS), help="govsite,stock_wagtail_forms or one of them"
    )
    parser.add_argument("--form-rate", default=FORM_RATE, help="GOVSITE_FORM_RATE for the server")
    parser.add_argument("--app-workers", type=int, help="application processes (default: as manage.py serve)")
    parser.add_argument(
        "--blocking-threads", type=int, help="threads per application process (default: as serve)"
    )
    parser.add_argument("--form-path", help="the mailbox form's path (default: the demo's mayor's mailbox)")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="clients talk to the application's port, bypassing the front (to see what the front costs)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory (databases, logs)")
    parser.add_argument(
        "--workdir", help="where to make the throwaway directory (default: the system's temp)"
    )
    parser.add_argument(
        "--reuse", help="a directory kept by --keep: reuse its databases (no migrate/load_demo)"
    )
    args = parser.parse_args(argv)
    targets = [name.strip() for name in args.targets.split(",") if name.strip()]
    unknown = set(targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown target {', '.join(sorted(unknown))}")
    return Options(
        targets=targets,
        duration_s=QUICK_DURATION_S if args.quick else args.duration,
        clients=args.clients,
        warmup_s=args.warmup if args.warmup is not None else (QUICK_WARMUP_S if args.quick else WARMUP_S),
        restart=not args.no_restart,
        form_rate=args.form_rate,
        app_workers=args.app_workers,
        blocking_threads=args.blocking_threads,
        form_path=args.form_path,
        keep=args.keep or bool(args.reuse),
        workdir=args.workdir,
        reuse=args.reuse,
        direct=args.direct,
    )


def stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C does, so every process started is stopped."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    stop_on_sigterm()
    if options.reuse:
        workspace = Workspace(Path(options.reuse))
        workspace.logs.mkdir(exist_ok=True)
    else:
        workspace = Workspace.create(options.workdir)
    results = Results()
    results.settings = {
        "targets": options.targets,
        "clients": options.clients,
        "duration_s": options.duration_s,
        "warmup_s": options.warmup_s,
        "restart_at_s": options.duration_s / 2 if options.restart else None,
        "form_rate": f"GOVSITE_FORM_RATE={options.form_rate} (raised for the run: every client is 127.0.0.1)",
        "database": "SQLite (WAL, synchronous=NORMAL), throwaway",
        "retry_pause_s": load.RETRY_PAUSE_S,
        "clients_talk_to": "the application directly (--direct, a diagnosis)"
        if options.direct
        else "the front",
        "workspace": str(workspace.root),
    }
    log(f"workspace {workspace.root}")
    try:
        with ProcessGroup(workspace.logs) as processes:
            benchmark = Benchmark(options, workspace, processes, results)
            if "govsite" in options.targets:
                benchmark.guarded("govsite", benchmark.govsite)
            if "stock_wagtail_forms" in options.targets:
                benchmark.guarded("stock Wagtail forms", benchmark.stock_wagtail_forms)
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
