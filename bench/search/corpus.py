"""A generated corpus of Chinese government articles for the search benchmark (issue 5).

Words come from jieba's dictionary (`jieba/dict.txt`: word, frequency, part of speech), drawn in
proportion to their frequency there, so the text has a realistic Zipf-like word distribution:
a few words (的, 是, 发展 …) in almost every article, a long tail in a few. Only the `VOCABULARY`
most frequent words written in Chinese characters are used for the text; rarer dictionary words
(ranks beyond it) are kept for the planted known items' one-word queries.

Everything is deterministic: document `i` is made from its own random stream (`seed`, `i`), so a
corpus of 20,000 documents is the first 20,000 of the corpus of 1,000,000 — except for the planted
known items, which are spread evenly over whichever size is asked for.

Known items: `known` documents get a distinctive title — two less common words (ranks 3,000 to
60,000 among content words, drawn uniformly, not by frequency), a common word, and filler — and a
query for which that document is the one wanted:

- one word (20%): a rare dictionary word (beyond the text vocabulary) placed in the title only;
- two words (50%): the two less common words, which the rest of the corpus uses too;
- three words (30%): the two less common words and the common one.

All query words are in the item's title and twice in its body, and the item is valid (not
repealed), so it is the best match by construction unless another title holds every query word
too (`Corpus.title_rivals` counts those, word by word).

Latency queries: 1–3 words (40/40/20%), each a content word (two characters or more, a noun,
verb, adjective or idiom) drawn in proportion to its dictionary frequency, so very common words
(发展, 工作, 我们 …) come up often, as in real query logs.
"""

from __future__ import annotations

import itertools
import marshal
import multiprocessing
import random
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

TABLE_SLOTS = 1 << 22
VOCABULARY = 60_000  # most frequent Chinese-character words used for the text
RARE_POOL = (VOCABULARY, 150_000)  # dictionary ranks the one-word known queries come from
MID_RANKS = (3_000, 60_000)  # ranks among content words for a known item's less common words
COMMON_RANKS = 300  # a known item's common word: one of the 300 most frequent content words
PAGE_ID_BASE = 10_000_000  # far above the demo city's page ids
SHANGHAI = ZoneInfo("Asia/Shanghai")
END = datetime(2025, 12, 31, 18, 0, tzinfo=SHANGHAI)
SPAN = timedelta(days=8 * 365)
CONTENT_POS = ("n", "v", "a", "l", "i", "j")  # nouns (n, nr, ns, nt, nz), verbs, adjectives, idioms
_CHINESE = re.compile(r"^[\u4e00-\u9fff]+$")

CTYPES = (("article", 0.70), ("policy", 0.20), ("interpretation", 0.10))
POLICY_VALIDITY = (("valid", 0.85), ("repealed", 0.10), ("amended", 0.05))
POLICY_SUFFIXES = ("的通知", "的意见", "的实施办法", "的若干措施", "的工作方案", "的实施细则")
NUMBER_PREFIXES = ("通政发", "通政办发", "通政规", "崇政发", "海政发", "如政办发", "启政发", "通财规")
CLAUSE_MARKS = "，，，，、；"


def dictionary_path() -> Path:
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


@dataclass(frozen=True)
class Palette:
    """Metadata values to draw from (read from the demo city's database; any lists will do)."""

    site_ids: list[int | None] = field(default_factory=lambda: [None])
    categories: list[str] = field(default_factory=lambda: [""])
    topics: list[str] = field(default_factory=lambda: [""])
    issuers: list[str] = field(default_factory=lambda: [""])


@dataclass(frozen=True)
class KnownItem:
    number: int
    position: int  # index of the document in the corpus
    page_id: int
    query: str
    words: tuple[str, ...]
    title: str
    title_words: tuple[str, ...]

    @property
    def kind(self) -> str:
        return f"{len(self.words)}-word"


@dataclass(frozen=True)
class LatencyQuery:
    text: str
    words: tuple[str, ...]


