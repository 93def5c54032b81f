"""Fill one column with many published articles, fast, for the publishing benchmark.

Publishing 100,000 articles through the review chain would take hours (about 0.2 s each), so one
article (the template) goes through the real chain (the site's editor submits, every step is
approved by someone free to approve it) and its database rows are then cloned in bulk: the page
rows (wagtailcore_page, content_contentpage, content_articlepage), its revision, its approved
workflow state and its task states. Each clone gets its own primary keys, tree path, slug, URL
path, index number and first-publication date, is live, and its live revision carries the
approved task states, so `review.services.revision_passed_review` holds for it exactly as for
the template.

Django's `bulk_create` refuses multi-table-inherited models (ArticlePage → ContentPage → Page),
so each table is written with one `executemany` per batch of `BATCH_SIZE` rows, inside one
transaction per batch; every value that is not copied from the template goes through its model
field's `get_db_prep_value`, so the same code writes SQLite and PostgreSQL.

    python bench/publishing/seed.py --column /nantong/tzgg/ --articles 100000

(with DATABASE_URL and the other GOVSITE_* variables of the database to seed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction

REPO_ROOT = Path(__file__).resolve().parents[2]
BATCH_SIZE = 5_000
CLONE_SLUG_PREFIX = "clone-"
TEMPLATE_SLUG = "bench-template"
# Clones are dated evenly over this span, ending a day before seeding, oldest first.
DATE_SPAN = timedelta(days=3 * 365)
DATE_CAPACITY = 100_000


def setup_django() -> None:
    """Make the project importable and configure Django (settings from the environment)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govsite.settings")
    import django

    django.setup()


def log(message: str) -> None:
    print(f"[seed] {message}", file=sys.stderr, flush=True)


# --- the template: one article through the real review chain ----------------------------------------


def site_editor(column) -> Any:
    """The editor account of the column's site (`<site slug>_editor`, as load_demo and the factories make)."""
    from django.contrib.auth import get_user_model

    from govsite.review import services as review

    gov_site = review.site_of(column)
    return get_user_model().objects.get(username=f"{gov_site.slug}_editor")


def article_body(number: int) -> str:
    return (
        f"<p>基准测试稿件第 {number} 号。为测试静态发布在大栏目下的性能，本栏目批量生成了大量稿件。</p>"
        "<p>各地区、各部门要认真贯彻落实本通知精神，结合实际抓好组织实施，确保各项任务落到实处。</p>"
        "<p>本信息经录入员提交、审核负责人审核、分管领导审核后发布。</p>"
    )


def publish_article(column, *, title: str, slug: str, body: str, is_major: bool = False):
    """A new article in `column`, published the only way there is: the site's review chain (Art. 14-15)."""
    from govsite.content.models import ArticlePage
    from govsite.review import services as review

    page = ArticlePage(title=title, slug=slug, body=body, summary=title, is_major=is_major, live=False)
    column.add_child(instance=page)
    return review.run_chain(page, editor=site_editor(column))


def template_article(column):
    """The article every clone is copied from, published through the real chain on first use."""
    from govsite.content.models import ArticlePage

    existing = ArticlePage.objects.child_of(column).filter(slug=TEMPLATE_SLUG).first()
    if existing is not None:
        return existing
    log(f"publishing the template article through the review chain in {column.url_path}")
    return publish_article(column, title="基准测试稿件（模板）", slug=TEMPLATE_SLUG, body=article_body(0))


# --- reading and writing rows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One table a clone needs a row in, the model whose local fields describe its columns."""

    model: Any

    @property
    def name(self) -> str:
        return self.model._meta.db_table

    @cached_property
    def fields(self) -> dict[str, Any]:
        return {f.column: f for f in self.model._meta.local_concrete_fields}

    def prep(self, column: str, value: Any) -> Any:
        """`value` as the database takes it for this column (datetimes by the fast, direct path)."""
        field = self.fields[column]
        if isinstance(field, models.DateTimeField):
            return connection.ops.adapt_datetimefield_value(value)
        return field.get_db_prep_value(value, connection)


def fetch_rows(table: Table, where_column: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    if not values:
        return []
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {quote(table.name)} WHERE {quote(where_column)} IN ({marks}) ORDER BY 1", values
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = list(rows[0])
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[row[c] for c in columns] for row in rows])


def next_id(table: Table) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table.name)}")
        return (cursor.fetchone()[0] or 0) + 1


