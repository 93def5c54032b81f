"""One publish, timed from the final approval to the front serving the new file, and what it wrote.

Runs inside the benchmark's own Django process (settings from the environment, see seed.setup_django);
the publish worker and the front are separate processes.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import seed

SERVED_TIMEOUT_SECONDS = 60.0
RECORD_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.002


@dataclass(frozen=True)
class PublishSample:
    articles_in_column: int  # items the column listed before this publish
    page_id: int
    url_path: str
    latency_s: float  # final approval starts → the front answers 200 with the new page
    approval_s: float  # the final approval call (Wagtail publish, audit, queueing the job)
    files_written: int | None
    files_rendered: int | None
    queue_wait_s: float | None  # job queued → worker started it
    job_s: float | None  # worker started → job finished
    paths: list[str]
    changed_on_disk: int | None = None  # files added or rewritten under the host (independent check)

    def as_dict(self) -> dict:
        return asdict(self)


def tree_snapshot(directory: Path) -> dict[str, int]:
    """Path → (inode, mtime) fingerprint of every file under `directory` (renames change the inode)."""
    snapshot: dict[str, int] = {}
    pending = [str(directory)]
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            else:
                stat = entry.stat(follow_symlinks=False)
                snapshot[entry.path] = hash((stat.st_ino, stat.st_mtime_ns))
    return snapshot


def changed_files(before: dict[str, int], after: dict[str, int]) -> int:
    return sum(1 for path, fingerprint in after.items() if before.get(path) != fingerprint)


def new_draft(column, number: int):
    """A draft article in `column` with a unique title (the marker looked for in the served page)."""
    from govsite.content.models import ArticlePage

    marker = secrets.token_hex(4)
    title = f"基准发布测试 {number:03d}-{marker}"
    page = ArticlePage(
        title=title,
        slug=f"sample-{number:03d}-{marker}",
        body=seed.article_body(number),
        summary=title,
        live=False,
    )
    column.add_child(instance=page)
    return page


def approve_through_chain(page, column) -> tuple[float, float]:
    """The editor submits, everyone free to approves each step; returns (start, end) of the final approval."""
    from wagtail.models import Page, WorkflowState

    from govsite.review import services as review

    review.submit_for_review(page, seed.site_editor(column))
    while True:
        state = Page.objects.get(pk=page.pk).specific.current_workflow_state
        if state is None or state.status != WorkflowState.STATUS_IN_PROGRESS:
            raise RuntimeError(f"the workflow of {page.title} ended without approval")
        role = state.current_task_state.task.specific.role
        approver = review.pick_approver(page, role, state)
        started = time.perf_counter()
        state = review.act(page, approver)
        if state.status == WorkflowState.STATUS_APPROVED:
            return started, time.perf_counter()


def wait_until_served(client: httpx.Client, url: str, host: str, file_path: Path, marker: str) -> float:
    """Poll until the front answers 200 with `marker`; the file must exist first, so an answer the
    front got from the application (for a missing file) never counts."""
    deadline = time.perf_counter() + SERVED_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        if file_path.exists():
            response = client.get(url, headers={"Host": host})
            if response.status_code == 200 and marker in response.text:
                return time.perf_counter()
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"{url} (Host: {host}) was not served within {SERVED_TIMEOUT_SECONDS:.0f} s")


def wait_for_record(page_id: int):
    """The worker's PublishRecord of this page's publish (written after all of its files)."""
    from govsite.publishing.models import PublishRecord

    deadline = time.monotonic() + RECORD_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        record = PublishRecord.objects.filter(page_id=page_id, kind="publish").order_by("-pk").first()
        if record is not None:
            return record
        time.sleep(0.05)
    return None


def publish_and_measure(
    column, number: int, *, front_port: int, host: str, publish_root: Path, check_disk: bool = False
) -> PublishSample:
    """Publish one new article in `column` and time it until the front serves its file."""
    from django.db import connection

    articles_before = seed.column_size(column)
    page = new_draft(column, number)
    site_root_url = column.get_site().root_page.url_path
    url_path = "/" + page.url_path[len(site_root_url) :]
    file_path = publish_root / host / url_path.strip("/") / "index.html"
    host_dir = publish_root / host
    before = tree_snapshot(host_dir) if check_disk else {}
    with httpx.Client(timeout=10.0) as client:
        started, approved = approve_through_chain(page, column)
        connection.close()  # hold no SQLite connection while the worker writes
        served = wait_until_served(
            client, f"http://127.0.0.1:{front_port}{url_path}", host, file_path, page.title
        )
    record = wait_for_record(page.pk)
    changed = changed_files(before, tree_snapshot(host_dir)) if check_disk else None
    return PublishSample(
        articles_in_column=articles_before,
        page_id=page.pk,
        url_path=url_path,
        latency_s=served - started,
        approval_s=approved - started,
        files_written=record.files_written if record else None,
        files_rendered=record.files_rendered if record else None,
        queue_wait_s=_seconds(record.queued_at, record.started_at) if record else None,
        job_s=_seconds(record.started_at, record.finished_at) if record else None,
        paths=list(record.paths) if record else [],
        changed_on_disk=changed,
    )


def _seconds(start, end) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()
