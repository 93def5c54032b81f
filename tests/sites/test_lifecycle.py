"""A site's life: opened with its record numbers, closed or merged into a successor, old URLs kept
reachable (Art. 4, 13; 指引 §1.1 opening steps, URL stability), and the portal coverage report."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from govsite.sites.models import GovSite
from govsite.sites.services import archive_url, close_site, open_site, portal_coverage
from tests import factories as f
from tests.sites.refusals import CHINESE, assert_refused

pytestmark = pytest.mark.django_db


# Opening ----------------------------------------------------------------------------------------


def test_art4_site_opens_only_after_icp_and_police_records():
    gov_site = f.department_site(opened=False, icp_number="", police_record_number="")

    with pytest.raises(ValidationError) as excinfo:
        open_site(gov_site)

    assert_refused(
        excinfo.value, exactly=True, icp_number="icp_required", police_record_number="police_record_required"
    )
    gov_site.refresh_from_db()
    assert gov_site.status == GovSite.Status.PLANNED


def test_art4_opening_a_planned_site_with_its_records_makes_it_public():
    gov_site = f.department_site(opened=False)
    before = gov_site.status_changed_at

    open_site(gov_site)

    gov_site.refresh_from_db()
    assert gov_site.status == GovSite.Status.OPEN
    assert gov_site.is_serving
    assert gov_site.status_changed_at > before


def test_art4_record_numbers_entered_when_opening_are_stored():
    gov_site = f.department_site(opened=False, icp_number="", police_record_number="")
    gov_site.icp_number = "苏ICP备12345678号-2"
    gov_site.police_record_number = "苏公网安备 32060202000999号"

    open_site(gov_site)

    gov_site.refresh_from_db()
    assert gov_site.status == GovSite.Status.OPEN
    assert gov_site.icp_number == "苏ICP备12345678号-2"
    assert gov_site.police_record_number == "苏公网安备 32060202000999号"


def test_art4_site_does_not_open_with_a_malformed_record_number():
    gov_site = f.department_site(opened=False, icp_number="", police_record_number="")
    gov_site.icp_number = "备案中"
    gov_site.police_record_number = "苏公网安备 32060202000999号"

    with pytest.raises(ValidationError) as excinfo:
        open_site(gov_site)

    assert_refused(excinfo.value, exactly=True, icp_number="icp_number_format")
    gov_site.refresh_from_db()
    assert gov_site.status == GovSite.Status.PLANNED


@pytest.mark.parametrize("closing", ["closed", "merged"])
def test_only_a_planned_site_can_be_opened(closing):
    gov_site = f.department_site()
    with pytest.raises(ValidationError) as excinfo:
        open_site(gov_site)
    assert_refused(excinfo.value, exactly=True, status="not_planned")

    close_site(gov_site, merged=closing == "merged")
    with pytest.raises(ValidationError) as excinfo:
        open_site(gov_site)
    assert_refused(excinfo.value, exactly=True, status="not_planned")


# Closing and merging ----------------------------------------------------------------------------


def test_art13_closed_site_hands_over_to_its_parent_portal_by_default():
    city = f.city_portal()
    gov_site = f.department_site()

    close_site(gov_site)

    gov_site.refresh_from_db()
    assert gov_site.status == GovSite.Status.CLOSED
    assert gov_site.successor == city
    assert not gov_site.is_serving


def test_art13_merged_site_hands_over_to_the_named_successor():
    county = f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    old = f.department_site()

    close_site(old, successor=county, merged=True)

    old.refresh_from_db()
    assert old.status == GovSite.Status.MERGED
    assert old.successor == county
    assert list(county.predecessors.all()) == [old]


def test_art13_successor_must_be_open():
    planned = f.county_portal("通州区人民政府", "320612", opened=False)
    gov_site = f.department_site()

    with pytest.raises(ValidationError) as excinfo:
        close_site(gov_site, successor=planned)

    assert_refused(excinfo.value, exactly=True, successor="successor_not_open")
    gov_site.refresh_from_db()
    assert gov_site.status == GovSite.Status.OPEN
    assert gov_site.successor is None


def test_art13_site_cannot_succeed_itself():
    gov_site = f.department_site()
    with pytest.raises(ValidationError) as excinfo:
        close_site(gov_site, successor=gov_site)
    assert_refused(excinfo.value, exactly=True, successor="successor_required")


def test_art13_city_portal_needs_a_named_successor():
    city = f.city_portal()
    with pytest.raises(ValidationError) as excinfo:
        close_site(city)
    assert_refused(excinfo.value, exactly=True, successor="successor_required")


def test_art13_closed_site_cannot_be_closed_again():
    gov_site = f.department_site()
    close_site(gov_site)
    with pytest.raises(ValidationError) as excinfo:
        close_site(gov_site)
    assert_refused(excinfo.value, exactly=True, status="already_closed")


def test_art13_planned_site_can_be_given_up_before_opening():
    gov_site = f.department_site(opened=False)
    close_site(gov_site)
    assert gov_site.status == GovSite.Status.CLOSED


def test_archive_url_of_a_closed_site_is_on_its_successor():
    gov_site = f.department_site(slug="czj")
    close_site(gov_site)
    assert (
        archive_url(gov_site, "/zwgk/notice/?page=2")
        == "http://nantong.localhost/archive/czj/zwgk/notice/?page=2"
    )


# Art. 4: county/district portal coverage --------------------------------------------------------


def test_art4_portal_coverage_lists_county_governments_without_portal_as_missing():
    chongchuan = f.county_government("崇川区人民政府", "320602")
    tongzhou = f.county_government("通州区人民政府", "320612")
    haimen = f.county_government("海门区人民政府", "320614")
    f.department_site()  # department sites are not part of the coverage

    rows = portal_coverage()
    assert [row.government for row in rows] == [chongchuan, tongzhou, haimen]
    assert all(row.missing for row in rows)

    planned = f.register(tongzhou, slug="tongzhou")  # a registered (planned) portal counts
    rows = {row.government: row for row in portal_coverage()}
    assert rows[tongzhou].portal == planned
    assert not rows[tongzhou].missing
    assert rows[chongchuan].missing and rows[haimen].missing


def test_art4_portal_coverage_shows_a_county_missing_again_after_its_portal_closed():
    portal = f.county_portal("海门区人民政府", "320614")
    assert not portal_coverage()[0].missing

    close_site(portal)

    [row] = portal_coverage()
    assert row.missing
    assert row.portal is None


def test_art4_portal_coverage_report_in_the_admin_names_missing_governments(admin_client):
    f.county_portal("崇川区人民政府", "320602")
    f.county_government("如东县人民政府", "320623")

    response = admin_client.get("/admin/registry/portal-coverage/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "如东县人民政府" in text
    assert "崇川区人民政府" in text
    assert "缺少门户网站" in text
    assert "1 个尚未开设门户网站" in text


# Lifecycle middleware: what the public sees ----------------------------------------------------


@pytest.fixture
def closed_county_with_article():
    """崇川区 portal with a news article, closed into the city portal."""
    f.city_portal()
    portal = f.county_portal("崇川区人民政府", "320602", slug="chongchuan")
    news = f.make_column(portal.site.root_page, title="工作动态", slug="news")
    article = f.make_article(news, title="崇川区召开区政府常务会议", slug="meeting")
    close_site(portal)
    return portal, article


def test_art13_closed_site_redirects_permanently_to_successor_archive(client, closed_county_with_article):
    response = client.get("/news/meeting/?from=bookmark", HTTP_HOST="chongchuan.localhost")

    assert response.status_code == 301
    assert response["Location"] == "http://nantong.localhost/archive/chongchuan/news/meeting/?from=bookmark"


def test_art13_closed_site_home_redirects_to_its_archive_home(client, closed_county_with_article):
    response = client.get("/", HTTP_HOST="chongchuan.localhost")

    assert response.status_code == 301
    assert response["Location"] == "http://nantong.localhost/archive/chongchuan/"


def test_art13_merged_site_redirects_to_successor_archive(client):
    city = f.city_portal()
    gov_site = f.department_site(slug="old-dept")
    close_site(gov_site, successor=city, merged=True)

    response = client.get("/zwgk/", HTTP_HOST="old-dept.localhost")

    assert response.status_code == 301
    assert response["Location"] == "http://nantong.localhost/archive/old-dept/zwgk/"


def test_art13_archive_url_serves_the_old_page(client, closed_county_with_article):
    response = client.get("/archive/chongchuan/news/meeting/", HTTP_HOST="nantong.localhost")

    assert response.status_code == 200
    assert "崇川区召开区政府常务会议" in response.content.decode()


def test_art13_archive_does_not_serve_drafts_or_unknown_pages(client, closed_county_with_article):
    _portal, article = closed_county_with_article
    f.make_article(article.get_parent().specific, title="未发布的稿件", slug="draft", publish=False)

    assert client.get("/archive/chongchuan/news/draft/", HTTP_HOST="nantong.localhost").status_code == 404
    assert client.get("/archive/chongchuan/nothing/", HTTP_HOST="nantong.localhost").status_code == 404


def test_art13_closed_site_search_and_sitemap_go_to_the_successor_itself(client, closed_county_with_article):
    search = client.get("/search/?q=常务会议", HTTP_HOST="chongchuan.localhost")
    sitemap = client.get("/sitemap.xml", HTTP_HOST="chongchuan.localhost")

    assert search["Location"] == "http://nantong.localhost/search/?q=%E5%B8%B8%E5%8A%A1%E4%BC%9A%E8%AE%AE"
    assert sitemap["Location"] == "http://nantong.localhost/sitemap.xml"


def test_art13_archived_page_has_one_address_on_the_serving_successor(client, closed_county_with_article):
    f.county_portal("通州区人民政府", "320612", slug="tongzhou")

    assert client.get("/archive/chongchuan/news/meeting/", HTTP_HOST="tongzhou.localhost").status_code == 404


def test_art13_archive_only_exists_for_closed_sites(client):
    f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    assert client.get("/archive/tongzhou/", HTTP_HOST="nantong.localhost").status_code == 404


def test_closed_site_admin_is_not_redirected_to_the_archive(client, closed_county_with_article):
    response = client.get("/admin/", HTTP_HOST="chongchuan.localhost")
    assert response.status_code == 302
    assert "/archive/" not in response["Location"]


def test_planned_site_answers_503_to_the_public(client):
    f.county_portal("如东县人民政府", "320623", slug="rudong", opened=False)

    response = client.get("/", HTTP_HOST="rudong.localhost")

    assert response.status_code == 503
    assert CHINESE.search(response.content.decode())


def test_planned_site_can_be_previewed_by_platform_staff(admin_client):
    f.county_portal("如东县人民政府", "320623", slug="rudong", opened=False)

    response = admin_client.get("/", HTTP_HOST="rudong.localhost")

    assert response.status_code == 200


def test_open_site_serves_its_home_page(client):
    f.county_portal(
        "如东县人民政府", "320623", slug="rudong", home_page=f.home_page_for("rudong", title="如东县人民政府")
    )

    response = client.get("/", HTTP_HOST="rudong.localhost")

    assert response.status_code == 200
    assert "如东县人民政府" in response.content.decode()


def test_art13_old_urls_still_reach_the_archive_after_the_successor_closes_too(client):
    # 市物价局's site was merged into 市发改委's; later 市发改委's site is merged into the city portal.
    city = f.city_portal()
    prices = f.department_site(f.municipal_department("南通市物价局"), slug="wjj")
    f.make_article(f.make_column(prices.site.root_page, slug="news"), title="物价局旧稿件", slug="old")
    reform = f.department_site(f.municipal_department("南通市发展和改革委员会"), slug="fgw")
    close_site(prices, successor=reform, merged=True)
    close_site(reform, successor=city, merged=True)

    response = client.get("/news/old/", HTTP_HOST="wjj.localhost")

    assert response.status_code == 301
    assert response["Location"] == "http://nantong.localhost/archive/wjj/news/old/"
    archived = client.get("/archive/wjj/news/old/", HTTP_HOST="nantong.localhost")
    assert archived.status_code == 200
    assert "物价局旧稿件" in archived.content.decode()
