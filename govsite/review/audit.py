"""The tamper-evident audit trail (Art. 14: 信息审核过程必须全程留痕).

Every state change, login, failed login and permission change is appended here as an
`AuditRecord`. Records form a hash chain: each record's `record_hash` is the SHA-256 of a
canonical JSON of all its other fields, `previous_hash` included, and `AuditChainHead` holds the
sequence and hash of the last record. `verify_chain` recomputes all of it and names the first
record that was altered, inserted or removed behind the platform's back.

Appending is serialized so that two writers can never fork the chain (two records claiming the
same predecessor):

* PostgreSQL: `pg_advisory_xact_lock` on one fixed key, held until the surrounding transaction
  commits or rolls back, then the chain head row is read `FOR UPDATE`;
* SQLite: the settings open every transaction with `BEGIN IMMEDIATE`, so the atomic block
  already holds the database's single write lock; a no-op UPDATE of the head row takes it even
  when a caller opened a deferred transaction.

The sequence is taken from the head row inside that lock, never from a database sequence, so a
rolled-back transaction leaves no gap.
"""

from __future__ import annotations

import contextvars
import datetime
import hashlib
import ipaddress
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.http import HttpRequest
from django.utils import timezone

from govsite.review.models import GENESIS_HASH, AuditChainHead, AuditRecord, AuditRefusal

logger = logging.getLogger("govsite.review.audit")

HASH_VERSION = 1
MIN_RETENTION_DAYS = 183  # Art. 14 and issue 3: kept at least 6 months
PURGE_ACTION = "audit.purge"
# pg_advisory_xact_lock key: the first 8 bytes of sha256("govsite.review.audit-chain"), signed.
CHAIN_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"govsite.review.audit-chain").digest()[:8], "big", signed=True
)
HEAD_PK = 1

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "govsite_audit_request", default=None
)
_purge_in_progress: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "govsite_audit_purge", default=False
)


def _now() -> datetime.datetime:
    """The clock of the audit trail (one place, so tests can move it)."""
    return timezone.now()


# --- request context ------------------------------------------------------------------------------


@contextmanager
def request_context(request: HttpRequest) -> Iterator[None]:
    """Make `request` the source of IP address and user agent for records written meanwhile."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def current_request() -> HttpRequest | None:
    return _current_request.get()


def client_ip(request: HttpRequest | None) -> str:
    """The client's address: REMOTE_ADDR, or behind the platform's own proxy (GOVSITE_BEHIND_PROXY,
    which sets SECURE_PROXY_SSL_HEADER) the last X-Forwarded-For entry, the one that proxy added."""
    if request is None:
        return ""
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            candidate = forwarded[-1]
    return normalize_ip(candidate)


def normalize_ip(value: str | None) -> str:
    """A canonical text form of an IP address (IPv4-mapped IPv6 as IPv4), or "" when it is not one."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.compressed


# --- canonical form and hash ----------------------------------------------------------------------


def _clean_text(value: Any, max_length: int) -> str:
    """Text as the database will return it: no NUL (PostgreSQL refuses it), cut to the column."""
    return ("" if value is None else str(value)).replace("\x00", "")[:max_length]


def _clean_json(value: Any) -> Any:
    """JSON that reads back from SQLite (text) and PostgreSQL (jsonb) exactly as it was hashed:
    dates and decimals as strings (DjangoJSONEncoder), floats as strings (jsonb would turn 1e20
    into an integer), no NUL characters."""
    if isinstance(value, dict):
        return {str(key).replace("\x00", ""): _clean_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(item) for item in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value)
    return _clean_json(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))


