"""Findings and the inspection scheduler (Art. 23: 24小时值班, 日常巡检, 及时发现问题、纠正错漏并做好记录).

Every inspection returns `Observation`s; `record_observations` turns them into findings: a new
problem opens a finding with an owner and a deadline in working days, a problem seen again keeps
its finding, a problem that comes back after it was fixed reopens it, and an open finding that a
later run of the same inspection no longer sees is closed as fixed ("复查未再发现").
"""

from __future__ import annotations

import hashlib
import logging
import re
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from govsite.monitoring.models import Finding, Inspection, InspectionRun, WordingEntry
from govsite.review import audit
from govsite.workdays import services as workdays

logger = logging.getLogger(__name__)

OPERATORS_GROUP = "平台运维值班"

DEFAULT_INTERVALS = {
    Inspection.Kind.AVAILABILITY: 3600,  # 24 a day: the veto rule asks for at least 20 (§2.2)
    Inspection.Kind.LINKS: 24 * 3600,
    Inspection.Kind.FRESHNESS: 6 * 3600,
    Inspection.Kind.WORDING: 24 * 3600,
    Inspection.Kind.SECURITY: 6 * 3600,
    Inspection.Kind.TAMPER: 300,
    Inspection.Kind.REMINDERS: 24 * 3600,  # sends only on working days, at most once a unit and day
}

FIX_WITHIN_WORKDAYS = {
    Finding.Severity.CRITICAL: 1,
    Finding.Severity.HIGH: 1,
    Finding.Severity.MEDIUM: 3,
    Finding.Severity.LOW: 5,
}

STALE_RUN_AFTER = timedelta(hours=6)
BATCH = 500  # fingerprints or ids in one query: SQLite limits the parameters of a statement
WRITTEN_FIELDS = ["gov_site", "column", "page_url", "title", "detail", "suggestion", "severity", "last_seen"]
WRITTEN_FIELDS += ["status", "reopened", "closed_at", "due_on"]  # when a finding reopens
USER_ID = re.compile(r"[0-9]{1,18}")  # below 2**63: a longer number is no user's id


@dataclass(frozen=True)
class Observation:
    """One problem as an inspection saw it. `key` says which problem it is (e.g. the broken URL and
    the site); the same key next time means the same problem."""

    key: str
    title: str
    severity: str
    gov_site_id: int | None = None
    column_id: int | None = None
    page_url: str = ""
    detail: str = ""
    suggestion: str = ""


@dataclass(frozen=True)
class ObservationBatch:
    """What one run saw, and the part of the platform it looked at (None: all sites)."""

    observations: list[Observation]
    checked: int
    summary: dict
    scope_site_ids: frozenset[int] | None = None


def fingerprint(kind: str, key: str) -> str:
    return hashlib.sha256(f"{kind}\x1f{key}".encode()).hexdigest()


def fix_due(severity: str, now: datetime):
    """The deadline of a finding: 1 working day for serious problems, 3 or 5 for the others."""
    return workdays.add_workdays(timezone.localdate(now), FIX_WITHIN_WORKDAYS[severity])


# --- findings -----------------------------------------------------------------------------------


def record_observations(kind: str, batch: ObservationBatch, *, now: datetime | None = None) -> dict[str, int]:
    """Art. 23: open, keep, reopen or close findings of `kind` from what one run saw.

    The number of queries does not grow with the run: the findings the run's problems already have
    are read and locked in one query (per `BATCH` fingerprints) and written back in bulk; only a
    finding that opens, reopens or closes costs more, its record in the audit chain.
    """
    now = now or timezone.now()
    observed: dict[str, Observation] = {}
    for observation in batch.observations:
        observed.setdefault(fingerprint(kind, observation.key), observation)  # the first one counts
    counts = {"opened": 0, "reopened": 0, "seen": 0, "closed": 0}
    with transaction.atomic():
        known = _locked_findings(list(observed))
        changed: list[Finding] = []
        only_seen: list[int] = []
        for mark, observation in observed.items():
            finding = known.get(mark)
            if finding is None:
                _open(kind, mark, observation, now)
                counts["opened"] += 1
                continue
            outcome = _refresh(finding, observation, now)
            if outcome == "reopened":
                audit.record("monitoring.finding_reopened", actor=None, site=finding.gov_site_id, obj=finding)
            if outcome == "unchanged":
                only_seen.append(finding.pk)
            else:
                changed.append(finding)
            counts["reopened" if outcome == "reopened" else "seen"] += 1
        Finding.objects.bulk_update(changed, WRITTEN_FIELDS, batch_size=BATCH)
        for pks in _batches(only_seen):
            Finding.objects.filter(pk__in=pks).update(last_seen=now)
        counts["closed"] = _close_unseen(kind, set(observed), batch.scope_site_ids, now)
    return counts


