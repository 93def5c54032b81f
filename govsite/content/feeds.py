"""RSS 2.0 feed of a column (指引 §1.6: one feed per column)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.utils.feedgenerator import Rss201rev2Feed

from govsite.content.models import ColumnPage, ContentPage
from govsite.content.services import column_items

FEED_LENGTH = 30


class ColumnFeed(Feed):
    feed_type = Rss201rev2Feed

    def __init__(self, column: ColumnPage, request: HttpRequest):
        super().__init__()
        self.column = column
        self.request = request

    def title(self) -> str:
        site = self.column.get_site()
        return f"{site.site_name if site else ''} - {self.column.title}"

    def link(self) -> str:
        return self.column.get_url(self.request) or "/"

    def description(self) -> str:
        return self.column.description or self.column.title

    def items(self) -> list[ContentPage]:
        return list(column_items(self.column)[:FEED_LENGTH])

    def item_title(self, item: ContentPage) -> str:
        return item.title

    def item_description(self, item: ContentPage) -> str:
        return item.summary

    def item_link(self, item: ContentPage) -> str:
        return item.get_full_url(self.request) or item.url

    def item_pubdate(self, item: ContentPage):
        return item.first_published_at

    def item_guid(self, item: ContentPage) -> str:
        return item.index_number or str(item.pk)

    item_guid_is_permalink = False


def column_feed(request: HttpRequest, column: ColumnPage) -> HttpResponse:
    return ColumnFeed(column, request)(request)
