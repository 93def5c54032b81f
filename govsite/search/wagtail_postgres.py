"""Wagtail's stock PostgreSQL backend with the query segmented (see wagtail_backend)."""

from __future__ import annotations

from modelsearch.backends.database.postgres.postgres import (
    PostgresAutocompleteQueryCompiler,
    PostgresSearchBackend,
    PostgresSearchQueryCompiler,
)

from govsite.search.wagtail_backend import segmented


class SegmentingPostgres:
    def build_tsquery_content(self, query, config=None, invert=False):
        return super().build_tsquery_content(segmented(query), config=config, invert=invert)


class ChinesePostgresQueryCompiler(SegmentingPostgres, PostgresSearchQueryCompiler):
    pass


class ChinesePostgresAutocompleteCompiler(SegmentingPostgres, PostgresAutocompleteQueryCompiler):
    pass


class ChinesePostgresSearchBackend(PostgresSearchBackend):
    query_compiler_class = ChinesePostgresQueryCompiler
    autocomplete_query_compiler_class = ChinesePostgresAutocompleteCompiler
