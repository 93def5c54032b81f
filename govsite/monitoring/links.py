"""The link checker (Art. 23: 24-hour inspection of 链接可用性; gov-site-rules §2.3).

A pure engine: no models, no database. It checks URLs over HTTP(S) asynchronously and, for a crawl,
fetches the HTML pages of the sites under inspection to find every link they hold (internal and
external; external links are checked, never followed). The inspection layer turns the results into
findings: §2.3 deducts 1 point per broken link on a home page and 0.1 per broken link on any other
page, so a crawl reports, for every link, the pages that contain it (`CrawlReport.referrers`).

How it behaves on the wire:

- polite by default: at most `LinkPolicy.per_host` requests in flight per host name (a worker per
  host slot takes URLs off that host's queue, and `HostSlots` also bounds redirect hops that land
  on another host) and `LinkPolicy.total` overall (an asyncio.Semaphore), over one shared keep-alive
  connection pool;
- a browser's headers (a Chrome User-Agent that names govsite-linkcheck, Accept, Accept-Language
  zh-CN), because many government servers answer scripts differently from browsers;
- GET, never HEAD (many servers answer HEAD wrongly); a body that is not parsed is read and thrown
  away up to a small limit, beyond which the connection is closed rather than downloaded;
- redirects followed by hand, so the chain is recorded and a loop is reported as a loop;
- retries with a short backoff on timeouts, connection errors and 429/502/503/504;
- a bad URL never raises: it becomes a result of kind "invalid_url".
"""

from __future__ import annotations

import asyncio
import heapq
import html
import itertools
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import urldefrag, urljoin

import aiohttp
import aiohttp.abc
import aiohttp.resolver
from yarl import URL

Progress = Callable[[int, int], None]

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 govsite-linkcheck/1.0"
)
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ACCEPT_LANGUAGE = "zh-CN,zh;q=0.9,en;q=0.6"

DISCARD_LIMIT = 256 * 1024  # bytes of an unparsed body read (to keep the connection) before closing it
PAGE_LIMIT = 5 * 1024 * 1024  # bytes of an HTML page read for its links
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_BASE_SECONDS = 0.25
RETRY_MAX_SECONDS = 5.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = ("text/html", "application/xhtml+xml")
PAGE_FIRST, LEAF = 0, 1  # a crawl's request priorities on a host: likely pages before attachments
_PAGE_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml", ".jsp", ".php", ".asp", ".aspx", ".do")

PROBLEMS = {
    "ok": "",
    "timeout": "超时",
    "reset": "连接被重置",
    "connect": "无法连接",
    "tls": "证书无效",
    "dns": "域名无法解析",
    "redirect_loop": "重定向循环",
    "too_many_redirects": "重定向过多",
    "invalid_url": "链接地址无效",
    "protocol": "服务器响应无效",
}


@dataclass(frozen=True)
class LinkPolicy:
    """How hard the checker may press a server. The defaults are the production ones: polite."""

    per_host: int = 4  # concurrent requests per host name
    total: int = 64  # concurrent requests overall
    timeout: float = 15.0  # seconds per request, connection to last byte read
    retries: int = 2  # further attempts after a timeout, a connection error or 429/502/503/504
    max_redirects: int = 10
    user_agent: str = DEFAULT_USER_AGENT
    verify_tls: bool = True
    # Fixed addresses for some host names, like /etc/hosts: the platform's own sites reached on the
    # address of its front (GOVSITE_MONITOR_ORIGIN) whatever public DNS says.
    hosts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LinkResult:
    """What one link gave. `problem` is the Chinese wording people see; `kind` is for code."""

    url: str
    ok: bool
    status: int | None  # final HTTP status, None when no response came
    problem: str
    kind: str  # one of PROBLEMS' keys, or "http_error"
    elapsed_ms: float
    redirects: tuple[str, ...]  # URLs followed after `url`, in order; a loop ends with the repeated URL
    final_url: str
    checked_at: float  # time.time()


@dataclass
class CrawlReport:
    """A crawl's outcome: every link's result and, for every link, the pages that contain it."""

    results: dict[str, LinkResult]
    referrers: dict[str, list[str]]  # link URL -> pages (in discovery order) that link to it
    pages: list[str]  # HTML pages fetched and read for links
    truncated: bool  # True when max_pages stopped the crawl before every page was read
    started_at: float
    finished_at: float

    def broken(self) -> dict[str, LinkResult]:
        return {url: result for url, result in self.results.items() if not result.ok}


