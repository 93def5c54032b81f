"""Tamper detection and restore (网页防篡改, Art. 22; gov-site-rules §2.2 security).

The check walks a site's published directory and compares every file with the manifest: a file
whose sha256 differs was changed, a file the manifest does not know was added, and a manifest
entry with no file was deleted. Each becomes a `TamperFinding` with a readable diff, is written to
the audit chain, and, when the site's setting allows (on by default), is restored at once: the
published bytes come back from the vault, an added file is removed.
"""

from __future__ import annotations

import difflib
import gzip
import os
from dataclasses import dataclass, field

import brotli
from django.utils import timezone

from govsite.publishing import storage
from govsite.publishing.models import PublishedFile, SitePublishing, TamperFinding
from govsite.sites.models import GovSite

DIFF_LIMIT = 20_000
IGNORED_PREFIXES = (".tmp-",)
SITE_MARKERS = (".site-redirect",)


@dataclass
class TamperReport:
    host: str
    checked: int = 0
    findings: list[TamperFinding] = field(default_factory=list)
    restored: int = 0


def _on_disk(host: str) -> dict[str, str]:
    """Relative path → full path of every file under the host directory (temporary files skipped)."""
    base = storage.root() / host
    files: dict[str, str] = {}
    for directory, _, names in os.walk(base):
        for name in names:
            if name.startswith(IGNORED_PREFIXES) or name in SITE_MARKERS:
                continue
            full = os.path.join(directory, name)
            files[os.path.relpath(full, base).replace(os.sep, "/")] = full
    return files


def _readable_diff(expected: bytes | None, found: bytes | None, path: str) -> str:
    """A unified diff of the text, or a note on size for binary files."""
    try:
        before = (expected or b"").decode("utf-8").splitlines()
        after = (found or b"").decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return f"二进制文件：原 {len(expected or b'')} 字节，现 {len(found or b'')} 字节"
    lines = difflib.unified_diff(before, after, f"发布版本/{path}", f"当前文件/{path}", lineterm="", n=2)
    return "\n".join(lines)[:DIFF_LIMIT]


def auto_restore_for(host: str) -> bool:
    """The site's setting; a site without one restores automatically."""
    setting = SitePublishing.objects.filter(site__site__hostname=host).values_list("auto_restore", flat=True)
    value = setting.first()
    return True if value is None else value


def check_host(host: str, *, restore: bool | None = None) -> TamperReport:
    """Compare `host`'s published files with the manifest; record, audit and (maybe) restore."""
    restore = auto_restore_for(host) if restore is None else restore
    report = TamperReport(host)
    manifest = dict(PublishedFile.objects.filter(host=host).values_list("path", "sha256"))
    disk = _on_disk(host)
    for path, full in disk.items():
        report.checked += 1
        with open(full, "rb") as handle:
            body = handle.read()
        expected = manifest.get(path)
        if expected is None:
            _finding(
                report, host, path, TamperFinding.Kind.ADDED, "", storage.sha256(body), None, body, restore
            )
        elif storage.sha256(body) != expected:
            original = _original(path, expected, manifest)
            _finding(
                report,
                host,
                path,
                TamperFinding.Kind.CHANGED,
                expected,
                storage.sha256(body),
                original,
                body,
                restore,
            )
    for path, expected in manifest.items():
        if path not in disk:
            original = _original(path, expected, manifest)
            _finding(report, host, path, TamperFinding.Kind.DELETED, expected, "", original, None, restore)
    return report


def _original(path: str, expected: str, manifest: dict[str, str]) -> bytes | None:
    """The published bytes: from the vault, or rebuilt from the vaulted original for a .gz/.br copy."""
    body = storage.from_vault(expected)
    if body is not None:
        return body
    for suffix in (".gz", ".br"):
        if path.endswith(suffix):
            source = manifest.get(path[: -len(suffix)])
            raw = storage.from_vault(source) if source else None
            if raw is not None:
                copy = storage.variants(path[: -len(suffix)], raw).get(path)
                if copy is not None and storage.sha256(copy) == expected:
                    return copy
    return None


def _finding(report, host, path, kind, expected, found, original, current, restore) -> None:
    from govsite.review import audit

    diff_from = _decompressed(path, original)
    diff_to = _decompressed(path, current)
    finding = TamperFinding.objects.create(
        host=host,
        path=path,
        kind=kind,
        expected_sha256=expected,
        found_sha256=found,
        diff=_readable_diff(diff_from, diff_to, path),
    )
    restored = restore and _restore(host, path, kind, original)
    if restored:
        finding.restored_at = timezone.now()
        finding.save(update_fields=["restored_at"])
        report.restored += 1
    report.findings.append(finding)
    gov_site = GovSite.objects.filter(site__hostname=host).first()
    audit.record(
        "publishing.tamper",
        site=gov_site,
        obj=finding,
        detail={"host": host, "path": path, "kind": kind, "restored": bool(restored)},
    )


def _decompressed(path: str, body: bytes | None) -> bytes | None:
    """The text behind a compressed copy, for the diff (the bytes themselves when it is not one)."""
    if body is None:
        return None
    try:
        if path.endswith(".gz"):
            return gzip.decompress(body)
        if path.endswith(".br"):
            return brotli.decompress(body)
    except (OSError, EOFError, brotli.error):
        return body
    return body


def _restore(host: str, path: str, kind: str, original: bytes | None) -> bool:
    target = storage.root() / host / path
    if kind == TamperFinding.Kind.ADDED:
        target.unlink(missing_ok=True)
        return True
    if original is None:
        return False
    storage.write_atomic(target, original)
    return True


def check_all(*, restore: bool | None = None) -> list[TamperReport]:
    hosts = GovSite.objects.exclude(site=None).values_list("site__hostname", flat=True)
    return [check_host(host, restore=restore) for host in hosts if (storage.root() / host).is_dir()]


def restore_file(host: str, path: str) -> bool:
    """Put back the bytes the platform last published at `host`/`path`, and its compressed copies
    (Art. 24: an incident's "restore the published version"; the same vault as the tamper check).

    Returns False when the manifest has no such file or the vault lost its bytes; nothing is
    audited here (the caller records the step).
    """
    if not storage.safe_relative(path):
        return False
    manifest = dict(
        PublishedFile.objects.filter(host=host, path__in=storage.variant_paths(path)).values_list(
            "path", "sha256"
        )
    )
    if path not in manifest:
        return False
    restored = {
        variant: _restore(host, variant, TamperFinding.Kind.CHANGED, _original(variant, expected, manifest))
        for variant, expected in manifest.items()
    }
    return restored[path]
