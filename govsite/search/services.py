"""Search: queries, ranking by real demand, facets, suggestions, hot searches (Art. 21).

Art. 21 (搜索): the platform offers search on every site and across the platform, ranked by what
people really look for. A query is segmented (`text.query_words`), its words expanded with the
synonyms kept in the admin, matched newest-first in the full-text index (`index`), and the
candidates ranked here by: title matches, matches in the text, freshness, validity (a repealed
document sinks) and demand — the results people chose for the same query (`ResultClick`), logged
without any personal data. An editor's pinned best answer comes first.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from govsite.content.models import ColumnCategory
from govsite.search import index, text
from govsite.search.documents import CTYPE_LABELS
from govsite.search.models import (
    PinnedResult,
    QueryDay,
    ResultClick,
    SearchDocument,
    SearchTerm,
    SynonymGroup,
)
from govsite.sites.models import GovSite

PER_PAGE = 10
MAX_PAGES = 50
FACET_CAP = 2000
CANDIDATES = 100
HEAD_CHARS = 600
SNIPPET_CHARS = 120
HOT_DAYS = 30

FACETS = (
    ("site", "网站", "s", "site_id"),
    ("category", "栏目分类", "c", "category"),
    ("type", "内容类型", "t", "ctype"),
    ("topic", "主题分类", "p", "topic"),
    ("year", "年份", "y", "year"),
    ("issuer", "发布机构", "i", "issuer"),
    ("validity", "有效性", "v", "validity"),
)
FACET_TAG = {key: kind for key, _label, kind, _column in FACETS}
VALIDITY_LABELS = {"valid": "有效", "amended": "已修改", "repealed": "已废止"}
SORTS = ("relevance", "date")
_INDEX_NUMBER = re.compile(r"^[0-9a-z]{6,20}-?\d{4}-\d{3,6}$", re.IGNORECASE)


@dataclass
class SearchQuery:
    text: str = ""
    site: GovSite | None = None
    whole_platform: bool = False
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE
    number: str = ""
    literal: bool = False
    log: bool = True

    @property
    def scope_site(self) -> GovSite | None:
        return None if self.whole_platform else self.site


@dataclass
class Hit:
    page_id: int
    url: str
    title: SafeString
    snippet: SafeString
    site_name: str
    column_title: str
    ctype: str
    published_at: datetime | None
    document_number: str
    issuer: str
    validity: str
    score: float = 0.0
    pinned: bool = False

    @property
    def ctype_label(self) -> str:
        return CTYPE_LABELS.get(self.ctype, "")

    @property
    def validity_label(self) -> str:
        return VALIDITY_LABELS.get(self.validity, "")


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    key: str
    label: str
    values: list[FacetValue]


@dataclass
class SearchResult:
    query: SearchQuery
    words: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    total_is_lower_bound: bool = False
    facets: list[Facet] = field(default_factory=list)
    pages: int = 0
    searched_for: str = ""
    pinyin_from: str = ""
    corrected_from: str = ""
    redirect: str = ""

    @property
    def page(self) -> int:
        return self.query.page


# --- understanding the query -----------------------------------------------------------------------


CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, object]] = {}


def _cached(key: str, load):
    """A small per-process cache of tables every search reads (synonyms, sites, categories)."""
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is None or now - hit[0] > CACHE_SECONDS:
        hit = (now, load())
        _cache[key] = hit
    return hit[1]


def forget_cached() -> None:
    """Read those tables again on the next search (after an edit in this process)."""
    _cache.clear()


def _synonym_table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for group in SynonymGroup.objects.filter(active=True):
        words = group.word_list()
        for word in words:
            table.setdefault(word, [word])
            table[word] += [other for other in words if other not in table[word]]
    return table


def synonyms_of(word: str) -> list[str]:
    """The word and its synonyms (社保 → 社保, 社会保险)."""
    return list(_cached("synonyms", _synonym_table).get(word, [word]))


def from_pinyin(query: str) -> str:
    """The word a Latin-letter query stands for: full pinyin (shebao) or initials (sb)."""
    if not text.looks_like_pinyin(query):
        return ""
    key = text.normalize(query).replace(" ", "")
    term = (
        SearchTerm.objects.filter(Q(pinyin=key) | Q(initials=key))
        .order_by("-weight", "term")
        .values_list("term", flat=True)
        .first()
    )
    return term or ""


def homophone_of(query: str) -> str:
    """A known word that sounds (almost) the same as a mistyped one: 公积经 → 公积金.

    Typing slips in Chinese are mostly pinyin-input slips: the same syllables, or one sound off
    (jin/jing, zi/zhi). Candidates share the initials and the number of characters; the closest
    pinyin wins, then the most searched.
    """
    key = text.normalize(query).strip()
    if not text.has_chinese(key) or len(key) > 20:
        return ""
    full, initials = text.pinyin_of(key)
    if not full:
        return ""
    candidates = (
        SearchTerm.objects.filter(initials=initials, weight__gt=0)
        .exclude(term=key)
        .order_by("-weight")
        .values_list("term", "pinyin")[:200]
    )
    scored = [
        (edit_distance(full, pinyin), position, term)
        for position, (term, pinyin) in enumerate(candidates)
        if len(term) == len(key)
    ]
    best = min(scored, default=None)
    return best[2] if best and best[0] <= max(1, len(full) // 6) else ""


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance between two short strings."""
    previous = list(range(len(second) + 1))
    for row, char in enumerate(first, start=1):
        current = [row]
        for column, other in enumerate(second, start=1):
            current.append(min(previous[column] + 1, current[-1] + 1, previous[column - 1] + (char != other)))
        previous = current
    return previous[-1]


