"""The front server (Granian RSGI, `govsite.publishing.front`) run as a real process on 127.0.0.1,
with a real upstream HTTP server standing in for the application."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import httpx
import pytest

GRANIAN = str(Path(sys.executable).parent / "granian")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Upstream(BaseHTTPRequestHandler):
    """The application: answers every request with what it received."""

    seen: list[dict] = []

    def do_GET(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.__class__.seen.append({"path": self.path, "headers": headers})
        body = "应用页面".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "a=1")
        self.send_header("Set-Cookie", "b=2")
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args) -> None:
        return None


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("publish")
    site = root / "chongchuan.localhost"
    (site / "news/item").mkdir(parents=True)
    (site / "index.html").write_text("<h1>崇川区首页</h1>", encoding="utf-8")
    (site / "news/item/index.html").write_text("<h1>稿件</h1>", encoding="utf-8")
    (site / "news/item/index.html.br").write_bytes(brotli.compress("<h1>稿件</h1>".encode()))
    (site / "moved").mkdir()
    (site / "moved/.redirect").write_text("/news/item/")
    closed = root / "closed.localhost"
    closed.mkdir()
    (closed / ".site-redirect").write_text(
        json.dumps(
            {"archive": "http://nantong.localhost/archive/closed/", "successor": "http://nantong.localhost"}
        )
    )
    return root


def serve_in_thread(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """A real HTTP server on a free 127.0.0.1 port for the duration of a fixture."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def upstream():
    yield from serve_in_thread(Upstream)


@pytest.fixture(scope="module")
def front(tree, upstream) -> str:
    port = free_port()
    env = {
        **os.environ,
        "GOVSITE_PUBLISH_ROOT": str(tree),
        "GOVSITE_APP_UPSTREAM": f"http://127.0.0.1:{upstream.server_address[1]}",
        "GOVSITE_STATIC_ROOT": str(tree / "static-files"),
    }
    command = [GRANIAN, "--interface", "rsgi", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([*command, "govsite.publishing.front:app"], env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/", headers={"Host": "chongchuan.localhost"}, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def get(front: str, path: str, host: str = "chongchuan.localhost", **headers) -> httpx.Response:
    return httpx.get(front + path, headers={"Host": host, **headers}, follow_redirects=False, timeout=10)


def test_published_page_is_served_by_host_with_strict_headers(front):
    response = get(front, "/news/item/")
    assert response.status_code == 200
    assert response.text == "<h1>稿件</h1>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_brotli_copy_is_served_to_clients_that_accept_it(front):
    response = get(front, "/news/item/", **{"Accept-Encoding": "br"})
    assert response.headers["content-encoding"] == "br"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == "<h1>稿件</h1>"  # httpx decoded the brotli body


def test_a_new_publish_is_served_within_a_moment(front, tree):
    """The front re-checks a file at most every 0.1 s; the new bytes must show up, never a mix."""
    page = tree / "chongchuan.localhost/index.html"
    assert "崇川区首页" in get(front, "/").text
    replacement = page.with_name(".tmp-index")
    replacement.write_text("<h1>更新后的首页</h1>", encoding="utf-8")
    os.replace(replacement, page)
    seen = set()
    for _ in range(40):
        seen.add(get(front, "/").text)
        if "<h1>更新后的首页</h1>" in seen:
            break
        time.sleep(0.05)
    assert "<h1>更新后的首页</h1>" in seen
    assert seen <= {"<h1>崇川区首页</h1>", "<h1>更新后的首页</h1>"}


def test_unpublished_paths_and_queries_go_to_the_application(front):
    Upstream.seen.clear()
    response = get(front, "/search/?q=社保")
    assert response.status_code == 200 and response.text == "应用页面"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    [request] = Upstream.seen
    assert request["headers"]["host"] == "chongchuan.localhost"
    assert request["headers"]["x-forwarded-for"] == "127.0.0.1"


def test_one_visitors_cookies_never_reach_another_visitors_request(front):
    """The proxy is shared: a session cookie the application sets for one visitor must not be
    sent on with the next visitor's request."""
    get(front, "/admin/login/")  # the application answers with Set-Cookie a=1, b=2
    Upstream.seen.clear()
    get(front, "/admin/")
    assert "cookie" not in Upstream.seen[0]["headers"]
    get(front, "/admin/", Cookie="sessionid=mine")
    assert Upstream.seen[1]["headers"]["cookie"] == "sessionid=mine"


def test_client_cannot_forge_its_forwarded_address(front):
    Upstream.seen.clear()
    get(front, "/hudong/", **{"X-Forwarded-For": "10.9.9.9"})
    assert Upstream.seen[0]["headers"]["x-forwarded-for"] == "127.0.0.1"


@pytest.mark.parametrize("path", ["/moved/.redirect", "/%2e%2e/%2e%2e/etc/passwd", "/news/../../x"])
def test_markers_and_paths_outside_the_root_are_never_read_from_disk(front, path):
    Upstream.seen.clear()
    response = get(front, path)
    assert response.text == "应用页面"  # handed to the application, which answers 404 for it


def test_moved_page_answers_301_to_its_new_address(front):
    response = get(front, "/moved/")
    assert response.status_code == 301
    assert response.headers["location"] == "/news/item/"


def test_closed_site_redirects_pages_to_the_archive_and_platform_paths_to_the_successor(front):
    page = get(front, "/zwgk/a/?x=1", host="closed.localhost")
    assert page.status_code == 301
    assert page.headers["location"] == "http://nantong.localhost/archive/closed/zwgk/a/?x=1"
    search = get(front, "/search/", host="closed.localhost")
    assert search.headers["location"] == "http://nantong.localhost/search/"


def test_art19_published_pages_stay_up_while_the_application_is_down(front, upstream):
    upstream.shutdown()
    upstream.server_close()
    assert get(front, "/news/item/").status_code == 200
    down = get(front, "/search/?q=x")
    assert down.status_code == 503
    assert "服务暂时不可用" in down.text
