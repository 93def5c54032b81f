"""Browser tests against a real running platform: the demo city served by Granian, seen in Chromium.

`demo_server` builds it once for the e2e package: a fresh database (a temporary SQLite file, or,
when DATABASE_URL points to PostgreSQL, a database of its own that is dropped at the end),
`migrate`, `load_demo --port`, `collectstatic`, `rebuild_sites`, `search_reindex`, then `manage.py serve` on a free port
(as `make run`: the front serves published files, the application the rest). The city portal
answers on http://localhost:PORT/, district and department sites on http://<slug>.localhost:PORT/
(Chromium resolves *.localhost to loopback by itself).

The browser is Debian's Chromium (/usr/bin/chromium, or GOVSITE_CHROMIUM), driven by
Playwright's sync API; Playwright never downloads a browser here.

The fixtures are package-scoped on purpose: Playwright's sync API keeps an event loop in the
main thread, and Django's ORM refuses to run beside one (SynchronousOnlyOperation), so the
browser is closed before the database tests of other packages run.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _database_kind() -> str:
    return (
        "postgres"
        if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
        else "sqlite"
    )


RESULTS = ROOT / "var" / "test-results" / f"e2e-{_database_kind()}"  # screenshots of failed tests
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_SECONDS = 60
COMMAND_TIMEOUT_SECONDS = 15 * 60


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is a browser test: `-m "not e2e"` leaves them all out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the test, so the page fixture can take a screenshot on failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the server ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoServer:
    """The running demo city."""

    port: int
    url: str  # the city portal: http://localhost:PORT
    log: Path  # what manage.py and Granian printed: Django logs a 500's traceback here

    def site_url(self, slug: str = "", path: str = "/") -> str:
        """The address of a path on the site answering <slug>.localhost (the city portal without a slug)."""
        host = f"{slug}.localhost" if slug else "localhost"
        return f"http://{host}:{self.port}{path}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_manage(args: list[str], env: dict[str, str], log: Path) -> None:
    """Run one manage.py command; on failure, fail the e2e set-up with the end of its output."""
    started = time.monotonic()
    with log.open("ab") as out:
        out.write(f"\n$ manage.py {' '.join(args)}\n".encode())
        out.flush()
        try:
            completed = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=COMMAND_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"manage.py {args[0]} took more than {COMMAND_TIMEOUT_SECONDS} s; log: {log}", pytrace=False
            )
    print(f"[e2e] manage.py {args[0]}: {time.monotonic() - started:.1f} s")
    if completed.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(args)} exited {completed.returncode}; end of {log}:\n{tail(log)}",
            pytrace=False,
        )


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def e2e_database(workdir: Path) -> Iterator[str]:
    """A fresh database for the demo city: the URL to give the server."""
    base = os.environ.get("DATABASE_URL", "")
    if _database_kind() == "sqlite":
        yield f"sqlite:///{workdir / 'e2e.sqlite3'}"
        return

    import psycopg
    from psycopg import sql

    parts = urlsplit(base)
    name = f"govsite_e2e_{os.getpid()}"
    admin_url = base
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _answers(port: int, path: str) -> bool:
    """Whether the server answers `path`; a 503 is the front saying the application is not up yet."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": f"localhost:{port}"})
    try:
        with urllib.request.urlopen(request, timeout=5):
            return True
    except urllib.error.HTTPError as error:
        return error.code != 503  # it answers; what it answers is for the tests to judge
    except OSError:
        return False


def wait_until_serving(process: subprocess.Popen, port: int, log: Path) -> None:
    """Wait for the front (a published page), then for the application behind it (a dynamic path)."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    waiting = ["/", "/search/suggest/"]
    while waiting and time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the server exited {process.returncode} while starting; end of {log}:\n{tail(log)}",
                pytrace=False,
            )
        if _answers(port, waiting[0]):
            waiting.pop(0)
        else:
            time.sleep(0.2)
    if waiting:
        pytest.fail(
            f"the server did not answer {waiting[0]} on port {port} within {SERVER_START_SECONDS} s; "
            f"end of {log}:\n{tail(log)}"
        )


@pytest.fixture(scope="package")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo city, migrated, loaded and served by Granian on a free port, for the whole e2e package."""
    workdir = tmp_path_factory.mktemp("e2e-server")
    log = workdir / "server.log"
    port = free_port()
    static_root, media_root = workdir / "static", workdir / "media"
    static_root.mkdir()
    media_root.mkdir()

    with e2e_database(workdir) as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "GOVSITE_DEBUG": os.environ.get("GOVSITE_DEBUG", "0"),
            "GOVSITE_SECRET_KEY": os.environ.get("GOVSITE_SECRET_KEY") or secrets.token_urlsafe(48),
            "GOVSITE_SECURE_COOKIES": "0",
            "GOVSITE_STATIC_ROOT": str(static_root),
            "GOVSITE_MEDIA_ROOT": str(media_root),
            "GOVSITE_PUBLISH_ROOT": str(workdir / "publish"),
            "GOVSITE_PUBLISH_VAULT": str(workdir / "vault"),
            "GOVSITE_INTAKE_DB": str(workdir / "intake.sqlite3"),
            "GOVSITE_MONITOR": "off",  # no inspections competing with the browser for the 2 cores
            "GOVSITE_ADMIN_BASE_URL": f"http://localhost:{port}",
            "PYTHONUNBUFFERED": "1",
        }
        print(f"\n[e2e] building the demo city in {workdir} ({database_url.split('://')[0]}), port {port}")
        run_manage(["migrate", "--no-input", "-v", "0"], env, log)
        run_manage(["load_demo", "--port", str(port)], env, log)
        run_manage(["collectstatic", "--no-input", "-v", "0"], env, log)

        run_manage(["rebuild_sites"], env, log)
        run_manage(["search_reindex"], env, log)
        # As `make run` does: the front serves the published files, the application the rest.
        command = [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)]
        with log.open("ab") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(process, port, log)
            print(f"[e2e] serving http://localhost:{port}/ (log: {log})")
            yield DemoServer(port=port, url=f"http://localhost:{port}", log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- the browser --------------------------------------------------------------------------------


def chromium_executable() -> str:
    path = os.environ.get("GOVSITE_CHROMIUM", "/usr/bin/chromium")
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"no Chromium at {path}: run `bash scripts/test-services.sh` (as root it installs Debian's chromium)"
        )
    return path


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    shutil.rmtree(RESULTS, ignore_errors=True)  # screenshots of an earlier run's failures
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _open_page(browser: Browser, request: pytest.FixtureRequest, *, bypass_csp: bool) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=bypass_csp, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        report_failure(page, request)
    context.close()


def report_failure(page: Page, request: pytest.FixtureRequest) -> None:
    """A screenshot of the page and the end of the server's log, printed under the failed test."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    shot = RESULTS / re.sub(r"[^\w.\[\]-]+", "_", f"{request.node.name}.png")
    with contextlib.suppress(Exception):
        page.screenshot(path=str(shot), full_page=True)
        print(f"[e2e] screenshot of the failure: {shot} ({page.url})")
    if "demo_server" in request.fixturenames:
        with contextlib.suppress(Exception):
            server: DemoServer = request.getfixturevalue("demo_server")
            print(f"[e2e] end of the server log {server.log}:\n{tail(server.log, 30)}")


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page in a fresh context; CSP is bypassed so that axe-core can be injected."""
    yield from _open_page(browser, request, bypass_csp=True)


@pytest.fixture
def strict_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page that obeys the site's Content-Security-Policy, as a visitor's browser does."""
    yield from _open_page(browser, request, bypass_csp=False)
