"""The intake spool: letters accepted by the front, kept until the application has registered them.

Art. 10 asks every letter to be received and answered; issue 6 asks that a receipt is shown only
once the letter is stored. The front (`front_intake.py`) accepts a plain letter without waiting for
the application: it writes the letter here, in one short SQLite transaction, and only then answers
with the receipt number. The intake worker (`manage.py cases_intake`) turns each pending row into a
case through `services.submit_letter`, with the same receipt number, and marks the row registered.
A row is never deleted before it is registered, so a letter survives any restart of the front, the
application or the worker (docs/decisions/0008-front-intake-spool.md).

The spool is also where the platform remembers what must hold for every public form on the
machine, whichever process answers it: spent captcha nonces (single use) and the per-address rate
counters. It is a separate SQLite file (`GOVSITE_INTAKE_DB`, default `var/intake.sqlite3`) on every
database backend, so the front needs no database driver and never waits on the main database's
write lock. This module imports nothing from Django.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEFAULT_PATH = BASE_DIR / "var" / "intake.sqlite3"
BUSY_TIMEOUT_MS = 5000
IDLE_SECONDS = 86400

SCHEMA = """
CREATE TABLE IF NOT EXISTS letter (
    id INTEGER PRIMARY KEY,
    receipt_number TEXT NOT NULL UNIQUE,
    query_code_hash TEXT NOT NULL,
    received_at REAL NOT NULL,
    mailbox_id INTEGER NOT NULL,
    fields TEXT NOT NULL,
    client_ip TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'pending',
    case_id INTEGER,
    error TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS letter_state ON letter (state, id);
CREATE TABLE IF NOT EXISTS used_captcha (digest TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rate (key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL);
"""

RATE_UPSERT = (
    "INSERT INTO rate (key, window_start, count) VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN rate.window_start = excluded.window_start THEN rate.count + 1 ELSE 1 END, "
    "window_start = excluded.window_start RETURNING count"
)


class Pending(Exception):
    """The spool refused a write that must not happen (used nonce, rate exceeded): nothing stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SpooledLetter:
    id: int
    receipt_number: str
    query_code_hash: str
    received_at: float
    mailbox_id: int
    fields: dict
    client_ip: str
    state: str
    case_id: int | None
    error: str


def configured_path() -> Path:
    return Path(os.environ.get("GOVSITE_INTAKE_DB") or DEFAULT_PATH)


class Spool:
    """One SQLite file in WAL mode; one connection per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._ready = False

    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            if not self._ready:
                connection.executescript(SCHEMA)
                self._ready = True
            self._local.connection = connection
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: the write lock from the start, so no upgrade can deadlock."""
        connection = self.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    # --- what every public form shares ------------------------------------------------------------

    def spend_nonce(self, digest: str, expires: float, connection: sqlite3.Connection | None = None) -> bool:
        """Remember a captcha nonce until it expires; False when it was spent already."""
        db = connection or self.connection()
        cursor = db.execute(
            "INSERT INTO used_captcha (digest, expires) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING",
            (digest, expires),
        )
        return cursor.rowcount == 1

    def count_hit(self, key: str, window_start: int, connection: sqlite3.Connection | None = None) -> int:
        """Count one request of `key` in the window starting at `window_start`; the count so far."""
        db = connection or self.connection()
        return int(db.execute(RATE_UPSERT, (key, window_start)).fetchone()[0])

    def rate_count(self, key: str) -> int:
        row = self.connection().execute("SELECT count FROM rate WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def forget_expired(self, now: float | None = None) -> int:
        """Housekeeping: nonces past their expiry, rate windows idle for a day."""
        moment = time.time() if now is None else now
        db = self.connection()
        removed = db.execute("DELETE FROM used_captcha WHERE expires < ?", (moment,)).rowcount
        removed += db.execute(
            "DELETE FROM rate WHERE window_start < ?", (int(moment) - IDLE_SECONDS,)
        ).rowcount
        return removed

    # --- letters -------------------------------------------------------------------------------------

    def add_letter(self, connection: sqlite3.Connection, letter: dict) -> int:
        cursor = connection.execute(
            "INSERT INTO letter (receipt_number, query_code_hash, received_at, mailbox_id, fields, client_ip) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                letter["receipt_number"],
                letter["query_code_hash"],
                letter["received_at"],
                letter["mailbox_id"],
                json.dumps(letter["fields"], ensure_ascii=False),
                letter.get("client_ip", ""),
            ),
        )
        return int(cursor.lastrowid)

    def pending(self, limit: int = 100) -> list[SpooledLetter]:
        rows = (
            self.connection()
            .execute(f"SELECT {_COLUMNS} FROM letter WHERE state = 'pending' ORDER BY id LIMIT ?", (limit,))
            .fetchall()
        )
        return [_letter(row) for row in rows]

    def by_state(self, state: str, limit: int = 100) -> list[SpooledLetter]:
        rows = (
            self.connection()
            .execute(f"SELECT {_COLUMNS} FROM letter WHERE state = ? ORDER BY id LIMIT ?", (state, limit))
            .fetchall()
        )
        return [_letter(row) for row in rows]

    def find(self, receipt_number: str) -> SpooledLetter | None:
        row = (
            self.connection()
            .execute(f"SELECT {_COLUMNS} FROM letter WHERE receipt_number = ?", (receipt_number,))
            .fetchone()
        )
        return _letter(row) if row else None

    def mark_registered(self, letter_id: int, case_id: int) -> None:
        self.connection().execute(
            "UPDATE letter SET state = 'registered', case_id = ?, error = '' WHERE id = ?",
            (case_id, letter_id),
        )

    def mark_failed(self, letter_id: int, error: str) -> None:
        """Kept, never dropped: an operator sees it (`cases_intake --failed`) and retries it."""
        self.connection().execute(
            "UPDATE letter SET state = 'failed', error = ?, attempts = attempts + 1 WHERE id = ?",
            (error[:2000], letter_id),
        )

    def purge_registered(self, before: float) -> int:
        """Forget letters registered as cases and received before `before`: the case is the record
        now, and the spool keeps no copy of personal data longer than it must."""
        return (
            self.connection()
            .execute("DELETE FROM letter WHERE state = 'registered' AND received_at < ?", (before,))
            .rowcount
        )

    def retry_failed(self) -> int:
        return (
            self.connection().execute("UPDATE letter SET state = 'pending' WHERE state = 'failed'").rowcount
        )

    def counts(self) -> dict[str, int]:
        rows = self.connection().execute("SELECT state, COUNT(*) FROM letter GROUP BY state").fetchall()
        return {state: count for state, count in rows}


_COLUMNS = (
    "id, receipt_number, query_code_hash, received_at, mailbox_id, fields, client_ip, state, case_id, error"
)


def _letter(row: tuple) -> SpooledLetter:
    return SpooledLetter(
        id=row[0],
        receipt_number=row[1],
        query_code_hash=row[2],
        received_at=row[3],
        mailbox_id=row[4],
        fields=json.loads(row[5]),
        client_ip=row[6],
        state=row[7],
        case_id=row[8],
        error=row[9],
    )


_spools: dict[str, Spool] = {}
_spools_lock = threading.Lock()


def spool(path: Path | str | None = None) -> Spool:
    """The spool at `path` (default: GOVSITE_INTAKE_DB), one object per file and process."""
    key = str(path or configured_path())
    with _spools_lock:
        if key not in _spools:
            _spools[key] = Spool(key)
        return _spools[key]