@dataclass
class Document:
    """One generated article; `as_document_data` turns it into the engine's input.

    Site, category, topic and issuer are kept as numbers in [0, 1) (`slots`) and looked up in the
    palette of the database the document goes to, so the text never depends on the database.
    """

    position: int
    title: str
    title_words: tuple[str, ...]
    body: str
    ctype: str
    document_number: str
    validity: str
    published_at: float  # POSIX timestamp
    slots: tuple[float, float, float, float]

    @property
    def page_id(self) -> int:
        return PAGE_ID_BASE + self.position

    def as_tuple(self) -> tuple:
        return (
            self.position,
            self.title,
            self.title_words,
            self.body,
            self.ctype,
            self.document_number,
            self.validity,
            self.published_at,
            self.slots,
        )

    @classmethod
    def from_tuple(cls, values: tuple) -> Document:
        return cls(*values)

    def as_document_data(self, palette: Palette):
        from govsite.search.documents import DocumentData

        site, category, topic, issuer = self.slots
        return DocumentData(
            page_id=self.page_id,
            site_id=_slot(palette.site_ids, site),
            path=f"/xxgk/bench/{self.position}.html",
            title=self.title,
            body=self.body,
            column_title="信息公开",
            category=_slot(palette.categories, category),
            ctype=self.ctype,
            topic=_slot(palette.topics, topic),
            issuer=_slot(palette.issuers, issuer),
            document_number=self.document_number,
            validity=self.validity,
            published_at=datetime.fromtimestamp(self.published_at, SHANGHAI),
        )


def _slot(values: list, share: float):
    return values[min(int(share * len(values)), len(values) - 1)]


class Vocabulary:
    """jieba's dictionary, ordered by frequency, with the cumulative weights used for drawing."""

    def __init__(self, path: Path | None = None) -> None:
        entries = []
        for line in (path or dictionary_path()).read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2 and _CHINESE.match(parts[0]):
                entries.append((parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""))
        entries.sort(key=lambda entry: (-entry[1], entry[0]))
        self.entries = entries
        text = entries[:VOCABULARY]
        self.words = [word for word, _freq, _pos in text]
        self.cumulative = list(itertools.accumulate(freq for _word, freq, _pos in text))
        # Drawing by bisecting 60,000 cumulative weights is the generator's main cost: a table where
        # each word fills slots in proportion to its frequency (the rarest still gets one) is 4× faster.
        total = self.cumulative[-1]
        self.table: list[str] = []
        for word, freq, _pos in text:
            self.table += [word] * max(1, round(freq * TABLE_SLOTS / total))
        content = [(w, f) for w, f, pos in text if len(w) >= 2 and pos[:1] in CONTENT_POS]
        self.content_words = [w for w, _f in content]
        self.content_cumulative = list(itertools.accumulate(f for _w, f in content))
        self.rare_words = [
            w for w, _f, pos in entries[RARE_POOL[0] : RARE_POOL[1]] if len(w) >= 2 and pos[:1] in CONTENT_POS
        ]

    def text_words(self, rng: random.Random, count: int) -> list[str]:
        table, draw, slots = self.table, rng.random, len(self.table)
        return [table[int(draw() * slots)] for _ in range(count)]

    def content(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.content_words, cum_weights=self.content_cumulative, k=count)

    def describe(self) -> dict:
        return {
            "dictionary": "jieba dict.txt",
            "dictionary_words": len(self.entries),
            "text_vocabulary": len(self.words),
            "content_words": len(self.content_words),
            "rare_pool": len(self.rare_words),
            "most_frequent": self.words[:10],
        }


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    point, total = rng.random(), 0.0
    for value, share in choices:
        total += share
        if point < total:
            return value
    return choices[-1][0]


def _pick(rng: random.Random, values: list):
    return values[int(rng.random() * len(values))]


