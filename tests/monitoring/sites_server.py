"""A real HTTP server on 127.0.0.1 that plays several government sites by Host header, each with a
behaviour: answering well, failing with 500, answering too slowly, resetting the connection, or
answering without security headers, or serving a publish root's files."""

from __future__ import annotations

import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GOOD_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SitesServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.behaviour: dict[str, str] = {}
        self.slow_seconds = 3.0
        self.requests: list[tuple[str, str]] = []
        self.root: Path | None = None  # with behaviour "files": serve root/<host>/<path>

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: SitesServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        self.server.requests.append((host, self.path))
        behaviour = self.server.behaviour.get(host, "ok")
        if behaviour == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if behaviour == "files":
            self._send_file(host)
            return
        if behaviour == "slow":
            time.sleep(self.server.slow_seconds)
        status = 500 if behaviour == "error" else 200
        body = "<html><body><h1>首页</h1></body></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if behaviour != "bare":
            for name, value in GOOD_HEADERS.items():
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_file(self, host: str) -> None:
        relative = self.path.split("?")[0].lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        target = self.server.root / host / relative
        if ".." in relative or not target.is_file():
            self.send_error(404)
            return
        body = target.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start() -> SitesServer:
    server = SitesServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