def exact_document(query: str) -> SearchDocument | None:
    """A document number (通政办发〔2019〕89号) or index number typed in full leads straight to it."""
    raw = query.strip()
    if not raw or len(raw) > 60:
        return None
    key = text.document_number_key(raw)
    if "〔" in key and key.endswith("号"):
        found = list(SearchDocument.objects.filter(document_number_key=key)[:2])
        return found[0] if len(found) == 1 else None
    if _INDEX_NUMBER.match(raw.replace(" ", "")):
        return SearchDocument.objects.filter(index_number=text.index_number_key(raw)).first()
    return None


def build_match(words: list[str], query: SearchQuery) -> index.Match:
    groups = [synonyms_of(word) for word in words]
    tags = [text.tag(FACET_TAG[key], value) for key, value in query.filters.items() if key in FACET_TAG]
    if query.scope_site is not None:
        tags.append(text.tag("s", query.scope_site.pk))
    return index.Match(groups=groups, tags=tags)


# --- searching ------------------------------------------------------------------------------------


def search(query: SearchQuery) -> SearchResult:
    """Run one search as the public page and the API show it."""
    query.text = (query.text or "").strip()[: text.MAX_QUERY_CHARS]
    query.page = max(1, min(int(query.page or 1), MAX_PAGES))
    query.sort = query.sort if query.sort in SORTS else "relevance"
    query.filters = {
        key: str(value)[:100] for key, value in query.filters.items() if key in FACET_TAG and value
    }
    result = SearchResult(query=query, searched_for=query.text)
    if not query.text and not query.filters and not query.number:
        return result
    exact = exact_document(query.text) if query.text and not query.number else None
    if exact is not None:
        result.redirect = document_url(exact, query.site)
        result.total = 1
        _log(query, 1)
        return result
    words = text.query_words(query.text)
    if query.text and not query.literal and not text.has_chinese(query.text):
        meant = from_pinyin(query.text)
        if meant:
            result.pinyin_from, result.searched_for, words = query.text, meant, text.query_words(meant)
    _run(result, words)
    if result.total == 0 and query.text:
        _retry(result, words)
    _log(query, result.total)
    return result