class Corpus:
    """`docs` articles with `known` planted known items, `queries` latency queries."""

    def __init__(
        self,
        docs: int,
        *,
        known: int = 200,
        queries: int = 1000,
        seed: int = 20251231,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.docs = docs
        self.known_count = min(known, docs)
        self.query_count = queries
        self.seed = seed
        self.vocabulary = vocabulary or Vocabulary()

    # --- known items ---------------------------------------------------------------------------------

    @cached_property
    def known_items(self) -> list[KnownItem]:
        items = []
        stride = self.docs / self.known_count if self.known_count else 0
        vocab = self.vocabulary
        mid = vocab.content_words[MID_RANKS[0] : MID_RANKS[1]]
        for number in range(self.known_count):
            rng = random.Random(f"{self.seed}:known:{number}")
            position = int((number + 0.5) * stride)
            less_common = rng.sample(mid, 2)
            common = _pick(rng, vocab.content_words[:COMMON_RANKS])
            size = 1 if number % 10 < 2 else 2 if number % 10 < 7 else 3
            if size == 1:
                rare = _pick(rng, vocab.rare_words)
                words: tuple[str, ...] = (rare,)
                title_words = [less_common[0], rare, common, less_common[1]]
            else:
                words = tuple(less_common) + ((common,) if size == 3 else ())
                title_words = [less_common[0], common, less_common[1]]
            title_words = self._fill_title(rng, title_words)
            query = " ".join(rng.sample(list(words), len(words)))
            items.append(
                KnownItem(
                    number,
                    position,
                    PAGE_ID_BASE + position,
                    query,
                    words,
                    "".join(title_words),
                    tuple(title_words),
                )
            )
        return items

    def _fill_title(self, rng: random.Random, words: list[str]) -> list[str]:
        """Filler content words around the given ones until the title has 12–30 characters."""
        target = rng.randint(14, 26)
        while sum(map(len, words)) < target:
            filler = self.vocabulary.content(rng, 1)[0]
            if sum(map(len, words)) + len(filler) > 30:
                break
            words.insert(rng.randint(0, len(words)), filler)
        return words

    @cached_property
    def _known_at(self) -> dict[int, KnownItem]:
        return {item.position: item for item in self.known_items}

    # --- latency queries ------------------------------------------------------------------------------

    @cached_property
    def latency_queries(self) -> list[LatencyQuery]:
        rng = random.Random(f"{self.seed}:queries")
        queries = []
        for _ in range(self.query_count):
            size = _weighted(rng, (("1", 0.4), ("2", 0.4), ("3", 0.2)))
            words: list[str] = []
            while len(words) < int(size):
                word = self.vocabulary.content(rng, 1)[0]
                if word not in words:
                    words.append(word)
            queries.append(LatencyQuery(" ".join(words), tuple(words)))
        return queries

    # --- documents ------------------------------------------------------------------------------------

    def document(self, position: int) -> Document:
        rng = random.Random(f"{self.seed}:doc:{position}")
        ctype = _weighted(rng, CTYPES)
        published_at = END - SPAN + SPAN * ((position + rng.random()) / max(self.docs, 1))
        known = self._known_at.get(position)
        if known is not None:
            title_words, title = known.title_words, known.title
        else:
            title_words, title = self._title(rng, ctype)
        body = self._body(rng, title_words, known)
        validity = _weighted(rng, POLICY_VALIDITY) if ctype == "policy" else "valid"
        number = ""
        if ctype == "policy":
            number = f"{NUMBER_PREFIXES[int(rng.random() * len(NUMBER_PREFIXES))]}〔{published_at.year}〕{rng.randint(1, 160)}号"
        slots = (rng.random(), rng.random(), rng.random(), rng.random())
        return Document(
            position=position,
            title=title,
            title_words=title_words,
            body=body,
            ctype=ctype,
            document_number=number,
            validity="valid" if known is not None else validity,
            published_at=float(int(published_at.timestamp())),
            slots=slots,
        )

    def _title(self, rng: random.Random, ctype: str) -> tuple[tuple[str, ...], str]:
        words: list[str] = []
        target = rng.randint(10, 24) if ctype != "article" else rng.randint(12, 30)
        while True:
            word = self.vocabulary.content(rng, 1)[0]
            if words and sum(map(len, words)) + len(word) > target:
                break
            words.append(word)
        core = "".join(words)
        if ctype == "policy":
            title = f"关于{core}{_pick(rng, list(POLICY_SUFFIXES))}"
        elif ctype == "interpretation":
            title = f"《{core}》政策解读"
        else:
            title = core
        return tuple(words), title

    def _body(self, rng: random.Random, title_words: tuple[str, ...], known: KnownItem | None) -> str:
        """300–900 characters: clauses of 4–12 words, sentences of 1–3 clauses; the title's words
        (a known item's query words, twice) mentioned in it."""
        target = rng.randint(300, 900)
        words = self.vocabulary.text_words(rng, target * 2 // 3 + 40)
        mentions = list(known.words) * 2 if known else rng.sample(title_words, min(2, len(title_words)))
        for word in mentions:
            words.insert(rng.randint(0, len(words) - 1), word)
        pieces: list[str] = []
        length, start, clauses, sentence = 0, 0, 0, rng.randint(1, 3)
        while start < len(words) and length < target:
            size = 4 + int(rng.random() * 9)
            clause = "".join(words[start : start + size])
            start += size
            clauses += 1
            if clauses >= sentence:
                mark, clauses, sentence = "。", 0, 1 + int(rng.random() * 3)
            else:
                mark = CLAUSE_MARKS[int(rng.random() * len(CLAUSE_MARKS))]
            pieces += (clause, mark)
            length += len(clause) + 1
        pieces[-1] = "。"
        return "".join(pieces)

    def documents(self, start: int = 0, stop: int | None = None) -> Iterator[Document]:
        for position in range(start, self.docs if stop is None else min(stop, self.docs)):
            yield self.document(position)

    def describe(self) -> dict:
        return {
            "documents": self.docs,
            "seed": self.seed,
            "known_items": self.known_count,
            "latency_queries": self.query_count,
            "vocabulary": self.vocabulary.describe(),
            "title_chars": "12–30 (policies: 关于…的通知/意见…, interpretations: 《…》政策解读)",
            "body_chars": "300–900, clauses of 4–12 words, sentences of 1–3 clauses",
            "published": f"{(END - SPAN).date()} to {END.date()}, increasing with the document's position",
            "ctype_shares": dict(CTYPES),
            "policy_validity_shares": dict(POLICY_VALIDITY),
            "known_item_query_words": {"1": 0.2, "2": 0.5, "3": 0.3},
            "latency_query_words": {"1": 0.4, "2": 0.4, "3": 0.2},
        }


# --- the corpus on disk: generated once, read by every engine ---------------------------------------

PART_SIZE = 10_000


def _write_part(args: tuple[Corpus, Path, int]) -> dict[int, int]:
    corpus, directory, number = args
    documents = list(corpus.documents(number * PART_SIZE, (number + 1) * PART_SIZE))
    rivals = RivalCounter(corpus.known_items)
    for document in documents:
        rivals.see(document)
    path = directory / f"part-{number:04d}.marshal"
    path.write_bytes(marshal.dumps([document.as_tuple() for document in documents]))
    return rivals.rivals


def write_corpus(corpus: Corpus, directory: Path, workers: int = 1, report=None) -> dict[int, int]:
    """Generate the corpus into `directory` (one file per `PART_SIZE` documents, `workers` processes
    at once); returns, per known item, how many other titles hold all its query words."""
    directory.mkdir(parents=True, exist_ok=True)
    parts = range((corpus.docs + PART_SIZE - 1) // PART_SIZE)
    corpus.known_items  # noqa: B018 — computed once, before the corpus is sent to the workers
    rivals = {item.number: 0 for item in corpus.known_items}
    jobs = [(corpus, directory, number) for number in parts]
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_default_signals)
    try:
        for done, counts in enumerate(pool.imap(_write_part, jobs), 1):
            for number, count in counts.items():
                rivals[number] += count
            if report is not None:
                report(min(done * PART_SIZE, corpus.docs))
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    return rivals


def _default_signals() -> None:
    """A worker ends quietly when the pool stops it (the parent may have its own SIGTERM handler)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def read_batches(directory: Path, size: int, stop: int) -> Iterator[list[Document]]:
    """The stored documents in order, `size` at a time, the first `stop` of them."""
    batch: list[Document] = []
    done = 0
    for path in sorted(directory.glob("part-*.marshal")):
        for values in marshal.loads(path.read_bytes()):
            if done >= stop:
                break
            batch.append(Document.from_tuple(values))
            done += 1
            if len(batch) == size:
                yield batch
                batch = []
        if done >= stop:
            break
    if batch:
        yield batch


class RivalCounter:
    """Counts, while documents go by, other documents whose title words hold every word of a known
    item's query (word by word, as generated): such a document could outrank the item fairly."""

    def __init__(self, items: list[KnownItem]) -> None:
        self.items = items
        self.by_word: dict[str, list[KnownItem]] = {}
        for item in items:
            for word in item.words:
                self.by_word.setdefault(word, []).append(item)
        self.rivals: dict[int, int] = {item.number: 0 for item in items}

    def see(self, document: Document) -> None:
        words = set(document.title_words)
        seen: set[int] = set()
        for word in words:
            for item in self.by_word.get(word, ()):
                if item.number in seen or item.position == document.position:
                    continue
                seen.add(item.number)
                if all(w in words or w in document.title for w in item.words):
                    self.rivals[item.number] += 1


def percentile_rank(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1), as bench/publishing uses."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]
