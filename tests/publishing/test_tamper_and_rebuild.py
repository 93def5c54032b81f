"""网页防篡改 (Art. 22) and the full rebuild: findings with diffs, automatic restore, audit; a
rebuild that is interrupted resumes where it stopped."""

from __future__ import annotations

import pytest

from govsite.publishing import services, tamper
from govsite.publishing.models import RebuildRun, SitePublishing, TamperFinding
from govsite.review.models import AuditRecord
from tests import factories as f
from tests.publishing.conftest import work_off_queue

pytestmark = pytest.mark.django_db
HOST = "chongchuan.localhost"


@pytest.fixture
def site_with_article(publish_root):
    county = f.county_portal(slug="chongchuan")
    news = f.make_column(county.site.root_page, slug="news")
    f.make_article(news, slug="item", title="原始标题")
    work_off_queue()
    return county


def test_art22_changed_added_and_deleted_files_are_found_and_restored(site_with_article, publish_root):
    base = publish_root / HOST
    page = base / "news/item/index.html"
    original = page.read_bytes()
    page.write_bytes(original.replace("原始标题".encode(), "被篡改的标题".encode()))
    (base / "news/evil.html").write_text("<script>alert(1)</script>")
    home = base / "index.html"
    home_bytes = home.read_bytes()
    home.unlink()

    report = tamper.check_host(HOST)

    kinds = {(finding.kind, finding.path) for finding in report.findings}
    assert kinds == {
        (TamperFinding.Kind.CHANGED, "news/item/index.html"),
        (TamperFinding.Kind.ADDED, "news/evil.html"),
        (TamperFinding.Kind.DELETED, "index.html"),
    }
    changed = next(x for x in report.findings if x.kind == TamperFinding.Kind.CHANGED)
    assert "-" in changed.diff and "被篡改的标题" in changed.diff and "原始标题" in changed.diff
    assert page.read_bytes() == original
    assert home.read_bytes() == home_bytes
    assert not (base / "news/evil.html").exists()
    assert all(finding.restored_at for finding in report.findings)
    assert AuditRecord.objects.filter(action="publishing.tamper").count() == 3


def test_art22_a_compressed_copy_changed_behind_our_back_is_restored(site_with_article, publish_root):
    copy = publish_root / HOST / "news/item/index.html.gz"
    original = copy.read_bytes()
    copy.write_bytes(b"not gzip")

    report = tamper.check_host(HOST)

    assert [finding.path for finding in report.findings] == ["news/item/index.html.gz"]
    assert copy.read_bytes() == original


def test_art22_site_that_turned_off_auto_restore_only_reports(site_with_article, publish_root):
    SitePublishing.objects.create(site=site_with_article, auto_restore=False)
    page = publish_root / HOST / "news/item/index.html"
    page.write_text("defaced")

    report = tamper.check_host(HOST)

    assert [finding.kind for finding in report.findings] == [TamperFinding.Kind.CHANGED]
    assert report.findings[0].restored_at is None
    assert page.read_text() == "defaced"


def test_untouched_tree_has_no_findings(site_with_article):
    report = tamper.check_host(HOST)
    assert report.checked > 10
    assert report.findings == []


class Interrupted(Exception):
    pass


def test_rebuild_interrupted_after_a_batch_resumes_where_it_stopped(
    site_with_article, publish_root, monkeypatch
):
    monkeypatch.setattr(services, "REBUILD_BATCH", 3)
    for path in (publish_root / HOST).rglob("*"):
        if path.is_file():
            path.unlink()

    def stop_after_first_batch(progress):
        raise Interrupted

    with pytest.raises(Interrupted):
        services.rebuild(scope="chongchuan", report=stop_after_first_batch)
    interrupted = RebuildRun.objects.get(scope="chongchuan", status=RebuildRun.Status.RUNNING)
    assert interrupted.done == 3 < interrupted.total
    seen = []

    finished = services.rebuild(scope="chongchuan", resume=True, report=lambda p: seen.append(p.done))

    assert finished.pk == interrupted.pk and finished.status == RebuildRun.Status.DONE
    assert seen[0] == 6 and seen[-1] == finished.total == finished.done
    assert (publish_root / HOST / "news/item/index.html").exists()
    assert (publish_root / HOST / "index.html").exists()
    assert tamper.check_host(HOST).findings == []


def test_closed_site_host_gets_a_redirect_marker_to_its_successor(site_with_article, publish_root):
    from govsite.sites.services import close_site

    successor = f.city_portal()
    close_site(site_with_article, successor=successor)
    work_off_queue()

    marker = (publish_root / HOST / ".site-redirect").read_text()
    assert "http://nantong.localhost/archive/chongchuan/" in marker


def test_full_rebuild_drops_queued_publish_jobs_it_makes_unnecessary(site_with_article):
    from django_tasks_db.models import DBTaskResult

    news = f.make_column(site_with_article.site.root_page, slug="later")
    article = f.make_article(news, slug="queued", title="排队中的稿件")
    assert DBTaskResult.objects.ready().filter(backend_name="publishing").exists()

    services.rebuild()

    assert not DBTaskResult.objects.ready().filter(backend_name="publishing").exists()
    assert services.run_pending() == 0
    assert article.pk in set(services.PublishedFile.objects.values_list("page_id", flat=True))