def _run(result: SearchResult, words: list[str]) -> None:
    query = result.query
    if query.text and not words:
        return
    match = build_match(words, query)
    ids, rows = _matches(match, query)
    result.words = words
    result.total = len(rows)
    result.total_is_lower_bound = len(rows) >= FACET_CAP
    result.facets = facets_from(rows, query.filters)
    if not rows:
        return
    wanted = query.page * query.per_page
    limit = max(CANDIDATES, wanted * 4)
    candidates = set(
        ids[:limit] if limit <= len(ids) or len(ids) < FACET_CAP else _newest(match, query, limit)
    )
    if match.groups and query.sort == "relevance" and not query.number:
        candidates |= set(_newest(match, query, limit, title_only=True))
    clicks = clicks_for(result.searched_for)
    pinned = pinned_for(result.searched_for, query.scope_site)
    documents = _load(candidates | set(_matching_ids(match, query, list(clicks) + pinned)))
    ranked = rank(documents, match.groups, result.searched_for, clicks, query.sort)
    by_page = {doc.page_id: doc for doc in documents}
    first = [by_page[page_id] for page_id in pinned if page_id in by_page]
    ranked = first + [doc for doc in ranked if doc.page_id not in set(pinned)]
    result.pages = min(MAX_PAGES, math.ceil(result.total / query.per_page))
    start = (query.page - 1) * query.per_page
    chosen = ranked[start : start + query.per_page]
    directory = _cached("sites", site_directory)
    result.hits = [_hit(doc, match.groups, query.site, doc.page_id in pinned, directory) for doc in chosen]


def _retry(result: SearchResult, words: list[str]) -> None:
    """Nothing found: try a known word that sounds the same (a typing slip), then the words cut finer."""
    meant = homophone_of(result.searched_for)
    if meant:
        _run(result, text.query_words(meant))
        if result.total:
            result.corrected_from, result.searched_for = result.searched_for, meant
            return
    finer = [part for word in words for part in (text.sub_words(word) if len(word) > 2 else [word])]
    if finer and finer != words:
        _run(result, finer)


def _matches(match: index.Match, query: SearchQuery) -> tuple[list[int], list[tuple]]:
    """The newest matches (at most FACET_CAP): their ids, newest first, and their facet columns.

    The same rows give the counts and the first text candidates, so one query serves both.
    """
    rows = _number_rows(match, query) if query.number else index.facet_rows(match, FACET_CAP)
    return [row[0] for row in rows], [row[1:] for row in rows]


def _number_rows(match: index.Match, query: SearchQuery) -> list[tuple]:
    """Policy search by (part of) a document number, with the other conditions as usual."""
    key = text.document_number_key(query.number)
    rows = SearchDocument.objects.filter(ctype="policy", document_number_key__contains=key)
    rows = _filter_fields(rows, query)
    ids = list(rows.order_by("-id").values_list("id", flat=True)[:FACET_CAP])
    if match.groups:
        matching = set(index.newest_matches(match, FACET_CAP))
        ids = [doc_id for doc_id in ids if doc_id in matching]
    documents = SearchDocument.objects.filter(id__in=ids).order_by("-id")
    return list(documents.values_list("id", *index.FACET_COLUMNS))


def _filter_fields(rows, query: SearchQuery):
    columns = {key: column for key, _label, _kind, column in FACETS}
    for key, value in query.filters.items():
        rows = rows.filter(**{columns[key]: value})
    if query.scope_site is not None:
        rows = rows.filter(site_id=query.scope_site.pk)
    return rows


def _newest(match: index.Match, query: SearchQuery, limit: int, title_only: bool = False) -> list[int]:
    if query.number:
        return _matches(match, query)[0][:limit]
    return index.newest_matches(match, limit, title_only=title_only)


def _matching_ids(match: index.Match, query: SearchQuery, page_ids: list[int]) -> list[int]:
    """Documents of clicked or pinned pages, if they still satisfy the query's conditions."""
    if not page_ids:
        return []
    rows = _filter_fields(SearchDocument.objects.filter(page_id__in=page_ids), query)
    docs = list(rows.only("id", "title", "body"))
    return [doc.id for doc in docs if _contains_all(doc, match.groups)]


