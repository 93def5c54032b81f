"""Wording scan benchmark (issue 7, 错敏字, gov-site-rules §5.1): throughput of the scan engine.

Goal: ≥ 20 MB/s over ≥ 50 MB of Chinese text (MB = 10^6 bytes of UTF-8) against ≥ 50,000
dictionary entries. `measure(workdir)` is called by bench/monitoring/run.py, which files the dict
it returns under "wording"; run alone it prints that dict as JSON:

    .venv/bin/python bench/monitoring/wording.py

What is generated (deterministic, seeded; nothing is written to disk):

- Text: pages of about 2,000 characters, words drawn from jieba's dictionary (`jieba/dict.txt`)
  in proportion to their frequency there (the 60,000 most frequent words written in Chinese
  characters: a Zipf-like distribution), in clauses and sentences with Chinese punctuation, some
  ASCII numbers (years, percentages), and 3 % of the pages with full-width digits and letters
  (ＧＤＰ, ２０２５年) so that the engine's width folding is on the measured path.
- Dictionary: the demo rules plus generated entries: miswritten variants of real dictionary
  words (one character of a word of three or more characters swapped for another fairly common
  character, the result not being a dictionary word itself), wrong forms of organisation and
  place names (jieba's nt and ns words, blocking), harmless stand-in sensitive words made of two
  rare dictionary words, and 1 % of the miswritten entries with an allowed longer form.
- Planted: known occurrences of dictionary terms put into pages at clause starts, each of which
  must be found at its offset, and occurrences of allowed longer forms, none of which may be
  reported. Hits nobody planted (a variant that happens to occur in the generated text) are
  counted and reported, not treated as errors.

Timing: the govsite engine (`WordingScanner.scan`, page by page, as the daily inspection calls
it) over the whole text, three runs, the median reported with each run. Both wall-clock MB/s (the
goal's value) and MB per CPU-second of this process are reported, with the load average before
and after: on the shared 2-core machine other work often holds the CPUs, and then the wall-clock
figure measures the neighbours as much as the engine. Peers, on a 1 MB slice of the same pages (they
are hundreds of times slower): one compiled Python `re` alternation of every term, longest first,
and `str.find` term by term; neither folds widths. Both must report the same hits as govsite on
that slice (leftmost-longest, allowed forms removed).
"""

from __future__ import annotations

import bisect
import itertools
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from govsite.monitoring.wording import Kind, Severity, WordingHit, WordingRule, WordingScanner  # noqa: E402
from govsite.monitoring.wording_demo import DEMO_RULES  # noqa: E402

SEED = 7
TEXT_BYTES = 51_000_000  # a little over the 50 MB the goal asks for
ENTRIES = 52_000  # dictionary entries, the demo rules included
PLANTED = 2_000  # planted term occurrences
PLANTED_ALLOWED = 300  # planted occurrences of allowed longer forms (must not be reported)
PEER_SLICE_BYTES = 1_000_000
RUNS = 3
GOAL_MB_PER_S = 20.0
GOAL_TEXT_MB = 50.0
GOAL_ENTRIES = 50_000

VOCABULARY = 60_000  # most frequent Chinese-character words used for the text
RARE_RANKS = (150_000, 300_000)  # dictionary ranks the stand-in sensitive words are made from
SWAP_CHAR_RANKS = (300, 3_000)  # a miswritten variant's new character: this common, not more
PAGE_CHARS = 2_000
FULL_WIDTH_PAGES = 0.03
FORMULATION_ENTRIES = 3_000
SENSITIVE_ENTRIES = 300
ALLOWED_SHARE = 0.01
_CHINESE = re.compile(r"^[\u4e00-\u9fff]+$")
_FULL_WIDTH = str.maketrans({chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)})


@dataclass(frozen=True)
class Word:
    text: str
    frequency: int
    pos: str


@dataclass(frozen=True)
class Planted:
    page: int
    start: int
    end: int
    term: str  # the term planted, or for an allowed form, the term of the rule it belongs to


