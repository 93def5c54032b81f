"""The front server: published files by host at static-file speed, everything else to the application.

Run under Granian's RSGI interface (`manage.py serve` starts it):

    granian --interface rsgi govsite.publishing.front:app

It does not import Django, so it starts in a blink and keeps serving published pages while the
application is stopped or restarting (Art. 19: sites stay up). For each request it maps the Host
header and path to `PUBLISH_ROOT/<host>/<path>` (`index.html` for a directory), picks the brotli or
gzip copy the client accepts, and answers from a small in-memory cache validated by the file's
inode and modification time, so a publish (an atomic rename) is seen within 0.1 s. A moved page's old
address answers 301 from its `.redirect` marker, a closed site's host redirects to its successor,
and a path with no published file is proxied to the application (admin, search, forms, APIs).

Mailbox pages are the exception to "no Django here": their published form (`.form.html`) is
filled with a fresh captcha and CSRF token for each visitor, and a plain letter POSTed to it is
stored in the intake spool by the front itself (`govsite.cases.front_intake`, which imports parts
of Django that need no settings), so citizens can write while the application restarts.

Settings come from the environment: GOVSITE_PUBLISH_ROOT, GOVSITE_STATIC_ROOT, GOVSITE_MEDIA_ROOT,
GOVSITE_APP_UPSTREAM, GOVSITE_CSP, GOVSITE_HSTS_SECONDS; for the mailboxes GOVSITE_SECRET_KEY,
GOVSITE_INTAKE_DB, GOVSITE_FORM_RATE and GOVSITE_SECURE_COOKIES (without a secret key every form
goes to the application).
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import stat
import time
from collections import OrderedDict
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import unquote

from govsite.cases import front_intake
from govsite.paths import PLATFORM_PREFIXES
from govsite.security_defaults import PUBLIC_CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PUBLISH_ROOT = os.environ.get("GOVSITE_PUBLISH_ROOT", str(BASE_DIR / "var" / "publish"))
STATIC_ROOT = os.environ.get("GOVSITE_STATIC_ROOT", str(BASE_DIR / "var" / "static"))
MEDIA_ROOT = os.environ.get("GOVSITE_MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
UPSTREAM = os.environ.get("GOVSITE_APP_UPSTREAM", "http://127.0.0.1:8001").rstrip("/")
CSP = os.environ.get("GOVSITE_CSP", PUBLIC_CSP)
HSTS_SECONDS = int(os.environ.get("GOVSITE_HSTS_SECONDS", "0") or 0)

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
SECURITY_HEADERS = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-site"),
    ("permissions-policy", "geolocation=(), camera=(), microphone=(), payment=()"),
] + ([("strict-transport-security", f"max-age={HSTS_SECONDS}; includeSubDomains")] if HSTS_SECONDS else [])
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-encoding",
}
INTAKE = front_intake.config_from_environment()
logger = logging.getLogger("govsite.front")
CACHE_ENTRIES = 4096
CACHE_MAX_BYTES = 512 * 1024
DIRECT_PREFIXES = (("/static/", STATIC_ROOT), ("/media/images/", MEDIA_ROOT + "/images"))
UNAVAILABLE = (
    '<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><title>服务暂时不可用</title>'
    "<h1>服务暂时不可用</h1><p>网站的这一功能正在维护，请稍后再试。已发布的页面仍可正常访问。</p></html>"
)


class FileCache:
    """Small files in memory, keyed by path and checked against (inode, mtime, size) on each hit."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[tuple[int, int, int], bytes]] = OrderedDict()

    def get(self, path: str, info: os.stat_result) -> bytes | None:
        key = (info.st_ino, info.st_mtime_ns, info.st_size)
        entry = self._entries.get(path)
        if entry is not None and entry[0] == key:
            self._entries.move_to_end(path)
            return entry[1]
        if info.st_size > CACHE_MAX_BYTES:
            return None
        try:
            with open(path, "rb") as handle:
                body = handle.read()
        except OSError:
            return None
        self._entries[path] = (key, body)
        if len(self._entries) > CACHE_ENTRIES:
            self._entries.popitem(last=False)
        return body


class NoCookies(CookieJar):
    """A cookie jar that stores nothing: cookies pass through the proxy, never stay in it."""

    def extract_cookies(self, response, request) -> None:
        return None

    def set_cookie(self, cookie) -> None:
        return None


_cache = FileCache()
_client = None


