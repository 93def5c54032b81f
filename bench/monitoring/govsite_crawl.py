"""One crawl by govsite's link checker, as its own process (timed from outside like LinkChecker's).

    .venv/bin/python bench/monitoring/govsite_crawl.py URL --per-host N --timeout S --out result.json

Writes {"urls": n, "pages": n, "broken": {url: problem}, "crawl_s": seconds inside the crawl}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from govsite.monitoring.links import LinkPolicy, crawl  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--per-host", type=int, required=True)
    parser.add_argument("--total", type=int, default=64)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    policy = LinkPolicy(per_host=args.per_host, total=max(args.total, args.per_host), timeout=args.timeout)
    started = time.perf_counter()
    report = crawl([args.url], policy)
    elapsed = time.perf_counter() - started
    broken = {url: result.problem for url, result in report.broken().items()}
    summary = {"urls": len(report.results), "pages": len(report.pages), "broken": broken, "crawl_s": elapsed}
    args.out.write_text(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
