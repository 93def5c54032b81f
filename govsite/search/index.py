"""The full-text side of the search index: SQLite FTS5, or PostgreSQL term arrays with GIN.

Both take pre-segmented tokens (see `text.index_tokens`), so neither database needs to know
Chinese: FTS5's unicode61 tokenizer keeps a CJK word whole between spaces. On PostgreSQL each
word is a 64-bit term id (`term_id`, a hash of the word) and a document is the array of its term
ids (`bigint[]`) under a GIN index: no text-search parser, no dependence on the database locale, no
positions — ranking is done on the candidates, see `services.rank`. A GIN index of integers
builds twice as fast as one of tsvector lexemes (decision 0009).

A query is a `Match`: groups of alternatives that must all occur (synonyms are alternatives), and
facet tags that must all occur. Retrieval is newest-first with a limit, so a word found in half a
million documents costs no more than a rare one; ranking happens on those candidates
(see `services.rank`).
"""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import xxhash
from django.db import connection, transaction

TABLE = "govsearch_searchdocument"
VECTOR_TABLE = "govsearch_vector"  # PostgreSQL: term ids and facet columns, partitioned by id
PARTITION_IDS = 131_072  # document ids per partition (one GIN index each)
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
GIN_SQL = f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {VECTOR_TABLE} USING gin (terms) WITH (fastupdate = on)"
VECTOR_TABLE_SQL = (
    f"CREATE TABLE {VECTOR_TABLE} (id bigint NOT NULL PRIMARY KEY, site_id bigint NULL, "
    "category varchar(40) NOT NULL, ctype varchar(20) NOT NULL, topic varchar(60) NOT NULL, "
    "year smallint NULL CHECK (year >= 0), issuer varchar(100) NOT NULL, validity varchar(16) NOT NULL, "
    "terms bigint[] NULL) PARTITION BY RANGE (id)"
)
BULK_MEMORY = "1GB"  # maintenance_work_mem for building the GIN index at the end of a fresh build


def create_schema(schema_editor) -> None:
    """SQLite: create the FTS5 table (called by migration 0002). PostgreSQL's full-text side is the
    partitioned `govsearch_vector` table of migration 0005."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5("
            f"title_tokens, body_tokens, tags, content='{TABLE}', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0', detail='column')"
        )


def partition_name(number: int) -> str:
    return f"{VECTOR_TABLE}_p{number}"


def ensure_partitions(top_id: int, cursor) -> None:
    """PostgreSQL: make sure a partition exists for every id up to `top_id` (and one beyond it).

    Partition n holds ids from n × PARTITION_IDS up to the next multiple; a new partition gets the
    parent's GIN index by itself.
    """
    for number in range(top_id // PARTITION_IDS + 2):
        cursor.execute("SELECT to_regclass(%s) IS NULL", [partition_name(number)])
        if cursor.fetchone()[0]:
            low, high = number * PARTITION_IDS, (number + 1) * PARTITION_IDS
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {partition_name(number)} PARTITION OF {VECTOR_TABLE} "
                f"FOR VALUES FROM ({low}) TO ({high})"
            )


def defer_fulltext_index() -> bool:
    """PostgreSQL, fresh build: drop the GIN index while an empty index table is filled.

    Keeping a GIN index up to date row by row costs far more than building it once from all rows
    (a 1M-document build ran at 573 documents/s with it). Only an empty table is built this way,
    so no search loses its index while documents exist; each partition's index is built as soon
    as the build has moved past it (`write_stream`), and `ensure_fulltext_index` completes the
    rest at the end, or after an interrupted build. Inside a caller's transaction nothing is
    dropped: the index is kept up to date row by row.
    """
    if vendor() != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")
        if cursor.fetchone()[0]:
            return False
        cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
    return True


def _gin_sql(name: str, table: str, only: bool = False) -> str:
    target = f"ONLY {table}" if only else table
    return f"CREATE INDEX IF NOT EXISTS {name} ON {target} USING gin (terms) WITH (fastupdate = on)"


_PARTITIONS_WITHOUT_GIN = f"""
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = '{VECTOR_TABLE}'::regclass AND NOT EXISTS (
    SELECT 1 FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_am a ON a.oid = ic.relam
    WHERE x.indrelid = c.oid AND a.amname = 'gin')
