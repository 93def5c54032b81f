"""Issue 3 point 3: Wagtail's own dashboard panels and reports show nothing of other sites."""

from __future__ import annotations

import pytest

from govsite.review import services as review
from tests import factories as f

pytestmark = pytest.mark.django_db

OWN_TITLE = "本区自己的稿件标题"
OTHER_TITLE = "别的网站的机密稿件标题"
ADMIN_PAGES = [
    "/admin/",
    "/admin/reports/site-history/",
    "/admin/reports/aging-pages/",
    "/admin/reports/locked/",
    "/admin/reports/workflow/",
    "/admin/reports/workflow_tasks/",
    "/admin/pages/search/?q=机密稿件",  # the query itself is a part of the title, the title is not
    "/admin/pages/",
]


@pytest.fixture
def two_sites():
    own = f.county_portal("崇川区人民政府", "320602")
    other = f.county_portal("海门区人民政府", "320614")
    own_news = f.make_column(own.site.root_page, slug="news")
    other_news = f.make_column(other.site.root_page, slug="news")
    f.make_article(own_news, title=OWN_TITLE)
    f.make_article(other_news, title=OTHER_TITLE)
    pending = f.make_article(other_news, title=OTHER_TITLE + "（审核中）", publish=False)
    review.submit_for_review(pending, f.site_user(pending, "editor"))
    return own, other


@pytest.mark.parametrize("role", ["editor", "reviewer", "leader"])
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_panels_and_reports_show_nothing_of_other_sites(client, two_sites, role, url):
    own, _ = two_sites
    client.force_login(f.site_user(own.site.root_page, role))
    response = client.get(url, follow=True)
    assert response.status_code in (200, 403)
    assert OTHER_TITLE not in response.content.decode()
