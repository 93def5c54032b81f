"""Search benchmark (issue 5): Chinese search over a generated corpus, govsite against stock Wagtail.

Run from the repository root with the project's Python (`make bench` does):

    .venv/bin/python bench/search/run.py                 # 1,000,000 documents, SQLite and PostgreSQL
    .venv/bin/python bench/search/run.py --quick         # 20,000 documents: a smoke run of a few minutes

A corpus of Chinese articles is generated once (corpus.py: words from jieba's dictionary at their
dictionary frequencies, known items planted) into a throwaway directory. Then, on SQLite and on
PostgreSQL in turn: a fresh database is migrated and the demo city loaded (its sites, categories,
topics and institutions give the documents their metadata), and a child process (measure.py)
indexes the corpus with `govsite.search.documents.write_documents`, optimizes, times 1–3-word
queries through `govsite.search.services.search` and checks recall@10 on the known items. Stock
Wagtail search (`wagtail.search.backends.database`, unmodified) gets its own fresh database with a
one-model app (peerapp, peer_settings.py), the same documents and the same queries, in the same run.
Results go to bench/results/search.json; README.md beside this file explains them.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(REPO_ROOT / "bench" / "publishing")]

import corpus as corpus_module  # noqa: E402
import machine  # noqa: E402  (bench/publishing/machine.py)

RESULTS_PATH = REPO_ROOT / "bench" / "results" / "search.json"
DEFAULT_DOCS = 1_000_000
QUICK_DOCS = 20_000
# Stock Wagtail search is measured on the first PEER_DOCS documents at most, with the first PEER_QUERIES
# latency queries and PEER_KNOWN of the known items among those documents: its queries take about
# 20 ms per 1,000 documents (a full scan), 20 s each at 1,000,000 (see README).
PEER_DOCS = 50_000
PEER_QUERIES = 200
PEER_KNOWN = 100
DEFAULT_KNOWN = 500
DEFAULT_QUERIES = 1000
BATCH = 2000
SEED = 20251231
DATABASES = ("sqlite", "postgresql")
PG_DATABASE = "govsite_bench_search"
PG_PEER_DATABASE = "govsite_bench_search_peer"
TARGETS = {"build_docs_per_s": 2000.0, "p95_ms": 50.0, "recall_at_10": 0.95}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- options and results --------------------------------------------------------------------------------


@dataclass
class Options:
    docs: int
    peer_docs: int
    peer_queries: int
    peer_known: int
    known: int
    queries: int
    batch: int
    seed: int
    databases: list[str]
    keep: bool
    workdir: str | None


@dataclass
class Results:
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    settings: dict[str, Any] = field(default_factory=dict)
    corpus: dict[str, Any] = field(default_factory=dict)
    databases: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)  # databases whose figures come from an earlier run

    def carry_over(self, path: Path, measured: list[str], docs: int) -> None:
        """A run on one database keeps the other database's figures of an earlier run of the same
        corpus size, marked with that run's date (so the results file always covers both)."""
        if not path.exists():
            return
        earlier = json.loads(path.read_text())
        for name in DATABASES:
            section = earlier.get(name)
            if name in measured or not section or earlier.get("settings", {}).get("docs") != docs:
                continue
            section.setdefault("carried_over_from_run_of", earlier.get("date"))
            self.databases[name] = section
            self.carried.append(name)
        if self.carried:
            log(f"kept the earlier figures of {', '.join(self.carried)} (same corpus size)")

    def fail(self, part: str, error: BaseException) -> None:
        log(f"{part} failed: {error}")
        self.errors.append({"part": part, "error": f"{type(error).__name__}: {error}"})

    def as_dict(self) -> dict:
        data: dict[str, Any] = {
            "benchmark": "search",
            "issue": 5,
            "date": self.started.isoformat(timespec="seconds"),
            "duration_s": round((datetime.now(UTC) - self.started).total_seconds(), 1),
            "machine": machine.describe() | {"software": software()},
            "settings": self.settings,
            "corpus": self.corpus,
        }
        data.update(self.databases)
        measured = self.settings.get("databases", DATABASES)
        data["goals"] = goals(self.databases, self.settings | {"databases": [*self.carried, *measured]})
        data["notes"] = NOTES
        data["errors"] = self.errors
        return data

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n")
        log(f"results written to {path}")


