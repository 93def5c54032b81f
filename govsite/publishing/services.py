"""The static publisher (Art. 19 集约化平台 serving, Art. 22 security, issue 4).

A change (publish, unpublish, move, delete, a site's or a column's settings) becomes a job on the
publishing queue, in the transaction of the change. The worker turns the job into a `Plan` of the
URLs it touches (`plan.py`), renders each one as the application would, re-checks every content
page's revision against its review chain (Art. 14: 先审后发) and writes the files atomically with
their compressed copies, updating the manifest. A full rebuild does the same for every URL of a
site, saves its progress after each batch and can resume.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from wagtail.models import Page, Site

from govsite.content.models import ColumnPage, ContentPage
from govsite.publishing import storage
from govsite.publishing.models import PublishedFile, PublishRecord, RebuildRun
from govsite.publishing.plan import (
    Plan,
    SiteIndex,
    Target,
    plan_column,
    plan_column_lists,
    plan_item,
    site_urls,
)
from govsite.publishing.render import Renderer
from govsite.publishing.signals import change_published
from govsite.review.services import revisions_passed_review
from govsite.sites.models import GovSite

logger = logging.getLogger(__name__)

REDIRECT_MARKER = ".redirect"
SITE_REDIRECT_MARKER = ".site-redirect"


class Kind:
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    DELETE = "delete"
    MOVE = "move"
    SITE = "site"
    UNSHARE = "unshare"


@dataclass
class Outcome:
    """What executing a plan did on disk."""

    rendered: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


# --- writing with one check per page ----------------------------------------------------------------


class Writer:
    """Renders URLs and writes their files for one job or rebuild batch.

    Art. 14/15 (先审后发): before a content page's file is written, its live revision is checked
    against its review chain again (`review.services.revisions_passed_review`, the same rule the
    admin and the workflow use); a page that fails is refused, its file removed, and the refusal
    audited. The manifest rows are written in bulk when the batch is flushed.
    """

    def __init__(self, renderer: Renderer | None = None) -> None:
        self.renderer = renderer or Renderer()
        self.outcome = Outcome()
        self.pages: dict[int, Page] = {}
        self._passed: dict[int, bool] = {}
        self._manifest: dict[str, dict[str, str]] = {}
        self._rows: dict[tuple[str, str], PublishedFile] = {}

    # pages and the gate
    def load(self, page_ids: Iterable[int]) -> None:
        """Load pages (specific, with what their templates read) and their review status at once."""
        wanted = [pk for pk in set(page_ids) if pk is not None and pk not in self.pages]
        if not wanted:
            return
        for page in Page.objects.filter(pk__in=wanted).specific():
            self.pages[page.pk] = page
        items = [page for page in self.pages.values() if isinstance(page, ContentPage)]
        prefetch_related_objects(
            [page for page in items if page.pk in wanted], "attachments__document", "images__image"
        )
        self._check([page for page in items if page.pk in wanted])

    def _check(self, items: list[ContentPage]) -> None:
        live = {page.pk: page.live_revision_id for page in items if page.live and page.live_revision_id}
        passed = revisions_passed_review(live)
        for page in items:
            self._passed[page.pk] = page.pk in passed

    def may_write(self, page_id: int | None) -> bool:
        if page_id is None:
            return True
        if page_id not in self.pages:
            self.load([page_id])
        page = self.pages.get(page_id)
        if page is None:
            return False
        return not isinstance(page, ContentPage) or self._passed.get(page_id, False)

    # files
    def known(self, host: str, relative: str) -> dict[str, str]:
        manifest = self._manifest.get(host)
        if manifest is not None:
            return {path: manifest[path] for path in storage.variant_paths(relative) if path in manifest}
        return dict(
            PublishedFile.objects.filter(host=host, path__in=storage.variant_paths(relative)).values_list(
                "path", "sha256"
            )
        )

    def preload_manifest(self, host: str) -> None:
        self._manifest[host] = dict(PublishedFile.objects.filter(host=host).values_list("path", "sha256"))

    def write_url(self, site: Site, url_path: str, page_id: int | None) -> None:
        if not self.may_write(page_id):
            self.outcome.refused.append(f"{site.hostname}{url_path}")
            self.remove(site, url_path)
            return
        page = self.pages.get(page_id) if page_id is not None else None
        own = page is not None and page.url_path == site.root_page.url_path + url_path.lstrip("/")
        rendered = self.renderer.render(site, url_path, page if own else None)
        self.outcome.rendered += 1
        if rendered.status != 200:
            self.remove(site, url_path)
            return
        self.store(site.hostname, storage.file_for(url_path), rendered.body, page_id)

    def store(self, host: str, relative: str, body: bytes, page_id: int | None) -> None:
        written = storage.write(host, relative, body, self.known(host, relative))
        now = timezone.now()
        for path, digest, size in written.files:
            self._rows[(host, path)] = PublishedFile(
                host=host, path=path, sha256=digest, size=size, page_id=page_id, written_at=now
            )
            if host in self._manifest:
                self._manifest[host][path] = digest
            self.outcome.written.append(f"{host}/{path}")

    def remove(self, site: Site, url_path: str) -> None:
        relative = storage.file_for(url_path)
        self.remove_file(site.hostname, relative)

    def remove_file(self, host: str, relative: str) -> None:
        paths = storage.variant_paths(relative)
        removed = storage.remove(host, relative)
        for path in paths:
            self._rows.pop((host, path), None)
            if host in self._manifest:
                self._manifest[host].pop(path, None)
        PublishedFile.objects.filter(host=host, path__in=paths).delete()
        self.outcome.removed.extend(f"{host}/{path}" for path in removed)

    def flush(self) -> None:
        """Write the batch's manifest rows in one short transaction (renders happen outside it, so
        parallel rebuild processes do not wait on each other's write lock)."""
        if self._rows:
            PublishedFile.objects.bulk_create(
                list(self._rows.values()),
                batch_size=500,
                update_conflicts=True,
                unique_fields=["host", "path"],
                update_fields=["sha256", "size", "page_id", "written_at"],
            )
            self._rows.clear()


