"""A static government site for the link-check benchmark, its nginx server block and its ground truth.

The site: a home page and column pages (HTML, about 60 links each) that link to one another as a
tree, so a crawler from the home page reaches all of them, and to attachments and images (small
files on disk; about 52 distinct ones per page). Planted among the links, at seeded-random pages:

    404   links to attachments that do not exist
    500   /err/N        (nginx `return 500`)
    301   /moved/N      -> an attachment that exists (not broken)
    301   /gone/N       -> an attachment that does not exist (broken: the redirect ends in 404)
    301   /chain/N      -> /chain/N/2 -> /chain/N/3 -> an attachment (a 3-hop chain, not broken)
    loop  /loop/a       -> /loop/b -> /loop/a (broken)
    slow  /slow/N.html  pages served at 16 KB/s (`limit_rate`): a few seconds each, under the timeout
    external  http://localhost:PORT/ext/...  another host name (same nginx): checked, never followed;
              a few of them missing (broken)

The ground truth (which URLs are broken) comes from the plan, not from any checker.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

PAGES = 400
ATTACHMENTS_PER_PAGE = 52
MISSING = 190
SERVER_ERRORS = 10
MOVED = 200
GONE = 6
CHAINS = 4
EXTERNAL_OK = 100
EXTERNAL_MISSING = 10
SLOW_PAGES = 5
SLOW_PAGE_BYTES = 32 * 1024  # at SLOW_RATE: about 2 seconds a page
SLOW_RATE = "16k"
EXTENSIONS = ("pdf", "docx", "xlsx", "jpg", "png")
NAV = ("/about.html", "/contact.html", "/static/site.css", "/static/site.js", "/static/logo.png")
INTERNAL_HOST = "127.0.0.1"
EXTERNAL_HOST = "localhost"


@dataclass
class SitePlan:
    root: Path
    port: int
    page_paths: list[str] = field(default_factory=list)
    links: dict[str, list[str]] = field(default_factory=dict)  # page path -> link targets (paths or URLs)
    broken: set[str] = field(default_factory=set)  # absolute URLs that must be reported
    redirects: int = 0
    slow: int = 0

    @property
    def origin(self) -> str:
        return f"http://{INTERNAL_HOST}:{self.port}"

    @property
    def external_origin(self) -> str:
        return f"http://{EXTERNAL_HOST}:{self.port}"

    def absolute(self, target: str) -> str:
        return target if target.startswith("http") else self.origin + target

    def distinct_urls(self) -> set[str]:
        urls = {self.absolute(path) for path in self.page_paths}
        for targets in self.links.values():
            urls.update(self.absolute(target) for target in targets)
        return urls


def page_path(index: int) -> str:
    return "/" if index == 0 else f"/col/{index:04d}.html"


def _file_path(page: int, number: int) -> str:
    return f"/files/{page:04d}/{number:03d}.{EXTENSIONS[number % len(EXTENSIONS)]}"


def _write(root: Path, path: str, data: bytes) -> None:
    target = root / (path.lstrip("/") or "index.html")
    if path.endswith("/"):
        target = root / path.lstrip("/") / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _attachment_bytes(number: int) -> bytes:
    return (b"%PDF-1.4 govsite bench attachment\n" + b"0123456789abcdef" * 64)[: 600 + (number % 7) * 200]


def _tree_links(index: int) -> list[str]:
    """Home, parent, children and next page: every page is reachable from the home page."""
    links = [page_path(0)]
    for other in (index // 2, index * 2, index * 2 + 1, index + 1):
        if 0 < other < PAGES and other != index:
            links.append(page_path(other))
    return links


def _planted(plan: SitePlan) -> list[tuple[str, bool]]:
    """(target, broken) for every planted link."""
    ext = plan.external_origin
    planted: list[tuple[str, bool]] = []
    planted += [(f"/files/missing/{n:04d}.pdf", True) for n in range(MISSING)]
    planted += [(f"/err/{n}", True) for n in range(SERVER_ERRORS)]
    planted += [(f"/moved/{n}", False) for n in range(MOVED)]
    planted += [(f"/gone/{n}", True) for n in range(GONE)]
    planted += [(f"/chain/{n}", False) for n in range(CHAINS)]
    planted += [("/loop/a", True)]
    planted += [(f"{ext}/ext/{n:04d}.html", False) for n in range(EXTERNAL_OK)]
    planted += [(f"{ext}/ext/missing-{n:02d}.html", True) for n in range(EXTERNAL_MISSING)]
    planted += [(f"/slow/{n}.html", False) for n in range(SLOW_PAGES)]
    return planted


def _page_html(title: str, links: list[str]) -> bytes:
    items = "\n".join(
        f'      <li><a href="{target}">关于做好第{number}项工作的通知（附件）</a><span>2025-11-{number % 28 + 1:02d}</span></li>'
        if not target.endswith((".jpg", ".png"))
        else f'      <li><img src="{target}" alt="图片{number}"></li>'
        for number, target in enumerate(links)
    )
    head = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<title>{title}</title><link rel="stylesheet" href="/static/site.css">'
        '<script src="/static/site.js"></script></head>\n<body>\n'
        '  <header><img src="/static/logo.png" alt="南通市人民政府"><nav><a href="/">首页</a> '
        '<a href="/about.html">走进南通</a> <a href="/contact.html">联系我们</a> '
        '<a href="#main">跳到正文</a></nav></header>\n'
    )
    return (
        head + f'  <main id="main"><h1>{title}</h1>\n    <ul>\n{items}\n    </ul></main>\n</body></html>\n'
    ).encode()


def generate(root: Path, port: int, seed: int = 23) -> SitePlan:
    """Write the site under `root` and return its plan (links per page and the broken set)."""
    rng = random.Random(seed)
    plan = SitePlan(root=root, port=port)
    plan.page_paths = [page_path(index) for index in range(PAGES)]
    for index, path in enumerate(plan.page_paths):
        files = [_file_path(index, number) for number in range(ATTACHMENTS_PER_PAGE)]
        plan.links[path] = [*_tree_links(index), *files]
        for number, file_path in enumerate(files):
            _write(root, file_path, _attachment_bytes(number))
    for target, broken in _planted(plan):
        page = plan.page_paths[rng.randrange(PAGES)]
        plan.links[page].insert(rng.randrange(len(plan.links[page]) + 1), target)
        if broken:
            plan.broken.add(plan.absolute(target))
    for index, path in enumerate(plan.page_paths):
        _write(root, path, _page_html(f"栏目 {index}", plan.links[path]))
    _write_support_files(root)
    plan.redirects = MOVED + GONE + CHAINS + 1
    plan.slow = SLOW_PAGES
    return plan


def _write_support_files(root: Path) -> None:
    for path in ("/about.html", "/contact.html"):
        _write(root, path, _page_html("走进南通", []))
    _write(root, "/static/site.css", b"body { font-family: sans-serif; }\n")
    _write(root, "/static/site.js", b"document.documentElement.classList.add('js');\n")
    _write(root, "/static/logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 200)
    for number in range(MOVED):
        _write(root, f"/files/moved/{number}.pdf", _attachment_bytes(number))
    for number in range(CHAINS):
        _write(root, f"/files/chained/{number}.pdf", _attachment_bytes(number))
    for number in range(EXTERNAL_OK):
        _write(
            root,
            f"/ext/{number:04d}.html",
            b'<html><body><a href="/ext/not-followed.html">x</a></body></html>',
        )
    padding = "<!-- " + "慢" * (SLOW_PAGE_BYTES // 3) + " -->"
    for number in range(SLOW_PAGES):
        _write(
            root, f"/slow/{number}.html", f'<html><body>{padding}<a href="/">首页</a></body></html>'.encode()
        )


def nginx_server(plan: SitePlan) -> str:
    """The server block: static files, the planted errors and redirects, and the LinkChecker header.

    LinkChecker lifts its per-host rate limit (`maxrequestspersecond` above 10) only for a server
    that answers with a `LinkChecker` header; this one sends it on every response.
    """
    return f"""    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;

    server {{
        listen 127.0.0.1:{plan.port};
        server_name {INTERNAL_HOST} {EXTERNAL_HOST};
        root {plan.root};
        index index.html;
        add_header LinkChecker 1 always;

        location ^~ /err/ {{ return 500; }}
        location ~ ^/moved/(\\d+)$ {{ return 301 /files/moved/$1.pdf; }}
        location ~ ^/gone/(\\d+)$ {{ return 301 /files/gone/$1.pdf; }}
        location ~ ^/chain/(\\d+)$ {{ return 302 /chain/$1/2; }}
        location ~ ^/chain/(\\d+)/2$ {{ return 302 /chain/$1/3; }}
        location ~ ^/chain/(\\d+)/3$ {{ return 301 /files/chained/$1.pdf; }}
        location = /loop/a {{ return 301 /loop/b; }}
        location = /loop/b {{ return 301 /loop/a; }}
        location ^~ /slow/ {{ limit_rate {SLOW_RATE}; }}
    }}"""