@dataclass
class Corpus:
    pages: list[str]
    planted: list[Planted]
    planted_allowed: list[Planted]

    @property
    def size_bytes(self) -> int:
        return sum(len(page.encode("utf-8")) for page in self.pages)


# --- the dictionary --------------------------------------------------------------------------------


def jieba_words() -> list[Word]:
    """Words of jieba's dictionary written in Chinese characters only, most frequent first."""
    import jieba

    words = []
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as lines:
        for line in lines:
            text, frequency, pos = line.split()
            if _CHINESE.match(text):
                words.append(Word(text, int(frequency), pos))
    words.sort(key=lambda word: -word.frequency)
    return words


def swap_pool(words: Sequence[Word]) -> list[str]:
    """Characters a miswritten variant may get: common, but not the most common ones."""
    counts: Counter[str] = Counter()
    for word in words[:VOCABULARY]:
        for char in word.text:
            counts[char] += word.frequency
    ranked = [char for char, _ in counts.most_common()]
    return ranked[SWAP_CHAR_RANKS[0] : SWAP_CHAR_RANKS[1]]


def variant(word: str, pool: Sequence[str], rnd: random.Random) -> str:
    """The word with one character (not the first) swapped for another from `pool`."""
    position = rnd.randrange(1, len(word))
    replacement = rnd.choice(pool)
    while replacement == word[position]:
        replacement = rnd.choice(pool)
    return word[:position] + replacement + word[position + 1 :]


def build_dictionary(words: Sequence[Word], rnd: random.Random) -> list[WordingRule]:
    """The demo rules and generated entries, `ENTRIES` in all, every term distinct."""
    known = {word.text for word in words}
    pool = swap_pool(words)
    taken = {rule.term for rule in DEMO_RULES}
    rules = list(DEMO_RULES)

    def add(source: Sequence[Word], count: int, make: Callable[[str, str], WordingRule]) -> None:
        candidates = [word.text for word in source]
        rnd.shuffle(candidates)
        added = 0
        for text in candidates:
            wrong = variant(text, pool, rnd)
            if wrong in known or wrong in taken:
                continue
            taken.add(wrong)
            rules.append(make(wrong, text))
            added += 1
            if added == count:
                return
        raise RuntimeError(f"only {added} of {count} entries could be generated")

    names = [word for word in words if word.pos in ("nt", "ns") and len(word.text) >= 4]
    add(
        names,
        FORMULATION_ENTRIES,
        lambda wrong, right: WordingRule(wrong, Kind.FORMULATION, Severity.BLOCK, right),
    )
    rare = [word.text for word in words[RARE_RANKS[0] : RARE_RANKS[1]] if len(word.text) >= 2]
    for _ in range(SENSITIVE_ENTRIES):
        term = rnd.choice(rare) + rnd.choice(rare)
        if term not in taken:
            taken.add(term)
            rules.append(WordingRule(term, Kind.SENSITIVE, rnd.choice(list(Severity))))
    common = [word for word in words[:200_000] if len(word.text) >= 3]

    def miswritten(wrong: str, right: str) -> WordingRule:
        allowed = (wrong + "会",) if rnd.random() < ALLOWED_SHARE else ()
        return WordingRule(wrong, Kind.MISWRITTEN, Severity.WARN, right, allowed)

    add(common, ENTRIES - len(rules), miswritten)
    return rules


# --- the text --------------------------------------------------------------------------------------


