"""Reading the search page's and the API's query-string parameters, with every input bounded.

Whatever arrives (very long strings, NUL characters, FTS or SQL syntax, markup, broken
percent-escapes) becomes plain, short text here; what it means is decided in `services.search`.
PostgreSQL refuses NUL characters in strings, so they are dropped from every value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.http import QueryDict

from govsite.search import services, text

MAX_VALUE_CHARS = 100
MAX_NUMBER_CHARS = 60
FILTER_KEYS = tuple(key for key, _label, _kind, _column in services.FACETS)
# Facets stored as numbers: anything but a short run of ASCII digits could not match and is dropped.
NUMERIC_FILTERS = {"site": re.compile(r"[0-9]{1,9}"), "year": re.compile(r"[0-9]{4}")}


class BadParameter(ValueError):
    """A parameter the API refuses (the page falls back to a default instead)."""


def clean(value: str | None, limit: int = MAX_VALUE_CHARS) -> str:
    """The value without NUL characters, surrounding space and anything past `limit` characters."""
    return (value or "").replace("\x00", "").strip()[:limit]


def page_number(value: str | None) -> int:
    """A results page between 1 and `services.MAX_PAGES`; empty means 1, anything else is refused."""
    raw = clean(value, 12)
    if not raw:
        return 1
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= services.MAX_PAGES:
        raise BadParameter(f"页码必须是 1 到 {services.MAX_PAGES} 之间的整数。")
    return int(raw)


def filters_from(params: QueryDict, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """The facet filters among the parameters; unknown keys and impossible values are left out."""
    found: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = clean(params.get(key))
        if key in skip or not value:
            continue
        pattern = NUMERIC_FILTERS.get(key)
        if pattern is not None and not pattern.fullmatch(value):
            continue
        found[key] = value
    return found


@dataclass
class SearchParams:
    """One request's search, before it meets a site: what `services.SearchQuery` is built from."""

    text: str = ""
    whole_platform: bool = False
    sort: str = "relevance"
    page: int = 1
    filters: dict[str, str] = field(default_factory=dict)
    number: str = ""
    literal: bool = False

    def query(self, site) -> services.SearchQuery:
        return services.SearchQuery(
            text=self.text,
            site=site,
            whole_platform=self.whole_platform,
            filters=dict(self.filters),
            sort=self.sort,
            page=self.page,
            number=self.number,
            literal=self.literal,
        )


def read(params: QueryDict, *, strict: bool = False, skip: tuple[str, ...] = ()) -> SearchParams:
    """The search a query string asks for. With `strict` (the API) a bad page number is refused;
    otherwise (the page) it falls back to page 1."""
    try:
        page = page_number(params.get("page"))
    except BadParameter:
        if strict:
            raise
        page = 1
    sort = clean(params.get("sort"), 20)
    return SearchParams(
        text=" ".join(clean(params.get("q"), text.MAX_QUERY_CHARS * 2).split())[: text.MAX_QUERY_CHARS],
        whole_platform=clean(params.get("scope"), 10) == "all",
        sort=sort if sort in services.SORTS else "relevance",
        page=page,
        filters=filters_from(params, skip),
        number=clean(params.get("number"), MAX_NUMBER_CHARS),
        literal=clean(params.get("raw"), 2) == "1",
    )
