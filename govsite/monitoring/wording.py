"""Wording scan (错敏字): find miswritten words, wrong official formulations and sensitive words.

gov-site-rules §5.1: a 严重表述错误 (a leader's name or title written wrong, a fixed political
formulation miswritten) is a veto in the assessment, and provincial 通报 list 固定表述错误, 一般性错别字
and 错敏信息 as findings. Art. 23 asks for daily inspection of what the sites publish (日常巡检: 及时发现
问题、纠正错漏). This module is the engine both use: the publish hook scans a page before it goes out
(a `Severity.BLOCK` hit stops publication, a `Severity.WARN` hit is shown to the editor), and the daily
wording inspection scans what is already published. It knows nothing about Django: the dictionaries
operators keep in the admin (`WordingEntry`) are turned into `WordingRule`s by the caller.

How matching works:

- One Aho–Corasick automaton (pyahocorasick) holds every term and every allowed longer form, so a
  scan is one pass over the text whatever the size of the dictionary. The automaton runs over the
  text's UTF-8 bytes (each byte as one character): pyahocorasick looks a node's children up by a
  linear search, and over bytes a node has at most a few dozen children instead of thousands of
  Chinese characters, which makes the pass several times faster. UTF-8 is self-synchronising, so a
  term's bytes can only match at character boundaries; hit offsets are converted back to
  characters of the text.
- Width folding (`normalize`): letters, digits and ideographs that NFKC writes as another single
  character (ＧＤＰ → GDP, ２０２４ → 2024, the Kangxi radical ⼈ → 人, CJK compatibility ideographs) are
  folded in the text and in the terms, one character for one, so offsets in the folded text are the
  offsets in the original. Punctuation and spaces are not folded in the text (full-width
  punctuation is in almost every Chinese sentence and folding it would cost every scan a
  translation pass); instead a term or allowed form holding punctuation is entered in both its
  half-width and full-width spellings, so "（试行）" and "(试行)" are found either way. NFKC foldings
  to more than one character (…, ㈠, ﬁ) are not applied: they would move offsets.
- Overlapping terms: hits are taken leftmost first and, at the same position, longest first; a
  hit that overlaps one already taken is dropped (as a regular expression alternation would).
  Before that, a hit lying inside a match of one of its own rule's `allowed` forms is dropped.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from html.parser import HTMLParser

import ahocorasick

EXCERPT_CONTEXT = 15  # characters shown either side of a hit
LAYOUT_DEPTH = 9  # bytes (three Chinese characters) of the trie laid out level by level
MAX_SPELLINGS = 64  # at most this many width spellings of one term (2 ** punctuation characters)
_FOLD_PLANES = (range(0x0000, 0x20000), range(0x2F800, 0x2FA20))  # BMP, SMP, CJK compatibility supplement
_WHITESPACE_RUN = re.compile(r"\s+")


class Kind(StrEnum):
    MISWRITTEN = "miswritten"  # 常见错别字: a wrong form and its correction
    FORMULATION = "formulation"  # 固定表述/职务名称 written wrongly: a wrong form and the fixed official form
    SENSITIVE = "sensitive"  # 敏感词


class Severity(StrEnum):
    BLOCK = "block"  # 阻止发布
    WARN = "warn"  # 提示


_SEVERITY_RANK = {Severity.WARN: 0, Severity.BLOCK: 1}
_KIND_LABELS = {Kind.MISWRITTEN: "错别字", Kind.FORMULATION: "固定表述错误", Kind.SENSITIVE: "敏感词"}


@dataclass(frozen=True)
class WordingRule:
    """One dictionary entry: the form to find, what it is, and what to write instead."""

    term: str
    kind: Kind
    severity: Severity
    correction: str = ""  # suggested fix ("" for sensitive words)
    allowed: tuple[str, ...] = ()  # longer correct words containing `term` that must not be flagged
    rule_id: int | None = None


@dataclass(frozen=True)
class WordingHit:
    """A place in a text where a rule's term was found."""

    rule: WordingRule
    start: int  # offsets in the scanned text (`scan`) or in its visible text (`scan_html`)
    end: int
    excerpt: str  # the surrounding text with the hit marked 【】
    found: str = ""  # the text as written there (may differ from the term in width: ＧＤＰ for GDP)

    @property
    def blocks(self) -> bool:
        """True if the hit stops publication (§5.1: a 严重表述错误 is a veto)."""
        return self.rule.severity == Severity.BLOCK

    @property
    def message(self) -> str:
        """What the editor reads, e.g. "错别字：「按装」应为「安装」。"."""
        label = _KIND_LABELS[self.rule.kind]
        written = self.found or self.rule.term
        if self.rule.correction:
            return f"{label}：「{written}」应为「{self.rule.correction}」。"
        return f"{label}：「{written}」，请修改或删除。"