def _timestamp(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_payload(record: AuditRecord) -> bytes:
    """The bytes `record_hash` is computed over: every field but the hash itself and the `actor`/`id`
    columns (the actor is covered by its snapshot `actor_ref`; the id is the database's)."""
    payload = {
        "v": HASH_VERSION,
        "sequence": int(record.sequence),
        "occurred_at": _timestamp(record.occurred_at),
        "actor": record.actor_ref or "",
        "actor_name": record.actor_name or "",
        "ip_address": record.ip_address or "",
        "user_agent": record.user_agent or "",
        "site": record.site_id,
        "action": record.action,
        "object_type": record.object_type or "",
        "object_id": record.object_id or "",
        "object_repr": record.object_repr or "",
        "detail": record.detail if record.detail is not None else {},
        "previous_hash": record.previous_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def compute_hash(record: AuditRecord) -> str:
    return hashlib.sha256(canonical_payload(record)).hexdigest()


# --- appending --------------------------------------------------------------------------------------


def _lock_chain(using: str) -> AuditChainHead | None:
    """Take the chain's append lock for the rest of the current transaction; return the head row."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        else:
            # SQLite: BEGIN IMMEDIATE (settings) already holds the write lock; this takes it otherwise.
            table = connection.ops.quote_name(AuditChainHead._meta.db_table)
            cursor.execute(f"UPDATE {table} SET sequence = sequence WHERE id = %s", [HEAD_PK])
    return AuditChainHead.objects.using(using).select_for_update().filter(pk=HEAD_PK).first()


def _head_for_append(using: str) -> AuditChainHead:
    head = _lock_chain(using)
    if head is not None:
        return head
    # A new database (or a flushed test database): start from the last record, or the genesis hash.
    last = AuditRecord.objects.using(using).order_by("-sequence").only("sequence", "record_hash").first()
    if last is not None:
        logger.warning("audit chain head was missing; rebuilt from record #%s", last.sequence)
    return AuditChainHead.objects.using(using).create(
        pk=HEAD_PK,
        sequence=last.sequence if last else 0,
        record_hash=last.record_hash if last else GENESIS_HASH,
    )


def _actor_from(actor, request: HttpRequest | None):
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            actor = user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return actor


def object_type_of(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def record(
    action: str,
    *,
    actor=None,
    request: HttpRequest | None = None,
    site=None,
    obj: models.Model | None = None,
    detail: dict | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    object_repr: str | None = None,
) -> AuditRecord:
    """Art. 14: append one record to the audit chain, in the caller's transaction.

    `actor` defaults to the logged-in user of `request` (or of the request being served, set by
    `AuditRequestMiddleware`); IP address and user agent come from that request. `site` defaults to
    the GovSite of `obj` when `obj` is a page. `detail` is any JSON-able dict (never a password).
    If the caller's transaction rolls back, so does the record, and the chain stays gap-free.
    """
    request = request if request is not None else current_request()
    actor = _actor_from(actor, request)
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = object_id if object_id is not None else obj.pk
        if object_repr is None:
            object_repr = str(obj)
        if site is None:
            site = site_for_object(obj)
    user_agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""

    entry = AuditRecord(
        actor=actor,
        actor_ref=_clean_text(actor.pk if actor is not None else "", 64),
        actor_name=_clean_text(actor.get_username() if actor is not None else "", 150),
        ip_address=client_ip(request),
        user_agent=_clean_text(user_agent, 300),
        site_id=site if isinstance(site, int) or site is None else site.pk,
        action=_clean_text(action, 100),
        object_type=_clean_text(object_type, 100),
        object_id=_clean_text(object_id, 64),
        object_repr=_clean_text(object_repr, 255),
        detail=_clean_json(detail or {}),
    )
    using = router.db_for_write(AuditRecord)
    with transaction.atomic(using=using):
        head = _head_for_append(using)
        entry.sequence = head.sequence + 1
        entry.previous_hash = head.record_hash
        entry.occurred_at = _now()
        entry.record_hash = compute_hash(entry)
        entry._chained = True
        entry.save(using=using)
        head.sequence = entry.sequence
        head.record_hash = entry.record_hash
        head.save(using=using, update_fields=["sequence", "record_hash", "updated_at"])
    return entry


# --- which site a record belongs to ---------------------------------------------------------------


def site_for_page(page) -> int | None:
    """The GovSite whose home page is `page` or one of its ancestors (the deepest such site)."""
    from govsite.sites.models import GovSite

    path = getattr(page, "path", "") or ""
    if not path:
        return None
    steplen = type(page).steplen if hasattr(type(page), "steplen") else 4
    prefixes = [path[:end] for end in range(steplen, len(path) + 1, steplen)]
    rows = GovSite.objects.filter(site__root_page__path__in=prefixes).values_list(
        "pk", "site__root_page__path"
    )
    best = max(rows, key=lambda row: len(row[1]), default=None)
    return best[0] if best else None


def site_for_object(obj) -> int | None:
    from wagtail.models import Page

    from govsite.sites.models import GovSite

    if isinstance(obj, Page):
        return site_for_page(obj)
    if isinstance(obj, GovSite):
        return obj.pk
    return None


# --- retention and purge ----------------------------------------------------------------------------


def retention_days() -> int:
    """GOVSITE_AUDIT_RETENTION_DAYS, never less than 183 days (6 months, issue 3 point 7)."""
    try:
        configured = int(getattr(settings, "GOVSITE_AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS))
    except (TypeError, ValueError):
        configured = MIN_RETENTION_DAYS
    return max(MIN_RETENTION_DAYS, configured)


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Records at or after this moment are inside the retention period and may not be removed."""
    return (now or _now()) - datetime.timedelta(days=retention_days())


def check_removable(queryset) -> None:
    """Art. 14: refuse to remove records younger than the retention period, and any record outside
    `purge_before` (which keeps the chain verifiable with a checkpoint)."""
    if queryset.filter(occurred_at__gte=retention_cutoff()).exists():
        raise AuditRefusal(
            f"审计记录须至少保存 {retention_days()} 天，保存期内的记录不能删除。", code="audit_retention"
        )
    if not _purge_in_progress.get():
        raise AuditRefusal(
            "审计记录只能用 manage.py audit_purge 清理，以便记录链仍可校验。", code="audit_purge_only"
        )


def _refuse_unless_verified(result: VerifyResult) -> VerifyResult:
    if not result.ok:
        raise AuditRefusal(
            f"审计记录链校验未通过，拒绝清理（{result.problem.message}）。", code="audit_chain_broken"
        )
    return result


@dataclass(frozen=True)
class PurgeResult:
    purged: int
    first_sequence: int | None
    last_sequence: int | None
    checkpoint: AuditRecord | None


def start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def earliest_purge_date(now: datetime.datetime | None = None) -> datetime.date:
    """The latest `--before` date a purge accepts: its midnight is outside the retention period."""
    return timezone.localdate(retention_cutoff(now))


def purge_before(before: datetime.date, *, actor=None) -> PurgeResult:
    """Art. 14: remove the records older than `before` (local midnight), once they are past retention.

    Only a prefix of the chain is removed (up to the first record at or after `before`), after the
    whole chain verifies; a checkpoint record `audit.purge` is appended holding the sequence range
    and the hash of the last removed record, and `verify_chain` starts from it.
    """
    cutoff = start_of_day(before)
    if cutoff > retention_cutoff():
        raise AuditRefusal(
            f"审计记录须至少保存 {retention_days()} 天：{before:%Y-%m-%d} 在保存期内，"
            f"最晚只能清理到 {earliest_purge_date():%Y-%m-%d}。",
            code="audit_retention",
        )
    using = router.db_for_write(AuditRecord)
    # Verify the whole chain before taking the lock (writers go on meanwhile), then, under the lock,
    # only what was appended since: a long verification never holds up logins and edits.
    verified = _refuse_unless_verified(verify_chain(using=using))
    with transaction.atomic(using=using):
        _head_for_append(using)
        resume = verified.last_sequence + 1 if verified.last_sequence is not None else None
        _refuse_unless_verified(verify_chain(using=using, from_sequence=resume))
        records = AuditRecord.objects.using(using)
        first_kept = (
            records.filter(occurred_at__gte=cutoff).order_by("sequence").values_list("sequence", flat=True)
        )
        doomed = records.all()
        if first_kept.first() is not None:
            doomed = doomed.filter(sequence__lt=first_kept.first())
        bounds = doomed.aggregate(first=models.Min("sequence"), last=models.Max("sequence"))
        if bounds["last"] is None:
            return PurgeResult(0, None, None, None)
        last_hash = records.get(sequence=bounds["last"]).record_hash
        token = _purge_in_progress.set(True)
        try:
            purged, _ = doomed.delete()
        finally:
            _purge_in_progress.reset(token)
        checkpoint = record(
            PURGE_ACTION,
            actor=actor,
            object_type="review.auditrecord",
            object_repr=f"清理 {before:%Y-%m-%d} 之前的审计记录",
            detail={
                "before": before.isoformat(),
                "purged_from": bounds["first"],
                "purged_to": bounds["last"],
                "purged_count": purged,
                "last_purged_hash": last_hash,
                "retention_days": retention_days(),
            },
        )
    return PurgeResult(purged, bounds["first"], bounds["last"], checkpoint)


# --- verification -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    """The first bad record: its sequence, its id when it still exists, what is wrong."""

    kind: str  # altered / inserted / removed / broken_link / head
    sequence: int | None
    record_id: int | None
    message: str

    KIND_LABELS = {
        "altered": "被篡改",
        "inserted": "被插入",
        "removed": "被删除",
        "broken_link": "链接断裂",
        "head": "链头不符",
    }

    @property
    def kind_label(self) -> str:
        return self.KIND_LABELS.get(self.kind, self.kind)


@dataclass
class VerifyResult:
    count: int = 0
    problem: ChainProblem | None = None
    first_sequence: int | None = None
    last_sequence: int | None = None
    last_hash: str = GENESIS_HASH
    checkpoint_sequence: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _record_label(sequence: int | None, record_id: int | None) -> str:
    where = f"第 {sequence} 条" if sequence is not None else "记录"
    return f"{where}（id={record_id}）" if record_id is not None else where


def _chain_start(records, verified: Callable[[AuditRecord], bool]) -> tuple[int, str, AuditRecord | None]:
    """Where the chain must start: after the latest purge checkpoint, or at 1 with the genesis hash."""
    checkpoint = records.filter(action=PURGE_ACTION).order_by("-sequence").first()
    if checkpoint is None:
        return 1, GENESIS_HASH, None
    try:
        start = int(checkpoint.detail["purged_to"]) + 1
        previous = str(checkpoint.detail["last_purged_hash"])
    except (KeyError, TypeError, ValueError):
        return 1, GENESIS_HASH, checkpoint
    if not verified(checkpoint):
        return 1, GENESIS_HASH, checkpoint
    return start, previous, checkpoint


def verify_chain(
    *,
    using: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    from_sequence: int | None = None,
    chunk_size: int = 2000,
    recent_window: int = 10000,
    max_passes: int = 20,
) -> VerifyResult:
    """Art. 14: walk the chain in sequence order and recompute everything; stop at the first bad record.

    For each record, in this order: the sequence follows the previous one (a gap means records were
    removed; a number below it means a record was inserted); `previous_hash` equals the previous
    record's hash (if it equals an earlier record's hash, the records between were inserted);
    the record's own hash matches its content (else it was altered). At the end the chain head row
    must name the last record (a missing tail was removed, an extra tail inserted). Records appended
    while the walk runs are walked too, so verifying a busy platform reports no false alarm.

    `from_sequence` resumes a walk: it trusts the stored hash of the record before it.
    """
    using = using or router.db_for_read(AuditRecord)
    records = AuditRecord.objects.using(using)
    result = VerifyResult()
    total = records.count()
    head_at_start = AuditChainHead.objects.using(using).filter(pk=HEAD_PK).first()

    def verified(entry: AuditRecord) -> bool:
        return compute_hash(entry) == entry.record_hash

    expected_sequence, expected_previous, checkpoint = _chain_start(records, verified)
    if checkpoint is not None:
        result.checkpoint_sequence = checkpoint.sequence
        if not verified(checkpoint):
            result.problem = ChainProblem(
                "altered",
                checkpoint.sequence,
                checkpoint.pk,
                f"{_record_label(checkpoint.sequence, checkpoint.pk)}是清理检查点，其内容与哈希不符，"
                "记录链的起点无法确定。",
            )
            return result
    if expected_sequence > 1:
        result.notes.append(
            f"从清理检查点开始校验：第 {expected_sequence} 条起（此前的记录已按保存期清理）。"
        )
    walked_from = 0  # records below the chain's start are walked too: one there was inserted
    previous: AuditRecord | None = None
    if from_sequence is not None and from_sequence > expected_sequence:
        trusted = records.filter(sequence=from_sequence - 1).first()
        if trusted is not None:
            expected_sequence, expected_previous = from_sequence, trusted.record_hash
            walked_from = previous_sequence = from_sequence - 1
            previous = trusted
            result.last_sequence, result.last_hash = previous_sequence, trusted.record_hash
            result.notes.append(f"从第 {from_sequence} 条继续校验（信任第 {from_sequence - 1} 条）。")

    recent: OrderedDict[str, tuple[int, int]] = OrderedDict()  # hash -> (sequence, id), newest last
    head_sequence = head_at_start.sequence if head_at_start is not None else None

    for _pass in range(max_passes):
        remaining = records.filter(sequence__gt=walked_from).order_by("sequence")
        for entry in remaining.iterator(chunk_size=chunk_size):
            problem = _check_entry(entry, previous, expected_sequence, expected_previous, recent)
            if problem is not None and head_sequence is not None and entry.sequence > head_sequence:
                problem = ChainProblem(
                    "inserted",
                    entry.sequence,
                    entry.pk,
                    f"{_record_label(entry.sequence, entry.pk)}在链头（第 {head_sequence} 条）之后且不衔接，"
                    f"不是由留痕服务追加的，系被插入（{problem.message}）",
                )
            if problem is not None:
                result.problem = problem
                return result
            if result.first_sequence is None:
                result.first_sequence = entry.sequence
            result.count += 1
            result.last_sequence = entry.sequence
            result.last_hash = entry.record_hash
            recent[entry.record_hash] = (entry.sequence, entry.pk)
            if len(recent) > recent_window:
                recent.popitem(last=False)
            previous = entry
            walked_from = entry.sequence
            expected_sequence = entry.sequence + 1
            expected_previous = entry.record_hash
            if progress is not None and result.count % chunk_size == 0:
                progress(result.count, max(total, result.count))
        # The head is read after the walk: a record committed meanwhile moved it in the same
        # transaction, so a head beyond the last record walked means new records, or a removed tail.
        head = AuditChainHead.objects.using(using).filter(pk=HEAD_PK).first()
        appended_meanwhile = (
            head is not None
            and previous is not None
            and head.sequence > previous.sequence
            and records.filter(sequence__gt=previous.sequence).exists()
        )
        if not appended_meanwhile:
            break
        head_sequence = head.sequence
    if progress is not None:
        progress(result.count, max(total, result.count))
    result.problem = _check_head(head, result, previous, records)
    return result


def _check_entry(
    entry: AuditRecord,
    previous: AuditRecord | None,
    expected_sequence: int,
    expected_previous: str,
    recent: OrderedDict[str, tuple[int, int]],
) -> ChainProblem | None:
    here = _record_label(entry.sequence, entry.pk)
    if entry.sequence < expected_sequence:
        return ChainProblem(
            "inserted",
            entry.sequence,
            entry.pk,
            f"{here}的序号应为 {expected_sequence} 或更大，此条位于已清理或已校验的范围内，系被插入。",
        )
    if entry.sequence > expected_sequence:
        missing = (
            f"第 {expected_sequence} 条"
            if entry.sequence == expected_sequence + 1
            else f"第 {expected_sequence}～{entry.sequence - 1} 条"
        )
        return ChainProblem(
            "removed",
            expected_sequence,
            None,
            f"{missing}缺失（序号不连续），缺口后的第一条为{here}：记录被删除。",
        )
    content_ok = compute_hash(entry) == entry.record_hash
    if entry.previous_hash != expected_previous:
        earlier = recent.get(entry.previous_hash)
        if earlier is not None:
            first_inserted = earlier[0] + 1
            inserted_id = next((pk for sequence, pk in recent.values() if sequence == first_inserted), None)
            return ChainProblem(
                "inserted",
                first_inserted,
                inserted_id,
                f"{_record_label(first_inserted, inserted_id)}被插入：{here}的前一条哈希指向第 {earlier[0]} 条，"
                f"第 {first_inserted}～{entry.sequence - 1} 条不在原记录链中。",
            )
        if not content_ok:
            return ChainProblem(
                "altered",
                entry.sequence,
                entry.pk,
                f"{here}的内容与哈希不符，且前一条哈希与上一条不衔接：此条被篡改（或在其前删除记录后重新编号）。",
            )
        before = _record_label(previous.sequence, previous.pk) if previous is not None else "链起点"
        return ChainProblem(
            "broken_link",
            entry.sequence,
            entry.pk,
            f"{here}的前一条哈希与{before}不符：{before}被改写并重算了哈希，或二者之间的记录被删除。",
        )
    if not content_ok:
        return ChainProblem("altered", entry.sequence, entry.pk, f"{here}的内容与其哈希不符：记录被篡改。")
    return None


def _check_head(
    head: AuditChainHead | None, result: VerifyResult, last: AuditRecord | None, records
) -> ChainProblem | None:
    if head is None:
        if last is None:
            return None
        return ChainProblem("head", None, None, "审计记录链头缺失：无法确认链尾是否有记录被删除。")
    if last is None:
        if head.sequence == 0 or result.checkpoint_sequence is not None:
            return None
        return ChainProblem(
            "removed", head.sequence, None, f"链头记到第 {head.sequence} 条，但审计记录全部缺失：记录被删除。"
        )
    if head.sequence > last.sequence:
        missing = (
            f"第 {head.sequence} 条"
            if head.sequence == last.sequence + 1
            else f"第 {last.sequence + 1}～{head.sequence} 条"
        )
        return ChainProblem(
            "removed",
            last.sequence + 1,
            None,
            f"链尾{missing}缺失（链头记到第 {head.sequence} 条）：记录被删除。",
        )
    if head.sequence < last.sequence:
        first_extra = records.filter(sequence=head.sequence + 1).values_list("pk", flat=True).first()
        return ChainProblem(
            "inserted",
            head.sequence + 1,
            first_extra,
            f"{_record_label(head.sequence + 1, first_extra)}被插入：链头只记到第 {head.sequence} 条，"
            f"其后的 {last.sequence - head.sequence} 条记录不是由留痕服务追加的。",
        )
    if head.record_hash != last.record_hash:
        return ChainProblem(
            "altered",
            last.sequence,
            last.pk,
            f"{_record_label(last.sequence, last.pk)}的哈希与链头登记的不符：最后一条被改写。",
        )
    return None


# --- reading ------------------------------------------------------------------------------------------


def visible_site_ids(user) -> set[int] | None:
    """The GovSites whose audit records `user` may read; None means all (platform superusers).

    A site is visible when one of the user's groups holds a page permission on its home page or
    on an ancestor of it (issue 3 point 3: a user acts only on the sites their groups grant).
    """
    from wagtail.models import GroupPagePermission

    from govsite.sites.models import GovSite

    if not user.is_active:
        return set()
    if user.is_superuser:
        return None
    granted_paths = set(
        GroupPagePermission.objects.filter(group__user=user).values_list("page__path", flat=True)
    )
    if not granted_paths:
        return set()
    visible = set()
    for pk, root_path in GovSite.objects.values_list("pk", "site__root_page__path"):
        if any(root_path.startswith(path) for path in granted_paths):
            visible.add(pk)
    return visible


def records_visible_to(user) -> models.QuerySet[AuditRecord]:
    """Audit records `user` may read: all for a superuser, else those of the sites their groups grant."""
    sites = visible_site_ids(user)
    queryset = AuditRecord.objects.all()
    if sites is None:
        return queryset
    return queryset.filter(site_id__in=sites)


def can_view_audit(user) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm("review.view_auditrecord")))