def _contains_all(doc: SearchDocument, groups: list[list[str]]) -> bool:
    haystack = text.normalize(f"{doc.title} {doc.body}")
    return all(any(word in haystack for word in group) for group in groups)


class Candidate:
    """The columns ranking and display need, for one candidate document."""

    __slots__ = (
        "body",
        "category",
        "clicks",
        "column_title",
        "ctype",
        "document_number",
        "id",
        "issuer",
        "page_id",
        "path",
        "published_at",
        "site_id",
        "title",
        "validity",
    )

    def __init__(self, row: tuple) -> None:
        for name, value in zip(CANDIDATE_COLUMNS, row, strict=True):
            setattr(self, name, value)


CANDIDATE_COLUMNS = (
    "id",
    "page_id",
    "site_id",
    "path",
    "title",
    "body",
    "column_title",
    "category",
    "ctype",
    "issuer",
    "document_number",
    "validity",
    "published_at",
    "clicks",
)


def _load(ids: set[int]) -> list[Candidate]:
    """The candidates' columns, with only the first `HEAD_CHARS` characters of the text."""
    if not ids:
        return []
    columns = ", ".join(
        f"substr(body, 1, {HEAD_CHARS})" if name == "body" else name for name in CANDIDATE_COLUMNS
    )
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {index.TABLE} WHERE id IN ({marks})", list(ids))
        rows = cursor.fetchall()
    published = SearchDocument._meta.get_field("published_at")
    position = CANDIDATE_COLUMNS.index("published_at")
    return [Candidate(_converted(row, position, published)) for row in rows]


def _converted(row: tuple, position: int, field) -> tuple:
    """Raw rows carry SQLite's text dates: read them as Django would."""
    value = row[position]
    if isinstance(value, str):
        value = field.to_python(value)
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return (*row[:position], value, *row[position + 1 :])


# --- ranking ---------------------------------------------------------------------------------------

TITLE_WEIGHT = 2.0
EXACT_TITLE_WEIGHT = 0.5
BODY_WEIGHT = 1.0
FRESHNESS_WEIGHT = 0.6
FRESHNESS_HALF_LIFE_DAYS = 365
DEMAND_WEIGHT = 1.5
POPULARITY_WEIGHT = 0.2
VALIDITY_FACTOR = {"repealed": 0.3, "amended": 0.8}


def rank(
    documents: list[Candidate],
    groups: list[list[str]],
    query_text: str,
    clicks: dict[int, int],
    sort: str = "relevance",
) -> list[Candidate]:
    """Order candidates by score (relevance) or by date, newest first."""
    if sort == "date":
        return sorted(documents, key=lambda doc: (doc.published_at or _EPOCH, doc.id), reverse=True)
    now = timezone.now()
    most = max(clicks.values(), default=0)
    scores = {
        doc.id: score(doc, groups, query_text, clicks.get(doc.page_id, 0), most, now) for doc in documents
    }
    return sorted(documents, key=lambda doc: (scores[doc.id], doc.id), reverse=True)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.get_fixed_timezone(0))


def score(
    doc: Candidate, groups: list[list[str]], query_text: str, clicks: int, most_clicks: int, now: datetime
) -> float:
    """One document's score for a query; every signal is between 0 and its weight."""
    title = text.normalize(doc.title)
    value = 0.0
    if groups:
        body = (doc.body or "").lower()
        in_title = sum(1 for group in groups if any(word in title for word in group))
        value += TITLE_WEIGHT * in_title / len(groups)
        frequency = [sum(body.count(word) for word in group) for group in groups]
        value += BODY_WEIGHT * sum(count / (count + 1.5) for count in frequency) / len(groups)
        if text.normalize(query_text).strip() == title.strip():
            value += EXACT_TITLE_WEIGHT
    if doc.published_at:
        age = max((now - doc.published_at).days, 0)
        value += FRESHNESS_WEIGHT * 0.5 ** (age / FRESHNESS_HALF_LIFE_DAYS)
    if clicks and most_clicks:
        value += DEMAND_WEIGHT * math.log1p(clicks) / math.log1p(most_clicks)
    value += POPULARITY_WEIGHT * min(1.0, math.log1p(doc.clicks or 0) / math.log(1000))
    return value * VALIDITY_FACTOR.get(doc.validity, 1.0)


