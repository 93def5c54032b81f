"""The full-text side of the search index: SQLite FTS5 or a PostgreSQL tsvector with GIN.

Both take pre-segmented tokens (see `text.index_tokens`), so neither database needs to know
Chinese: FTS5's unicode61 tokenizer keeps a CJK word whole between spaces, and the tsvector is
built from an array of lexemes (`array_to_tsvector`: no text-search parser, no dependence on the
database locale, no positions — ranking is done on the candidates, see `services.rank`).

A query is a `Match`: groups of alternatives that must all occur (synonyms are alternatives), and
facet tags that must all occur. Retrieval is newest-first with a limit, so a word found in half a
million documents costs no more than a rare one; ranking happens on those candidates
(see `services.rank`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction

TABLE = "govsearch_searchdocument"
FTS = "govsearch_fts"
FACETS_INDEX = "govsearch_facets_cover"  # SQLite: the facet columns by id (migration 0004)


@dataclass
class Match:
    groups: list[list[str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.groups and not self.tags


def vendor() -> str:
    return connection.vendor


# --- schema -------------------------------------------------------------------------------------


GIN_INDEX = "govsearch_vector_gin"
GIN_SQL = f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {TABLE} USING gin (vector) WITH (fastupdate = on)"
BULK_MEMORY = "1GB"  # maintenance_work_mem for building the GIN index at the end of a fresh build


def create_schema(schema_editor) -> None:
    """Create the full-text structures for the database in use (called by the migration)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5("
            f"title_tokens, body_tokens, tags, content='{TABLE}', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0', detail='column')"
        )
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GIN_SQL)


def defer_fulltext_index() -> bool:
    """PostgreSQL, fresh build: drop the GIN index while an empty index table is filled.

    Keeping a GIN index up to date row by row costs far more than building it once from all rows
    (the 1M-document build ran at 573 documents/s with it, see bench/results/search.json). Only an
    empty table is built this way, so no search loses its index while documents exist;
    `ensure_fulltext_index` puts it back at the end, and again after an interrupted build. Inside
    a caller's transaction nothing is dropped: the index is kept up to date row by row.
    """
    if vendor() != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")
        if cursor.fetchone()[0]:
            return False
        cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
    return True


def ensure_fulltext_index() -> None:
    """PostgreSQL: (re)create the GIN index if it is missing, with memory for a bulk build."""
    if vendor() != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NULL", [GIN_INDEX])
        if cursor.fetchone()[0]:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{BULK_MEMORY}'")
            cursor.execute(GIN_SQL)


