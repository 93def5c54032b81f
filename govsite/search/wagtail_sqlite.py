"""Wagtail's stock SQLite FTS5 backend with the query segmented (see wagtail_backend)."""

from __future__ import annotations

from modelsearch.backends.database.sqlite.sqlite import (
    SQLiteAutocompleteQueryCompiler,
    SQLiteSearchBackend,
    SQLiteSearchQueryCompiler,
)

from govsite.search.wagtail_backend import segmented


class SegmentingSQLite:
    def build_search_query_content(self, query, config=None):
        return super().build_search_query_content(segmented(query), config=config)


class ChineseSQLiteQueryCompiler(SegmentingSQLite, SQLiteSearchQueryCompiler):
    pass


class ChineseSQLiteAutocompleteCompiler(SegmentingSQLite, SQLiteAutocompleteQueryCompiler):
    pass


class ChineseSQLiteSearchBackend(SQLiteSearchBackend):
    query_compiler_class = ChineseSQLiteQueryCompiler
    autocomplete_query_compiler_class = ChineseSQLiteAutocompleteCompiler