ORDER BY c.relname
"""

_UNATTACHED_GIN = f"""
SELECT ic.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_index x ON x.indrelid = c.oid JOIN pg_class ic ON ic.oid = x.indexrelid
JOIN pg_am a ON a.oid = ic.relam
WHERE i.inhparent = '{VECTOR_TABLE}'::regclass AND a.amname = 'gin'
AND NOT EXISTS (SELECT 1 FROM pg_inherits j WHERE j.inhrelid = x.indexrelid)
"""


def build_partition_index(partition: str) -> None:
    """PostgreSQL: build one partition's GIN index (a bulk build does several side by side)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{BULK_MEMORY}'")
        cursor.execute(_gin_sql(f"{partition}_gin", partition))


def index_is_whole() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [GIN_INDEX])
        row = cursor.fetchone()
        return bool(row and row[0])


def finished_partitions(top_id: int) -> list[str]:
    """Partitions wholly below the one `top_id` falls in: a bulk build will not touch them again."""
    return [partition_name(number) for number in range(top_id // PARTITION_IDS)]


def partitions_without_index() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(_PARTITIONS_WITHOUT_GIN)
        return [row[0] for row in cursor.fetchall()]


def ensure_fulltext_index(workers: int = 2) -> None:
    """PostgreSQL: give every partition its GIN index and join them under the table's index.

    After a fresh build (see `defer_fulltext_index`) the partitions' indexes are built
    `workers` at a time, each in its own connection; an interrupted build is completed the same
    way. Does nothing when the index is whole.
    """
    if vendor() != "postgresql" or index_is_whole():
        return
    missing = partitions_without_index()
    if missing:
        in_threads(build_partition_index, missing, workers)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_gin_sql(GIN_INDEX, VECTOR_TABLE, only=True))
        cursor.execute(_UNATTACHED_GIN)
        for (name,) in cursor.fetchall():
            cursor.execute(f"ALTER INDEX {GIN_INDEX} ATTACH PARTITION {name}")


def in_threads(action, items: list, workers: int) -> None:
    """Run `action(item)` for every item, `workers` at a time, each thread with its own connection."""

    def run(item) -> None:
        try:
            action(item)
        finally:
            connection.close()

    if connection.in_atomic_block or workers < 2:
        for item in items:
            action(item)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, items))


def drop_schema(schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS}")


# --- writing ------------------------------------------------------------------------------------


TITLE_MARK = "t_"


def term_id(word: str) -> int:
    """A word's term id on PostgreSQL: its 64-bit xxh3 hash as a signed bigint.

    Stable across processes and versions (unlike Python's `hash`). That some two words of a
    million-word vocabulary share an id has a chance of about 3 in 10^8; a document with the one
    would then match the other, and its score (computed on the text, `services.rank`) stay low.
    """
    value = xxhash.xxh3_64_intdigest(word.encode())
    return value - (1 << 64) if value >= 1 << 63 else value


# PostgreSQL's binary COPY format: signature, flags, header extension length; rows; trailer.
COPY_BINARY_START = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_BINARY_END = b"\xff\xff"
_NULL = b"\xff\xff\xff\xff"
_INT8_OID = 20
_ARRAY_HEADER = struct.Struct(">iiiii")  # dimensions, has-nulls flag, element type, length, lower bound
_ROW_START = struct.Struct(">hiq")  # field count, then the id: its length (8) and its value
_LENGTH_8 = 8 << 64  # an element's length (4 bytes) in front of its 8 bytes


def terms_binary(words: list[str]) -> bytes:
    """The term ids of these words as a `bigint[]` in PostgreSQL's binary form (`array_recv`).

    Built where documents are segmented, so a bulk build sends arrays the server takes as they are.
    The hash is `term_id`'s, inlined on its unsigned bits (the same 8 bytes) because this runs for
    every word of every document; a test checks that both give the same ids.
    """
    if not words:
        return struct.pack(">iii", 0, 0, _INT8_OID)
    elements = b"".join(
        (_LENGTH_8 | xxhash.xxh3_64_intdigest(word.encode())).to_bytes(12, "big") for word in words
    )
    return _ARRAY_HEADER.pack(1, 0, _INT8_OID, len(words), 1) + elements


def terms_of_binary(binary: bytes) -> list[int]:
    """The term ids in a `terms_binary` array."""
    count = (len(binary) - _ARRAY_HEADER.size) // 12
    if count <= 0:
        return []
    return list(struct.unpack_from(">" + "4xq" * count, binary, _ARRAY_HEADER.size))


