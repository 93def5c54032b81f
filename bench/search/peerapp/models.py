"""An article as stock Wagtail search sees one: title (boosted 2×, like `Page.title`) and body."""

from django.db import models
from wagtail.search import index


class Article(index.Indexed, models.Model):
    id = models.BigIntegerField(primary_key=True)  # the govsite document's page id
    title = models.CharField(max_length=300)
    body = models.TextField()
    published_at = models.DateTimeField()

    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("body"),
    ]

    def __str__(self) -> str:
        return self.title
