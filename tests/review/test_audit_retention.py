"""Art. 14 and issue 3 point 7: audit records are kept at least 6 months (183 days); a purge of older
records leaves a checkpoint so the chain still verifies."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from govsite.review import audit
from govsite.review.models import AuditRecord, AuditRefusal
from tests.review.support import chain_of, raw

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 11, 27, 10, 0))


@pytest.fixture
def clock(monkeypatch):
    """The audit trail's clock, movable: `clock.now = ...`."""

    class Clock:
        now = NOW

    monkeypatch.setattr(audit, "_now", lambda: Clock.now)
    return Clock


def written_on(clock, day: datetime.date, count: int) -> list[AuditRecord]:
    clock.now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))
    appended = chain_of(count)
    clock.now = NOW
    return appended


def test_art14_retention_is_at_least_183_days(settings):
    settings.GOVSITE_AUDIT_RETENTION_DAYS = 30
    assert audit.retention_days() == 183
    settings.GOVSITE_AUDIT_RETENTION_DAYS = 400
    assert audit.retention_days() == 400


def test_art14_young_records_cannot_be_deleted_one_by_one_or_in_bulk(clock):
    entry = chain_of(1)[0]
    with pytest.raises(AuditRefusal) as refused:
        entry.delete()
    assert refused.value.code == "audit_retention"
    assert "183" in refused.value.messages[0]
    with pytest.raises(AuditRefusal) as refused:
        AuditRecord.objects.all().delete()
    assert refused.value.code == "audit_retention"
    assert AuditRecord.objects.count() == 1


def test_art14_old_records_are_removed_only_by_the_purge(clock):
    written_on(clock, datetime.date(2025, 1, 10), 2)
    with pytest.raises(AuditRefusal) as refused:
        AuditRecord.objects.all().delete()
    assert refused.value.code == "audit_purge_only"


def test_art14_audit_purge_refuses_a_date_inside_the_retention_period(clock):
    written_on(clock, datetime.date(2026, 7, 1), 3)
    inside = NOW.date() - datetime.timedelta(days=100)
    with pytest.raises(CommandError) as refused:
        call_command("audit_purge", "--before", inside.isoformat())
    assert "保存期内" in str(refused.value)
    assert AuditRecord.objects.count() == 3
    with pytest.raises(AuditRefusal) as refused:
        audit.purge_before(audit.earliest_purge_date() + datetime.timedelta(days=1))
    assert refused.value.code == "audit_retention"


def test_art14_audit_purge_keeps_the_chain_verifiable_from_a_checkpoint(clock, capsys):
    old = written_on(clock, datetime.date(2025, 1, 10), 4)
    written_on(clock, datetime.date(2025, 12, 1), 3)  # kept: after the --before date
    young = chain_of(2)

    call_command("audit_purge", "--before", "2025-06-01")
    out = capsys.readouterr().out
    assert "已清理第 1～4 条，共 4 条" in out
    assert AuditRecord.objects.filter(sequence__lte=4).count() == 0

    checkpoint = AuditRecord.objects.get(action="audit.purge")
    assert checkpoint.sequence == 10
    assert checkpoint.detail["last_purged_hash"] == old[-1].record_hash
    assert (checkpoint.detail["purged_from"], checkpoint.detail["purged_to"]) == (1, 4)

    result = audit.verify_chain()
    assert result.ok, result.problem
    assert result.count == 3 + len(young) + 1
    call_command("audit_verify", "--quiet")
    assert "审计记录链完整：6 条" in capsys.readouterr().out


def test_art14_purge_of_the_records_after_a_checkpoint_moves_the_start(clock):
    written_on(clock, datetime.date(2024, 3, 1), 3)
    clock.now = timezone.make_aware(datetime.datetime(2024, 12, 15, 9, 0))
    audit.purge_before(datetime.date(2024, 6, 1))  # checkpoint: number 4, dated 2024-12-15
    written_on(clock, datetime.date(2025, 2, 1), 2)
    result = audit.purge_before(datetime.date(2025, 6, 1))
    assert (result.first_sequence, result.last_sequence) == (4, 6)  # the first checkpoint was old enough too
    assert audit.verify_chain().ok


def test_art14_removing_a_record_after_a_purge_is_still_detected(clock):
    written_on(clock, datetime.date(2025, 1, 10), 3)
    written_on(clock, datetime.date(2025, 12, 1), 3)
    audit.purge_before(datetime.date(2025, 6, 1))
    raw("DELETE FROM {table} WHERE sequence = 5")
    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.sequence) == ("removed", 5)


def test_art14_a_record_slipped_into_the_purged_range_is_detected(clock):
    written_on(clock, datetime.date(2025, 1, 10), 3)
    written_on(clock, datetime.date(2025, 12, 1), 2)
    audit.purge_before(datetime.date(2025, 6, 1))
    raw(
        "INSERT INTO {table} (sequence, occurred_at, actor_ref, actor_name, ip_address, user_agent, action,"
        " object_type, object_id, object_repr, detail, previous_hash, record_hash)"
        " SELECT 2, occurred_at, actor_ref, actor_name, ip_address, user_agent, action, object_type, object_id,"
        " '伪造', detail, previous_hash, record_hash FROM {table} WHERE sequence = 4"
    )
    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.sequence) == ("inserted", 2)


def test_art14_purge_refuses_a_broken_chain(clock):
    written_on(clock, datetime.date(2025, 1, 10), 3)
    raw("UPDATE {table} SET object_repr = %s WHERE sequence = 2", ["篡改"])
    with pytest.raises(AuditRefusal) as refused:
        audit.purge_before(datetime.date(2025, 6, 1))
    assert refused.value.code == "audit_chain_broken"
    assert AuditRecord.objects.count() == 3


def test_art14_purge_with_nothing_old_enough_changes_nothing(clock, capsys):
    chain_of(2)
    call_command("audit_purge", "--before", "2025-01-01")
    assert "未清理" in capsys.readouterr().out
    assert AuditRecord.objects.count() == 2
