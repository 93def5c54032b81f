"""The publishing queue's task (django-tasks, database backend “publishing”; see settings.TASKS)."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from django_tasks import task


@task(backend="publishing", queue_name="publishing")
def publish_change(kind: str, page_id: int | None, snapshot: dict, queued_at: str) -> int:
    """Regenerate the files one change touches; returns the number of files written."""
    from govsite.publishing import services

    record = services.run_job(kind, page_id, snapshot, queued_at=parse_datetime(queued_at))
    return record.files_written