def clean_path(raw: str) -> str | None:
    """The request path, decoded and normalised; None for anything that could leave the root."""
    path = unquote(raw)
    if "\x00" in path or "\\" in path or not path.startswith("/"):
        return None
    normal = posixpath.normpath(path)
    if normal != "/" and path.endswith("/"):
        normal += "/"
    if ".." in normal.split("/"):
        return None
    if any(part.startswith(".") for part in normal.split("/") if part):
        return None  # markers, temporary files
    return normal


def host_of(scope) -> str:
    host = scope.headers.get("host") or scope.authority or ""
    host = host.strip().lower().rsplit(":", 1)[0] if not host.startswith("[") else host
    if not host or "/" in host or host.startswith(".") or ".." in host:
        return ""
    return host


def _file_response(
    proto, scope, path: str, info: os.stat_result, extra: list | None = None, suffix: str = ""
) -> None:
    suffix = suffix or os.path.splitext(path)[1].lower()
    headers = [("content-type", CONTENT_TYPES.get(suffix, "application/octet-stream")), *SECURITY_HEADERS]
    if extra:
        headers += extra
    etag = f'"{info.st_ino:x}-{info.st_mtime_ns:x}-{info.st_size:x}"'
    headers.append(("etag", etag))
    headers.append(
        ("cache-control", "public, max-age=60" if suffix in (".html", ".xml") else "public, max-age=3600")
    )
    if scope.headers.get("if-none-match") == etag:
        proto.response_empty(304, headers)
        return
    body = _cache.get(path, info) if scope.method != "HEAD" else b""
    if body is None:
        proto.response_file(200, headers, path)
        return
    proto.response_bytes(200, headers, body)


STAT_TTL = float(os.environ.get("GOVSITE_FRONT_STAT_TTL", "0.1"))
STAT_ENTRIES = 65536
_stats: dict[str, tuple[float, os.stat_result | None]] = {}


def _stat(path: str) -> os.stat_result | None:
    """The file's status, looked up again at most every STAT_TTL seconds (0.1 s): a busy page costs
    no system call per request, and a new publish (an atomic rename) is seen within 0.1 s."""
    now = time.monotonic()
    known = _stats.get(path)
    if known is not None and now - known[0] < STAT_TTL:
        return known[1]
    try:
        info = os.stat(path)
        info = info if stat.S_ISREG(info.st_mode) else None
    except OSError:
        info = None
    if len(_stats) >= STAT_ENTRIES:
        _stats.clear()
    _stats[path] = (now, info)
    return info


def serve_published(proto, scope, host: str, path: str) -> bool:
    """Answer from the published tree; False when there is no file for this path."""
    relative = path[1:]
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    target = f"{PUBLISH_ROOT}/{host}/{relative}"
    info = _stat(target)
    if info is None:
        return _serve_redirect(proto, host, path)
    accepted = scope.headers.get("accept-encoding", "")
    for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
        if encoding in accepted:
            compressed = _stat(target + suffix)
            if compressed is not None:
                extra = [("content-encoding", encoding), ("vary", "Accept-Encoding")]
                original = os.path.splitext(target)[1].lower()
                _file_response(proto, scope, target + suffix, compressed, extra, original)
                return True
    _file_response(proto, scope, target, info, [("vary", "Accept-Encoding")])
    return True


def _serve_redirect(proto, host: str, path: str) -> bool:
    if not path.endswith("/"):
        return False
    marker = f"{PUBLISH_ROOT}/{host}{path}.redirect"
    info = _stat(marker)
    if info is None:
        return False
    location = (_cache.get(marker, info) or b"").decode("utf-8", "replace").strip()
    if not location:
        return False
    proto.response_empty(301, [("location", location), *SECURITY_HEADERS])
    return True


def closed_site_location(host: str, path: str, query: str) -> str | None:
    """A closed or merged site's host: platform paths go to the successor, pages to its archive."""
    marker = f"{PUBLISH_ROOT}/{host}/.site-redirect"
    info = _stat(marker)
    if info is None:
        return None
    try:
        data = json.loads(_cache.get(marker, info) or b"{}")
    except ValueError:
        return None
    suffix = f"?{query}" if query else ""
    if path.startswith(PLATFORM_PREFIXES):
        return f"{data['successor']}{path}{suffix}"
    return f"{data['archive'].rstrip('/')}{path}{suffix}"


def serve_direct(proto, scope, path: str) -> bool:
    """Static assets and image renditions straight from disk."""
    for prefix, directory in DIRECT_PREFIXES:
        if path.startswith(prefix):
            target = f"{directory}/{path[len(prefix) :]}"
            info = _stat(target)
            if info is None:
                return False
            _file_response(proto, scope, target, info)
            return True
    return False