def iter_records(queryset: Iterable[AuditRecord]) -> Iterator[AuditRecord]:
    """Records of a large queryset without loading them all at once."""
    if isinstance(queryset, models.QuerySet):
        yield from queryset.iterator(chunk_size=2000)
    else:
        yield from queryset


# --- labels ---------------------------------------------------------------------------------------------

ACTION_LABELS = {
    "auth.login": "登录",
    "auth.logout": "退出登录",
    "auth.login_failed": "登录失败",
    "auth.lockout": "登录锁定",
    "auth.unlock": "解除登录锁定",
    "auth.permission_change": "权限变更",
    "audit.purge": "清理审计记录（检查点）",
    "audit.export": "导出审计记录",
    "portal_submission.proposed": "报送到市政府门户网站",
    "portal_submission.unit_approved": "报送：本单位分管领导审核同意",
    "portal_submission.accepted": "报送：市政府门户网站采用",
    "portal_submission.rejected": "报送：退回",
}
OBJECT_PREFIXES = {"page": "页面", "object": "对象"}


def action_label(action: str) -> str:
    """A Chinese label for an action code: ours from ACTION_LABELS, mirrored ones from Wagtail's registry."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    prefix, _, suffix = action.partition(".")
    if prefix in OBJECT_PREFIXES and suffix:
        from django.utils import translation
        from wagtail.log_actions import registry

        try:
            with translation.override(settings.LANGUAGE_CODE):
                label = str(registry.get_action_label(f"wagtail.{suffix}"))
        except KeyError:
            label = suffix
        return f"{OBJECT_PREFIXES[prefix]}：{label}"
    return action
