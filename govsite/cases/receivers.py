"""Keeping the published mailbox forms current (Art. 10, 16): a mailbox changed, a letter published.

Only for a site that has been published (its directory exists under PUBLISH_ROOT); the next
rebuild writes the others. The files are written after the change commits.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from govsite.cases.models import Case, Mailbox

logger = logging.getLogger("govsite.cases")


def _site_published(mailbox: Mailbox) -> bool:
    site = getattr(mailbox.gov_site, "site", None)
    return site is not None and (settings.PUBLISH_ROOT / site.hostname).is_dir()


def refresh_later(mailbox: Mailbox) -> None:
    """After commit: write (or remove) the mailbox's published form; a failure is logged, not raised."""

    def refresh() -> None:
        from govsite.cases.published_forms import refresh_mailbox

        try:
            refresh_mailbox(mailbox)
        except Exception:  # the change itself is committed; the next rebuild writes the form
            logger.exception("cases: the published form of mailbox %s could not be refreshed", mailbox.pk)

    if _site_published(mailbox):
        transaction.on_commit(refresh)


@receiver(post_save, sender=Mailbox)
@receiver(post_delete, sender=Mailbox)
def mailbox_changed(sender, instance: Mailbox, **kwargs) -> None:
    if kwargs.get("signal") is post_delete:
        instance.is_active = False  # its files go
    refresh_later(instance)


@receiver(post_save, sender=Case)
def letter_list_changed(sender, instance: Case, update_fields=None, **kwargs) -> None:
    """A letter published or withheld changes the list on its mailbox's page."""
    if instance.mailbox_id is None or update_fields is None or "is_public" not in update_fields:
        return
    refresh_later(instance.mailbox)