def _batches(items: list) -> Iterator[list]:
    return (items[start : start + BATCH] for start in range(0, len(items), BATCH))


def _locked_findings(marks: list[str]) -> dict[str, Finding]:
    """The findings these fingerprints already have, locked until the run's transaction ends."""
    known: dict[str, Finding] = {}
    for chunk in _batches(marks):
        for finding in Finding.objects.select_for_update().filter(fingerprint__in=chunk):
            known[finding.fingerprint] = finding
    return known


def _observed(observation: Observation, now: datetime) -> dict:
    """The fields of a finding that come from what the run saw."""
    return {
        "gov_site_id": observation.gov_site_id,
        "column_id": observation.column_id,
        "page_url": observation.page_url[:2000],
        "title": observation.title[:300],
        "detail": observation.detail,
        "suggestion": observation.suggestion[:300],
        "severity": observation.severity,
        "last_seen": now,
    }


def _open(kind: str, mark: str, observation: Observation, now: datetime) -> None:
    finding = Finding.objects.create(
        kind=kind,
        fingerprint=mark,
        first_seen=now,
        due_on=fix_due(observation.severity, now),
        **_observed(observation, now),
    )
    audit.record("monitoring.finding_opened", actor=None, site=finding.gov_site_id, obj=finding)


def _refresh(finding: Finding, observation: Observation, now: datetime) -> str:
    """Apply what the run saw to a finding it already has (in memory; the caller writes it).

    A fixed finding reopens with a new deadline ("reopened"); otherwise "changed" when more than
    `last_seen` differs, "unchanged" when the problem is exactly as it was.
    """
    changed = False
    for name, value in _observed(observation, now).items():
        changed = changed or (name != "last_seen" and getattr(finding, name) != value)
        setattr(finding, name, value)
    if finding.status == Finding.Status.FIXED:
        finding.status = Finding.Status.OPEN
        finding.reopened += 1
        finding.closed_at = None
        finding.due_on = fix_due(observation.severity, now)
        return "reopened"
    return "changed" if changed else "unchanged"


def _close_unseen(kind: str, seen: set[str], scope: frozenset[int] | None, now: datetime) -> int:
    """Close the open findings of `kind` (within the run's scope) that the run no longer saw."""
    still_open = Finding.objects.filter(kind=kind, status=Finding.Status.OPEN)
    if scope is not None:
        still_open = still_open.filter(gov_site_id__in=scope)
    stale = [pk for pk, mark in still_open.values_list("pk", "fingerprint") if mark not in seen]
    reason = "复查未再发现，自动关闭。"
    for chunk in _batches(stale):
        Finding.objects.filter(pk__in=chunk).update(status=Finding.Status.FIXED, closed_at=now, reason=reason)
        for finding in Finding.objects.filter(pk__in=chunk):
            audit.record("monitoring.finding_cleared", actor=None, site=finding.gov_site_id, obj=finding)
    return len(stale)


def mark_fixed(finding: Finding, *, actor, note: str = "") -> Finding:
    """An operator or the owner says the problem is fixed; the next run checks it again."""
    if finding.status != Finding.Status.OPEN:
        raise ValidationError("该问题已关闭。", code="finding_not_open")
    finding.status = Finding.Status.FIXED
    finding.closed_at = timezone.now()
    finding.closed_by = actor
    finding.reason = note.strip()
    finding.save(update_fields=["status", "closed_at", "closed_by", "reason"])
    audit.record(
        "monitoring.finding_fixed", actor=actor, site=finding.gov_site, obj=finding, detail={"note": note}
    )
    return finding


