"""The static publisher: what one change writes, that it writes exactly what the application
serves, that it writes nothing unreviewed, and that its cost does not grow with a column."""

from __future__ import annotations

import re

import pytest
from django_tasks_db.models import DBTaskResult
from wagtail.models import Page

from govsite.content.models import ColumnPage
from govsite.publishing import services, storage
from govsite.publishing.models import PublishedFile, PublishRecord
from govsite.review.models import AuditRecord
from tests import factories as f
from tests.publishing.conftest import work_off_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(publish_root):
    site = f.county_portal(slug="chongchuan")
    work_off_queue()
    return site


def host_file(root, host: str, url_path: str):
    return root / host / storage.file_for(url_path)


def test_art14_approved_article_is_written_with_its_lists_feed_home_and_sitemap(county, publish_root):
    news = f.make_column(county.site.root_page, slug="news", title="政务动态")
    article = f.make_article(news, slug="item", title="崇川区召开常务会议")

    work_off_queue()

    host = "chongchuan.localhost"
    page_file = host_file(publish_root, host, "/news/item/")
    assert "崇川区召开常务会议" in page_file.read_text(encoding="utf-8")
    for url in ("/news/", "/news/list_1.html", "/", "/news/feed.xml"):
        assert "崇川区召开常务会议" in host_file(publish_root, host, url).read_text(encoding="utf-8"), url
    shard = f"/sitemap-{article.pk // 5000}.xml"
    assert "/news/item/" in host_file(publish_root, host, shard).read_text(encoding="utf-8")
    assert (page_file.parent / "index.html.gz").exists() and (page_file.parent / "index.html.br").exists()
    manifest = PublishedFile.objects.get(host=host, path="news/item/index.html")
    assert manifest.sha256 == storage.sha256(page_file.read_bytes())
    assert manifest.page_id == article.pk


def test_published_page_is_byte_for_byte_what_the_application_serves(county, publish_root, client):
    news = f.make_column(county.site.root_page, slug="news", per_page=2)
    for number in range(5):
        f.make_article(news, slug=f"item{number}", title=f"同一份页面{number}")
    services.rebuild()

    for url in ("/news/item0/", "/news/", "/news/list_1.html", "/news/list_2.html", "/news/feed.xml", "/"):
        dynamic = client.get(url, HTTP_HOST="chongchuan.localhost")
        assert dynamic.status_code == 200
        assert host_file(publish_root, "chongchuan.localhost", url).read_bytes() == dynamic.content, url


def test_art14_publisher_refuses_a_live_page_whose_revision_skipped_review(county, publish_root):
    news = f.make_column(county.site.root_page, slug="news")
    draft = f.make_article(news, slug="sneaky", title="未经审核的稿件", publish=False)
    work_off_queue()
    # Behind the application's back (a script, a raw UPDATE): the page is marked live, unreviewed.
    revision = draft.latest_revision
    Page.objects.filter(pk=draft.pk).update(live=True, live_revision=revision)

    record = services.run_job(services.Kind.PUBLISH, draft.pk)

    assert not host_file(publish_root, "chongchuan.localhost", "/news/sneaky/").exists()
    assert record.refused == ["chongchuan.localhost/news/sneaky/"]
    assert AuditRecord.objects.filter(action="publishing.refused", object_id=str(draft.pk)).exists()


def test_emergency_unpublish_removes_the_page_and_its_list_entries(county, publish_root):
    news = f.make_column(county.site.root_page, slug="news")
    article = f.make_article(news, slug="item", title="需要撤下的稿件")
    work_off_queue()
    page_file = host_file(publish_root, "chongchuan.localhost", "/news/item/")
    assert page_file.exists()

    article.unpublish(user=f.site_user(article, "reviewer"))
    work_off_queue()

    assert not page_file.exists()
    assert not (page_file.parent / "index.html.gz").exists()
    assert "需要撤下的稿件" not in host_file(publish_root, "chongchuan.localhost", "/news/").read_text(
        "utf-8"
    )
    assert not PublishedFile.objects.filter(
        host="chongchuan.localhost", path__startswith="news/item/"
    ).exists()


def test_deleted_page_disappears_from_disk_and_lists(county, publish_root):
    news = f.make_column(county.site.root_page, slug="news")
    article = f.make_article(news, slug="item", title="将被删除的稿件")
    work_off_queue()

    Page.objects.get(pk=article.pk).delete()
    work_off_queue()

    assert not host_file(publish_root, "chongchuan.localhost", "/news/item/").exists()
    assert "将被删除的稿件" not in host_file(publish_root, "chongchuan.localhost", "/news/").read_text(
        "utf-8"
    )


def test_moved_page_leaves_a_redirect_at_its_old_address(county, publish_root):
    news = f.make_column(county.site.root_page, slug="news")
    notices = f.make_column(county.site.root_page, slug="notices", category="notices")
    article = f.make_article(news, slug="item", title="移动的稿件")
    work_off_queue()

    Page.objects.get(pk=article.pk).specific.move(notices, pos="last-child")
    work_off_queue()

    base = publish_root / "chongchuan.localhost"
    assert (base / "notices/item/index.html").exists()
    assert not (base / "news/item/index.html").exists()
    assert (base / "news/item/.redirect").read_text() == "/notices/item/"
    assert "移动的稿件" not in (base / "news/index.html").read_text("utf-8")
    assert "移动的稿件" in (base / "notices/index.html").read_text("utf-8")


def test_publish_job_is_queued_in_the_transaction_of_the_approval(county):
    news = f.make_column(county.site.root_page, slug="news")
    work_off_queue()
    article = f.make_article(news, slug="item")

    queued = DBTaskResult.objects.filter(backend_name="publishing", status="READY")
    assert any(job.args_kwargs["args"][:2] == ["publish", article.pk] for job in queued)


def _rendered_for_one_more_item(column: ColumnPage, existing: int) -> set[str]:
    for number in range(existing):
        f.make_article(column, slug=f"old{column.pk}x{number}", title=f"旧稿件{number}")
    work_off_queue()
    f.make_article(column, slug=f"new{column.pk}", title="新稿件")
    PublishRecord.objects.all().delete()
    work_off_queue()
    record = PublishRecord.objects.get(kind="publish")
    return {re.sub(r"list_\d+|new\d+|sitemap-\d+", "N", path.split("/", 1)[1]) for path in record.paths}


def test_files_written_by_one_publish_do_not_grow_with_the_column(county, publish_root):
    """Issue 4 point 2: pages are numbered from the oldest item, so one more item rewrites the
    same files whether the column holds 7 or 25 items."""
    small = f.make_column(county.site.root_page, slug="small", per_page=3)
    large = f.make_column(county.site.root_page, slug="large", per_page=3)

    small_files = _rendered_for_one_more_item(small, 7)
    large_files = _rendered_for_one_more_item(large, 25)

    normalise = {path.replace("small", "C") for path in small_files}
    assert normalise == {path.replace("large", "C") for path in large_files}
    assert len(large_files) <= 24  # page, column front, 2 archive pages, feed, home, 2 sitemaps, ×3 copies