def reset_sequences(models: Sequence[Any]) -> None:
    """PostgreSQL hands out ids from sequences: move them past the ids written here (no-op on SQLite)."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# --- cloning ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRows:
    """The template article's rows in every table a clone needs."""

    page: dict[str, Any]
    content_page: dict[str, Any]
    article_page: dict[str, Any]
    revision: dict[str, Any]
    workflow_states: list[dict[str, Any]]
    task_states: list[dict[str, Any]]


@cache
def tables() -> dict[str, Table]:
    from wagtail.models import Page, Revision, TaskState, WorkflowState

    from govsite.content.models import ArticlePage, ContentPage

    return {
        "page": Table(Page),
        "content_page": Table(ContentPage),
        "article_page": Table(ArticlePage),
        "revision": Table(Revision),
        "workflow_state": Table(WorkflowState),
        "task_state": Table(TaskState),
    }


def read_template(page_id: int) -> TemplateRows:
    """The rows of the published template: the page, its live revision and the approved chain on it."""
    t = tables()
    page = fetch_rows(t["page"], "id", [page_id])[0]
    revision = fetch_rows(t["revision"], "id", [page["live_revision_id"]])[0]
    task_states = fetch_rows(t["task_state"], "revision_id", [revision["id"]])
    state_ids = sorted({row["workflow_state_id"] for row in task_states})
    workflow_states = [
        s for s in fetch_rows(t["workflow_state"], "id", state_ids) if s["status"] == "approved"
    ]
    approved_ids = {s["id"] for s in workflow_states}
    task_states = [row for row in task_states if row["workflow_state_id"] in approved_ids]
    if not workflow_states or not task_states:
        raise RuntimeError("the template article has no approved review chain to clone")
    expected_type = t["task_state"].model._meta
    for row in task_states:
        content_type = _content_type(row["content_type_id"])
        if (content_type.app_label, content_type.model) != (
            expected_type.app_label,
            expected_type.model_name,
        ):
            raise RuntimeError(
                f"task state type {content_type} has its own table; seed.py clones only TaskState"
            )
    return TemplateRows(
        page=page,
        content_page=fetch_rows(t["content_page"], "page_ptr_id", [page_id])[0],
        article_page=fetch_rows(t["article_page"], "contentpage_ptr_id", [page_id])[0],
        revision=revision,
        workflow_states=workflow_states,
        task_states=task_states,
    )


def _content_type(pk: int):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_id(pk)


@dataclass(frozen=True)
class Clone:
    """What makes one clone different from the template."""

    number: int  # position among all clones of the column, 0 = oldest
    page_id: int
    revision_id: int
    path: str
    published_at: datetime

    @property
    def slug(self) -> str:
        return f"{CLONE_SLUG_PREFIX}{self.number:06d}"

    @property
    def title(self) -> str:
        return f"基准测试稿件 {self.number + 1:06d}"


@dataclass
class IdCursor:
    """Next free primary key per table for this batch."""

    page: int
    revision: int
    workflow_state: int
    task_state: int


def clone_rows(template: TemplateRows, clone: Clone, ids: IdCursor, column_url_path: str) -> dict[str, list]:
    """Every row of one clone, keyed by table."""
    t = tables()
    published = clone.published_at
    page = dict(template.page)
    page.update(
        id=clone.page_id,
        path=clone.path,
        numchild=0,
        title=clone.title,
        draft_title=clone.title,
        slug=clone.slug,
        url_path=f"{column_url_path}{clone.slug}/",
        live=True,
        has_unpublished_changes=False,
        live_revision_id=clone.revision_id,
        latest_revision_id=clone.revision_id,
        locked=False,
        locked_at=None,
        locked_by_id=None,
    )
    published_db = t["page"].prep("first_published_at", published)
    submitted_db = t["page"].prep("first_published_at", published - timedelta(hours=2))
    for column in ("first_published_at", "last_published_at", "latest_revision_created_at"):
        page[column] = published_db
    page["translation_key"] = t["page"].prep("translation_key", uuid.uuid4())
    content_page = dict(template.content_page, page_ptr_id=clone.page_id)
    content_page["index_number"] = f"BENCH/{clone.number + 1:07d}"
    content_page["body"] = article_body(clone.number + 1)
    content_page["summary"] = clone.title
    article_page = dict(template.article_page, contentpage_ptr_id=clone.page_id)
    revision = dict(
        template.revision, id=clone.revision_id, object_id=str(clone.page_id), object_str=clone.title
    )
    revision["created_at"] = submitted_db
    revision["content"] = t["revision"].prep("content", revision_content(template, clone, page, content_page))
    workflow_states, task_states = clone_chain(template, clone, ids, submitted_db, published_db)
    return {
        "page": [page],
        "content_page": [content_page],
        "article_page": [article_page],
        "revision": [revision],
        "workflow_state": workflow_states,
        "task_state": task_states,
    }


