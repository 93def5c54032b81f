"""Chinese text for search: segmentation, normalisation, pinyin and facet tags.

Segmentation uses jieba's dictionary and algorithm through `rjieba` (the Rust port, jieba-rs,
about 20× faster than the Python package; see docs/decisions/0006-search.md). Documents are cut in
search-engine mode (a long word also yields the dictionary words inside it: 社会保险 → 社会, 保险,
社会保险), queries in precise mode, so a query word is found wherever the same word occurs inside an
unspaced sentence.

The custom dictionary (place names, unit names, policy terms) is kept in the admin
(`SearchWord`); `load_dictionary` adds it to the segmenter of this process.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata

import rjieba
from pypinyin import Style, lazy_pinyin

MAX_QUERY_CHARS = 100
MAX_INDEXED_CHARS = 60_000
MAX_QUERY_WORDS = 8

_WORD_CHAR = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_RUN = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"^[0-9a-z]+$")
_PINYIN_QUERY = re.compile(r"^[a-z]{2,40}$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_segmenter = rjieba.Jieba()
_lock = threading.Lock()
_loaded_words: set[str] = set()

STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "对",
        "把",
        "被",
        "为",
        "于",
        "之",
        "等",
        "也",
        "就",
        "都",
        "而",
        "并",
        "其",
        "这",
        "那",
        "个",
    ]
)


def normalize(text: str) -> str:
    """Full-width forms to half-width (NFKC) and lower case, as both index and query see text."""
    text = text or ""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def is_word(token: str) -> bool:
    return bool(_WORD_CHAR.search(token))


def index_tokens(text: str) -> list[str]:
    """Search-engine-mode tokens of a document's text (punctuation and spaces dropped)."""
    text = normalize(text[:MAX_INDEXED_CHARS])
    return [token for token in _segmenter.cut_for_search(text, True) if token.isalnum()]


def query_words(text: str) -> list[str]:
    """The words of a query, in precise mode; stop words are dropped unless nothing else is left."""
    text = normalize(text[:MAX_QUERY_CHARS])
    words: list[str] = []
    for token in _segmenter.cut(text, True):
        for piece in _WORD_RUN.findall(token) if not token.isalnum() else [token]:
            if piece not in words:
                words.append(piece)
    meaningful = [word for word in words if word not in STOP_WORDS]
    return (meaningful or words)[:MAX_QUERY_WORDS]


def sub_words(word: str) -> list[str]:
    """The dictionary words inside a word (search mode), for a word the index may have cut apart."""
    parts = [
        token
        for token in _segmenter.cut_for_search(word, False)
        if _WORD_RUN.fullmatch(token) and token != word
    ]
    return [part for part in parts if len(part) > 1] or [char for char in word if is_word(char)]


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def looks_like_pinyin(text: str) -> bool:
    """A query of Latin letters only (``shebao``, ``sb``) may be pinyin or its initials."""
    return bool(_PINYIN_QUERY.match(normalize(text).replace(" ", "")))


def pinyin_of(term: str) -> tuple[str, str]:
    """Full pinyin without tones and the initials: 社保 → ("shebao", "sb")."""
    syllables = [syllable.lower() for syllable in lazy_pinyin(term, errors="ignore") if syllable.strip()]
    initials = [syllable[0] for syllable in lazy_pinyin(term, style=Style.FIRST_LETTER, errors="ignore")]
    return "".join(syllables), "".join(initials).lower()


def tag(kind: str, value: object) -> str:
    """A facet value as one index token (letters and digits only, so no tokenizer splits it)."""
    digest = hashlib.blake2s(f"{kind}:{value}".encode(), digest_size=6).hexdigest()
    return f"zq{kind}{digest}"


_OPENERS = "[［【〔﹝(（{「"
_CLOSERS = "]］】〕﹞)）}」"
_NUMBER_KEY_DROP = re.compile(r"[\s\u3000·•]")


def document_number_key(value: str) -> str:
    """A document number in one spelling: brackets of any kind become 〔〕, spaces go.

    通政办发[2019]89号, 通政办发（2019）89号 and 通政办发〔2019〕 89 号 all give 通政办发〔2019〕89号.
    """
    value = unicodedata.normalize("NFKC", value or "")
    value = _NUMBER_KEY_DROP.sub("", value)
    value = "".join("〔" if char in _OPENERS else "〕" if char in _CLOSERS else char for char in value)
    return value.upper()


def index_number_key(value: str) -> str:
    return _NUMBER_KEY_DROP.sub("", unicodedata.normalize("NFKC", value or "")).upper()


def load_dictionary(words: list[tuple[str, int]]) -> int:
    """Add custom dictionary words to this process's segmenter; returns how many were new."""
    added = 0
    with _lock:
        for word, weight in words:
            word = normalize(word).strip()
            if len(word) < 2 or word in _loaded_words:
                continue
            _segmenter.add_word(word, max(int(weight), 1), None)
            _loaded_words.add(word)
            added += 1
    return added
