"""One engine on one database: index the stored corpus, time the queries, check the known items.

Run by run.py in a child process whose environment names the database (DATABASE_URL) and the
Django settings: `govsite.settings` for govsite's engine, `peer_settings` for stock Wagtail search.

    python bench/search/measure.py govsite --corpus DIR --corpus-docs N --docs N --out FILE
    python bench/search/measure.py stock   --corpus DIR --corpus-docs N --docs M --out FILE

Only the engine's own work is timed: reading and converting the stored documents happens between
the timed calls. Writes the figures as JSON to FILE.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(REPO_ROOT)]

import corpus as corpus_module  # noqa: E402
from corpus import Corpus, KnownItem, LatencyQuery, percentile_rank, read_batches  # noqa: E402

WARMUP_QUERIES = 30  # run first, not recorded: a fresh process compiles, caches, reads pages in
PROGRESS_EVERY_S = 30.0


def log(message: str) -> None:
    print(f"[measure] {message}", file=sys.stderr, flush=True)


def setup_django(settings_module: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()


def summary_ms(values: list[float]) -> dict:
    if not values:
        return {"queries": 0}
    ms = [value * 1000 for value in values]
    return {
        "queries": len(ms),
        "p50_ms": round(percentile_rank(ms, 0.50), 2),
        "p95_ms": round(percentile_rank(ms, 0.95), 2),
        "p99_ms": round(percentile_rank(ms, 0.99), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def latency_figures(samples: list[dict]) -> dict:
    """Overall and per number of query words; the slowest queries with what they found."""
    by_words: dict[int, list[float]] = defaultdict(list)
    for sample in samples:
        by_words[sample["words"]].append(sample["seconds"])
    figures = summary_ms([sample["seconds"] for sample in samples])
    figures["by_words"] = {f"{n}-word": summary_ms(values) for n, values in sorted(by_words.items())}
    zero = [sample for sample in samples if not sample["total"]]
    figures["zero_result_queries"] = len(zero)
    slowest = sorted(samples, key=lambda sample: -sample["seconds"])[:15]
    figures["slowest"] = [
        {key: (round(value * 1000, 1) if key == "seconds" else value) for key, value in sample.items()}
        for sample in slowest
    ]
    return figures


class Build:
    """Times the indexing calls, with progress on stderr."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.seconds = 0.0
        self.extra: dict[str, float] = defaultdict(float)
        self.wall_started = time.monotonic()
        self.last_report = time.monotonic()

    def timed(self, name: str, action: Callable[[], object]) -> None:
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
        self.extra[name] += elapsed

    def add(self, count: int) -> None:
        self.done += count
        self.seconds = sum(self.extra.values()) or (time.monotonic() - self.wall_started)
        if time.monotonic() - self.last_report >= PROGRESS_EVERY_S or self.done == self.total:
            self.last_report = time.monotonic()
            rate = self.done / self.seconds if self.seconds else 0.0
            left = (self.total - self.done) / rate if rate else 0.0
            log(f"indexed {self.done:,}/{self.total:,} ({rate:,.0f} docs/s, about {left / 60:.1f} min left)")

    def figures(self) -> dict:
        return {
            "documents": self.done,
            "seconds": round(self.seconds, 1),
            "docs_per_s": round(self.done / self.seconds, 1) if self.seconds else None,
            "seconds_by_step": {name: round(value, 1) for name, value in self.extra.items()},
            "wall_seconds_with_reading_the_corpus": round(time.monotonic() - self.wall_started, 1),
        }


def database_figures() -> dict:
    from django.db import connection

    figures: dict = {"vendor": connection.vendor}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            figures["size_mib"] = round(pages * cursor.fetchone()[0] / 2**20, 1)
            cursor.execute("SELECT sqlite_version()")
            figures["version"] = cursor.fetchone()[0]
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database()), version()")
            size, version = cursor.fetchone()
            figures["size_mib"] = round(size / 2**20, 1)
            figures["version"] = version.split(",")[0]
            cursor.execute("SHOW default_text_search_config")
            figures["default_text_search_config"] = cursor.fetchone()[0]
    return figures


# --- govsite's engine --------------------------------------------------------------------------------