class PageWriter:
    """Pages of Chinese text: words at their dictionary frequencies in clauses and sentences."""

    def __init__(self, words: Sequence[Word], rnd: random.Random) -> None:
        vocabulary = words[:VOCABULARY]
        self.texts = [word.text for word in vocabulary]
        self.weights = list(itertools.accumulate(word.frequency for word in vocabulary))
        self.rnd = rnd

    def page(self) -> str:
        rnd = self.rnd
        drawn = rnd.choices(self.texts, cum_weights=self.weights, k=PAGE_CHARS)  # more than enough
        at = 0
        paragraphs, length = [], 0
        while length < PAGE_CHARS:
            sentences = []
            for _ in range(rnd.randint(2, 6)):
                clauses = []
                for _ in range(rnd.randint(1, 4)):
                    count = rnd.randint(3, 9)
                    clauses.append("".join(drawn[at : at + count]))
                    at += count
                if rnd.random() < 0.15:
                    clauses[0] = f"{rnd.randint(2000, 2026)}年{clauses[0]}"
                if rnd.random() < 0.1:
                    clauses[-1] += f"{rnd.randint(1, 99)}.{rnd.randint(0, 9)}%"
                sentences.append(rnd.choice("，，，，、；").join(clauses) + rnd.choice("。。。。！？"))
            paragraph = "".join(sentences)
            paragraphs.append(paragraph)
            length += len(paragraph)
            if at > len(drawn) - 40:
                drawn = rnd.choices(self.texts, cum_weights=self.weights, k=PAGE_CHARS)
                at = 0
        text = "\n".join(paragraphs)
        if rnd.random() < FULL_WIDTH_PAGES:
            text = "ＧＤＰ" + text.translate(_FULL_WIDTH)  # digits, %, . written full-width
        return text


def plant(page: str, insert: str, rnd: random.Random) -> tuple[str, int]:
    """`insert` put at the start of a clause (after a comma) of the page; the page and the offset."""
    commas = [match.end() for match in re.finditer("，", page)]
    at = rnd.choice(commas) if commas else 0
    return page[:at] + insert + "，" + page[at:], at


def build_corpus(words: Sequence[Word], rules: Sequence[WordingRule], rnd: random.Random) -> Corpus:
    writer = PageWriter(words, rnd)
    pages: list[str] = []
    size = 0
    while size < TEXT_BYTES:
        page = writer.page()
        pages.append(page)
        size += len(page.encode("utf-8"))
    planted, planted_allowed = [], []
    targets = rnd.sample(range(len(pages)), PLANTED + PLANTED_ALLOWED)
    with_allowed = [rule for rule in rules if rule.allowed]
    for number, index in enumerate(sorted(targets)):
        if (
            number % ((PLANTED + PLANTED_ALLOWED) // PLANTED_ALLOWED) == 0
            and len(planted_allowed) < PLANTED_ALLOWED
        ):
            owner = rnd.choice(with_allowed)
            form = owner.allowed[0]
            pages[index], at = plant(pages[index], form, rnd)
            planted_allowed.append(Planted(index, at, at + len(form), owner.term))
        else:
            term = rnd.choice(rules).term
            pages[index], at = plant(pages[index], term, rnd)
            planted.append(Planted(index, at, at + len(term), term))
    return Corpus(pages, planted, planted_allowed)


# --- the peers -------------------------------------------------------------------------------------

Found = tuple[int, int, str]  # start, end, term
T = TypeVar("T")


class RegexPeer:
    """One compiled `re` alternation of every term, longest first: leftmost-longest by construction."""

    def __init__(self, rules: Sequence[WordingRule]) -> None:
        self.by_term = {rule.term: rule for rule in rules}
        terms = sorted(self.by_term, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(term) for term in terms))

    def scan(self, text: str) -> list[Found]:
        found = ((match.start(), match.end(), match.group()) for match in self.pattern.finditer(text))
        return [hit for hit in found if not inside_allowed(text, hit, self.by_term[hit[2]])]


class FindPeer:
    """`str.find` term by term, every occurrence, then leftmost-longest and allowed forms."""

    def __init__(self, rules: Sequence[WordingRule]) -> None:
        self.by_term = {rule.term: rule for rule in rules}

    def scan(self, text: str) -> list[Found]:
        found = []
        for term in self.by_term:
            at = text.find(term)
            while at != -1:
                if not inside_allowed(text, (at, at + len(term), term), self.by_term[term]):
                    found.append((at, at + len(term), term))
                at = text.find(term, at + 1)
        found.sort(key=lambda hit: (hit[0], -hit[1]))
        chosen, taken_to = [], 0
        for hit in found:
            if hit[0] >= taken_to:
                chosen.append(hit)
                taken_to = hit[1]
        return chosen