# --- executing a plan ------------------------------------------------------------------------------


def execute(plan: Plan, index: SiteIndex, writer: Writer | None = None) -> Writer:
    """Render and write every target of `plan`, remove what it drops, keep the manifest in step."""
    writer = writer or Writer()
    writer.load(page_id for page_id in plan.render.values() if page_id is not None)
    for target, page_id in plan.render.items():
        site = index.sites.get(target.site_id)
        if site is not None:
            writer.write_url(site, target.url_path, page_id)
    for target in plan.remove:
        site = index.sites.get(target.site_id)
        if site is not None:
            writer.remove(site, target.url_path)
    for target, location in plan.redirects.items():
        site = index.sites.get(target.site_id)
        if site is not None:
            write_redirect(writer, site, target.url_path, location)
    writer.flush()
    return writer


def write_redirect(writer: Writer, site: Site, url_path: str, location: str) -> None:
    """A moved page's old address answers 301 to its new one (the front reads this marker)."""
    writer.remove(site, url_path)
    relative = f"{url_path.strip('/')}/{REDIRECT_MARKER}".lstrip("/")
    writer.store(site.hostname, relative, location.encode(), None)


# --- jobs ------------------------------------------------------------------------------------------


def plan_for(kind: str, page_id: int | None, snapshot: dict | None, index: SiteIndex) -> Plan:
    """The plan of one queued change."""
    plan = Plan()
    snapshot = snapshot or {}
    page = Page.objects.filter(pk=page_id).specific().first() if page_id else None
    if kind == Kind.SITE:
        plan.whole_sites.add(snapshot["site_id"])
        return plan
    if kind == Kind.UNSHARE and isinstance(page, ContentPage):
        for column in ColumnPage.objects.live().filter(pk__in=snapshot.get("column_ids", [])):
            plan_column_lists(plan, index, column, page, added=False)
        return plan
    if kind in (Kind.DELETE, Kind.MOVE):
        plan_departure(plan, index, snapshot, page)
    if page is None:
        return plan
    if isinstance(page, ContentPage):
        plan_item(plan, index, page, added=page.live)
    elif isinstance(page, ColumnPage):
        plan_column(plan, index, page)
    else:
        site = index.site_of(page)
        if site is not None:
            plan.whole_sites.add(site.pk)
    return plan