def dismiss(finding: Finding, *, actor, reason: str) -> Finding:
    """Dismiss a finding that is not a problem (e.g. a partner site that blocks robots) — with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("忽略问题须填写理由。", code="reason_required")})
    if finding.status != Finding.Status.OPEN:
        raise ValidationError("该问题已关闭。", code="finding_not_open")
    finding.status = Finding.Status.DISMISSED
    finding.closed_at = timezone.now()
    finding.closed_by = actor
    finding.reason = reason[:2000]
    finding.save(update_fields=["status", "closed_at", "closed_by", "reason"])
    audit.record(
        "monitoring.finding_dismissed",
        actor=actor,
        site=finding.gov_site,
        obj=finding,
        detail={"reason": reason},
    )
    return finding


def owner_from(value: str | None):
    """The owner an operator chose for a finding: the id of an active user, or "" for nobody.
    Anything else (not a number, no such user, a disabled account) is refused and changes nothing."""
    value = (value or "").strip()
    if not value:
        return None
    owner = None
    if USER_ID.fullmatch(value):
        owner = get_user_model().objects.filter(pk=int(value), is_active=True).first()
    if owner is None:
        raise ValidationError({"owner": ValidationError("请选择有效的责任人。", code="owner_invalid")})
    return owner


def assign(finding: Finding, *, owner, actor) -> Finding:
    finding.owner = owner
    finding.save(update_fields=["owner"])
    audit.record(
        "monitoring.finding_assigned",
        actor=actor,
        site=finding.gov_site,
        obj=finding,
        detail={"owner": owner.get_username() if owner else ""},
    )
    return finding


def is_operator(user) -> bool:
    """Platform operators on duty (and superusers) see and act on every site's findings."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=OPERATORS_GROUP).exists()


def can_view_monitoring(user) -> bool:
    return is_operator(user) or bool(user.is_authenticated and audit.visible_site_ids(user))


def findings_visible_to(user) -> QuerySet[Finding]:
    """Least privilege: operators see all findings; a site's staff see those of their sites."""
    queryset = Finding.objects.select_related("gov_site", "owner", "column")
    if is_operator(user):
        return queryset
    sites = audit.visible_site_ids(user)
    return queryset if sites is None else queryset.filter(gov_site_id__in=sites)


def overdue(queryset: QuerySet[Finding], today=None) -> QuerySet[Finding]:
    today = today or timezone.localdate()
    return queryset.filter(status=Finding.Status.OPEN, due_on__lt=today)


def open_counts_by_site(queryset: QuerySet[Finding]) -> list[dict]:
    return list(
        queryset.filter(status=Finding.Status.OPEN)
        .values("gov_site__name")
        .annotate(
            total=Count("pk"),
            critical=Count("pk", filter=Q(severity=Finding.Severity.CRITICAL)),
            high=Count("pk", filter=Q(severity=Finding.Severity.HIGH)),
        )
        .order_by("-total")
    )


# --- the scheduler ------------------------------------------------------------------------------


def ensure_inspections() -> list[Inspection]:
    """Every kind of inspection exists, with its default interval (operators may change it)."""
    for kind, seconds in DEFAULT_INTERVALS.items():
        Inspection.objects.get_or_create(kind=kind, defaults={"interval_seconds": seconds})
    return list(Inspection.objects.all())


def due_inspections(now: datetime | None = None) -> list[Inspection]:
    now = now or timezone.now()
    return list(Inspection.objects.filter(enabled=True, next_run_at__lte=now).order_by("next_run_at"))


def mark_interrupted_runs(now: datetime | None = None) -> int:
    """Runs left "running" by a stopped scheduler are marked failed, so history never lies."""
    now = now or timezone.now()
    return InspectionRun.objects.filter(status=InspectionRun.Status.RUNNING).update(
        status=InspectionRun.Status.FAILED, finished_at=now, error="调度器重启，本次巡检中断。"
    )