def inside_allowed(text: str, hit: Found, rule: WordingRule) -> bool:
    start, _, term = hit
    for form in rule.allowed:
        offset = form.find(term)
        while offset != -1:
            if text[start - offset : start - offset + len(form)] == form and start >= offset:
                return True
            offset = form.find(term, offset + 1)
    return False


# --- measuring -------------------------------------------------------------------------------------


def timed(function: Callable[[], T]) -> tuple[float, T]:
    began = time.perf_counter()
    result = function()
    return time.perf_counter() - began, result


def timed_both(function: Callable[[], T]) -> tuple[float, float, T]:
    """Wall-clock and CPU seconds (this process) of one call."""
    began, began_cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - began, time.process_time() - began_cpu, result


def scan_pages(scanner: WordingScanner, pages: Iterable[str]) -> list[list[WordingHit]]:
    return [scanner.scan(page) for page in pages]


def check_planted(corpus: Corpus, hits: Sequence[Sequence[WordingHit]]) -> dict:
    reported = {(page, hit.start, hit.end, hit.rule.term) for page, found in enumerate(hits) for hit in found}
    planted = {(item.page, item.start, item.end, item.term) for item in corpus.planted}
    missed = planted - reported
    allowed_reported = [
        item
        for item in corpus.planted_allowed
        if any(
            hit.rule.term == item.term and item.start <= hit.start and hit.end <= item.end
            for hit in hits[item.page]
        )
    ]
    total = sum(len(found) for found in hits)
    return {
        "planted": len(planted),
        "found": len(planted) - len(missed),
        "missed_examples": [list(item) for item in sorted(missed)[:5]],
        "planted_allowed_forms": len(corpus.planted_allowed),
        "allowed_forms_reported": len(allowed_reported),
        "hits_total": total,
        "hits_unplanted": total - (len(planted) - len(missed)),
    }


def measure_peer(
    name: str, peer: RegexPeer | FindPeer, pages: Sequence[str], expected: list[list[Found]]
) -> dict:
    seconds, found = timed(lambda: [peer.scan(page) for page in pages])
    size = sum(len(page.encode("utf-8")) for page in pages)
    differing = sum(1 for mine, theirs in zip(expected, found, strict=True) if mine != theirs)
    return {
        "method": name,
        "slice_mb": round(size / 1e6, 2),
        "slice_pages": len(pages),
        "seconds": round(seconds, 2),
        "mb_per_s": round(size / 1e6 / seconds, 3),
        "runs": 1,
        "hits": sum(len(page) for page in found),
        "same_hits_as_govsite": differing == 0,
        "pages_differing": differing,
    }


def goal(name: str, value: float | int | None, target: float, comparator: str, unit: str) -> dict:
    met = value is not None and (value >= target if comparator == ">=" else value == target)
    return {
        "name": name,
        "value": value,
        "target": target,
        "comparator": comparator,
        "unit": unit,
        "met": met,
    }


