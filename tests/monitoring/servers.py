"""Real HTTP(S) servers on 127.0.0.1 that misbehave on purpose, for the link checker's tests.

One threaded HTTP/1.1 server (keep-alive, one thread per connection) answers by path:

    /ok /missing /error                  200, 404, 500
    /slow                                answers after `slow_seconds`
    /reset                               reads the request, then resets the connection (RST)
    /chain/a -> /chain/b -> /chain/c     a redirect chain ending well
    /loop/a -> /loop/b -> /loop/a        a redirect loop
    /hops/N -> /hops/N+1 ...             redirects for ever (too many)
    /flaky/<key>                         503 the first time a key is asked, 200 afterwards
    /busy/<n>                            holds each request `busy_seconds`, counting those in flight
    /site/...                            a small site for crawling (home, pages, a moved page, a
                                         long page whose last link comes after 900 KB)

`serve_tls` puts the same handler behind TLS with a self-signed certificate made on the spot.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SITE_PAGES = {
    "/site/": """<html><head><link rel="stylesheet" href="/site/style.css"></head><body>
        <a href="/site/news">新闻</a> <a href="about">关于</a> <a href="/missing">坏链接</a>
        <a href="mailto:office@example.gov.cn">信箱</a> <a href="#top">顶部</a>
        <a href="{external}/ok">外部网站</a> <a href="/site/moved">旧地址</a></body></html>""",
    "/site/news": """<html><body><a href="/site/">首页</a> <a href="/site/news/1">通知</a>
        <img src="/site/logo.png"> <a href="{external}/missing">外部坏链接</a>
        <a href="{external}/not-followed">外部页面</a> <a href="/site/long">长页面</a></body></html>""",
    "/site/long": "<html><body>"
    + "<p>很长的正文。</p>" * 40_000
    + '<a href="/site/at-the-end">末尾</a></body></html>',
    "/site/news/1": """<html><body><a href="/error">附件</a> <a href="/site/news">返回</a></body></html>""",
    "/site/about": """<html><body><a href="/missing">坏链接</a></body></html>""",
    "/site/new-home": """<html><body><a href="/site/new-only">新页面</a></body></html>""",
    "/site/new-only": """<html><body>新</body></html>""",
}
EXTERNAL_PAGE = """<html><body><a href="/never-checked">外部网站的链接</a></body></html>"""


class MisbehavingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.slow_seconds = 3.0
        self.busy_seconds = 0.05
        self.external = ""  # origin of the "other" site the /site pages link to
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.flaky_seen: set[str] = set()
        self.paths: list[str] = []
        self.headers_seen: list[dict[str, str]] = []

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: MisbehavingServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.paths.append(path)
            self.server.headers_seen.append(dict(self.headers.items()))
        route = self._route(path)
        route()

    def _route(self, path: str):
        fixed = {
            "/ok": lambda: self._send(200, "好"),
            "/missing": lambda: self._send(404, "没有这个页面"),
            "/error": lambda: self._send(500, "服务器错误"),
            "/slow": self._slow,
            "/reset": self._reset,
            "/chain/a": lambda: self._redirect("/chain/b"),
            "/chain/b": lambda: self._redirect("c", status=302),
            "/chain/c": lambda: self._send(200, "终点"),
            "/loop/a": lambda: self._redirect("/loop/b"),
            "/loop/b": lambda: self._redirect("/loop/a"),
            "/site/moved": lambda: self._redirect("/site/new-home"),
            "/not-followed": lambda: self._send(200, EXTERNAL_PAGE, "text/html; charset=utf-8"),
        }
        if path in fixed:
            return fixed[path]
        if path in SITE_PAGES:
            body = SITE_PAGES[path].replace("{external}", self.server.external)
            return lambda: self._send(200, body, "text/html; charset=utf-8")
        if path.startswith("/site/"):
            return lambda: self._send(200, "文件", "application/octet-stream")
        if path.startswith("/hops/"):
            return lambda: self._redirect(f"/hops/{int(path.rsplit('/', 1)[1]) + 1}")
        if path.startswith("/flaky/"):
            return lambda: self._flaky(path)
        if path.startswith("/busy/"):
            return self._busy
        return lambda: self._send(404, "没有这个页面")

    def _send(self, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str, status: int = 301) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _slow(self) -> None:
        time.sleep(self.server.slow_seconds)
        self._send(200, "终于好了")

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _flaky(self, path: str) -> None:
        with self.server.lock:
            first = path not in self.server.flaky_seen
            self.server.flaky_seen.add(path)
        if first:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(200, "恢复了")

    def _busy(self) -> None:
        with self.server.lock:
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
        try:
            time.sleep(self.server.busy_seconds)
        finally:
            with self.server.lock:
                self.server.in_flight -= 1
        self._send(200, "忙完了")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that no one vouches for; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "self-signed.pem", folder / "self-signed.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class TLSServer(MisbehavingServer):
    """The same routes over HTTPS, with a self-signed certificate."""

    def __init__(self, cert_path: Path, key_path: Path) -> None:
        super().__init__()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.context = context

    def get_request(self) -> tuple[socket.socket, object]:
        raw, address = self.socket.accept()
        return self.context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: object, client_address: object) -> None:  # a refused handshake
        pass

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"