def plan_departure(plan: Plan, index: SiteIndex, snapshot: dict, page: Page | None) -> None:
    """A page left its old place (deleted or moved): its old address and the lists that showed it."""
    old_site = index.sites.get(snapshot.get("site_id"))
    if old_site is None:
        return
    for old_path in snapshot.get("url_paths", []):
        new_path = index.url_path(page) if page is not None and page.live else None
        if page is not None and new_path is not None and new_path != old_path:
            new_site = index.site_of(page)
            location = new_path if new_site and new_site.pk == old_site.pk else page.get_full_url()
            plan.redirects[Target(old_site.pk, old_path)] = location
        else:
            plan.drop(old_site.pk, old_path)
    if snapshot.get("whole_site"):
        plan.whole_sites.add(old_site.pk)
        return
    ghost = ContentPage(pk=snapshot.get("page_id"), live=False)
    ghost.first_published_at = _parse_time(snapshot.get("first_published_at"))
    for column in ColumnPage.objects.live().filter(pk__in=snapshot.get("column_ids", [])):
        plan_column_lists(plan, index, column, ghost, added=False)
    plan.add(old_site.pk, "/sitemap.xml")
    for linked in Page.objects.live().filter(pk__in=snapshot.get("linked_ids", [])):
        linked_path = index.url_path(linked)
        linked_site = index.site_of(linked)
        if linked_path and linked_site:
            plan.add(linked_site.pk, linked_path, linked.pk)


def _parse_time(value: str | None):
    from django.utils.dateparse import parse_datetime

    return parse_datetime(value) if value else None


def snapshot_of(page: Page) -> dict:
    """Where a page is now, taken before it is deleted or moved."""
    from govsite.publishing.plan import columns_listing, linked_items

    index = SiteIndex()
    site = index.site_of(page)
    specific = page.specific
    snapshot: dict = {"page_id": page.pk, "site_id": site.pk if site else None, "url_paths": []}
    if isinstance(specific, ContentPage):
        path = index.url_path(page, site)
        snapshot["url_paths"] = [path] if path else []
        snapshot["column_ids"] = [column.pk for column in columns_listing(specific)]
        snapshot["linked_ids"] = [linked.pk for linked in linked_items(specific)]
        published = specific.first_published_at
        snapshot["first_published_at"] = published.isoformat() if published else None
    else:
        subtree = Page.objects.descendant_of(page, inclusive=True).only("path", "url_path")
        snapshot["url_paths"] = [path for path in (index.url_path(p, site) for p in subtree) if path]
        snapshot["whole_site"] = True
    return snapshot


def run_job(
    kind: str, page_id: int | None = None, snapshot: dict | None = None, queued_at=None
) -> PublishRecord:
    """Carry out one queued change and keep a record of it (the worker's entry point)."""
    started = timezone.now()
    index = SiteIndex()
    plan = plan_for(kind, page_id, snapshot, index)
    writer = execute(plan, index)
    for site_id in plan.whole_sites:
        site = index.sites.get(site_id)
        if site is not None:
            rebuild_site(site, index, writer)
    outcome = writer.outcome
    record = PublishRecord.objects.create(
        kind=kind,
        page_id=page_id,
        site_id=(snapshot or {}).get("site_id"),
        queued_at=queued_at,
        started_at=started,
        finished_at=timezone.now(),
        files_rendered=outcome.rendered,
        files_written=len(outcome.written),
        files_removed=len(outcome.removed),
        paths=outcome.written[:500],
        refused=outcome.refused,
    )
    if outcome.refused:
        _audit_refusals(outcome.refused, page_id)
    _announce(kind, page_id, snapshot or {})
    return record


def _announce(kind: str, page_id: int | None, snapshot: dict) -> None:
    """Tell followers (the search index) what changed; a follower's failure is logged, not fatal."""
    for receiver, error in change_published.send_robust(
        sender=run_job, kind=kind, page_id=page_id, snapshot=snapshot
    ):
        if isinstance(error, Exception):
            logger.error("发布后续处理失败：%s：%s", receiver, error, exc_info=error)