def revision_content(template: TemplateRows, clone: Clone, page: dict, content_page: dict) -> dict:
    """The template revision's JSON, describing the clone (what `revision.as_object()` returns)."""
    raw = template.revision["content"]
    content = json.loads(raw) if isinstance(raw, str) else dict(raw)
    published = clone.published_at.isoformat()
    content.update(
        pk=clone.page_id,
        path=clone.path,
        title=clone.title,
        draft_title=clone.title,
        slug=clone.slug,
        url_path=page["url_path"],
        index_number=content_page["index_number"],
        body=content_page["body"],
        summary=content_page["summary"],
        live=True,
        has_unpublished_changes=False,
        first_published_at=published,
        last_published_at=published,
        latest_revision_created_at=published,
        live_revision=clone.revision_id,
        latest_revision=clone.revision_id,
        translation_key=str(uuid.UUID(str(page["translation_key"]))),
    )
    return content


def clone_chain(
    template: TemplateRows, clone: Clone, ids: IdCursor, submitted: Any, published: Any
) -> tuple[list[dict], list[dict]]:
    """The approved workflow state(s) and their task states, on the clone's revision: submitted two
    hours before publication, every step finished at publication (times already in database form)."""
    new_state_ids: dict[int, int] = {}
    workflow_states = []
    for state in template.workflow_states:
        new_state_ids[state["id"]] = ids.workflow_state
        row = dict(state, id=ids.workflow_state, object_id=str(clone.page_id), current_task_state_id=None)
        row["created_at"] = submitted
        workflow_states.append(row)
        ids.workflow_state += 1
    new_task_ids: dict[int, int] = {}
    task_states = []
    for task in template.task_states:
        new_task_ids[task["id"]] = ids.task_state
        row = dict(
            task,
            id=ids.task_state,
            workflow_state_id=new_state_ids[task["workflow_state_id"]],
            revision_id=clone.revision_id,
        )
        row["started_at"] = submitted
        if task["finished_at"] is not None:
            row["finished_at"] = published
        task_states.append(row)
        ids.task_state += 1
    for row, state in zip(workflow_states, template.workflow_states, strict=True):
        row["current_task_state_id"] = new_task_ids.get(state["current_task_state_id"])
    return workflow_states, task_states


# --- seeding a column ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedReport:
    column: str
    created: int
    items: int  # what the column lists afterwards
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0


def clone_date(number: int, newest: datetime) -> datetime:
    """Dates spread evenly over DATE_SPAN, so that clone 0 is the oldest and later clones are newer."""
    step = DATE_SPAN / DATE_CAPACITY
    jitter = timedelta(seconds=random.Random(number).randint(0, 600))
    return newest - DATE_SPAN + step * number + jitter


def existing_clones(column) -> int:
    from wagtail.models import Page

    return Page.objects.child_of(column).filter(slug__startswith=CLONE_SLUG_PREFIX).count()


def batches(start: int, stop: int, size: int) -> Iterator[range]:
    for first in range(start, stop, size):
        yield range(first, min(first + size, stop))


def column_size(column) -> int:
    """How many items the column lists (the platform's own definition, which its pagination uses)."""
    from govsite.content import services as content

    return content.column_items(column).count()


def seed_column(column_path: str, articles: int, *, host: str | None = None) -> SeedReport:
    """Bring the column at URL path `column_path` to `articles` listed items (the demo's, the
    template, earlier publishes and clones) by adding clones of the template."""
    from django.utils import timezone

    column = find_column(column_path, host)
    template = template_article(column)
    rows = read_template(template.pk)
    first = existing_clones(column)
    missing = max(0, articles - column_size(column))
    newest = timezone.now().replace(microsecond=0) - timedelta(days=1)
    started = time.monotonic()
    for numbers in batches(first, first + missing, BATCH_SIZE):
        with transaction.atomic():
            write_batch(column, rows, numbers, newest)
        log(f"{column.url_path}: {numbers.stop - first:,} / {missing:,} clones")
    seconds = time.monotonic() - started
    report = SeedReport(column.url_path, missing, column_size(column), seconds)
    if report.created:
        log(
            f"cloned {report.created:,} articles in {seconds:.1f} s ({report.rows_per_second:,.0f} articles/s)"
        )
    return report