class Stopwatch:
    """Time spent in the engine's steps during one query (wrappers around module functions)."""

    STEPS = (
        ("index", "facet_rows"),
        ("index", "newest_matches"),
        ("services", "_load"),
        ("services", "rank"),
        ("services", "_retry"),
        ("services", "synonyms_of"),
        ("services", "clicks_for"),
        ("services", "pinned_for"),
        ("services", "_hit"),
    )

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def install(self) -> None:
        from govsite.search import index, services

        modules = {"index": index, "services": services}
        for module_name, name in self.STEPS:
            module = modules[module_name]
            setattr(module, name, self._wrap(name, getattr(module, name)))

    def _wrap(self, name: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.current[name] += time.perf_counter() - started
                self.calls[name] += 1

        return timed

    def take(self) -> dict[str, float]:
        taken = dict(self.current)
        self.current.clear()
        return taken


def breakdown(samples: list[dict]) -> dict:
    """Mean milliseconds per query spent in each step, per number of query words.

    `_retry` (a query that found nothing tried again, cut finer) contains the steps it repeats, so
    the steps are not added up across it."""
    out = {}
    by_words: dict[int, list[dict]] = defaultdict(list)
    for sample in samples:
        by_words[sample["words"]].append(sample)
    for words, group in sorted(by_words.items()):
        names = sorted({name for sample in group for name in sample["steps"]})
        out[f"{words}-word"] = {
            "mean_total_ms": round(statistics.fmean(s["seconds"] for s in group) * 1000, 2),
            **{
                f"{name}_ms": round(statistics.fmean(s["steps"].get(name, 0.0) for s in group) * 1000, 2)
                for name in names
            },
        }
    return out


def run_govsite(args: argparse.Namespace, corpus: Corpus) -> dict:
    setup_django("govsite.settings")
    from django.conf import settings

    from govsite.content.models import ColumnCategory, TopicCategory
    from govsite.search import dictionary, documents, index, services
    from govsite.search.models import SearchDocument
    from govsite.sites.models import GovSite, Institution

    palette = corpus_module.Palette(
        site_ids=list(GovSite.objects.order_by("pk").values_list("pk", flat=True)) or [None],
        categories=list(ColumnCategory.objects.order_by("code").values_list("code", flat=True)) or [""],
        topics=list(TopicCategory.objects.order_by("pk").values_list("name", flat=True)) or [""],
        issuers=list(Institution.objects.order_by("pk").values_list("name", flat=True)) or [""],
    )
    before = SearchDocument.objects.count()
    dictionary.ensure_loaded(force=True)
    log(
        f"govsite engine on {index.vendor()}: {before} documents before (the demo city's); debug={settings.DEBUG}"
    )

    build = Build(args.docs)

    def batches():
        for batch in read_batches(Path(args.corpus), args.batch, args.docs):
            yield [document.as_document_data(palette) for document in batch]
            build.add(len(batch))

    # The engine's bulk path (as a full reindex uses it): the database writes one batch while
    # worker processes segment the next. Timed as a whole, reading the stored corpus included.
    build.timed("write_stream", lambda: documents.write_stream(batches()))
    build.add(0)
    figures_build = build.figures()
    started = time.perf_counter()
    index.optimize()
    figures_build["optimize_seconds"] = round(time.perf_counter() - started, 1)
    total_seconds = build.seconds + figures_build["optimize_seconds"]
    figures_build["docs_per_s_with_optimize"] = (
        round(build.done / total_seconds, 1) if total_seconds else None
    )
    figures_build["documents_in_index"] = SearchDocument.objects.count()
    figures_build["palette"] = {
        "sites": len(palette.site_ids),
        "categories": len(palette.categories),
        "topics": len(palette.topics),
        "issuers": len(palette.issuers),
    }
    log(f"build: {figures_build['docs_per_s']} docs/s, optimize {figures_build['optimize_seconds']} s")

    stopwatch = Stopwatch()
    stopwatch.install()

    def one(text: str):
        started = time.perf_counter()
        result = services.search(services.SearchQuery(text=text, whole_platform=True, log=False))
        return result, time.perf_counter() - started

    for query in warmup_queries(corpus):
        one(query.text)
    stopwatch.take()

    samples = []
    for number, query in enumerate(corpus.latency_queries):
        result, seconds = one(query.text)
        samples.append(
            {
                "query": query.text,
                "words": len(query.words),
                "seconds": seconds,
                "total": result.total,
                "total_is_lower_bound": result.total_is_lower_bound,
                "steps": stopwatch.take(),
            }
        )
        if (number + 1) % 200 == 0:
            log(f"latency: {number + 1}/{len(corpus.latency_queries)} queries")
    latency = latency_figures([{k: v for k, v in s.items() if k != "steps"} for s in samples])
    latency["mean_ms_by_step"] = breakdown(samples)
    latency["matches_at_facet_cap"] = sum(1 for s in samples if s["total_is_lower_bound"])
    log(f"latency: p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms")

    def hits_of(item: KnownItem):
        result, seconds = one(item.query)
        return (
            [hit.page_id for hit in result.hits],
            [str(hit.title) for hit in result.hits],
            seconds,
            result.total,
        )

    return {
        "engine": "govsite.search (rjieba segmentation, "
        + ("SQLite FTS5)" if index.vendor() == "sqlite" else "PostgreSQL term ids + GIN)"),
        "documents_before": before,
        "database": database_figures(),
        "build": figures_build,
        "latency": latency,
        "recall": recall(corpus, args.docs, hits_of),
    }


def warmup_queries(corpus: Corpus) -> list[LatencyQuery]:
    other = Corpus(
        corpus.docs, known=0, queries=WARMUP_QUERIES, seed=corpus.seed + 1, vocabulary=corpus.vocabulary
    )
    return other.latency_queries


def recall(corpus: Corpus, docs: int, hits_of: Callable, limit: int = 0) -> dict:
    """recall@10: share of known-item queries whose item is among the first 10 results (the first
    `limit` of the known items among the first `docs` documents, evenly spread, if a limit is given)."""
    items = [item for item in corpus.known_items if item.position < docs]
    if limit and len(items) > limit:
        step = len(items) / limit
        items = [items[int(number * step)] for number in range(limit)]
    found, misses, seconds = [], [], []
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        page_ids, titles, elapsed, total = hits_of(item)
        seconds.append(elapsed)
        hit = item.page_id in page_ids[:10]
        found.append(hit)
        by_kind[item.kind].append(hit)
        if not hit:
            misses.append(
                {
                    "query": item.query,
                    "title": item.title,
                    "position": item.position,
                    "results": total,
                    "rank": page_ids.index(item.page_id) + 1 if item.page_id in page_ids else None,
                    "first_results": titles[:3],
                }
            )
    share = sum(found) / len(found) if found else None
    log(f"recall@10: {sum(found)}/{len(found)}")
    return {
        "known_items": len(items),
        "found_in_top_10": sum(found),
        "recall_at_10": round(share, 4) if share is not None else None,
        "by_query_words": {
            kind: {"items": len(hits), "recall_at_10": round(sum(hits) / len(hits), 4)}
            for kind, hits in sorted(by_kind.items())
        },
        "latency": summary_ms(seconds),
        "misses": misses[:25],
    }


# --- stock Wagtail search -----------------------------------------------------------------------------


def run_stock(args: argparse.Namespace, corpus: Corpus) -> dict:
    setup_django("peer_settings")
    from datetime import datetime

    import wagtail
    from django.db import transaction
    from peerapp.models import Article
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    log(f"stock Wagtail search: {type(backend).__module__}.{type(backend).__name__}")
    build = Build(args.docs)
    for batch in read_batches(Path(args.corpus), args.batch, args.docs):
        objs = [
            Article(
                id=doc.page_id,
                title=doc.title,
                body=doc.body,
                published_at=datetime.fromtimestamp(doc.published_at, corpus_module.SHANGHAI),
            )
            for doc in batch
        ]

        def add_rows(objs=objs):
            with transaction.atomic():
                Article.objects.bulk_create(objs, batch_size=500)

        def add_index(objs=objs):
            with transaction.atomic():
                backend.add_bulk(Article, objs)

        build.timed("article_rows", add_rows)
        build.timed("add_bulk", add_index)
        build.add(len(batch))
    figures_build = build.figures()
    index_seconds = build.extra["add_bulk"]
    figures_build["index_docs_per_s"] = round(build.done / index_seconds, 1) if index_seconds else None
    figures_build["note"] = (
        "docs_per_s counts the model rows and the index (`add_bulk`), like govsite's write_documents, "
        "which writes its document rows and the index; index_docs_per_s counts add_bulk alone"
    )
    log(
        f"build: {figures_build['docs_per_s']} docs/s ({figures_build['index_docs_per_s']} for add_bulk alone)"
    )

    def one(text: str):
        started = time.perf_counter()
        results = list(backend.search(text, Article.objects.all())[:10])
        return results, time.perf_counter() - started

    for query in warmup_queries(corpus):
        one(query.text)
    samples = []
    queries = corpus.latency_queries[: args.limit_queries or None]
    for number, query in enumerate(queries):
        results, seconds = one(query.text)
        samples.append(
            {"query": query.text, "words": len(query.words), "seconds": seconds, "total": len(results)}
        )
        if (number + 1) % 200 == 0:
            log(f"latency: {number + 1}/{len(queries)} queries")
    latency = latency_figures(samples)
    latency["note"] = "`total` is the number of results on the first page (at most 10); no count is asked for"
    log(f"latency: p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms")

    def hits_of(item: KnownItem):
        results, seconds = one(item.query)
        return [obj.pk for obj in results], [obj.title for obj in results], seconds, len(results)

    return {
        "engine": f"wagtail.search.backends.database ({type(backend).__name__}), Wagtail {wagtail.__version__}",
        "search_fields": "title (boost 2), body",
        "database": database_figures(),
        "build": figures_build,
        "latency": latency,
        "recall": recall(corpus, args.docs, hits_of, args.limit_known),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("engine", choices=("govsite", "stock"))
    parser.add_argument("--corpus", required=True, help="directory written by corpus.write_corpus")
    parser.add_argument("--corpus-docs", type=int, required=True, help="documents in the stored corpus")
    parser.add_argument("--docs", type=int, required=True, help="documents to index (the first N)")
    parser.add_argument("--known", type=int, required=True)
    parser.add_argument("--queries", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument(
        "--limit-queries", type=int, default=0, help="stock: only the first N latency queries"
    )
    parser.add_argument("--limit-known", type=int, default=0, help="stock: only the first N known items")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    corpus = Corpus(args.corpus_docs, known=args.known, queries=args.queries, seed=args.seed)
    figures = run_govsite(args, corpus) if args.engine == "govsite" else run_stock(args, corpus)
    figures["corpus_docs"] = args.docs
    Path(args.out).write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
