"""Signals the publisher sends, for apps that follow what is public (search, monitoring)."""

from django.dispatch import Signal

# Sent by the worker after it carried out one change: kind, page_id, snapshot.
change_published = Signal()
