"""Art. 14 (信息审核过程必须全程留痕): the audit records form a hash chain that proves none was
altered, inserted or removed — including by SQL run behind the platform's back."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from govsite.review import audit
from govsite.review.models import AuditChainHead, AuditRecord, AuditRefusal
from tests.review.support import chain_of, raw, records

pytestmark = pytest.mark.django_db


def verify_command(capsys) -> tuple[int, str, str]:
    try:
        call_command("audit_verify", "--quiet")
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def forge(after: int, *, sequence: int, object_repr: str = "伪造的审批记录", rehash: bool = True) -> int:
    """INSERT a copy of record `after` at `sequence`, linked to `after` and (by default) with a hash
    computed exactly the way the platform computes it: an attacker who knows the algorithm."""
    source = AuditRecord.objects.get(sequence=after)
    forged = AuditRecord(
        sequence=sequence,
        occurred_at=source.occurred_at,
        actor_ref=source.actor_ref,
        actor_name=source.actor_name,
        ip_address=source.ip_address,
        user_agent=source.user_agent,
        site_id=source.site_id,
        action=source.action,
        object_type=source.object_type,
        object_id=source.object_id,
        object_repr=object_repr,
        detail=source.detail,
        previous_hash=source.record_hash,
    )
    record_hash = audit.compute_hash(forged) if rehash else "f" * 64
    raw(
        "INSERT INTO {table} (sequence, occurred_at, actor_id, actor_ref, actor_name, ip_address, user_agent,"
        " site_id, action, object_type, object_id, object_repr, detail, previous_hash, record_hash)"
        " SELECT %s, occurred_at, actor_id, actor_ref, actor_name, ip_address, user_agent, site_id, action,"
        " object_type, object_id, %s, detail, %s, %s FROM {table} WHERE sequence = %s",
        [sequence, object_repr, source.record_hash, record_hash, after],
    )
    return AuditRecord.objects.get(sequence=sequence).pk


# --- appending ----------------------------------------------------------------------------------


def test_art14_records_are_appended_gap_free_and_linked():
    appended = chain_of(5)
    assert [entry.sequence for entry in appended] == [1, 2, 3, 4, 5]
    assert appended[0].previous_hash == "0" * 64
    for before, after in itertools.pairwise(appended):
        assert after.previous_hash == before.record_hash
    head = AuditChainHead.objects.get()
    assert (head.sequence, head.record_hash) == (5, appended[-1].record_hash)


def test_art14_hash_covers_every_field_but_the_hash_itself():
    entry = chain_of(1)[0]
    entry.refresh_from_db()
    assert audit.compute_hash(entry) == entry.record_hash
    for field, value in {
        "sequence": 99,
        "actor_ref": "7",
        "actor_name": "someone",
        "ip_address": "10.0.0.9",
        "user_agent": "curl",
        "site_id": 1234,
        "action": "page.delete",
        "object_type": "content.articlepage",
        "object_id": "42",
        "object_repr": "另一篇",
        "detail": {"n": 1},
        "previous_hash": "1" * 64,
    }.items():
        changed = AuditRecord.objects.get(pk=entry.pk)
        setattr(changed, field, value)
        assert audit.compute_hash(changed) != entry.record_hash, field


def test_art14_record_reads_back_from_the_database_with_the_same_hash():
    """What is hashed is what the database returns: long text is cut, NUL dropped, floats and dates as text."""
    import datetime
    import decimal

    entry = audit.record(
        "test.roundtrip",
        object_repr="长" * 400 + "\x00",
        detail={
            "float": 1e20,
            "date": datetime.date(2025, 10, 1),
            "amount": decimal.Decimal("1.50"),
            "nul": "a\x00b",
        },
        object_id=12,
    )
    stored = AuditRecord.objects.get(pk=entry.pk)
    assert len(stored.object_repr) == 255
    assert stored.detail == {"float": "1e+20", "date": "2025-10-01", "amount": "1.50", "nul": "ab"}
    assert audit.compute_hash(stored) == stored.record_hash


def test_art14_records_cannot_be_updated_through_the_platform():
    entry = chain_of(1)[0]
    entry.object_repr = "改过的"
    with pytest.raises(AuditRefusal) as refused:
        entry.save()
    assert refused.value.code == "audit_append_only"
    with pytest.raises(AuditRefusal):
        AuditRecord.objects.filter(pk=entry.pk).update(object_repr="改过的")
    with pytest.raises(AuditRefusal):
        AuditRecord.objects.bulk_create([AuditRecord(action="x")])
    with pytest.raises(AuditRefusal):
        AuditRecord(action="x", sequence=2, previous_hash="0", record_hash="0").save()


def test_art14_deleting_the_actor_keeps_the_record_verifiable(django_user_model):
    user = django_user_model.objects.create_user("leaving-editor", password="Leaving-Editor-2026")
    entry = audit.record("test.by_user", actor=user)
    user_pk = user.pk
    user.delete()
    entry.refresh_from_db()
    assert entry.actor is None
    assert (entry.actor_ref, entry.actor_name) == (str(user_pk), "leaving-editor")
    assert audit.verify_chain().ok


# --- verification ---------------------------------------------------------------------------------


def test_art14_audit_verify_passes_on_an_untouched_chain(capsys):
    chain_of(12)
    code, out, _ = verify_command(capsys)
    assert code == 0
    total = AuditRecord.objects.count()
    assert f"审计记录链完整：{total} 条" in out


def test_art14_audit_verify_passes_on_an_empty_chain(capsys):
    code, out, _ = verify_command(capsys)
    assert (code, "审计记录链完整：0 条" in out) == (0, True)


def test_art14_audit_verify_names_record_altered_by_update(capsys):
    chain_of(6)
    target = AuditRecord.objects.get(sequence=3)
    raw("UPDATE {table} SET object_repr = %s WHERE sequence = %s", ["篡改后的标题", 3])

    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.sequence, result.problem.record_id) == (
        "altered",
        3,
        target.pk,
    )
    code, _, err = verify_command(capsys)
    assert code == 1
    assert f"序号 3，id={target.pk}" in err
    assert "被篡改" in err


def test_art14_audit_verify_names_record_altered_by_update_of_its_detail():
    chain_of(4)
    target = AuditRecord.objects.get(sequence=2)
    cast = "" if connection.vendor == "sqlite" else "::jsonb"
    raw(f"UPDATE {{table}} SET detail = %s{cast} WHERE sequence = %s", ['{"n": 99}', 2])
    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.record_id) == ("altered", target.pk)


def test_art14_audit_verify_names_record_altered_and_rehashed_by_update(capsys):
    """An attacker who recomputes the altered record's hash still breaks the next record's link."""
    chain_of(6)
    target = AuditRecord.objects.get(sequence=3)
    target.object_repr = "篡改后的标题"
    raw(
        "UPDATE {table} SET object_repr = %s, record_hash = %s WHERE sequence = 3",
        ["篡改后的标题", audit.compute_hash(target)],
    )

    result = audit.verify_chain()
    assert result.problem.kind == "broken_link"
    assert result.problem.sequence == 4
    assert f"第 3 条（id={target.pk}）" in result.problem.message


def test_art14_audit_verify_names_record_removed_by_delete(capsys):
    chain_of(6)
    after_gap = AuditRecord.objects.get(sequence=4)
    raw("DELETE FROM {table} WHERE sequence = 3")

    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.sequence, result.problem.record_id) == ("removed", 3, None)
    assert f"第 4 条（id={after_gap.pk}）" in result.problem.message
    code, _, err = verify_command(capsys)
    assert code == 1
    assert "序号 3" in err
    assert "被删除" in err


def test_art14_audit_verify_names_the_last_record_removed_by_delete():
    chain_of(5)
    raw("DELETE FROM {table} WHERE sequence = 5")
    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.sequence) == ("removed", 5)


def test_art14_audit_verify_names_the_first_record_removed_by_delete():
    chain_of(5)
    raw("DELETE FROM {table} WHERE sequence = 1")
    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.sequence) == ("removed", 1)


def test_art14_audit_verify_names_record_inserted_by_insert_at_the_end(capsys):
    """Even with a correctly computed hash and link, a record the service did not append is found."""
    chain_of(5)
    forged_id = forge(after=5, sequence=6)

    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.sequence, result.problem.record_id) == (
        "inserted",
        6,
        forged_id,
    )
    code, _, err = verify_command(capsys)
    assert code == 1
    assert f"序号 6，id={forged_id}" in err
    assert "被插入" in err


def test_art14_audit_verify_names_record_inserted_by_insert_in_the_middle():
    """Renumber the records after 2 and slip a perfectly hashed forgery in as number 3."""
    chain_of(6)
    raw("UPDATE {table} SET sequence = sequence + 1000000 WHERE sequence >= 3")
    raw("UPDATE {table} SET sequence = sequence - 999999 WHERE sequence >= 1000000")
    forged_id = forge(after=2, sequence=3)

    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.sequence, result.problem.record_id) == (
        "inserted",
        3,
        forged_id,
    )


def test_art14_audit_verify_names_record_inserted_with_a_made_up_hash():
    chain_of(4)
    forged_id = forge(after=4, sequence=5, rehash=False)
    result = audit.verify_chain()
    assert (result.problem.kind, result.problem.sequence, result.problem.record_id) == (
        "inserted",
        5,
        forged_id,
    )


def test_art14_audit_verify_reports_a_missing_chain_head():
    chain_of(3)
    AuditChainHead.objects.all().delete()
    result = audit.verify_chain()
    assert result.problem.kind == "head"


def test_art14_audit_verify_resumes_from_a_sequence(capsys):
    chain_of(8)
    raw("UPDATE {table} SET object_repr = %s WHERE sequence = 2", ["篡改"])
    assert audit.verify_chain(from_sequence=5).ok
    assert not audit.verify_chain().ok


def test_art14_audit_verify_prints_progress_for_large_chains(capsys):
    chain_of(30)
    seen = []
    result = audit.verify_chain(progress=lambda done, total: seen.append((done, total)), chunk_size=10)
    assert result.ok
    assert seen[-1] == (30, 30)
    assert (10, 30) in seen and (20, 30) in seen


def test_art14_chain_survives_a_rolled_back_transaction():
    chain_of(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.rolled_back")
        raise RuntimeError("the action failed")
    chain_of(1)
    assert [entry.sequence for entry in records()] == [1, 2, 3]
    assert audit.verify_chain().ok


def test_art14_resuming_after_the_last_record_checks_only_the_chain_head():
    chain_of(3)
    assert audit.verify_chain(from_sequence=4).ok
    raw("DELETE FROM {table} WHERE sequence = 3")
    result = audit.verify_chain(from_sequence=3)
    assert (result.problem.kind, result.problem.sequence) == ("removed", 3)
