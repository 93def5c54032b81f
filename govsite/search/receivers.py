"""The index follows publishing: every job the publishing worker runs updates the index too."""

from __future__ import annotations

import logging

from django.db.models.signals import post_delete, post_save
from wagtail.models import Page

from govsite.publishing.signals import change_published
from govsite.search import dictionary, documents
from govsite.search.models import SearchWord, SynonymGroup

log = logging.getLogger(__name__)


def after_publish_job(sender, kind: str, page_id: int | None, snapshot: dict, **kwargs) -> None:
    dictionary.ensure_loaded()
    documents.follow_change(kind, page_id, snapshot)


def after_page_delete(sender, instance: Page, **kwargs) -> None:
    documents.remove_documents([instance.pk])


def after_dictionary_edit(sender, **kwargs) -> None:
    dictionary.forget()


def connect() -> None:
    change_published.connect(after_publish_job, dispatch_uid="search.follow")
    post_delete.connect(after_page_delete, sender=Page, dispatch_uid="search.page_delete")
    for model in (SearchWord, SynonymGroup):
        post_save.connect(after_dictionary_edit, sender=model, dispatch_uid=f"search.dict.{model.__name__}")
        post_delete.connect(
            after_dictionary_edit, sender=model, dispatch_uid=f"search.dictdel.{model.__name__}"
        )