NOTES = [
    "Build speed counts only the engine's calls (govsite: write_documents, which segments with rjieba and "
    "writes the document rows and the full-text index; stock: the model rows and add_bulk); generating and "
    "reading the corpus is not counted. The SQLite FTS5 optimize (PostgreSQL: ANALYZE) is timed apart.",
    "Latency is the wall time of one call in the measuring process, after 30 unrecorded warm-up queries: "
    "govsite's services.search(SearchQuery(text, whole_platform=True, log=False)) — first page, relevance, "
    "facets included; stock Wagtail's backend.search(text, Article.objects.all())[:10].",
    "recall@10: share of the known-item queries whose planted item is among the first 10 results. Stock "
    "Wagtail search is measured on the first peer_corpus_docs documents, with the first peer_latency_queries "
    "latency queries and peer_known_items of the known items among those documents (evenly spread): its "
    "queries scan the whole table (about 20 ms per 1,000 documents on SQLite), so the full set would take hours.",
    "Latency queries are 1–3 content words drawn independently at their dictionary frequency, so many "
    "multi-word queries find nothing (govsite then retries with the words cut finer and a homophone).",
]


def software() -> dict:
    base = machine.describe()["software"]
    keep = {name: base[name] for name in ("django", "wagtail")}
    for name in ("modelsearch", "rjieba", "jieba", "psycopg"):
        keep[name] = machine.package_version(name)
    return keep


def goal(name: str, value: float | None, target: float, comparator: str, unit: str) -> dict:
    met = value is not None and (value >= target if comparator == ">=" else value <= target)
    return {
        "name": name,
        "value": value,
        "target": target,
        "comparator": comparator,
        "unit": unit,
        "met": met,
    }


def goals(databases: dict[str, dict], settings: dict) -> list[dict]:
    """The goals of issue 5 for govsite's engine on each database; a part that failed is not met."""
    out = []
    for name in settings.get("databases", DATABASES):
        ours = databases.get(name, {}).get("govsite", {})
        stock = databases.get(name, {}).get("stock_wagtail", {})
        docs = ours.get("corpus_docs", settings.get("docs"))
        label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[name]
        stock_recall = stock.get("recall", {}).get("recall_at_10")
        out += [
            goal(
                f"{label}: index build, {docs:,} documents",
                ours.get("build", {}).get("docs_per_s"),
                TARGETS["build_docs_per_s"],
                ">=",
                "docs/s",
            ),
            goal(
                f"{label}: query latency p95, 1–3-word queries, {docs:,} documents",
                ours.get("latency", {}).get("p95_ms"),
                TARGETS["p95_ms"],
                "<=",
                "ms",
            ),
            goal(
                f"{label}: recall@10 on known items, {docs:,} documents"
                + (
                    f" (stock Wagtail: {stock_recall} on {stock.get('corpus_docs', 0):,})"
                    if stock_recall is not None
                    else ""
                ),
                ours.get("recall", {}).get("recall_at_10"),
                TARGETS["recall_at_10"],
                ">=",
                "",
            ),
        ]
    return out


# --- databases -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @classmethod
    def create(cls, parent: str | None) -> Workspace:
        workspace = cls(Path(tempfile.mkdtemp(prefix="govsite-bench-search-", dir=parent)))
        workspace.logs.mkdir()
        return workspace


def base_environment(database_url: str, workspace: Workspace, secret_key: str) -> dict[str, str]:
    """Production settings (no debug: Django would keep every SQL statement), a throwaway database."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="govsite.settings",
        DATABASE_URL=database_url,
        GOVSITE_DEBUG="0",
        GOVSITE_SECRET_KEY=secret_key,
        GOVSITE_ALLOWED_HOSTS="*",
        GOVSITE_SECURE_COOKIES="0",
        GOVSITE_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        GOVSITE_PUBLISH_ROOT=str(workspace.root / "publish"),
        GOVSITE_PUBLISH_VAULT=str(workspace.root / "vault"),
        GOVSITE_STATIC_ROOT=str(workspace.root / "static"),
        GOVSITE_MEDIA_ROOT=str(workspace.root / "media"),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_logged(name: str, argv: list[str], env: dict, workspace: Workspace, cwd: Path = REPO_ROOT) -> float:
    """Run a command to completion, its output in logs/NAME.log; returns its wall time."""
    started = time.monotonic()
    log_path = workspace.logs / f"{name}.log"
    with log_path.open("w") as out:
        done = subprocess.run(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"{name} exited with {done.returncode}:\n{tail}")
    return time.monotonic() - started


def run_measure(name: str, argv: list[str], env: dict, workspace: Workspace) -> float:
    """A measuring child: its progress (stderr) shown live and kept in logs/NAME.log."""
    started = time.monotonic()
    log_path = workspace.logs / f"{name}.log"
    with (
        log_path.open("w") as out,
        subprocess.Popen(
            argv, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as child,
    ):
        assert child.stdout is not None
        for line in child.stdout:
            out.write(line)
            out.flush()
            if line.startswith("[measure]"):
                print(f"[bench] {name}: {line[10:].rstrip()}", file=sys.stderr, flush=True)
        child.wait()
    if child.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-25:])
        raise RuntimeError(f"{name} exited with {child.returncode}:\n{tail}")
    return time.monotonic() - started


class Postgres:
    """The private test cluster (scripts/test-services.sh) and the bench's own databases in it."""

    def __init__(self) -> None:
        self.started_here = False
        self.url = ""

    def start(self) -> None:
        script = ["bash", str(REPO_ROOT / "scripts" / "test-services.sh")]
        running = subprocess.run([*script, "status"], capture_output=True, text=True).returncode == 0
        if not running:
            log("starting the private PostgreSQL cluster (scripts/test-services.sh)")
            subprocess.run([*script, "start"], check=True, stdout=sys.stderr)
            self.started_here = True
        self.url = subprocess.run([*script, "url"], capture_output=True, text=True, check=True).stdout.strip()

    def stop_if_started_here(self) -> None:
        if self.started_here:
            subprocess.run(["bash", str(REPO_ROOT / "scripts" / "test-services.sh"), "stop"], check=False)

    def database_url(self, name: str) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def recreate(self, name: str) -> str:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(sql)


