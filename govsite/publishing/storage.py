"""Writing the published tree: atomic files, compressed copies, the vault, the manifest (Art. 22).

A file is written to a temporary name in its directory and renamed over the old one, so a reader
sees the old bytes or the new, never half a file. Each HTML, XML or text file gets a gzip and a
brotli copy next to it. The vault keeps every published body under its sha256 so that the tamper
check can restore a file exactly.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from django.conf import settings

COMPRESSIBLE = (".html", ".xml", ".txt", ".json", ".css", ".js", ".svg")
BROTLI_QUALITY = 5
GZIP_LEVEL = 6


def root() -> Path:
    return Path(settings.PUBLISH_ROOT)


def vault_root() -> Path:
    return Path(settings.PUBLISH_VAULT)


def file_for(url_path: str) -> str:
    """The file (relative to the host directory) that serves `url_path`: `/a/b/` → `a/b/index.html`."""
    relative = url_path.lstrip("/")
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    return relative


def safe_relative(path: str) -> bool:
    """A relative path inside the host directory: no `..`, no absolute part, no NUL."""
    if not path or "\x00" in path or path.startswith("/") or "\\" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def variant_paths(relative: str) -> list[str]:
    """The file and the compressed copies that may sit next to it."""
    if relative.endswith(COMPRESSIBLE):
        return [relative, relative + ".gz", relative + ".br"]
    return [relative]


def variants(relative: str, data: bytes) -> dict[str, bytes]:
    """The file and, when it compresses, its `.gz` and `.br` copies (deterministic bytes)."""
    files = {relative: data}
    if relative.endswith(COMPRESSIBLE):
        files[relative + ".gz"] = gzip.compress(data, GZIP_LEVEL, mtime=0)
        files[relative + ".br"] = brotli.compress(data, quality=BROTLI_QUALITY)
    return files


def write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".tmp-{target.name}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()


def keep_in_vault(digest: str, data: bytes) -> None:
    target = vault_root() / digest[:2] / digest
    if not target.exists():
        write_atomic(target, data)


def from_vault(digest: str) -> bytes | None:
    target = vault_root() / digest[:2] / digest
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None


@dataclass
class Written:
    """What one write changed on disk: (relative path, sha256, size) of every file now there."""

    files: list[tuple[str, str, int]] = field(default_factory=list)


def write(host: str, relative: str, data: bytes, known: dict[str, str]) -> Written:
    """Write `data` and its compressed copies under `host`, skipping files whose bytes are already
    there according to `known` (path → sha256 from the manifest)."""
    result = Written()
    base = root() / host
    for path, body in variants(relative, data).items():
        digest = sha256(body)
        if known.get(path) == digest and (base / path).exists():
            continue
        if path == relative:
            keep_in_vault(digest, body)
        write_atomic(base / path, body)
        result.files.append((path, digest, len(body)))
    return result


def remove(host: str, relative: str) -> list[str]:
    """Delete a file and its compressed copies; returns the paths that were there."""
    removed = []
    base = root() / host
    for path in variant_paths(relative):
        try:
            (base / path).unlink()
            removed.append(path)
        except FileNotFoundError:
            continue
    return removed