def measure(workdir: Path) -> dict:
    """Generate the corpus and dictionary, time govsite and the peers, check the planted hits.

    `workdir` is accepted for the runner's sake; nothing is written there.
    """
    began = time.perf_counter()
    load_before = os.getloadavg()
    rnd = random.Random(SEED)
    generation, (rules, corpus) = timed(lambda: _generate(rnd))
    size = corpus.size_bytes
    build_seconds, scanner = timed(lambda: WordingScanner(rules))

    runs, cpu_runs, hits = [], [], []
    for _ in range(RUNS):
        seconds, cpu_seconds, hits = timed_both(lambda: scan_pages(scanner, corpus.pages))
        runs.append(size / 1e6 / seconds)
        cpu_runs.append(size / 1e6 / cpu_seconds)
    median = statistics.median(runs)
    checks = check_planted(corpus, hits)

    peer_pages = _slice(corpus.pages, PEER_SLICE_BYTES)
    expected = [[(hit.start, hit.end, hit.rule.term) for hit in page] for page in hits[: len(peer_pages)]]
    compile_seconds, regex_peer = timed(lambda: RegexPeer(rules))
    regex = measure_peer(
        "one compiled re alternation of all terms, longest first", regex_peer, peer_pages, expected
    )
    regex["compile_seconds"] = round(compile_seconds, 2)
    find = measure_peer("str.find for each term in turn", FindPeer(rules), peer_pages, expected)

    html_pages = [
        f"<article><h1>通知</h1><p>{page.replace(chr(10), '</p><p>')}</p></article>" for page in peer_pages
    ]
    html_seconds, _ = timed(lambda: [scanner.scan_html(page) for page in html_pages])
    html_size = sum(len(page.encode("utf-8")) for page in html_pages)

    govsite = {
        "mb_per_s": round(median, 1),
        "mb_per_s_runs": [round(run, 1) for run in runs],
        "mb_per_s_cpu": round(statistics.median(cpu_runs), 1),
        "mb_per_s_cpu_runs": [round(run, 1) for run in cpu_runs],
        "runs": RUNS,
        "text_mb": round(size / 1e6, 1),
        "pages": len(corpus.pages),
        "full_width_pages": sum(1 for page in corpus.pages if page.startswith("ＧＤＰ")),
        "entries": len(scanner),
        "entries_by_kind": dict(Counter(str(rule.kind) for rule in scanner.rules)),
        "entries_with_allowed_forms": sum(1 for rule in scanner.rules if rule.allowed),
        "build_seconds": round(build_seconds, 2),
        "pages_per_s": round(len(corpus.pages) / (size / 1e6 / median), 0),
        "scan_html_mb_per_s": round(html_size / 1e6 / html_seconds, 1),
        "scan_html_slice_mb": round(html_size / 1e6, 2),
        **checks,
    }
    return {
        "govsite": govsite,
        "peer": {"re_alternation": regex, "str_find": find},
        "goals": [
            goal("wording scan throughput", govsite["mb_per_s"], GOAL_MB_PER_S, ">=", "MB/s"),
            goal("wording scan text size", govsite["text_mb"], GOAL_TEXT_MB, ">=", "MB"),
            goal("wording dictionary entries", govsite["entries"], GOAL_ENTRIES, ">=", "entries"),
            goal("planted wording hits found", checks["found"], checks["planted"], "==", "hits"),
            goal("planted allowed forms reported", checks["allowed_forms_reported"], 0, "==", "hits"),
        ],
        "settings": {
            "seed": SEED,
            "vocabulary": VOCABULARY,
            "page_chars": PAGE_CHARS,
            "peer_slice_bytes": PEER_SLICE_BYTES,
            "mb": "10^6 bytes of UTF-8",
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(value, 2) for value in load_before],
            "load_average_after": [round(value, 2) for value in os.getloadavg()],
        },
        "generation_seconds": round(generation, 1),
        "duration_s": round(time.perf_counter() - began, 1),
        "notes": [
            "govsite: WordingScanner.scan page by page over the whole text, median of 3 runs (each run "
            "listed). mb_per_s is wall clock (the goal's value); mb_per_s_cpu divides by this process's "
            "CPU time instead, which shows what the engine does when other work on the shared 2-core "
            "machine takes turns on the CPUs (see machine.load_average_*).",
            "peers: one run each on the first pages of the same text (slice_mb), without width folding; "
            "same_hits_as_govsite compares every hit (offsets and term) page by page.",
            "hits_unplanted: generated variants that happen to occur in the generated text; not errors.",
            "scan_html_mb_per_s: scan_html (Python's HTMLParser, then scan) over the peer slice wrapped "
            "in <p> elements; informative, no goal.",
        ],
    }


def _generate(rnd: random.Random) -> tuple[list[WordingRule], Corpus]:
    words = jieba_words()
    rules = build_dictionary(words, rnd)
    return rules, build_corpus(words, rules, rnd)


def _slice(pages: Sequence[str], size: int) -> list[str]:
    sizes = list(itertools.accumulate(len(page.encode("utf-8")) for page in pages))
    return list(pages[: bisect.bisect_left(sizes, size) + 1])


if __name__ == "__main__":
    print(json.dumps(measure(Path.cwd()), ensure_ascii=False, indent=2))