# --- width folding -------------------------------------------------------------------------------


@cache
def _fold_table() -> dict[int, int]:
    """Characters NFKC writes as one other letter, digit or ideograph, mapped to that character."""
    table: dict[int, int] = {}
    for code in itertools.chain(*_FOLD_PLANES):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF or unicodedata.is_normalized("NFKC", char):
            continue
        folded = unicodedata.normalize("NFKC", char)
        if len(folded) == 1 and unicodedata.category(folded)[0] in "LN":
            table[code] = ord(folded)
    return table


def _char_class(codes: Iterable[int]) -> re.Pattern[str]:
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[{''.join(parts)}]" if ranges else r"(?!)")


@cache
def _fold_detectors() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Fast checks for "does this text need folding at all?", for BMP and for astral characters.

    A character class of BMP characters is a table lookup per character in `re` (about 1 GB/s);
    one holding characters beyond the BMP is a list of ranges tried in turn, many times slower.
    So the BMP characters get their own class, and the astral class only runs on the (rare)
    texts that hold an astral character at all.
    """
    table = _fold_table()
    bmp = _char_class(code for code in table if code <= 0xFFFF)
    astral = _char_class(code for code in table if code > 0xFFFF)
    return bmp, astral


def _has_astral(text: str) -> bool:
    """True if `text` holds a character beyond the BMP (UTF-16 then needs two units for it)."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


def needs_normalizing(text: str) -> bool:
    """True if `normalize` would change `text` (cheap: a scan in C, no translation)."""
    bmp, astral = _fold_detectors()
    if bmp.search(text):
        return True
    return _has_astral(text) and astral.search(text) is not None


def normalize(text: str) -> str:
    """The text as the scan sees it: width variants of letters, digits and ideographs folded.

    Length-preserving: each character is replaced by at most one character, so an offset in the
    result is the same offset in `text`. Only NFKC foldings to a single letter, digit or ideograph
    are applied ("ＧＤＰ" → "GDP", "２０２５" → "2025", "①" → "1", "⼈" → "人"); punctuation and spaces
    are left as written (terms are entered in both widths instead, see `term_spellings`) and so
    are foldings to several characters ("…" stays "…"). A text needing no folding (almost every
    Chinese text) is returned as is, after one fast check.
    """
    if not needs_normalizing(text):
        return text
    return text.translate(_fold_table())


def _width_alternatives(char: str) -> tuple[str, ...]:
    """A punctuation or space character and its other-width twin, if it has one (（ and ()."""
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1 or unicodedata.category(folded)[0] in "LN":
        return (char,)
    code = ord(folded)
    if 0x21 <= code <= 0x7E:
        return (folded, chr(code + 0xFEE0))  # ASCII ! … ~ and FULLWIDTH ！ … ～
    if folded == " ":
        return (" ", "\u3000")  # IDEOGRAPHIC SPACE
    return (char,) if char == folded else (char, folded)


def term_spellings(term: str) -> list[str]:
    """The spellings of a term the automaton holds: folded, and each punctuation mark in both widths.

    At most `MAX_SPELLINGS`; a term with more punctuation than that allows is held as written and
    folded only.
    """
    folded = normalize(unicodedata.normalize("NFC", term))
    choices = [_width_alternatives(char) for char in folded]
    count = 1
    for options in choices:
        count *= len(options)
    if count > MAX_SPELLINGS:
        return [folded]
    return ["".join(spelling) for spelling in itertools.product(*choices)]


def _identity(term: str) -> str:
    """Two rules whose terms have the same identity are duplicates."""
    return unicodedata.normalize("NFKC", term.strip())


# --- visible text of HTML ------------------------------------------------------------------------

_HIDDEN_ELEMENTS = frozenset({"script", "style", "template", "noscript", "iframe", "object"})
_BLOCK_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th",
        "thead", "title", "tr", "ul",
    }
)  # fmt: skip