def drop_schema(schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")


# --- writing ------------------------------------------------------------------------------------


TITLE_MARK = "t_"


def _quote_lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def lexemes(title_tokens: list[str], body_tokens: list[str], tags: list[str]) -> list[str]:
    """The lexemes of a document's tsvector (PostgreSQL): its words, its title words once more
    with a mark (so a title-only match is an ordinary lexeme, no positions or weights needed), and
    its facet tags. Tokens never contain "_" (see `text.index_tokens`), so the mark is unambiguous.
    """
    words = dict.fromkeys(title_tokens)
    words.update(dict.fromkeys(body_tokens))
    words.update(dict.fromkeys(TITLE_MARK + token for token in title_tokens))
    words.update(dict.fromkeys(tags))
    return [word[:2000] for word in words if word]


def before_write(doc_ids: list[int]) -> None:
    """SQLite: remove the old FTS entries of rows about to be rewritten or deleted.

    An external-content FTS5 table must be told the old values to forget them; they are read from
    the document rows before those change.
    """
    if vendor() != "sqlite" or not doc_ids:
        return
    with connection.cursor() as cursor:
        for chunk in _chunks(doc_ids, 500):
            marks = ",".join("%s" for _ in chunk)
            cursor.execute(
                f"INSERT INTO {FTS}({FTS}, rowid, title_tokens, body_tokens, tags) "
                f"SELECT 'delete', id, title_tokens, body_tokens, tags FROM {TABLE} WHERE id IN ({marks})",
                chunk,
            )


def after_write(doc_ids: list[int]) -> None:
    """SQLite: index the rows just written (PostgreSQL's GIN follows the vector column itself)."""
    if vendor() != "sqlite" or not doc_ids:
        return
    with connection.cursor() as cursor:
        for chunk in _chunks(doc_ids, 500):
            marks = ",".join("%s" for _ in chunk)
            cursor.execute(
                f"INSERT INTO {FTS}(rowid, title_tokens, body_tokens, tags) "
                f"SELECT id, title_tokens, body_tokens, tags FROM {TABLE} WHERE id IN ({marks})",
                chunk,
            )


def rebuild_fts() -> None:
    """SQLite: rebuild the FTS index from the document rows (after a bulk load)."""
    if vendor() == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES('rebuild')")


def optimize() -> None:
    with connection.cursor() as cursor:
        if vendor() == "sqlite":
            cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES('optimize')")
        elif vendor() == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- reading ------------------------------------------------------------------------------------


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts_expression(match: Match, title_only: bool = False) -> str:
    columns = "title_tokens" if title_only else "{title_tokens body_tokens}"
    parts = []
    for group in match.groups:
        alternatives = " OR ".join(_fts_phrase(word) for word in group)
        parts.append(f"{columns} : ({alternatives})")
    parts.extend(f"tags : {_fts_phrase(tag)}" for tag in match.tags)
    return " AND ".join(parts)


def tsquery_text(match: Match, title_only: bool = False) -> str:
    mark = TITLE_MARK if title_only else ""
    parts = []
    for group in match.groups:
        alternatives = " | ".join(_quote_lexeme(mark + word) for word in group)
        parts.append(f"({alternatives})")
    parts.extend(_quote_lexeme(tag) for tag in match.tags)
    return " & ".join(parts)


def newest_matches(match: Match, limit: int, title_only: bool = False) -> list[int]:
    """Ids of the newest documents (highest id first) that match, at most `limit`."""
    if match.is_empty() or (title_only and not match.groups):
        return []
    if vendor() == "postgresql":
        return [row[0] for row in _pg_newest("d.id", tsquery_text(match, title_only), limit)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s ORDER BY rowid DESC LIMIT %s",
            [fts_expression(match, title_only), limit],
        )
        return [row[0] for row in cursor.fetchall()]


FACET_COLUMNS = ("site_id", "category", "ctype", "topic", "year", "issuer", "validity")


def facet_rows(match: Match, cap: int) -> list[tuple]:
    """Id and facet columns of the newest `cap` matching documents, newest first."""
    if match.is_empty():
        return []
    columns = ", ".join(f"d.{name}" for name in ("id", *FACET_COLUMNS))
    if vendor() == "postgresql":
        return _pg_newest(columns, tsquery_text(match), cap)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM (SELECT rowid AS rid FROM {FTS} WHERE {FTS} MATCH %s "
            f"ORDER BY rowid DESC LIMIT %s) f JOIN {TABLE} d INDEXED BY {FACETS_INDEX} ON d.id = f.rid "
            "ORDER BY d.id DESC",
            [fts_expression(match), cap],
        )
        return cursor.fetchall()


FIRST_WINDOW = 16_384
WINDOW_GROWTH = 8


def _pg_newest(columns: str, tsquery: str, limit: int) -> list[tuple]:
    """The newest matches on PostgreSQL, looked for in windows of the newest ids, widening.

    A GIN index gives matches in no order, and checking the tsvector of row after row in id order
    costs a decompression each. Within a window of ids, the GIN bitmap is combined with the
    primary key's range and only the matching rows are read — their tsvector is never opened (the
    bitmap is exact). A common word fills the first window; a rare one widens it a few times.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {TABLE}")
        top = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        window = FIRST_WINDOW
        while True:
            lower = top - window
            cursor.execute(
                f"SELECT {columns} FROM {TABLE} d WHERE d.vector @@ %s::tsquery AND d.id > %s "
                "ORDER BY d.id DESC LIMIT %s",
                [tsquery, lower, limit],
            )
            rows = cursor.fetchall()
            if len(rows) >= limit or lower <= 0:
                return rows
            window *= WINDOW_GROWTH