def _audit_refusals(refused: list[str], page_id: int | None) -> None:
    from govsite.review import audit

    audit.record(
        "publishing.refused",
        object_type="wagtailcore.page",
        object_id=page_id,
        object_repr=refused[0],
        detail={"urls": refused[:50], "reason": "未通过审核链的版本不写入静态文件（第十四条）"},
    )


def sync_site_state(site: Site, gov_site: GovSite | None) -> None:
    """A closed or merged site's host sends every request to its successor (the front reads this)."""
    from govsite.sites import services as sites

    host = site.hostname
    marker = storage.root() / host / SITE_REDIRECT_MARKER
    closed = gov_site is not None and gov_site.status in (GovSite.Status.CLOSED, GovSite.Status.MERGED)
    if closed and gov_site.successor_id:
        data = {"archive": sites.archive_url(gov_site, "/"), "successor": sites.successor_url(gov_site, "")}
        storage.write_atomic(marker, json.dumps(data, ensure_ascii=False).encode())
        return
    marker.unlink(missing_ok=True)


# --- full rebuild ----------------------------------------------------------------------------------

REBUILD_BATCH = 200
# Files other apps publish with a site besides its pages (cases: the mailbox forms the front serves).
# Each hook writes through the writer and returns the relative paths it wrote.
SITE_EXTRAS: list[Callable[[Site, Writer], list[str]]] = []


def write_site_extras(site: Site, writer: Writer) -> set[str]:
    """Every SITE_EXTRAS file of `site`, with its compressed copies (the paths a rebuild keeps)."""
    kept: set[str] = set()
    for hook in SITE_EXTRAS:
        for relative in hook(site, writer):
            kept.update(storage.variant_paths(relative))
    writer.flush()
    return kept


def rebuild_site(site: Site, index: SiteIndex, writer: Writer) -> None:
    """Every URL of one site, then files that no longer belong to any URL are removed."""
    sync_site_state(site, writer.renderer.gov_site(site))
    writer.preload_manifest(site.hostname)
    keep: set[str] = set()
    for batch in _batches(site_urls(index, site), REBUILD_BATCH):
        keep.update(
            path for url_path, _ in batch for path in storage.variant_paths(storage.file_for(url_path))
        )
        _write_batch(writer, site, batch)
    keep.update(write_site_extras(site, writer))
    stale = PublishedFile.objects.filter(host=site.hostname).exclude(path__endswith=REDIRECT_MARKER)
    for path in stale.values_list("path", flat=True):
        if path not in keep:
            writer.remove_file(site.hostname, path)


def _write_batch(writer: Writer, site: Site, batch: list[tuple[str, int | None]]) -> None:
    writer.load(page_id for _, page_id in batch if page_id is not None)
    for url_path, page_id in batch:
        writer.write_url(site, url_path, page_id)
    writer.flush()
    writer.pages.clear()


@dataclass
class Progress:
    done: int
    total: int
    rate: float
    site: str


def rebuild(
    *,
    scope: str = "",
    resume: bool = False,
    report: Callable[[Progress], None] | None = None,
    workers: int = 1,
) -> RebuildRun:
    """Full rebuild of one site (`scope` = its slug) or of all, in URL batches.

    Progress (URLs done, in a fixed order: sites by id, pages by id, then lists) is saved after each
    batch, so `resume=True` continues the last unfinished run after the URLs it already wrote.
    With `workers` > 1 the batches are rendered by that many processes, in order.
    """
    cutoff = timezone.now()
    index = SiteIndex()
    renderer = Renderer()
    urls_of = {site.pk: site_urls(index, site) for site in _sites_in_scope(scope, index)}
    run = _run_for(scope, resume, total=sum(map(len, urls_of.values())))
    if not scope:
        discard_superseded_jobs(min(cutoff, run.started_at))
    jobs: list[tuple[int, int, list]] = []
    position = 0
    for site_id, urls in urls_of.items():
        sync_site_state(index.sites[site_id], renderer.gov_site(index.sites[site_id]))
        for batch in _batches(urls, REBUILD_BATCH):
            position += len(batch)
            if position > run.done:
                jobs.append((position, site_id, batch))
    started = time.monotonic()
    done_before = run.done
    refused: list[str] = []
    for position, host, batch_refused in _run_batches(jobs, workers):
        refused += batch_refused
        run.done = position
        run.save(update_fields=["done", "updated_at"])
        if report:
            elapsed = max(time.monotonic() - started, 1e-6)
            report(Progress(run.done, run.total, (run.done - done_before) / elapsed, host))
    if refused:
        _audit_refusals(refused, None)
    extras = Writer(renderer)
    for site_id in urls_of:
        write_site_extras(index.sites[site_id], extras)
    run.status = RebuildRun.Status.DONE
    run.save(update_fields=["status", "updated_at"])
    return run