class _VisibleTextParser(HTMLParser):
    """Collects text nodes; skips hidden elements; a block element boundary becomes a line break."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self._hidden_depth += 1
        elif tag in _BLOCK_ELEMENTS:
            self._break_line()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_ELEMENTS:
            self._break_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCK_ELEMENTS:
            self._break_line()

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)

    def _break_line(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")


def visible_text(html: str) -> str:
    """The text a reader sees in an HTML fragment or page: what `scan_html` scans.

    Tags and comments are dropped, character references unescaped, the contents of script,
    style, template, noscript, iframe and object elements left out, and the boundary of a block
    element (p, div, li, td, br …) becomes a line break so that words of two paragraphs do not
    run together. Attribute values (alt, title) are not part of it.
    """
    parser = _VisibleTextParser()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


# --- the scanner ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """What one spelling in the automaton stands for: a rule's term, and/or allowed forms of rules."""

    length: int  # in characters
    rule: int | None  # index into the scanner's rules when the spelling is a term
    allowed_for: tuple[int, ...]  # indexes of the rules for which the spelling is an allowed form


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    key: _Key


class WordingScanner:
    """Scans texts against one set of rules (a dictionary snapshot); build once, scan many times.

    Building takes about a second for 50,000 rules, so callers keep a scanner per dictionary
    version rather than per page. A scan is one pass over the text in C plus a little Python per
    match (about 30 MB/s of Chinese text on one core against 50,000 rules; see
    bench/monitoring/wording.py). The scanner holds no state between scans and can be shared.
    """

    def __init__(self, rules: Iterable[WordingRule]) -> None:
        self.rules: list[WordingRule] = _deduplicate(rules)
        keys = {_as_bytes(spelling): key for spelling, key in _keys_for(self.rules).items()}
        self._keys: list[_Key] = []
        self._automaton = _build_automaton(keys, self._keys)

    def __len__(self) -> int:
        return len(self.rules)

    def scan(self, text: str) -> list[WordingHit]:
        """All hits in `text`, left to right (see the module docstring for overlaps and allowed forms)."""
        if self._automaton is None or not text:
            return []
        matches = self._matches(normalize(text))
        chosen = _leftmost_longest(_drop_allowed(matches))
        return [self._hit(text, match) for match in chosen]

    def scan_html(self, html: str) -> list[WordingHit]:
        """Hits in the visible text of `html`; offsets and excerpts refer to `visible_text(html)`."""
        return self.scan(visible_text(html))

    @staticmethod
    def blocks(hits: Iterable[WordingHit]) -> list[WordingHit]:
        """The hits that stop publication (§5.1: 严重表述错误 is a veto)."""
        return [hit for hit in hits if hit.rule.severity == Severity.BLOCK]

    @staticmethod
    def warnings(hits: Iterable[WordingHit]) -> list[WordingHit]:
        """The hits shown to the editor without stopping publication."""
        return [hit for hit in hits if hit.rule.severity == Severity.WARN]

    def _matches(self, folded: str) -> list[_Match]:
        assert self._automaton is not None
        data = folded.encode("utf-8", "surrogatepass")
        # (index of the match's last byte, key index), in the order of that byte
        found = list(self._automaton.iter(data.decode("latin-1")))
        if not found:
            return []
        ends = _byte_ends_to_char_ends(
            data, [last + 1 for last, _ in found], ascii_only=len(data) == len(folded)
        )
        matches = []
        for end, (_, key_index) in zip(ends, found, strict=True):
            key = self._keys[key_index]
            matches.append(_Match(end - key.length, end, key))
        return matches

    def _hit(self, text: str, match: _Match) -> WordingHit:
        assert match.key.rule is not None
        return WordingHit(
            rule=self.rules[match.key.rule],
            start=match.start,
            end=match.end,
            excerpt=excerpt(text, match.start, match.end),
            found=text[match.start : match.end],
        )