class ResultCache:
    """Results kept for `ttl` seconds, so a link found on many sites is checked once in a while.

    In memory; subclass and override `get`/`put` for a shared (database-backed) cache.
    """

    def __init__(self, ttl: float = 3600.0) -> None:
        self.ttl = ttl
        self._results: dict[str, LinkResult] = {}

    def get(self, url: str) -> LinkResult | None:
        result = self._results.get(url)
        if result is None:
            return None
        if time.time() - result.checked_at > self.ttl:
            del self._results[url]
            return None
        return result

    def put(self, result: LinkResult) -> None:
        self._results[result.url] = result

    def __len__(self) -> int:
        return len(self._results)


# --- link extraction ---------------------------------------------------------------------------------------
# A compiled-regex scanner rather than an HTML parser: a crawl reads thousands of pages and only needs
# a few attributes of a few tags. Comments, <script> bodies and <style> bodies are skipped whole.

_ATTRS = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""
_TOKEN = re.compile(
    rf"<!--.*?-->|<(script)\b({_ATTRS})>.*?</script\s*>|<style\b{_ATTRS}>.*?</style\s*>"
    rf"|<(a|area|link|img|iframe|frame|source|embed|base)\b({_ATTRS})>",
    re.S | re.I,
)


def _attribute_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"""(?:^|\s){name}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)


_HREF = _attribute_pattern("href")
_SRC = _attribute_pattern("src")
_REL = _attribute_pattern("rel")
_LINK_ATTRIBUTE = {
    "a": _HREF,
    "area": _HREF,
    "link": _HREF,
    "base": _HREF,
    "img": _SRC,
    "script": _SRC,
    "iframe": _SRC,
    "frame": _SRC,
    "source": _SRC,
    "embed": _SRC,
}
_SKIPPED_SCHEMES = frozenset({"mailto", "tel", "javascript", "data", "sms", "callto", "about", "blob", "ftp"})
_SKIPPED_RELS = frozenset({"dns-prefetch", "preconnect"})  # origins to warm up, not documents
_URL_NOISE = re.compile(r"[\t\r\n]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_ORIGIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*")
_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]/?#]*\]|[^:/?#]*)")


def _attribute(pattern: re.Pattern[str], attrs: str) -> str | None:
    match = pattern.search(attrs)
    if match is None:
        return None
    value = match.group(1)
    if value is None:
        value = match.group(2) if match.group(2) is not None else match.group(3)
    return value


def _link_value(raw: str) -> str | None:
    """The link as a browser reads the attribute, or None for links that lead to no web document."""
    value = html.unescape(raw) if "&" in raw else raw
    if "\n" in value or "\t" in value or "\r" in value:
        value = _URL_NOISE.sub("", value)
    value = value.strip()
    if not value or value[0] == "#":
        return None
    scheme = _SCHEME.match(value)
    if scheme and scheme.group(1).lower() in _SKIPPED_SCHEMES:
        return None
    return value


def _resolve(base_url: str, value: str, origin: str = "") -> str:
    """`value` made absolute against `base_url`, without its fragment.

    The common path-absolute link ("/a/b.pdf") on a page whose `origin` is known is joined by hand;
    everything else goes through urljoin.
    """
    if origin and value[0] == "/" and value[1:2] != "/" and "/." not in value:
        return origin + value.partition("#")[0]
    try:
        return urldefrag(urljoin(base_url, value))[0]
    except ValueError:  # e.g. a malformed IPv6 host: keep it as written, the checker reports it
        return value


def _origin(url: str) -> str:
    match = _ORIGIN.match(url)
    return match.group(0) if match else ""


def host_of(url: str) -> str | None:
    """The host name of an absolute URL, lower-cased (None when there is none)."""
    match = _HOST.match(url)
    if match is None or not match.group(1):
        return None
    return match.group(1).lower()


def extract_links(html_text: str, base_url: str) -> list[str]:
    """Every link of a page: a/area/link[href], img/script/iframe/frame/source/embed[src].

    Absolute (resolved against `<base href>` when the page has one, else `base_url`), fragment
    removed, deduplicated in order of appearance. Links to no web document (mailto:, tel:,
    javascript:, data:, ftp:, a bare or same-page "#...") are left out; a link with another unknown
    scheme is kept, so the checker reports it ("file:///C:/..." pasted by an editor is broken).
    """
    base = base_url
    origin = _origin(base)
    found: dict[str, None] = {}
    for match in _TOKEN.finditer(html_text):
        if match.group(1):  # <script ...>...</script>: its src only, never its code
            tag, attrs = "script", match.group(2)
        elif match.group(3):
            tag, attrs = match.group(3).lower(), match.group(4)
        else:  # a comment or a style block
            continue
        raw = _attribute(_LINK_ATTRIBUTE[tag], attrs)
        if raw is None or (value := _link_value(raw)) is None:
            continue
        if tag == "base":
            base = _resolve(base_url, value)
            origin = _origin(base)
        elif tag != "link" or (_attribute(_REL, attrs) or "").strip().lower() not in _SKIPPED_RELS:
            found[_resolve(base, value, origin)] = None
    return list(found)


# --- checking ---------------------------------------------------------------------------------------------


@dataclass
class _Hop:
    """One request's outcome (after its retries)."""

    status: int | None = None
    location: str | None = None
    retry_after: str | None = None
    html: str | None = None
    kind: str = "ok"
    elapsed: float = 0.0