def run_inspection(inspection: Inspection, *, now: datetime | None = None) -> InspectionRun:
    """Run one inspection now, keep its run in the history, turn what it saw into findings and
    schedule the next run. A failing probe leaves a failed run with its error, never a crash."""
    from govsite.monitoring import inspections

    run = InspectionRun.objects.create(inspection=inspection, started_at=now or timezone.now())
    probe = inspections.PROBES[inspection.kind]
    try:
        batch = probe(progress=_progress_writer(run))
        counts = record_observations(inspection.kind, batch)
    except Exception as error:  # a probe's failure is recorded, the scheduler goes on
        logger.exception("inspection %s failed", inspection.kind)
        run.status = InspectionRun.Status.FAILED
        run.error = "".join(traceback.format_exception_only(error)).strip()[:2000]
    else:
        run.status = InspectionRun.Status.OK
        run.checked = batch.checked
        run.problems = len(batch.observations)
        run.summary = {**batch.summary, "findings": counts}
    run.finished_at = timezone.now()
    run.save()
    Inspection.objects.filter(pk=inspection.pk).update(
        next_run_at=run.finished_at + timedelta(seconds=inspection.interval_seconds)
    )
    return run


def _progress_writer(run: InspectionRun) -> Callable[[int, int], None]:
    """Write a run's progress at most every 2 seconds, so the dashboard shows how far it is."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        moment = timezone.now().timestamp()
        if moment - last[0] < 2 and done < total:
            return
        last[0] = moment
        InspectionRun.objects.filter(pk=run.pk).update(done=done, total=total)

    return report


def run_due(now: datetime | None = None) -> list[InspectionRun]:
    return [run_inspection(inspection) for inspection in due_inspections(now)]


def run_kinds(kinds: Iterable[str]) -> list[InspectionRun]:
    ensure_inspections()
    return [run_inspection(Inspection.objects.get(kind=kind)) for kind in kinds]


def latest_runs() -> dict[str, InspectionRun]:
    runs: dict[str, InspectionRun] = {}
    for inspection in Inspection.objects.all():
        run = inspection.runs.order_by("-started_at").first()
        if run is not None:
            runs[inspection.kind] = run
    return runs


# --- wording at publish time (gov-site-rules §5.1) -------------------------------------------------

_scanner_cache: dict[str, object] = {}


def wording_scanner():
    """The scanner for the enabled dictionary entries, rebuilt only when the dictionary changed."""
    stamp = WordingEntry.objects.filter(enabled=True).aggregate(
        n=Count("pk"), at=Max("updated_at"), top=Max("pk")
    )
    key = f"{stamp['n']}:{stamp['at']}:{stamp['top']}"
    if _scanner_cache.get("key") != key:
        _scanner_cache.update(key=key, scanner=_build_wording_scanner())
    return _scanner_cache["scanner"]


def _build_wording_scanner():
    """A new scanner over the enabled dictionary entries (call `wording_scanner`, which caches it)."""
    from govsite.monitoring import wording

    rules = [
        wording.WordingRule(
            term=entry.term,
            kind=wording.Kind(entry.kind),
            severity=wording.Severity(entry.severity),
            correction=entry.correction,
            allowed=tuple(line.strip() for line in entry.allowed.splitlines() if line.strip()),
            rule_id=entry.pk,
        )
        for entry in WordingEntry.objects.filter(enabled=True)
    ]
    return wording.WordingScanner(rules)


def wording_hits(texts: dict[str, str]) -> dict[str, list]:
    """§5.1: the dictionary hits in each field (rich text fields are scanned as visible text)."""
    scanner = wording_scanner()
    hits = {}
    for name, text in texts.items():
        if not text:
            continue
        found = scanner.scan_html(text) if "<" in text else scanner.scan(text)
        if found:
            hits[name] = found
    return hits


def blocking_wording(texts: dict[str, str]) -> dict[str, list[str]]:
    """§5.1: what stops a text from going to review or publication: each blocking hit with its fix."""
    return {
        name: [f"{hit.message}（{hit.excerpt}）" for hit in found if hit.blocks]
        for name, found in wording_hits(texts).items()
        if any(hit.blocks for hit in found)
    }


def wording_warnings(texts: dict[str, str]) -> list[str]:
    return [hit.message for found in wording_hits(texts).values() for hit in found if not hit.blocks]
