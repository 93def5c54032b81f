"""Wagtail search fields that hand their text to the index already segmented (see wagtail_backend)."""

from __future__ import annotations

from django.utils.html import strip_tags
from modelsearch.index import AutocompleteField, SearchField

from govsite.search import text


def _segment(value: str) -> str:
    return " ".join(text.index_tokens(strip_tags(value))) if value else value


def _segmented_value(value):
    if isinstance(value, str):
        return _segment(value)
    if isinstance(value, list):
        return [_segment(item) if isinstance(item, str) else item for item in value]
    return value


class SegmentedSearchField(SearchField):
    """A search field whose text reaches the index as space-separated jieba tokens."""

    def get_value(self, obj):
        return _segmented_value(super().get_value(obj))


class SegmentedAutocompleteField(AutocompleteField):
    """The same for autocomplete (the admin's page search types ahead on titles)."""

    def get_value(self, obj):
        return _segmented_value(super().get_value(obj))
