"""Wagtail's own search (the admin's page search and choosers) made to understand Chinese.

The stock database backends index a field's text as the database splits it, which leaves an
unspaced Chinese sentence as one token: 负担 is never found inside 切实减轻企业负担. Here the text is
segmented before the stock backend sees it (`fields.SegmentedSearchField`, search-engine mode) and so is
the query (precise mode); everything else — FTS5 on SQLite, tsvector on PostgreSQL, ranking,
filters — is Wagtail's own. Public search uses the platform's own index (`services`), which adds
facets and ranking by demand.

Settings: WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "govsite.search.wagtail_backend"}}.
"""

from __future__ import annotations

from django.db import connection
from modelsearch.query import PlainText

from govsite.search import text


def segmented(query):
    """A plain-text query with its Chinese words separated, as the index has them."""
    if isinstance(query, PlainText):
        words = text.query_words(query.query_string)
        return PlainText(" ".join(words) or query.query_string, operator=query.operator, boost=query.boost)
    return query


# The name Wagtail looks up in a backend module.
def SearchBackend(params):
    params = {"SEARCH_CONFIG": "simple", **params}
    if connection.vendor == "postgresql":
        from govsite.search.wagtail_postgres import ChinesePostgresSearchBackend

        return ChinesePostgresSearchBackend(params)
    from govsite.search.wagtail_sqlite import ChineseSQLiteSearchBackend

    return ChineseSQLiteSearchBackend(params)
