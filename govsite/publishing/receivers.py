"""Signal wiring: every change that alters a public page queues a publish job in its own transaction.

Publish and unpublish come from Wagtail's signals (whatever path made them: the workflow, an
emergency takedown, a scheduled publish, a command); deletes and moves are captured before they
happen, because afterwards the old address is gone; site and column settings, and items shared
into other sites' columns (Art. 20), queue their own jobs.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move, pre_page_move

from govsite.content.models import ColumnShare
from govsite.publishing.services import Kind, enqueue, snapshot_of
from govsite.sites.models import GovSite

_moving: dict[int, dict] = {}


def on_published(sender, instance: Page, **kwargs) -> None:
    enqueue(Kind.PUBLISH, instance.pk)


def on_unpublished(sender, instance: Page, **kwargs) -> None:
    enqueue(Kind.UNPUBLISH, instance.pk)


def before_delete(sender, instance: Page, **kwargs) -> None:
    if sender is not Page or not instance.live:
        return
    enqueue(Kind.DELETE, instance.pk, snapshot_of(instance))


def before_move(sender, instance: Page, **kwargs) -> None:
    if instance.live:
        _moving[instance.pk] = snapshot_of(instance)


def after_move(sender, instance: Page, **kwargs) -> None:
    snapshot = _moving.pop(instance.pk, None)
    if snapshot is not None:
        enqueue(Kind.MOVE, instance.pk, snapshot)


def on_site_saved(sender, instance: GovSite, **kwargs) -> None:
    enqueue(Kind.SITE, None, {"site_id": instance.site_id})


def on_share_saved(sender, instance: ColumnShare, **kwargs) -> None:
    enqueue(Kind.PUBLISH, instance.page_id)


def on_share_deleted(sender, instance: ColumnShare, **kwargs) -> None:
    enqueue(Kind.UNSHARE, instance.page_id, {"column_ids": [instance.column_id]})


def connect() -> None:
    page_published.connect(on_published, dispatch_uid="publishing.published")
    page_unpublished.connect(on_unpublished, dispatch_uid="publishing.unpublished")
    pre_delete.connect(before_delete, sender=Page, dispatch_uid="publishing.delete")
    pre_page_move.connect(before_move, dispatch_uid="publishing.pre_move")
    post_page_move.connect(after_move, dispatch_uid="publishing.post_move")
    post_save.connect(on_site_saved, sender=GovSite, dispatch_uid="publishing.site")
    post_save.connect(on_share_saved, sender=ColumnShare, dispatch_uid="publishing.share")
    post_delete.connect(on_share_deleted, sender=ColumnShare, dispatch_uid="publishing.unshare")
