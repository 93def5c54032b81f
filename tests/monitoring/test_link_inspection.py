"""The link inspection (Art. 23 链接可用情况): every link on every published page, home-page broken
links counted apart (gov-site-rules §2.3), results stored and reused by the next run."""

from __future__ import annotations

import pytest

from govsite.monitoring import services
from govsite.monitoring.models import Finding, Inspection, InspectionRun, LinkCheck
from tests import factories as f
from tests.monitoring import sites_server
from tests.publishing.conftest import work_off_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(settings):
    running = sites_server.start()
    settings.GOVSITE_MONITOR_ORIGIN = running.origin
    yield running
    running.shutdown()


def test_art23_broken_links_on_the_home_page_are_counted_apart_and_results_are_cached(
    settings, tmp_path, server
):
    settings.PUBLISH_ROOT = tmp_path / "publish"
    settings.PUBLISH_VAULT = tmp_path / "vault"
    county = f.county_portal(slug="chongchuan")
    port = int(server.origin.rsplit(":", 1)[1])
    county.site.port = port
    county.site.save()
    news = f.make_column(county.site.root_page, slug="news")
    f.make_article(news, slug="item", title="通知", body='<p><a href="/gone/">已删除的页面</a></p>')
    work_off_queue()
    server.root = settings.PUBLISH_ROOT
    server.behaviour["chongchuan.localhost"] = "files"
    home = settings.PUBLISH_ROOT / "chongchuan.localhost/index.html"
    home.write_text(home.read_text().replace("</body>", '<a href="/nowhere/">坏链</a></body>'))

    run = services.run_kinds([Inspection.Kind.LINKS])[0]

    assert run.status == InspectionRun.Status.OK, run.error
    counts = run.summary["sites"]["chongchuan"]
    # The test server serves only the published files (no app, no static files, no other sites),
    # so more links are broken than the two planted; the counts must still split by page.
    home_findings = Finding.objects.filter(kind="links", gov_site=county, title__startswith="首页链接不可用")
    other_findings = Finding.objects.filter(kind="links", gov_site=county, title__startswith="链接不可用")
    assert counts["home_broken"] == home_findings.count() > 0
    assert counts["other_broken"] == other_findings.count() > 0
    assert set(home_findings.values_list("severity", flat=True)) == {"high"}
    assert set(other_findings.values_list("severity", flat=True)) == {"medium"}
    titles = set(Finding.objects.filter(kind="links").values_list("title", flat=True))
    assert f"首页链接不可用（HTTP 404）：http://chongchuan.localhost:{port}/nowhere/" in titles
    assert f"链接不可用（HTTP 404）：http://chongchuan.localhost:{port}/gone/" in titles
    gone = Finding.objects.get(title__endswith="/gone/")
    assert gone.page_url == f"http://chongchuan.localhost:{port}/news/item/"
    assert LinkCheck.objects.filter(ok=False, url__endswith="/gone/").exists()

    requests_before = len(server.requests)
    services.run_kinds([Inspection.Kind.LINKS])
    assert len(server.requests) == requests_before  # every result came from the stored cache
