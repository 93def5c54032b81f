"""Link-check benchmark (issue 7): govsite's link checker against LinkChecker, in the same run.

Run from the repository root with the project's Python (`make bench` does):

    .venv/bin/python bench/monitoring/run.py [--per-host 16] [--runs 3] [--peer-runs 2] [--keep]

A static government site (sitegen.py: 400 HTML pages, more than 21,000 distinct links, planted 404s,
500s, redirects, a redirect loop, slow pages, external links) is served by nginx on 127.0.0.1.
Both checkers crawl it from its home page as separate processes, timed from outside, with the same
per-host politeness (at most `--per-host` requests in flight to the host; LinkChecker's request-rate
limit is lifted the way its documentation allows: the server sends a `LinkChecker` header) and the
same timeout. The broken sets are compared with each other and with the planted ground truth.
If bench/monitoring/wording.py exists, its `measure(workdir)` adds the wording-scan part.
Results go to bench/results/monitoring.json; README.md beside this file explains them.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(REPO_ROOT / "bench" / "publishing"), str(REPO_ROOT)]

import machine  # noqa: E402  (bench/publishing/machine.py)
import nginx  # noqa: E402  (bench/publishing/nginx.py)
import sitegen  # noqa: E402
from processes import ProcessGroup, free_port, log  # noqa: E402  (bench/publishing/processes.py)

from govsite.monitoring.links import LinkPolicy  # noqa: E402

RESULTS_PATH = REPO_ROOT / "bench" / "results" / "monitoring.json"
PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
LINKCHECKER = REPO_ROOT / ".venv" / "bin" / "linkchecker"
PER_HOST = 16
PEER_FEWER_THREADS = 4  # LinkChecker was fastest with few threads in trials on this machine: measured too
TIMEOUT_S = 10
PEER_MAX_REQUESTS_PER_SECOND = 1_000_000  # effectively no rate limit: allowed by the LinkChecker header
RUN_TIMEOUT_S = 300
SPEED_TARGET = 10.0


# --- running the checkers -------------------------------------------------------------------------------


def timed_run(name: str, argv: list[str], log_dir: Path) -> tuple[str, float, int]:
    """Run a command to completion; (stdout, wall seconds, exit code). stderr goes to a log file."""
    with open(log_dir / f"{name}.log", "ab") as errors:
        started = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=errors, timeout=RUN_TIMEOUT_S, check=False)
        seconds = time.perf_counter() - started
    return done.stdout.decode("utf-8", "replace"), seconds, done.returncode


def linkchecker_config(path: Path, threads: int) -> Path:
    """LinkChecker at its fastest honest setting for this server (see the module docstring)."""
    path.write_text(
        f"""[checking]
threads={threads}
timeout={TIMEOUT_S}
maxrequestspersecond={PEER_MAX_REQUESTS_PER_SECOND}
robotstxt=0
recursionlevel=-1

[filtering]
checkextern=1