# --- the benchmark ---------------------------------------------------------------------------------------


class Benchmark:
    def __init__(self, options: Options, workspace: Workspace, results: Results) -> None:
        self.options = options
        self.workspace = workspace
        self.results = results
        self.secret_key = secrets.token_urlsafe(50)
        self.postgres: Postgres | None = None

    def generate_corpus(self) -> None:
        options = self.options
        corpus = corpus_module.Corpus(
            options.docs, known=options.known, queries=options.queries, seed=options.seed
        )
        started = time.monotonic()
        log(f"generating {options.docs:,} documents into {self.workspace.corpus}")
        last = [time.monotonic()]

        def report(done: int) -> None:
            if time.monotonic() - last[0] > 30 or done == options.docs:
                last[0] = time.monotonic()
                log(f"generated {done:,}/{options.docs:,}")

        rivals = corpus_module.write_corpus(
            corpus, self.workspace.corpus, workers=os.cpu_count() or 1, report=report
        )
        seconds = time.monotonic() - started
        known = corpus.known_items
        self.results.corpus = corpus.describe() | {
            "generation_seconds": round(seconds, 1),
            "known_items_with_title_rivals": sum(1 for count in rivals.values() if count),
            "title_rivals_note": "other documents whose generated title words include every word of a known "
            "item's query (such a document may fairly rank above the item)",
            "known_item_examples": [
                {"query": item.query, "title": item.title, "position": item.position}
                for item in known[:: max(1, len(known) // 8)]
            ],
            "latency_query_examples": [query.text for query in corpus.latency_queries[:20]],
        }
        log(f"corpus generated in {seconds:.0f} s")

    def measure_args(self, engine: str, docs: int, out: Path) -> list[str]:
        options = self.options
        return [
            sys.executable,
            str(HERE / "measure.py"),
            engine,
            "--corpus",
            str(self.workspace.corpus),
            "--corpus-docs",
            str(options.docs),
            "--docs",
            str(docs),
            "--known",
            str(options.known),
            "--queries",
            str(options.queries),
            "--seed",
            str(options.seed),
            "--batch",
            str(options.batch),
            "--out",
            str(out),
        ]

    def database(self, name: str) -> None:
        entry = self.results.databases.setdefault(name, {})
        if name == "postgresql":
            self.postgres = Postgres()
            self.postgres.start()
            url = self.postgres.recreate(PG_DATABASE)
            peer_url = self.postgres.recreate(PG_PEER_DATABASE)
        else:
            url = f"sqlite:///{self.workspace.root / 'govsite.sqlite3'}"
            peer_url = f"sqlite:///{self.workspace.root / 'stock-wagtail.sqlite3'}"

        self.guarded(f"{name}: govsite", lambda: self.govsite(name, url, entry))
        self.guarded(f"{name}: stock Wagtail", lambda: self.stock(name, peer_url, entry))

    def govsite(self, name: str, url: str, entry: dict) -> None:
        env = base_environment(url, self.workspace, self.secret_key)
        manage = [sys.executable, str(REPO_ROOT / "manage.py")]
        log(f"{name}: migrating a fresh database and loading the demo city")
        setup = run_logged(
            f"{name}-migrate", [*manage, "migrate", "--no-input", "-v", "0"], env, self.workspace
        )
        setup += run_logged(
            f"{name}-load_demo", [*manage, "load_demo", "--port", "8000"], env, self.workspace
        )
        out = self.workspace.root / f"{name}-govsite.json"
        wall = run_measure(
            f"{name}-govsite", self.measure_args("govsite", self.options.docs, out), env, self.workspace
        )
        figures = json.loads(out.read_text())
        figures["setup"] = {"migrate_and_load_demo_s": round(setup, 1), "measure_wall_s": round(wall, 1)}
        entry["govsite"] = figures

    def stock(self, name: str, url: str, entry: dict) -> None:
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="peer_settings", PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")]))
        log(f"{name}: stock Wagtail search on {self.options.peer_docs:,} documents")
        setup = run_logged(
            f"{name}-stock-migrate",
            [sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"],
            env,
            self.workspace,
            cwd=HERE,
        )
        out = self.workspace.root / f"{name}-stock.json"
        argv = self.measure_args("stock", self.options.peer_docs, out)
        argv += [
            "--limit-queries",
            str(self.options.peer_queries),
            "--limit-known",
            str(self.options.peer_known),
        ]
        wall = run_measure(f"{name}-stock", argv, env, self.workspace)
        figures = json.loads(out.read_text())
        figures["setup"] = {"migrate_s": round(setup, 1), "measure_wall_s": round(wall, 1)}
        entry["stock_wagtail"] = figures

    def cleanup(self) -> None:
        if self.postgres is not None:
            if not self.options.keep:
                for database in (PG_DATABASE, PG_PEER_DATABASE):
                    try:
                        self.postgres.drop(database)
                    except Exception as error:
                        log(f"could not drop {database}: {error}")
            self.postgres.stop_if_started_here()

    def guarded(self, part: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as error:
            self.results.fail(part, error)


# --- entry point -------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS, help="documents in the corpus")
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK_DOCS:,} documents")
    parser.add_argument(
        "--peer-docs",
        type=int,
        help=f"documents stock Wagtail search indexes (default: the corpus, at most {PEER_DOCS:,})",
    )
    parser.add_argument(
        "--peer-queries", type=int, default=PEER_QUERIES, help="latency queries for stock Wagtail"
    )
    parser.add_argument("--peer-known", type=int, default=PEER_KNOWN, help="known items for stock Wagtail")
    parser.add_argument("--known", type=int, default=DEFAULT_KNOWN, help="planted known items")
    parser.add_argument("--queries", type=int, default=DEFAULT_QUERIES, help="latency queries")
    parser.add_argument("--batch", type=int, default=BATCH, help="documents per write_documents call")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--databases", default=",".join(DATABASES), help="sqlite,postgresql or one of them")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory and databases")
    parser.add_argument(
        "--workdir", help="where to make the throwaway directory (default: the system's temp)"
    )
    args = parser.parse_args(argv)
    docs = QUICK_DOCS if args.quick else args.docs
    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    unknown = set(databases) - set(DATABASES)
    if unknown:
        parser.error(f"unknown database {', '.join(sorted(unknown))}")
    peer_docs = min(args.peer_docs or min(docs, PEER_DOCS), docs)
    return Options(
        docs,
        peer_docs,
        args.peer_queries,
        args.peer_known,
        args.known,
        args.queries,
        args.batch,
        args.seed,
        databases,
        args.keep,
        args.workdir,
    )


def stop_on_sigterm() -> None:
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    stop_on_sigterm()
    workspace = Workspace.create(options.workdir)
    results = Results()
    results.settings = {
        "docs": options.docs,
        "peer_corpus_docs": options.peer_docs,
        "peer_latency_queries": options.peer_queries,
        "peer_known_items": options.peer_known,
        "known_items": options.known,
        "latency_queries": options.queries,
        "batch": options.batch,
        "seed": options.seed,
        "databases": options.databases,
        "workspace": str(workspace.root),
    }
    log(f"workspace {workspace.root}")
    results.carry_over(RESULTS_PATH, options.databases, options.docs)
    benchmark = Benchmark(options, workspace, results)
    try:
        benchmark.generate_corpus()
        for name in options.databases:
            benchmark.database(name)
    except BaseException as error:
        results.fail("run", error)
        raise
    finally:
        results.write(RESULTS_PATH)
        benchmark.cleanup()
        if options.keep:
            log(f"kept {workspace.root}")
        else:
            shutil.rmtree(workspace.root, ignore_errors=True)
    return 0 if not results.errors else 1


if __name__ == "__main__":
    sys.exit(main())
