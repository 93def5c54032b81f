"""The search admin (站内检索, Art. 21): the platform operator keeps the dictionary, synonyms and
pinned answers and reads the reports; a site's editor cannot; the index and the log are not edited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from govsite.search import services
from govsite.search.models import PinnedResult, QueryDay, ReindexRun
from tests import factories as f

pytestmark = pytest.mark.django_db

SNIPPETS = "/admin/snippets/govsearch"
OPERATOR_PAGES = [
    f"{SNIPPETS}/searchword/",
    f"{SNIPPETS}/searchword/add/",
    f"{SNIPPETS}/synonymgroup/",
    f"{SNIPPETS}/pinnedresult/",
    f"{SNIPPETS}/pinnedresult/add/",
    f"{SNIPPETS}/reindexrun/",
    "/admin/site-search/zero-results/",
    "/admin/site-search/hot/",
]


@pytest.fixture
def city():
    return f.city_portal()


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser("operator", "op@example.gov.cn", None)
    client.force_login(user)
    return user


@pytest.fixture
def site_editor(client, city):
    user = f.site_user(city.site.root_page, "editor")
    client.force_login(user)
    return user


@pytest.mark.parametrize("path", OPERATOR_PAGES)
def test_operator_reaches_every_search_admin_page(client, operator, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", OPERATOR_PAGES)
def test_site_editor_is_kept_out_of_the_search_admin(client, site_editor, path):
    assert client.get(path).status_code in (302, 403)


def test_visitor_is_sent_to_the_login(client):
    response = client.get("/admin/site-search/zero-results/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_index_and_query_log_are_not_edited_by_hand(client, operator):
    run = ReindexRun.objects.create(scope="all", total=1)
    assert client.get(f"{SNIPPETS}/searchdocument/").status_code == 404
    assert client.get(f"{SNIPPETS}/queryday/").status_code == 404
    assert client.get(f"{SNIPPETS}/reindexrun/add/").status_code in (302, 403)
    client.post(f"{SNIPPETS}/reindexrun/delete/{run.pk}/")
    assert ReindexRun.objects.filter(pk=run.pk).exists()


def test_art21_pinned_answer_query_is_stored_as_search_compares_it(client, operator, city):
    page = city.site.root_page
    response = client.post(
        f"{SNIPPETS}/pinnedresult/add/",
        {"query": "  ＳＨＥ保  ", "page": page.pk, "site": "", "until": "", "active": "on", "note": ""},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    pinned = PinnedResult.objects.get()
    assert pinned.query == services.query_key("ＳＨＥ保") == "she保"


def test_art21_zero_results_report_lists_what_people_did_not_find(client, operator, city):
    for _ in range(3):
        services.search(services.SearchQuery(text="火星移民", site=city))

    html = client.get("/admin/site-search/zero-results/", {"days": "90"}).content.decode()

    assert "火星移民" in html
    assert "<td>3</td>" in html
    assert 'aria-current="true">近 90 天' in html


def test_art21_hot_queries_report_counts_searches(client, operator, city):
    QueryDay.objects.create(day=services.timezone.localdate(), site=city, query="社保", searches=7)
    QueryDay.objects.create(day=services.timezone.localdate(), site=None, query="社保", searches=2)

    html = client.get("/admin/site-search/hot/").content.decode()

    assert "<td>社保</td><td>9</td>" in html


def test_search_menu_shows_the_reports_to_the_operator_only(client, city):
    operator = get_user_model().objects.create_superuser("operator", "op@example.gov.cn", None)
    client.force_login(operator)
    assert "/admin/site-search/zero-results/" in client.get("/admin/").content.decode()

    client.force_login(f.site_user(city.site.root_page, "editor"))
    assert "/admin/site-search/zero-results/" not in client.get("/admin/").content.decode()