[output]
status=0
warnings=0
verbose=1
"""
    )
    return path


def parse_linkchecker_csv(text: str) -> tuple[set[str], set[str]]:
    """(every link URL checked, the broken ones) from `-o csv -v` output.

    A row's `url` column is where the check ended (after redirects); the link itself is its
    `urlname` resolved against the page (`base` or `parentname`), which is what is compared.
    """
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";")
    checked: set[str] = set()
    broken: set[str] = set()
    for row in reader:
        link = urljoin(row["base"] or row["parentname"] or "", row["urlname"]).split("#", 1)[0]
        checked.add(link)
        if row["valid"] != "True":
            broken.add(link)
    return checked, broken


def run_linkchecker(start: str, config: Path, log_dir: Path) -> dict[str, Any]:
    argv = [str(LINKCHECKER), "-f", str(config), "--no-status", "--no-warnings", "-v", "-o", "csv", start]
    output, seconds, code = timed_run("linkchecker", argv, log_dir)
    checked, broken = parse_linkchecker_csv(output)
    if not checked:
        raise RuntimeError(f"LinkChecker checked nothing (exit {code}); see {log_dir / 'linkchecker.log'}")
    return {"seconds": seconds, "urls": len(checked), "broken": broken, "exit_code": code}


def run_govsite(start: str, per_host: int, workdir: Path, log_dir: Path) -> dict[str, Any]:
    out = workdir / "govsite-crawl.json"
    argv = [str(PYTHON), str(HERE / "govsite_crawl.py"), start, "--per-host", str(per_host)]
    argv += ["--timeout", str(TIMEOUT_S), "--out", str(out)]
    _output, seconds, code = timed_run("govsite", argv, log_dir)
    if code != 0:
        raise RuntimeError(f"govsite's crawl failed (exit {code}); see {log_dir / 'govsite.log'}")
    summary = json.loads(out.read_text())
    if summary["pages"] < sitegen.PAGES:
        raise RuntimeError(
            f"govsite read {summary['pages']} pages of {sitegen.PAGES}: is nginx serving the site?"
        )
    return {
        "seconds": seconds,
        "crawl_s": summary["crawl_s"],
        "urls": summary["urls"],
        "pages": summary["pages"],
        "broken": set(summary["broken"]),
        "problems": summary["broken"],
    }


# --- figures --------------------------------------------------------------------------------------------


def compare(found: set[str], reference: set[str]) -> dict[str, Any]:
    missed, false = sorted(reference - found), sorted(found - reference)
    return {"missed": len(missed), "false": len(false), "missed_urls": missed[:20], "false_urls": false[:20]}


def rate(run: dict[str, Any]) -> float:
    return run["urls"] / run["seconds"]


def summarize(runs: list[dict[str, Any]], chosen: dict[str, Any], how: str) -> dict[str, Any]:
    return {
        "runs_s": [round(run["seconds"], 2) for run in runs],
        "figure": how,
        "seconds": round(chosen["seconds"], 2),
        "urls_checked": chosen["urls"],
        "urls_per_s": round(rate(chosen), 1),
        "broken_found": len(chosen["broken"]),
    }


def goal(name: str, value: float, target: float, comparator: str, unit: str) -> dict[str, Any]:
    met = value >= target if comparator == ">=" else value == target
    return {
        "name": name,
        "value": value,
        "target": target,
        "comparator": comparator,
        "unit": unit,
        "met": met,
    }


def wording_part(workdir: Path) -> dict[str, Any] | None:
    """The wording-scan benchmark (bench/monitoring/wording.py, another engineer's), when present."""
    try:
        import wording  # bench/monitoring/wording.py
    except ImportError:
        return None
    folder = workdir / "wording"
    folder.mkdir(parents=True, exist_ok=True)
    log("wording scan benchmark")
    return wording.measure(folder)


def site_description(plan: sitegen.SitePlan) -> dict[str, Any]:
    return {
        "html_pages": len(plan.page_paths),
        "distinct_link_urls": len(plan.distinct_urls()),
        "planted_broken": len(plan.broken),
        "planted": {
            "404_missing_attachments": sitegen.MISSING,
            "500_nginx_return": sitegen.SERVER_ERRORS,
            "301_to_existing_file (not broken)": sitegen.MOVED,
            "301_to_missing_file (broken)": sitegen.GONE,
            "3_hop_redirect_chains (not broken)": sitegen.CHAINS,
            "redirect_loops (broken)": 1,
            "external_ok (other host name, not followed)": sitegen.EXTERNAL_OK,
            "external_missing (broken)": sitegen.EXTERNAL_MISSING,
            "slow_pages": sitegen.SLOW_PAGES,
        },
        "slow_page": f"{sitegen.SLOW_PAGE_BYTES // 1024} KiB at nginx limit_rate {sitegen.SLOW_RATE}/s, about "
        f"{sitegen.SLOW_PAGE_BYTES / 1024 / int(sitegen.SLOW_RATE.rstrip('k')):.0f} s, under the timeout",
    }


# --- the run --------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    log_dir = workdir / "logs"
    log_dir.mkdir(parents=True)
    port = free_port()
    plan = sitegen.generate(workdir / "site", port)
    log(
        f"site: {len(plan.page_paths)} pages, {len(plan.distinct_urls())} link URLs, {len(plan.broken)} broken"
    )
    prefix = workdir / "nginx"
    config = nginx.write_config(prefix, sitegen.nginx_server(plan))
    nginx.check_config(prefix, config)
    peer_config = linkchecker_config(workdir / "linkcheckerrc", threads=args.per_host)
    fewer_config = linkchecker_config(workdir / "linkcheckerrc-fewer", threads=PEER_FEWER_THREADS)
    start = plan.origin + "/"
    idle = machine.cpu_idle_share(2.0)
    ours: list[dict[str, Any]] = []
    peers: list[dict[str, Any]] = []
    fewer: dict[str, Any] | None = None
    with ProcessGroup(log_dir) as processes:
        server = processes.start("nginx", nginx.command(prefix, config), env=os.environ)
        server.wait_for_port(port)
        log("govsite warm-up crawl (also fills the page cache)")
        run_govsite(start, args.per_host, workdir, log_dir)
        for index in range(max(args.runs, args.peer_runs)):  # interleaved, so noise hits both alike
            if index < args.runs:
                ours.append(run_govsite(start, args.per_host, workdir, log_dir))
                log(f"govsite run {index + 1}: {ours[-1]['urls']} URLs in {ours[-1]['seconds']:.2f} s")
            if index < args.peer_runs:
                peers.append(run_linkchecker(start, peer_config, log_dir))
                log(f"LinkChecker run {index + 1}: {peers[-1]['urls']} URLs in {peers[-1]['seconds']:.2f} s")
        if not args.no_fewer_threads:
            fewer = run_linkchecker(start, fewer_config, log_dir)
            log(
                f"LinkChecker, {PEER_FEWER_THREADS} threads: {fewer['urls']} URLs in {fewer['seconds']:.2f} s"
            )
    idle_after = machine.cpu_idle_share(2.0)
    results = report(args, plan, ours, peers, (idle, idle_after), workdir)
    if fewer is not None:
        add_fewer_threads(results, fewer, plan, args.per_host)
    return results


def add_fewer_threads(
    results: dict[str, Any], fewer: dict[str, Any], plan: sitegen.SitePlan, per_host: int
) -> None:
    """LinkChecker with fewer threads (gentler than govsite here, and faster on this machine): the
    conservative ratio takes LinkChecker's best rate over every configuration it ran with."""
    ours_rate = results["govsite"]["urls_per_s"]
    best_peer_rate = max(results["peer"]["urls_per_s"], rate(fewer))
    results["peer_with_fewer_threads"] = {
        "threads": PEER_FEWER_THREADS,
        "seconds": round(fewer["seconds"], 2),
        "urls_checked": fewer["urls"],
        "urls_per_s": round(rate(fewer), 1),
        "versus_ground_truth": compare(fewer["broken"], plan.broken),
    }
    results["comparison"]["conservative_speed_ratio"] = round(ours_rate / best_peer_rate, 2)
    results["comparison"]["conservative_note"] = (
        f"govsite at per_host={per_host} against LinkChecker's best rate whatever its thread count "
        f"({PEER_FEWER_THREADS} or {per_host}): LinkChecker is CPU-bound "
        "(one core, the GIL), so more threads do not make it faster here."
    )


def report(
    args: argparse.Namespace,
    plan: sitegen.SitePlan,
    ours: list[dict[str, Any]],
    peers: list[dict[str, Any]],
    idle: tuple[float | None, float | None],
    workdir: Path,
) -> dict[str, Any]:
    median_s = statistics.median(run["seconds"] for run in ours)
    chosen = min(ours, key=lambda run: abs(run["seconds"] - median_s))
    peer = min(peers, key=lambda run: run["seconds"])  # the peer's best run
    ratio = round(rate(chosen) / rate(peer), 2)
    versus_peer = compare(chosen["broken"], peer["broken"])
    consistent = all(run["broken"] == chosen["broken"] for run in ours)
    govsite = summarize(ours, chosen, "median of the measured runs (after a warm-up crawl)")
    govsite["crawl_s_inside_process"] = round(chosen["crawl_s"], 2)
    govsite["html_pages_read"] = chosen["pages"]
    govsite["same_broken_set_every_run"] = consistent
    govsite["versus_ground_truth"] = compare(chosen["broken"], plan.broken)
    govsite["problems_seen"] = sorted(set(chosen["problems"].values()))
    linkchecker = summarize(peers, peer, "best of its runs")
    linkchecker["exit_code"] = peer["exit_code"]
    linkchecker["versus_ground_truth"] = compare(peer["broken"], plan.broken)
    return {
        "govsite": govsite,
        "peer": {"name": "LinkChecker", "version": machine.package_version("LinkChecker"), **linkchecker},
        "comparison": {"speed_ratio": ratio, "govsite_versus_linkchecker": versus_peer},
        "goals": [
            goal("link check speed vs LinkChecker (URLs/s ratio)", ratio, SPEED_TARGET, ">=", "×"),
            goal(
                "broken links missed (LinkChecker's set as reference)",
                versus_peer["missed"],
                0,
                "==",
                "links",
            ),
            goal(
                "broken links falsely reported (LinkChecker's set as reference)",
                versus_peer["false"],
                0,
                "==",
                "links",
            ),
        ],
        "site": site_description(plan),
        "noise": {
            "cpu_idle_share_before": idle[0],
            "cpu_idle_share_after": idle[1],
            "load_average": os.getloadavg(),
            "note": "2 cores shared with other work; nginx, the checker and whatever else runs share them. "
            "Runs are interleaved (govsite, LinkChecker, govsite, ...) so noise falls on both.",
        },
        "workspace": str(workdir),
    }


def settings(args: argparse.Namespace) -> dict[str, Any]:
    production = asdict(LinkPolicy())
    production.pop("user_agent")
    return {
        "per_host_concurrency": args.per_host,
        "timeout_s": TIMEOUT_S,
        "govsite_policy": {"per_host": args.per_host, "total": 64, "timeout": TIMEOUT_S, "retries": 2},
        "linkchecker_config": {
            "threads": args.per_host,
            "maxrequestspersecond": PEER_MAX_REQUESTS_PER_SECOND,
            "timeout": TIMEOUT_S,
            "robotstxt": 0,
            "checkextern": 1,
            "recursionlevel": -1,
            "output": "-o csv -v --no-status --no-warnings",
        },
        "production_defaults": production,
        "politeness": (
            f"In production the checker is polite by default: per_host={production['per_host']} requests in "
            f"flight per host, total={production['total']}, retries={production['retries']}. This benchmark "
            f"raises per_host to {args.per_host} for both tools (LinkChecker: {args.per_host} threads, one "
            "host) on a loopback server that is its own."
        ),
        "timing": "each checker is a separate process timed from outside (interpreter start included); "
        "URLs/s = distinct link URLs that tool checked ÷ its wall seconds",
        "runs": args.runs,
        "peer_runs": args.peer_runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-host", type=int, default=PER_HOST)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer-runs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the workspace (site, logs)")
    parser.add_argument("--links-only", action="store_true", help="skip the wording-scan part")
    parser.add_argument("--no-fewer-threads", action="store_true", help="skip LinkChecker's few-threads run")
    args = parser.parse_args()
    if not LINKCHECKER.exists():
        raise SystemExit(f"LinkChecker is not installed at {LINKCHECKER} (pip install LinkChecker)")
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="govsite-bench-monitoring-"))
    workdir.chmod(0o755)  # nginx's workers (nobody, when run as root) read the site from here
    try:
        links = measure(args, workdir)
        results: dict[str, Any] = {
            "benchmark": "monitoring",
            "issue": 7,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": _machine(),
            "settings": settings(args),
            "links": links,
            "goals": list(links.pop("goals")),
        }
        wording = None if args.links_only else wording_part(workdir)
        if wording is not None:
            results["wording"] = wording
            results["goals"] += wording.get("goals", [])
        results["duration_s"] = round(time.monotonic() - began, 1)
        RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
        RESULTS_PATH.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        log(f"results written to {RESULTS_PATH.relative_to(REPO_ROOT)}")
        for entry in results["goals"]:
            log(
                f"{'met    ' if entry['met'] else 'NOT MET'} {entry['name']}: {entry['value']} (target {entry['target']})"
            )
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _machine() -> dict[str, Any]:
    described = machine.describe()
    described["software"] = {
        "nginx": described["software"]["nginx"],
        "aiohttp": machine.package_version("aiohttp"),
        "linkchecker": machine.package_version("LinkChecker"),
        "requests": machine.package_version("requests"),
    }
    return described


if __name__ == "__main__":
    main()
