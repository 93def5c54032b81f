"""Search addresses: the page, the click redirect and suggestions on every site; the JSON API."""

from django.urls import path

from govsite.search import api, views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/go/", views.go, name="search_go"),
    path("search/suggest/", views.suggestions, name="search_suggest"),
    path("api/search/", api.search, name="search_api"),
    path("api/search/suggest/", api.suggest, name="search_api_suggest"),
    path("api/search/hot/", api.hot, name="search_api_hot"),
    path("api/search/openapi.json", api.openapi_document, name="search_api_openapi"),
]