def _run_batches(jobs: list[tuple[int, int, list]], workers: int) -> Iterable[tuple[int, str, list[str]]]:
    _batch_state.clear()  # every rebuild starts from the database as it is now, in every process
    try:
        if workers <= 1 or len(jobs) < 2:
            yield from map(_rebuild_job, jobs)
            return
        connections.close_all()  # each forked process opens its own connection
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_rebuild_job, jobs)
    finally:
        _batch_state.clear()


_batch_state: dict = {}


def _rebuild_job(job: tuple[int, int, list]) -> tuple[int, str, list[str]]:
    """One batch of a rebuild, in this process (a pool worker keeps its writer between batches)."""
    position, site_id, batch = job
    if "writer" not in _batch_state:
        _batch_state["writer"] = Writer()
        _batch_state["index"] = SiteIndex()
    writer: Writer = _batch_state["writer"]
    site = _batch_state["index"].sites[site_id]
    if site.hostname not in writer._manifest:
        writer.preload_manifest(site.hostname)
    refused_before = len(writer.outcome.refused)
    _write_batch(writer, site, batch)
    writer.outcome.written.clear()
    return position, site.hostname, writer.outcome.refused[refused_before:]


def discard_superseded_jobs(before) -> int:
    """Queued publish and unpublish jobs from before a full rebuild began: the rebuild writes what
    they would, so the worker need not (moves and deletes stay queued for their redirects)."""
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().filter(backend_name="publishing", enqueued_at__lt=before)
    superseded = [
        job.pk
        for job in queued.only("pk", "args_kwargs").iterator()
        if (job.args_kwargs.get("args") or [None])[0] in (Kind.PUBLISH, Kind.UNPUBLISH)
    ]
    DBTaskResult.objects.filter(pk__in=superseded).delete()
    return len(superseded)


def _run_for(scope: str, resume: bool, total: int) -> RebuildRun:
    if resume:
        unfinished = RebuildRun.objects.filter(scope=scope, status=RebuildRun.Status.RUNNING).first()
        if unfinished is not None:
            return unfinished
    RebuildRun.objects.filter(scope=scope, status=RebuildRun.Status.RUNNING).update(
        status=RebuildRun.Status.FAILED
    )
    return RebuildRun.objects.create(scope=scope, total=total)


def _sites_in_scope(scope: str, index: SiteIndex) -> list[Site]:
    gov_sites = GovSite.objects.select_related("site").order_by("pk")
    if scope:
        gov_sites = gov_sites.filter(slug=scope)
    return [index.sites[g.site_id] for g in gov_sites if g.site_id in index.sites]


def _batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def enqueue(kind: str, page_id: int | None = None, snapshot: dict | None = None) -> None:
    """Queue a change for the publish worker, in the caller's transaction (so it happens iff the
    change commits)."""
    from govsite.publishing.tasks import publish_change

    publish_change.enqueue(kind, page_id, snapshot or {}, timezone.now().isoformat())


def run_pending(limit: int | None = None) -> int:
    """Work off the publishing queue in this process and return how many jobs ran (tests, commands)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["publishing"],
        interval=0,
        batch=True,
        backend_name="publishing",
        startup_delay=False,
        max_tasks=limit,
        worker_id="inline",
        excluded_queue_names=[],
    )
    count = 0
    while limit is None or count < limit:
        job = DBTaskResult.objects.ready().filter(backend_name="publishing").order_by("enqueued_at").first()
        if job is None:
            break
        job.claim(worker.worker_id)
        worker.run_task(job)
        count += 1
    return count