def find_column(column_path: str, host: str | None = None):
    """The column with this URL path (`/nantong/tzgg/` as Wagtail stores it, below the tree root)."""
    from govsite.content.models import ColumnPage

    columns = ColumnPage.objects.filter(url_path=column_path)
    if host:
        columns = columns.filter(path__startswith=_root_path_for_host(host))
    return columns.get()


def _root_path_for_host(host: str) -> str:
    from wagtail.models import Site

    return Site.objects.select_related("root_page").get(hostname=host).root_page.path


def write_batch(column, template: TemplateRows, numbers: range, newest: datetime) -> None:
    """Clones `numbers` of the column, in one transaction; the column's child count follows."""
    from wagtail.models import Page, Revision, TaskState, WorkflowState

    t = tables()
    column = Page.objects.select_for_update().get(pk=column.pk)
    last_child = Page.objects.child_of(column).order_by("-path").values_list("path", flat=True).first()
    step = Page._str2int(last_child[-Page.steplen :]) if last_child else 0
    ids = IdCursor(
        next_id(t["page"]), next_id(t["revision"]), next_id(t["workflow_state"]), next_id(t["task_state"])
    )
    collected: dict[str, list] = {name: [] for name in t}
    for offset, number in enumerate(numbers):
        clone = Clone(
            number=number,
            page_id=ids.page,
            revision_id=ids.revision,
            path=Page._get_path(column.path, column.depth + 1, step + offset + 1),
            published_at=clone_date(number, newest),
        )
        ids.page += 1
        ids.revision += 1
        for name, table_rows in clone_rows(template, clone, ids, column.url_path).items():
            collected[name].extend(table_rows)
    for name in ("page", "content_page", "article_page", "revision", "workflow_state", "task_state"):
        insert_rows(t[name], collected[name])
    Page.objects.filter(pk=column.pk).update(numchild=Page.objects.child_of(column).count())
    reset_sequences([Page, Revision, WorkflowState, TaskState])


# --- verification ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    clones: int
    live_and_passed: int
    sample_checked: int
    sample_passed: int

    @property
    def ok(self) -> bool:
        return self.clones == self.live_and_passed and self.sample_checked == self.sample_passed


def verify_column(column_path: str, *, host: str | None = None, sample: int = 25) -> Verification:
    """Count clones that are live with an approved task state for every active step on their live
    revision (one query), and run the platform's own `revision_passed_review` on a sample."""
    from django.db.models import Count, OuterRef, Subquery
    from wagtail.models import Page, TaskState

    from govsite.review import services as review

    column = find_column(column_path, host)
    clones = Page.objects.child_of(column).filter(slug__startswith=CLONE_SLUG_PREFIX)
    template = Page.objects.child_of(column).get(slug=TEMPLATE_SLUG)
    required = template.get_workflow().tasks.filter(active=True).count()
    passed_steps = (
        TaskState.objects.filter(
            revision_id=OuterRef("live_revision_id"),
            workflow_state__status="approved",
            status__in=(TaskState.STATUS_APPROVED, TaskState.STATUS_SKIPPED),
        )
        .values("revision_id")
        .annotate(steps=Count("task_id", distinct=True))
        .values("steps")
    )
    live_and_passed = (
        clones.filter(live=True).annotate(steps=Subquery(passed_steps)).filter(steps__gte=required)
    )
    ids = list(clones.values_list("pk", flat=True))
    chosen = random.Random(4).sample(ids, min(sample, len(ids)))
    pages = Page.objects.filter(pk__in=chosen).select_related("live_revision")
    sample_passed = sum(review.revision_passed_review(page, page.live_revision) for page in pages)
    return Verification(len(ids), live_and_passed.count(), len(chosen), sample_passed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--column", default="/nantong/tzgg/", help="URL path of the column (Wagtail url_path)"
    )
    parser.add_argument("--host", help="the site's host name, if several sites share the URL path")
    parser.add_argument("--articles", type=int, default=1000, help="items the column should list")
    args = parser.parse_args(argv)
    setup_django()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    report = seed_column(args.column, args.articles, host=args.host)
    check = verify_column(args.column, host=args.host)
    log(
        f"{check.clones:,} clones, {check.live_and_passed:,} live with a passed chain; "
        f"revision_passed_review on {check.sample_checked} sampled: {check.sample_passed} true"
    )
    print(json.dumps({"created": report.created, "seconds": round(report.seconds, 2), "ok": check.ok}))
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main())