# --- facets ----------------------------------------------------------------------------------------


def facets_from(rows: list[tuple], selected: dict[str, str]) -> list[Facet]:
    columns = index.FACET_COLUMNS
    values_by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    counters = {}
    for column, values in zip(columns, values_by_column, strict=True):
        counter = Counter(values)
        counter.pop(None, None)
        counter.pop("", None)
        counters[column] = counter
    labels = _facet_labels(counters)
    facets = []
    for key, label, _kind, column in FACETS:
        counts = counters[column]
        if not counts:
            continue
        ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
        if key == "year":
            ordered = sorted(counts.items(), key=lambda item: -int(item[0]))
        values = [
            FacetValue(
                str(value), labels.get((column, value), str(value)), count, selected.get(key) == str(value)
            )
            for value, count in ordered[:20]
        ]
        facets.append(Facet(key, label, values))
    return facets


def _facet_labels(counters: dict[str, Counter]) -> dict[tuple[str, object], str]:
    labels: dict[tuple[str, object], str] = {}
    names = _cached("site_names", lambda: dict(GovSite.objects.values_list("pk", "name")))
    for pk in counters["site_id"]:
        labels[("site_id", pk)] = names.get(pk, str(pk))
    categories = _cached("categories", lambda: dict(ColumnCategory.objects.values_list("code", "name")))
    for code in counters["category"]:
        labels[("category", code)] = categories.get(code, code)
    for code in counters["ctype"]:
        labels[("ctype", code)] = CTYPE_LABELS.get(code, code)
    for code in counters["validity"]:
        labels[("validity", code)] = VALIDITY_LABELS.get(code, code)
    for year in counters["year"]:
        labels[("year", year)] = f"{year}年"
    return labels


# --- showing results ---------------------------------------------------------------------------------


def document_url(doc, current_site: GovSite | None, directory: dict | None = None) -> str:
    """The document's address: a path on the same site, a full address on another."""
    if current_site is not None and doc.site_id == current_site.pk:
        return doc.path
    directory = directory if directory is not None else site_directory()
    return f"{directory.get(doc.site_id, ('', ''))[1]}{doc.path}"


def site_directory() -> dict[int, tuple[str, str]]:
    """Every site's name and root address, read once per search."""
    return {
        gov.pk: (gov.name, gov.site.root_url if gov.site_id else "")
        for gov in GovSite.objects.select_related("site").only("name", "site__hostname", "site__port")
    }


def _hit(
    doc: Candidate, groups: list[list[str]], current_site: GovSite | None, pinned: bool, directory: dict
) -> Hit:
    words = sorted({word for group in groups for word in group}, key=len, reverse=True)
    return Hit(
        page_id=doc.page_id,
        url=document_url(doc, current_site, directory),
        title=highlight(doc.title, words),
        snippet=highlight(snippet_of(doc.body or "", words), words),
        site_name=directory.get(doc.site_id, ("", ""))[0],
        column_title=doc.column_title,
        ctype=doc.ctype,
        published_at=doc.published_at,
        document_number=doc.document_number,
        issuer=doc.issuer,
        validity=doc.validity,
        pinned=pinned,
    )


def snippet_of(body: str, words: list[str]) -> str:
    """About `SNIPPET_CHARS` characters of the text around the first word found."""
    lowered = text.normalize(body)
    positions = [lowered.find(word) for word in words if word and lowered.find(word) >= 0]
    start = max(min(positions) - 30, 0) if positions else 0
    piece = body[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(body) else "")