def _as_bytes(text: str) -> str:
    """The UTF-8 bytes of `text`, one character per byte: what the automaton reads."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def _build_automaton(keys: dict[str, _Key], key_list: list[_Key]) -> ahocorasick.Automaton | None:
    """The automaton of `keys` (byte strings), its values indexes into `key_list` (filled here).

    pyahocorasick finds a node's child by a linear search through pointers to the children, so
    the layout in memory decides the speed once the trie outgrows the CPU caches. Two things
    help (measured: 10-15 % with 50,000 entries): children in order of how common their byte is
    in the dictionary, so that a search that succeeds ends early; and the shallow nodes, which
    every character of the text visits, created level by level so that the children of a node
    lie next to each other. pyahocorasick has no call to create a node without a word ending
    there, so the shallow prefixes are added as words and removed again (their nodes stay).
    """
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    rank = _byte_ranks(keys)
    order = sorted(keys, key=lambda key: key.translate(rank))
    prefixes: list[str] = []
    for depth in range(1, LAYOUT_DEPTH + 1):
        prefixes.extend(dict.fromkeys(key[:depth] for key in order if len(key) > depth))
    for prefix in prefixes:
        automaton.add_word(prefix, -1)
    for key in order:
        automaton.add_word(key, len(key_list))
        key_list.append(keys[key])
    for prefix in prefixes:
        if prefix not in keys:
            automaton.remove_word(prefix)
    automaton.make_automaton()
    return automaton


def _byte_ranks(keys: Iterable[str]) -> dict[int, int]:
    """A translation table putting each byte (as a character) at its rank by frequency in `keys`."""
    counts = Counter(itertools.chain.from_iterable(keys))
    ranked = [char for char, _ in counts.most_common()]
    ranked += sorted(set(map(chr, range(256))) - set(ranked))
    return {ord(char): rank for rank, char in enumerate(ranked)}


def excerpt(text: str, start: int, end: int, context: int = EXCERPT_CONTEXT) -> str:
    """`context` characters either side of text[start:end], which is marked 【】; whitespace runs
    become one space and a cut-off side gets "…"."""
    before = text[max(0, start - context) : start]
    after = text[end : end + context]
    lead = "…" if start > context else ""
    tail = "…" if end + context < len(text) else ""
    marked = f"{lead}{before}【{text[start:end]}】{after}{tail}"
    return _WHITESPACE_RUN.sub(" ", marked)


def _deduplicate(rules: Iterable[WordingRule]) -> list[WordingRule]:
    """Rules with a blank term dropped; of rules with the same term, the most severe (the first of equals)."""
    kept: dict[str, WordingRule] = {}
    for rule in rules:
        identity = _identity(rule.term)
        if not identity.strip():
            continue
        held = kept.get(identity)
        if held is None or _SEVERITY_RANK[Severity(rule.severity)] > _SEVERITY_RANK[Severity(held.severity)]:
            kept[identity] = rule
    return list(kept.values())


def _keys_for(rules: Sequence[WordingRule]) -> dict[str, _Key]:
    """Every spelling of every term and allowed form, with what it stands for."""
    term_of: dict[str, int] = {}
    allowed_for: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        for spelling in term_spellings(rule.term.strip()):
            term_of.setdefault(spelling, index)
        for form in rule.allowed:
            if form.strip():
                for spelling in term_spellings(form.strip()):
                    allowed_for.setdefault(spelling, []).append(index)
    return {
        spelling: _Key(len(spelling), term_of.get(spelling), tuple(allowed_for.get(spelling, ())))
        for spelling in term_of.keys() | allowed_for.keys()
    }


def _byte_ends_to_char_ends(data: bytes, byte_ends: list[int], *, ascii_only: bool) -> list[int]:
    """Character offsets of ascending byte offsets (each at a character boundary) in UTF-8 `data`."""
    if ascii_only:
        return byte_ends
    char_ends = []
    byte_at = char_at = 0
    for byte_end in byte_ends:
        if byte_end != byte_at:
            char_at += len(data[byte_at:byte_end].decode("utf-8", "surrogatepass"))
            byte_at = byte_end
        char_ends.append(char_at)
    return char_ends


def _drop_allowed(matches: list[_Match]) -> Iterator[_Match]:
    """Term matches, less those lying inside a match of an allowed form of their own rule.

    Per rule, the allowed matches are sorted by start with the running maximum of their ends, so
    "is there an allowed match starting at or before this hit and ending at or after it" is one
    binary search (a page repeating an allowed form many times stays linear-logarithmic).
    """
    spans: dict[int, list[tuple[int, int]]] = {}
    for match in matches:
        for rule in match.key.allowed_for:
            spans.setdefault(rule, []).append((match.start, match.end))
    reach: dict[int, tuple[list[int], list[int]]] = {}
    for rule, rule_spans in spans.items():
        rule_spans.sort()
        ends = itertools.accumulate((end for _, end in rule_spans), max)
        reach[rule] = ([start for start, _ in rule_spans], list(ends))
    for match in matches:
        if match.key.rule is None:
            continue
        starts, furthest = reach.get(match.key.rule, ([], []))
        before = bisect.bisect_right(starts, match.start)
        if not before or furthest[before - 1] < match.end:
            yield match


def _leftmost_longest(matches: Iterable[_Match]) -> list[_Match]:
    """Non-overlapping matches: leftmost first, the longest of those starting at the same place."""
    chosen: list[_Match] = []
    taken_to = 0
    for match in sorted(matches, key=lambda match: (match.start, -match.end)):
        if match.start >= taken_to:
            chosen.append(match)
            taken_to = match.end
    return chosen
