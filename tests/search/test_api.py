"""The search API for other channels (Art. 21): the page's search as JSON, readable from any origin,
bad parameters refused with a Chinese message, and a hand-written OpenAPI document."""

from __future__ import annotations

import json

import pytest

from govsite.search import documents, services
from tests import factories as f
from tests.search import test_views
from tests.search.test_views import CITY_HOST, FIRST_PAGE_ID, document
from tests.sites.refusals import CHINESE

pytestmark = pytest.mark.django_db

# The same sites and documents as the page's tests.
city = test_views.city
social_security = test_views.social_security

HIT_FIELDS = {
    "title",
    "title_html",
    "snippet_html",
    "url",
    "site",
    "column",
    "type",
    "published_at",
    "document_number",
    "issuer",
    "validity",
    "pinned",
}
RESULT_FIELDS = {
    "query",
    "searched_for",
    "total",
    "total_is_lower_bound",
    "page",
    "pages",
    "hits",
    "facets",
    "pinyin_from",
    "corrected_from",
    "redirect",
}


def api(client, path: str = "/api/search/", host: str = CITY_HOST, **params):
    return client.get(path, params, HTTP_HOST=host)


def test_art21_api_answers_the_same_search_as_json(client, social_security):
    response = api(client, q="社保", type="policy")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert set(data) >= RESULT_FIELDS
    assert (data["query"], data["total"], data["page"], data["pages"]) == ("社保", 3, 1, 1)
    hit = data["hits"][0]
    assert set(hit) >= HIT_FIELDS
    assert "<" not in hit["title"] and "社保" in hit["title"]
    assert "<em>社保</em>" in hit["title_html"]
    assert hit["url"].startswith(f"http://{CITY_HOST}/news/a")
    assert hit["type"] == "policy" and hit["pinned"] is False
    assert hit["published_at"].startswith("20")
    type_facet = next(facet for facet in data["facets"] if facet["key"] == "type")
    assert type_facet["values"] == [{"value": "policy", "label": "政策文件", "count": 3, "selected": True}]


def test_art21_api_names_sites_by_slug_and_searches_the_one_asked_for(client, city, social_security):
    county = f.county_portal("崇川区人民政府", "320602", slug="chongchuan")
    documents.write_documents([document(county, FIRST_PAGE_ID + 50, "崇川区社保服务站开放", "社保")])

    county_only = api(client, q="社保", site="chongchuan").json()
    platform = api(client, q="社保", scope="all").json()

    assert county_only["total"] == 1
    assert county_only["hits"][0]["url"] == f"http://chongchuan.localhost/news/a{FIRST_PAGE_ID + 50}/"
    site_facet = next(facet for facet in platform["facets"] if facet["key"] == "site")
    assert {value["value"] for value in site_facet["values"]} == {"nantong", "chongchuan"}
    assert platform["total"] == 6
    assert all(hit["url"].startswith("http://") for hit in platform["hits"])


def test_art21_api_gives_the_address_of_an_exact_document_number(client, social_security):
    data = api(client, q="通政办发（2019）89号").json()
    assert data["redirect"] == f"http://{CITY_HOST}/news/a{FIRST_PAGE_ID + 1}/"


@pytest.mark.parametrize(
    "params",
    [{"page": "abc"}, {"page": "0"}, {"page": "51"}, {"page": "-1"}, {"page": "1.5"}, {"page": "9" * 30}],
)
def test_api_refuses_a_page_outside_1_to_50_with_a_chinese_message(client, social_security, params):
    response = api(client, q="社保", **params)

    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == "*"
    assert CHINESE.search(response.json()["error"])


@pytest.mark.parametrize("path", ["/api/search/", "/api/search/hot/"])
def test_api_refuses_an_unknown_site_with_a_chinese_message(client, city, path):
    response = api(client, path, q="社保", site="nowhere")

    assert response.status_code == 400
    assert response.json() == {"error": "没有标识为“nowhere”的网站。"}


@pytest.mark.parametrize(
    "query",
    ["x" * 5000, "' OR 1=1 --", '"社保" NEAR(', "<script>alert(1)</script>", "社\x00保", "。。。", "*"],
)
def test_api_answers_hostile_input_with_normal_json(client, social_security, query):
    response = api(client, q=query, type=query, year=query, number=query, sort=query, scope=query)

    assert response.status_code == 200
    data = response.json()
    assert len(data["query"]) <= 100
    assert all("<script>" not in hit["title_html"] for hit in data["hits"])


def test_api_takes_only_get(client):
    assert client.post("/api/search/", {"q": "社保"}).status_code == 405


def test_art21_api_suggestions_and_hot_searches(client, city, social_security):
    services.learn_term("社保", "test")
    for _ in range(2):
        services.search(services.SearchQuery(text="社保", site=city))

    suggestions = api(client, "/api/search/suggest/", q="shebao")
    hot = api(client, "/api/search/hot/")

    assert suggestions.json()[0] == "社保"
    assert suggestions["Access-Control-Allow-Origin"] == "*"
    assert hot.json() == ["社保"]
    assert api(client, "/api/search/hot/", scope="all").json() == ["社保"]


def test_openapi_document_describes_every_endpoint_and_parameter(client):
    response = api(client, "/api/search/openapi.json")

    assert response.status_code == 200
    spec = json.loads(response.content)
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/api/search/",
        "/api/search/suggest/",
        "/api/search/hot/",
        "/api/search/openapi.json",
    }
    search = spec["paths"]["/api/search/"]["get"]
    names = [parameter["name"] for parameter in search["parameters"]]
    assert len(names) == len(set(names))
    expected = {"q", "site", "scope", "sort", "page", "number"}
    expected |= {key for key, *_rest in services.FACETS}
    assert set(names) == expected
    assert set(search["responses"]) == {"200", "400", "429"}
    schema = spec["components"]["schemas"]["SearchResult"]
    assert set(schema["properties"]) == RESULT_FIELDS
    assert set(spec["components"]["schemas"]["Hit"]["properties"]) >= HIT_FIELDS
    assert spec["servers"] == [{"url": f"http://{CITY_HOST}"}]


def test_api_limits_calls_per_address_with_a_chinese_429(client, social_security, settings):
    settings.GOVSITE_API_RATE = "2/m"

    answers = [client.get("/api/search/", {"q": "社保"}) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[-1]
    assert "调用得太频繁" in refused.json()["error"]
    assert int(refused["Retry-After"]) >= 1
    other = client.get("/api/search/", {"q": "社保"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200