def highlight(value: str, words: list[str]) -> SafeString:
    """Escape the text and mark the query's words with <em>; nothing else is ever markup."""
    lowered = _same_length_normal(value)
    marks = [False] * len(value)
    if words:
        for word in words:
            start = lowered.find(word) if word else -1
            while start >= 0:
                for position in range(start, start + len(word)):
                    marks[position] = True
                start = lowered.find(word, start + len(word))
    out, run = [], []
    for position, char in enumerate(value):
        if position and marks[position] != marks[position - 1]:
            out.append(_wrap("".join(run), marks[position - 1]))
            run = []
        run.append(char)
    if run:
        out.append(_wrap("".join(run), marks[len(value) - 1]))
    return mark_safe("".join(out))


def _same_length_normal(value: str) -> str:
    """Normalised text with one character for each character of `value` (positions line up)."""
    return "".join(normal if len(normal := text.normalize(char)) == 1 else char for char in value)


def _wrap(piece: str, marked: bool) -> str:
    return f"<em>{escape(piece)}</em>" if marked else str(escape(piece))


# --- demand: clicks, pins, hot searches, suggestions -------------------------------------------------


def query_key(value: str) -> str:
    return text.normalize(value).strip()[:100]


def clicks_for(query_text: str) -> dict[int, int]:
    """How often each page was chosen for this query (top 50)."""
    key = query_key(query_text)
    rows = ResultClick.objects.filter(query=key).order_by("-clicks").values_list("page_id", "clicks")[:50]
    return dict(rows)


def pinned_for(query_text: str, site: GovSite | None) -> list[int]:
    key = query_key(query_text)
    if not key:
        return []
    today = timezone.localdate()
    pins = PinnedResult.objects.filter(query=key, active=True).filter(Q(until=None) | Q(until__gte=today))
    pins = pins.filter(Q(site=None) | Q(site=site)) if site else pins.filter(site=None)
    return list(pins.values_list("page_id", flat=True))


def record_click(query_text: str, page_id: int, current_site: GovSite | None) -> str:
    """A result was chosen: count it (query and page only) and return the page's address."""
    doc = SearchDocument.objects.filter(page_id=page_id).only("site_id", "path").first()
    if doc is None:
        return ""
    key = query_key(query_text)
    today = timezone.localdate()
    with transaction.atomic():
        SearchDocument.objects.filter(pk=doc.pk).update(clicks=F("clicks") + 1)
        if key:
            _bump(ResultClick, {"query": key, "page_id": page_id}, {"clicks": 1}, {"last_day": today})
    return document_url(doc, current_site)


def _bump(model, keys: dict, counts: dict, values: dict | None = None) -> None:
    """Add to counters of the row with `keys`, creating it if needed (safe under concurrency)."""
    updates = {name: F(name) + amount for name, amount in counts.items()} | (values or {})
    if model.objects.filter(**keys).update(**updates):
        return
    try:
        with transaction.atomic():
            model.objects.create(**keys, **counts, **(values or {}))
    except IntegrityError:
        model.objects.filter(**keys).update(**updates)


def _log(query: SearchQuery, total: int) -> None:
    """Count the query for hot searches and the zero-results report (no personal data)."""
    key = query_key(query.text)
    if not query.log or not key:
        return
    day = timezone.localdate()
    counts = {"searches": 1, "zero_results": 0 if total else 1}
    _bump(QueryDay, {"day": day, "site": query.scope_site, "query": key}, counts)
    if total and text.has_chinese(key) and len(key) <= 20:
        learn_term(key, "query")


def learn_term(term: str, source: str, weight: int = 1) -> None:
    term = text.normalize(term).strip()[:60]
    if len(term) < 2:
        return
    full, initials = text.pinyin_of(term)
    if not full:
        return
    if SearchTerm.objects.filter(term=term).update(weight=F("weight") + weight):
        return
    try:
        with transaction.atomic():
            SearchTerm.objects.create(
                term=term, pinyin=full[:200], initials=initials[:60], weight=weight, source=source
            )
    except IntegrityError:
        SearchTerm.objects.filter(term=term).update(weight=F("weight") + weight)