@dataclass
class _Walk:
    """A URL's result, and the page's HTML when it was read for links."""

    result: LinkResult
    html: str | None = None


def _parse_url(raw: str) -> URL | None:
    """An absolute http(s) URL with a host, or None."""
    try:
        url = URL(raw)
    except (ValueError, TypeError):
        return None
    if url.scheme not in ("http", "https") or not url.raw_host:
        return None
    return url


def _redirect_target(url: URL, location: str) -> tuple[str, URL | None]:
    """Where a Location header leads, as text and as a URL (None when it leads nowhere checkable)."""
    try:
        target = url.join(URL(location))
    except (ValueError, TypeError):
        return location, None
    return str(target), _parse_url(str(target))


def _error_kind(error: BaseException) -> str:
    """Map a client exception to a result kind (subclasses before their bases)."""
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return "dns"
    if isinstance(error, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return "tls"
    if isinstance(error, aiohttp.ClientConnectorError):
        return "connect"
    if isinstance(error, aiohttp.InvalidURL):
        return "invalid_url"
    if isinstance(
        error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientOSError
    ):
        return "reset"
    if isinstance(error, ConnectionError):
        return "reset"
    if isinstance(error, aiohttp.ClientResponseError):
        return "protocol"
    return "connect"


_RETRY_KINDS = frozenset({"timeout", "reset", "connect"})


def _backoff(attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before the next attempt: the server's Retry-After when short, else doubling."""
    if retry_after and retry_after.strip().isdigit():
        return min(float(retry_after.strip()), RETRY_MAX_SECONDS)
    return min(RETRY_BASE_SECONDS * (2**attempt), RETRY_MAX_SECONDS)


_CHARSET_HEADER = re.compile(r"charset=[\"']?([\w-]+)", re.I)
_CHARSET_META = re.compile(rb"<meta[^>]+charset=[\"']?([\w-]+)", re.I)


def _decode(body: bytes, content_type: str) -> str:
    """The page as text: the header's charset, else the <meta> one, else UTF-8 (GB2312 sites are common)."""
    match = _CHARSET_HEADER.search(content_type)
    if match is not None:
        charset = match.group(1)
    else:
        meta = _CHARSET_META.search(body, 0, 2048)
        charset = meta.group(1).decode("ascii") if meta is not None else "utf-8"
    try:
        return body.decode(charset, "replace")
    except LookupError:  # an unknown charset name
        return body.decode("utf-8", "replace")


class HostSlots:
    """At most `size` holders at a time; waiters are served by priority (lower first), then in order.

    One per host: a crawl asks for pages (priority 0) before attachments (priority 1), so the whole
    site is discovered early and a slow page starts early instead of at the end.
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self.held = 0  # holders right now (for tests and progress displays)

    async def acquire(self, priority: int = 0) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._order), waiter))
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # the slot was handed over: pass it on
                    self._hand_over()
                raise
        self.held += 1

    def release(self) -> None:
        self.held -= 1
        self._hand_over()

    def _hand_over(self) -> None:
        while self._waiters:
            _priority, _order, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                waiter.set_result(None)  # hand the slot over directly
                return
        self._free += 1


class _FixedHosts(aiohttp.abc.AbstractResolver):
    """Resolves the names of `fixed` to their address and every other name through DNS."""

    def __init__(self, fixed: dict[str, str]) -> None:
        self.fixed = {name.lower(): address for name, address in fixed.items()}
        self.dns = aiohttp.resolver.DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        address = self.fixed.get(host.lower())
        if address is None:
            return await self.dns.resolve(host, port, family)
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        await self.dns.close()


class _Engine:
    """One run's shared state: the connection pool, the semaphores, the headers."""

    def __init__(self, policy: LinkPolicy, html_hosts: frozenset[str] = frozenset()) -> None:
        self.policy = policy
        self.html_hosts = html_hosts  # pages on these hosts are read for links
        self._global = asyncio.Semaphore(policy.total)
        self._hosts: dict[str, HostSlots] = {}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> _Engine:
        connector = aiohttp.TCPConnector(
            limit=self.policy.total,
            limit_per_host=0,  # the per-host semaphores hold that limit, across ports too
            ttl_dns_cache=300,
            ssl=None if self.policy.verify_tls else False,
            resolver=_FixedHosts(dict(self.policy.hosts)) if self.policy.hosts else None,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={
                "User-Agent": self.policy.user_agent,
                "Accept": ACCEPT,
                "Accept-Language": ACCEPT_LANGUAGE,
            },
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # some servers set a cookie, then redirect
            timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()

    def _host_slots(self, host: str) -> HostSlots:
        slots = self._hosts.get(host)
        if slots is None:
            slots = self._hosts[host] = HostSlots(self.policy.per_host)
        return slots

    async def _request(self, url: URL, priority: int) -> _Hop:
        """One GET inside one of the host's slots and a global one. Exceptions are the caller's."""
        assert self._session is not None
        host = url.raw_host or ""
        slots = self._host_slots(host)
        await slots.acquire(priority)
        try:
            async with self._global:
                return await self._get(url, host)
        finally:
            slots.release()

    async def _get(self, url: URL, host: str) -> _Hop:
        """The GET itself; the body is read for links or thrown away."""
        assert self._session is not None
        started = time.perf_counter()
        async with self._session.get(url, allow_redirects=False) as response:
            hop = _Hop(status=response.status, location=response.headers.get("Location"))
            if response.status in RETRY_STATUSES:
                hop.retry_after = response.headers.get("Retry-After")
            content_type = response.headers.get("Content-Type", "")
            if (
                response.status == 200
                and host in self.html_hosts
                and content_type.lower().startswith(HTML_TYPES)
            ):
                hop.html = _decode(await _read_page(response), content_type)
            else:
                await _discard(response)
        hop.elapsed = time.perf_counter() - started
        return hop

    async def fetch(self, url: URL, priority: int = 0) -> _Hop:
        """One URL with its retries; a failure is a hop with an error kind, never an exception."""
        elapsed = 0.0
        attempts = self.policy.retries + 1
        for attempt in range(attempts):
            started = time.perf_counter()
            try:
                hop = await self._request(url, priority)
            except Exception as error:  # every failure becomes a result
                hop = _Hop(kind=_error_kind(error), elapsed=time.perf_counter() - started)
                retryable = hop.kind in _RETRY_KINDS
            else:
                retryable = hop.status in RETRY_STATUSES
            elapsed += hop.elapsed
            if not retryable or attempt == attempts - 1:
                hop.elapsed = elapsed
                return hop
            await asyncio.sleep(_backoff(attempt, hop.retry_after))
        raise AssertionError("unreachable")

    async def walk(self, raw: str, priority: int = 0) -> _Walk:
        """Check `raw`, following its redirects by hand (a page on `html_hosts` is read at the end)."""
        url = _parse_url(raw)
        if url is None:
            return _Walk(_result(raw, kind="invalid_url"))
        seen = {str(url)}
        chain: list[str] = []
        elapsed = 0.0
        while True:
            hop = await self.fetch(url, priority)
            elapsed += hop.elapsed
            status = hop.status
            if hop.kind != "ok" or status not in REDIRECT_STATUSES or not hop.location:
                kind = hop.kind if hop.kind != "ok" else ("ok" if (status or 0) < 400 else "http_error")
                return _Walk(
                    _result(raw, kind=kind, status=status, chain=chain, final=url, ms=elapsed), hop.html
                )
            target, next_url = _redirect_target(url, hop.location)
            chain.append(target)
            kind = ""
            if next_url is None:
                kind = "invalid_url"
            elif target in seen:
                kind = "redirect_loop"
            elif len(chain) > self.policy.max_redirects:
                kind = "too_many_redirects"
            if kind:
                return _Walk(_result(raw, kind=kind, status=status, chain=chain, final=target, ms=elapsed))
            seen.add(target)
            url = next_url


async def _read_page(response: aiohttp.ClientResponse) -> bytes:
    """The whole page, up to PAGE_LIMIT bytes (a read returns what has arrived, not everything)."""
    chunks: list[bytes] = []
    size = 0
    while size < PAGE_LIMIT:
        chunk = await response.content.read(PAGE_LIMIT - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


async def _discard(response: aiohttp.ClientResponse) -> None:
    """Read a body nobody needs, up to DISCARD_LIMIT; past it, the pool closes the connection."""
    if response.content_length is not None and response.content_length <= DISCARD_LIMIT:
        await response.read()  # small and of known size: one read, and the connection is reused
        return
    remaining = DISCARD_LIMIT
    while remaining > 0:
        chunk = await response.content.readany()
        if not chunk:
            return
        remaining -= len(chunk)


def _result(
    url: str,
    *,
    kind: str,
    status: int | None = None,
    chain: list[str] | None = None,
    final: URL | str = "",
    ms: float = 0.0,
) -> LinkResult:
    problem = f"HTTP {status}" if kind == "http_error" else PROBLEMS[kind]
    return LinkResult(
        url=url,
        ok=kind == "ok",
        status=status,
        problem=problem,
        kind=kind,
        elapsed_ms=round(ms * 1000, 1),
        redirects=tuple(chain or ()),
        final_url=str(final) or url,
        checked_at=time.time(),
    )


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(url.strip() for url in urls))


class _Frontier:
    """URLs waiting for a check: one priority queue per host, each worked by at most `per_host` workers.

    A worker per host slot rather than a task per URL: a crawl queues tens of thousands of URLs, and a
    worker that takes the next URL off its host's queue costs far less than a task that waits on a
    semaphore. Within a host, lower priorities go first (a crawl puts likely pages first).
    """

    def __init__(self, engine: _Engine, handle: Callable[[str, _Walk], None]) -> None:
        self._engine = engine
        self._handle = handle
        self._queues: dict[str, list[tuple[int, int, str]]] = {}
        self._workers: dict[str, int] = {}
        self._order = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, url: str, priority: int = 0) -> None:
        host = host_of(url) or ""
        queue = self._queues.setdefault(host, [])
        heapq.heappush(queue, (priority, next(self._order), url))
        if self._workers.get(host, 0) < self._engine.policy.per_host:
            self._workers[host] = self._workers.get(host, 0) + 1
            task = asyncio.ensure_future(self._work(host, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _work(self, host: str, queue: list[tuple[int, int, str]]) -> None:
        try:
            while queue:
                priority, _order, url = heapq.heappop(queue)
                self._handle(url, await self._engine.walk(url, priority))
        finally:
            self._workers[host] -= 1

    async def drain(self) -> None:
        """Wait until every queued URL, and every URL queued meanwhile, has been handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))


async def check_links_async(
    urls: Iterable[str],
    policy: LinkPolicy = LinkPolicy(),
    *,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
) -> dict[str, LinkResult]:
    """Art. 23: check each URL once (duplicates collapse) and return its result, keyed by URL."""
    wanted = _unique(urls)
    results: dict[str, LinkResult] = {}
    for url in wanted:
        cached = cache.get(url) if cache is not None else None
        if cached is not None:
            results[url] = cached
    counter = _Counter(progress, total=len(wanted), done=len(results))

    def handle(url: str, walk: _Walk) -> None:
        results[url] = walk.result
        if cache is not None:
            cache.put(walk.result)
        counter.advance()

    async with _Engine(policy) as engine:
        frontier = _Frontier(engine, handle)
        for url in wanted:
            if url not in results:
                frontier.add(url)
        await frontier.drain()
    return {url: results[url] for url in wanted}


def check_links(
    urls: Iterable[str],
    policy: LinkPolicy = LinkPolicy(),
    *,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
) -> dict[str, LinkResult]:
    """`check_links_async` for synchronous callers (commands, tasks); not from a running event loop."""
    return asyncio.run(check_links_async(urls, policy, cache=cache, progress=progress))


@dataclass
class _Counter:
    progress: Progress | None
    total: int = 0
    done: int = 0

    def __post_init__(self) -> None:
        self.report()

    def grow(self, count: int) -> None:
        self.total += count

    def advance(self) -> None:
        self.done += 1
        self.report()

    def report(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total)


class _Crawl:
    """The state of one crawl: what was found where, what is checked, what remains."""

    def __init__(
        self,
        engine: _Engine,
        internal_hosts: frozenset[str],
        cache: ResultCache | None,
        counter: _Counter,
        max_pages: int,
    ) -> None:
        self.internal_hosts = internal_hosts
        self.cache = cache
        self.counter = counter
        self.max_pages = max_pages
        self.results: dict[str, LinkResult] = {}
        self.referrers: dict[str, list[str]] = {}
        self.pages: list[str] = []
        self.truncated = False
        self.frontier = _Frontier(engine, self.checked)

    def is_internal(self, url: str) -> bool:
        return host_of(url) in self.internal_hosts

    def discover(self, url: str, page: str | None) -> None:
        """Note that `page` links to `url`; queue `url` the first time it is seen."""
        seen = self.referrers.get(url)
        if seen is None:
            self.referrers[url] = seen = []
            self.counter.grow(1)
            self.queue(url)
        if page is not None:
            seen.append(page)

    def queue(self, url: str) -> None:
        if not self.is_internal(url):
            cached = self.cache.get(url) if self.cache is not None else None
            if cached is not None:
                self.results[url] = cached
                self.counter.advance()
                return
            self.frontier.add(url, LEAF)
        else:
            self.frontier.add(url, PAGE_FIRST if _looks_like_page(url) else LEAF)

    def checked(self, url: str, walk: _Walk) -> None:
        result = self.results[url] = walk.result
        if self.cache is not None and not self.is_internal(url):
            self.cache.put(result)
        if walk.html is not None and result.redirects:
            self.read_redirected(result, walk.html)
        elif walk.html is not None:
            self.read_page(url, walk.html)
        self.counter.advance()

    def read_redirected(self, result: LinkResult, page_html: str) -> None:
        """A moved page is read under its new address, once, as if it had been linked there."""
        page = result.final_url
        if page in self.referrers:
            return
        self.referrers[page] = []
        self.results[page] = replace(result, url=page, redirects=())
        self.counter.grow(1)
        self.counter.advance()
        self.read_page(page, page_html)

    def read_page(self, url: str, page_html: str) -> None:
        if len(self.pages) >= self.max_pages:
            self.truncated = True
            return
        self.pages.append(url)
        for link in extract_links(page_html, url):
            self.discover(link, url)

    async def run(self, start_urls: list[str]) -> None:
        for url in start_urls:
            self.discover(url, None)
        await self.frontier.drain()


def _looks_like_page(url: str) -> bool:
    """A guess from the address alone: "/", "/col/", "/a.html", "/detail?id=3" are pages, "/a.pdf" not."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    last = path.rsplit("/", 1)[-1]
    return not last or "." not in last or last.lower().endswith(_PAGE_SUFFIXES)


def _host_names(urls: Iterable[str]) -> Iterable[str]:
    """Each URL's host as written (links) and as requested (yarl; an IDN host in punycode)."""
    for raw in urls:
        if host := host_of(raw):
            yield host
        if (url := _parse_url(raw)) is not None and url.raw_host:
            yield url.raw_host


async def crawl_async(
    start_urls: Iterable[str],
    policy: LinkPolicy = LinkPolicy(),
    *,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    max_pages: int = 20_000,
) -> CrawlReport:
    """Art. 23 / §2.3: check every link of every page reachable from `start_urls` on their hosts.

    HTML pages (status 200, text/html) on a start URL's host name are read for links and followed;
    every link found is checked once, internal or external; external pages are never read. The
    cache is used for external links only (internal pages must be fetched to find their links).
    `referrers` maps each link to the pages containing it, so the inspection layer can keep the
    home page's broken links (−1 each) apart from the other pages' (−0.1 each).
    """
    starts = [_resolve(url, url) for url in _unique(start_urls)]
    hosts = frozenset(_host_names(starts))
    started = time.time()
    async with _Engine(policy, html_hosts=hosts) as engine:
        state = _Crawl(engine, hosts, cache, _Counter(progress), max_pages)
        await state.run(starts)
    return CrawlReport(
        results=state.results,
        referrers=state.referrers,
        pages=state.pages,
        truncated=state.truncated,
        started_at=started,
        finished_at=time.time(),
    )


def crawl(
    start_urls: Iterable[str],
    policy: LinkPolicy = LinkPolicy(),
    *,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    max_pages: int = 20_000,
) -> CrawlReport:
    """`crawl_async` for synchronous callers (commands, tasks); not from a running event loop."""
    return asyncio.run(crawl_async(start_urls, policy, cache=cache, progress=progress, max_pages=max_pages))
