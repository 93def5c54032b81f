"""Art. 14: concurrent writers cannot fork the audit chain — several processes append at the same
moment (SQLite: IMMEDIATE transactions on a WAL file; PostgreSQL: advisory lock), and the chain
comes out gap-free and verifiable, checked by `manage.py audit_verify` itself."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 4
RECORDS_EACH = 30

WRITER = textwrap.dedent(
    """
    import os, sys, time
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govsite.settings")
    django.setup()
    from govsite.review import audit
    writer, count, start_at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    time.sleep(max(0.0, start_at - time.time()))
    for number in range(count):
        audit.record("test.concurrent", object_repr=f"{writer}-{number}", detail={"writer": writer, "n": number})
    """
)


def database_url(tmp_path: Path) -> str:
    """A URL other processes can open for this test's database (SQLite: a file copy of it)."""
    if connection.vendor == "sqlite":
        target = tmp_path / "chain.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
            # WAL before the writers open it: four connections switching the mode at the same
            # moment would deadlock on the upgrade, which SQLite reports at once as "locked".
            copy.execute("PRAGMA journal_mode=WAL")
        return f"sqlite:///{target}"
    settings = connection.settings_dict
    credentials = quote(settings["USER"], safe="")
    if settings.get("PASSWORD"):
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    return f"postgres://{credentials}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_art14_concurrent_writers_leave_one_gap_free_verifiable_chain(tmp_path):
    url = database_url(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    start_at = time.time() + 6  # every writer has imported Django by then, and they start together
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"w{number}", str(RECORDS_EACH), str(start_at)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(WRITERS)
    ]
    for process in writers:
        _out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-3000:]

    verify = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert verify.returncode == 0, verify.stderr[-3000:]
    assert f"审计记录链完整：{WRITERS * RECORDS_EACH} 条" in verify.stdout

    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'govsite.settings'); django.setup();"
            "from govsite.review.models import AuditRecord as R;"
            "rows = list(R.objects.order_by('sequence').values_list('sequence', 'previous_hash', 'record_hash'));"
            "print(len(rows), [r[0] for r in rows] == list(range(1, len(rows) + 1)),"
            " all(b[1] == a[2] for a, b in zip(rows, rows[1:])), len({r[1] for r in rows}))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    total = WRITERS * RECORDS_EACH
    assert check.stdout.split() == [str(total), "True", "True", str(total)], check.stderr[-3000:]