def hot_queries(site: GovSite | None, limit: int = 10, days: int = HOT_DAYS) -> list[str]:
    """The most searched queries that found something, over the last `days` days."""
    return [query for query, _total in hot_queries_with_counts(site, limit, days)]


def hot_queries_with_counts(
    site: GovSite | None, limit: int = 10, days: int = HOT_DAYS
) -> list[tuple[str, int]]:
    """`hot_queries` with how often each was searched (the operator's report)."""
    since = timezone.localdate() - timedelta(days=days)
    rows = QueryDay.objects.filter(day__gte=since)
    if site is not None:
        rows = rows.filter(site=site)
    rows = (
        rows.values("query")
        .annotate(total=Sum("searches"), empty=Sum("zero_results"))
        .filter(total__gt=F("empty"))
        .order_by("-total", "query")[:limit]
    )
    return [(row["query"], row["total"]) for row in rows]


def suggest(prefix: str, limit: int = 8) -> list[str]:
    """Words to offer while someone types: by the characters, the pinyin or the initials."""
    key = text.normalize(prefix).strip()[:40]
    if not key:
        return []
    if text.has_chinese(key):
        terms = SearchTerm.objects.filter(term__startswith=key)
    else:
        compact = key.replace(" ", "")
        terms = SearchTerm.objects.filter(Q(pinyin__startswith=compact) | Q(initials__startswith=compact))
    return list(terms.order_by("-weight", "term").values_list("term", flat=True)[:limit])


@dataclass
class ZeroResultRow:
    query: str
    searches: int
    last_day: date


def zero_results_report(days: int = 30, site: GovSite | None = None, limit: int = 200) -> list[ZeroResultRow]:
    """Queries that found nothing, most frequent first: what editors should add or name better."""
    since = timezone.localdate() - timedelta(days=days)
    rows = QueryDay.objects.filter(day__gte=since, zero_results__gt=0)
    if site is not None:
        rows = rows.filter(site=site)
    from django.db.models import Max

    rows = (
        rows.values("query").annotate(total=Sum("zero_results"), last=Max("day")).order_by("-total")[:limit]
    )
    return [ZeroResultRow(row["query"], row["total"], row["last"]) for row in rows]


VOCABULARY_TITLES = 100_000
VOCABULARY_MIN_COUNT = 3
VOCABULARY_SIZE = 5000


def refresh_vocabulary() -> int:
    """Learn the words people may look for: column names and words frequent in recent titles.

    Called after a reindex; they feed suggestions, pinyin and corrections. Existing words keep
    their weight (what people searched for), new ones start at their count in the titles.
    """
    from govsite.content.models import ColumnPage

    counts: Counter = Counter()
    titles = SearchDocument.objects.order_by("-id").values_list("title", flat=True)[:VOCABULARY_TITLES]
    for title in titles.iterator(chunk_size=2000):
        counts.update(
            {word for word in text.query_words(title) if 2 <= len(word) <= 8 and text.has_chinese(word)}
        )
    too_common = max(VOCABULARY_MIN_COUNT, len(titles) // 10) if len(titles) >= 100 else len(titles) + 1
    words = {
        word: count
        for word, count in counts.most_common(VOCABULARY_SIZE)
        if VOCABULARY_MIN_COUNT <= count <= too_common
    }
    for title in ColumnPage.objects.live().values_list("title", flat=True).distinct():
        words.setdefault(text.normalize(title), 1)
    known = set(SearchTerm.objects.filter(term__in=list(words)).values_list("term", flat=True))
    new = []
    for word, count in words.items():
        full, initials = text.pinyin_of(word)
        if word not in known and full and len(word) <= 60:
            new.append(
                SearchTerm(term=word, pinyin=full[:200], initials=initials[:60], weight=count, source="title")
            )
    SearchTerm.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)
