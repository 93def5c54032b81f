"""The custom dictionary and synonyms, loaded into each process's segmenter.

Words kept in the admin (`SearchWord`), synonyms (`SynonymGroup`) and the names of the platform's
sites and institutions are added to jieba's dictionary, so 紫琅湖 or 通州湾示范区 stay whole. Each
process re-checks the tables at most every `RECHECK_SECONDS`; documents indexed before a word was
added keep their old segmentation until the next reindex (docs/search.md).
"""

from __future__ import annotations

import time

from django.db.models import Count, Max

from govsite.search import text
from govsite.search.models import SearchWord, SynonymGroup
from govsite.sites.models import GovSite, Institution

RECHECK_SECONDS = 30.0
_state = {"checked": 0.0, "version": None}


def _version() -> tuple:
    words = SearchWord.objects.aggregate(n=Count("id"), last=Max("id"))
    groups = SynonymGroup.objects.aggregate(n=Count("id"), last=Max("id"))
    return (words["n"], words["last"], groups["n"], groups["last"], Institution.objects.count())


def custom_words() -> list[tuple[str, int]]:
    words = [(row.word, row.weight) for row in SearchWord.objects.filter(active=True)]
    for group in SynonymGroup.objects.filter(active=True):
        words += [(word, 2000) for word in group.word_list()]
    words += [(name, 2000) for name in Institution.objects.values_list("name", flat=True)]
    words += [(name, 2000) for name in GovSite.objects.values_list("name", flat=True)]
    return words


def ensure_loaded(force: bool = False) -> None:
    """Load new dictionary words into this process, at most every RECHECK_SECONDS."""
    now = time.monotonic()
    if not force and now - _state["checked"] < RECHECK_SECONDS:
        return
    _state["checked"] = now
    version = _version()
    if force or version != _state["version"]:
        text.load_dictionary(custom_words())
        _state["version"] = version


def forget() -> None:
    """Make the next `ensure_loaded` look at the tables again (after an edit in this process)."""
    _state["checked"] = 0.0
    from govsite.search.services import forget_cached

    forget_cached()