def vector_copy_row(doc_id: int, facets: tuple, terms: bytes) -> bytes:
    """A vector-table row for binary COPY: the id, the facet columns (`FACET_COLUMNS`: bigint,
    four texts, smallint, two texts) and the term ids (`terms_binary`)."""
    site_id, category, ctype, topic, year, issuer, validity = facets
    parts = [
        _NULL if site_id is None else b"\x00\x00\x00\x08" + site_id.to_bytes(8, "big", signed=True),
        *(_copy_text(value) for value in (category, ctype, topic)),
        _NULL if year is None else b"\x00\x00\x00\x02" + year.to_bytes(2, "big", signed=True),
        *(_copy_text(value) for value in (issuer, validity)),
        _copy_bytes(terms),
    ]
    return _ROW_START.pack(1 + len(FACET_COLUMNS) + 1, 8, doc_id) + b"".join(parts)


def _copy_text(value: str) -> bytes:
    return _copy_bytes(value.encode())


def _copy_bytes(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


def document_terms(title_tokens: list[str], body_tokens: list[str], tags: list[str]) -> list[str]:
    """The terms of a document (PostgreSQL): its words, its title words once more with a mark (so
    a title-only match is an ordinary term, no positions or weights needed), and its facet tags.
    Tokens never contain "_" (see `text.index_tokens`), so the mark is unambiguous.
    """
    words = dict.fromkeys(title_tokens)
    words.update(dict.fromkeys(body_tokens))
    words.update(dict.fromkeys(TITLE_MARK + token for token in title_tokens))
    words.update(dict.fromkeys(tags))
    return [word for word in words if word]


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
    """SQLite: index the rows just written (PostgreSQL's GIN follows the terms column itself)."""
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
            cursor.execute(f"ANALYZE {VECTOR_TABLE}")


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


def terms_condition(match: Match, title_only: bool = False) -> tuple[str, list]:
    """The match as conditions on the terms column: every required term (`@>`), and for each group
    of alternatives one of them (`&&`). GIN answers both exactly, in one index scan."""
    mark = TITLE_MARK if title_only else ""
    required = [term_id(tag) for tag in match.tags]
    conditions, params = [], []
    for group in match.groups:
        ids = [term_id(mark + word) for word in group]
        if len(ids) == 1:
            required.extend(ids)
        else:
            conditions.append("d.terms && %s::bigint[]")
            params.append(ids)
    if required:
        conditions.insert(0, "d.terms @> %s::bigint[]")
        params.insert(0, required)
    return " AND ".join(conditions), params


def newest_matches(match: Match, limit: int, title_only: bool = False) -> list[int]:
    """Ids of the newest documents (highest id first) that match, at most `limit`."""
    if match.is_empty() or (title_only and not match.groups):
        return []
    if vendor() == "postgresql":
        return [row[0] for row in _pg_newest("d.id", terms_condition(match, title_only), limit)]
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
        return _pg_newest(columns, terms_condition(match), cap)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM (SELECT rowid AS rid FROM {FTS} WHERE {FTS} MATCH %s "
            f"ORDER BY rowid DESC LIMIT %s) f JOIN {TABLE} d INDEXED BY {FACETS_INDEX} ON d.id = f.rid "
            "ORDER BY d.id DESC",
            [fts_expression(match), cap],
        )
        return cursor.fetchall()


FIRST_WINDOW = 4_096
WIDEST_STEP = 64


def _pg_newest(columns: str, condition: tuple[str, list], limit: int) -> list[tuple]:
    """The newest matches on PostgreSQL, looked for in windows of the newest ids, widening.

    A GIN index gives matches in no order. Within a window of ids, the GIN bitmap is combined
    with the primary key's range and only the matching rows are read (the bitmap is exact: the
    terms are never opened). A common word fills the first window; for a rarer one the next
    window is sized from how many matches the last one held, so the rows read stay close to
    `limit` whatever the word's frequency.
    """
    where, params = condition
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {VECTOR_TABLE}")
        top = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        window = FIRST_WINDOW
        while True:
            lower = top - window
            cursor.execute(
                f"SELECT {columns} FROM {VECTOR_TABLE} d WHERE {where} AND d.id > %s "
                "ORDER BY d.id DESC LIMIT %s",
                [*params, lower, limit],
            )
            rows = cursor.fetchall()
            if len(rows) >= limit or lower <= 0:
                return rows
            window = _next_window(window, len(rows), limit)


def _next_window(window: int, found: int, limit: int) -> int:
    """A window expected to hold `limit` matches, with a margin, from `found` in `window`."""
    if not found:
        return window * WIDEST_STEP
    wanted = int(window * limit * 1.5 / found)
    return max(window * 2, min(wanted, window * WIDEST_STEP))