def _client_ip(scope) -> str:
    return scope.client.rsplit(":", 1)[0] if scope.client else ""


def _published_form(host: str, path: str, name: str) -> bytes | None:
    """A mailbox page's published form file (`.form.html` / `.form.json`) for this path, if any."""
    if INTAKE is None or not path.endswith("/"):
        return None
    target = f"{PUBLISH_ROOT}/{host}{path}{name}"
    info = _stat(target)
    return _cache.get(target, info) if info is not None else None


def serve_form(proto, scope, host: str, path: str) -> bool:
    """A mailbox page from its published form, with this visitor's captcha and CSRF token."""
    template = _published_form(host, path, front_intake.FORM_TEMPLATE)
    if template is None:
        return False
    body, extra = front_intake.fill_form(template, scope.headers.get("cookie") or "", INTAKE)
    headers = [
        ("content-type", CONTENT_TYPES[".html"]),
        *SECURITY_HEADERS,
        ("cache-control", "no-store"),
        *extra,
    ]
    proto.response_bytes(200, headers, body if scope.method != "HEAD" else b"")
    return True


def accept_letter(proto, scope, host: str, path: str, body: bytes) -> bool:
    """Store a plain letter to a published mailbox and answer 303 to the receipt; False: not taken.

    Whatever is not taken here (attachments, a mistake, a refusal, an unexpected error before the
    commit) goes to the application unchanged, which answers it with the form and its messages.
    """
    raw = _published_form(host, path, front_intake.FORM_SETTINGS)
    form = front_intake.read_settings(raw) if raw is not None else None
    if form is None:
        return False
    try:
        fields = front_intake.parse_body(scope.headers.get("content-type") or "", body)
        cookies = scope.headers.get("cookie") or ""
        origin_host = scope.headers.get("host") or scope.authority or ""
        front_intake.check_csrf(fields, cookies, scope.headers, scope.scheme, origin_host)
        accepted = front_intake.accept_letter(fields, form, _client_ip(scope), INTAKE)
    except front_intake.HandOver:
        return False
    except Exception:  # never lose a letter to a bug here: the application takes it instead
        logger.exception("front intake: a letter was handed to the application after an error")
        return False
    headers = [
        ("location", front_intake.RECEIPT_PATH),
        ("x-receipt-number", accepted.receipt_number),
        ("set-cookie", accepted.cookie),
        ("cache-control", "no-store"),
        *SECURITY_HEADERS,
    ]
    proto.response_empty(303, headers)
    return True


async def proxy(scope, proto, body: bytes | None = None) -> None:
    """Hand a dynamic request to the application and relay its answer."""
    global _client
    import httpx

    if _client is None:
        # The client is shared by every visitor: it must never keep a cookie from one response
        # and send it with another visitor's request.
        _client = httpx.AsyncClient(
            base_url=UPSTREAM, timeout=60.0, follow_redirects=False, cookies=NoCookies()
        )
    if body is None:
        body = await proto()
    headers = [
        (name, value)
        for name, value in scope.headers.items()
        if name.lower() not in HOP_BY_HOP and not name.lower().startswith("x-forwarded-")
    ]
    headers += [("x-forwarded-for", _client_ip(scope)), ("x-forwarded-proto", scope.scheme)]
    target = scope.path + (f"?{scope.query_string}" if scope.query_string else "")
    try:
        response = await _client.request(scope.method, target, headers=headers, content=body)
    except httpx.HTTPError:
        proto.response_str(
            503,
            [("content-type", "text/html; charset=utf-8"), ("retry-after", "30"), *SECURITY_HEADERS],
            UNAVAILABLE,
        )
        return
    relayed = [
        (name, value) for name, value in response.headers.multi_items() if name.lower() not in HOP_BY_HOP
    ]
    proto.response_bytes(response.status_code, relayed, response.content)


async def app(scope, proto) -> None:
    """RSGI entry point."""
    if scope.proto != "http":
        return
    path = clean_path(scope.path)
    host = host_of(scope)
    if scope.method in ("GET", "HEAD") and path is not None and host:
        location = closed_site_location(host, path, scope.query_string)
        if location is not None:
            proto.response_empty(301, [("location", location), *SECURITY_HEADERS])
            return
        if serve_direct(proto, scope, path):
            return
        if not scope.query_string and (
            serve_published(proto, scope, host, path) or serve_form(proto, scope, host, path)
        ):
            return
    elif scope.method == "POST" and path is not None and host and not scope.query_string:
        body = await proto()
        if not accept_letter(proto, scope, host, path, body):
            await proxy(scope, proto, body)
        return
    await proxy(scope, proto)
