"""A lean HTTP/1.1 client for the load: one keep-alive connection per citizen, its own cookies.

The clients run on the machine they measure, so what they spend is taken from the server: httpx
costs about 7 ms of CPU per request here (measured: 14 ms per letter of GET + POST), as much as the
application itself. This client writes the request and reads the answer on asyncio streams
(Content-Length or chunked bodies), keeps the cookies the server sets (name=value, path ignored:
every path the benchmark asks for is under the cookies' paths), and reconnects when the server
closed the connection. Nothing else: no redirects, no TLS, no compression.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode


class HTTPError(Exception):
    """The request got no answer: connection refused or reset, a truncated answer, a timeout."""


@dataclass
class Response:
    status_code: int
    headers: dict[str, str]  # lower-case names; the last value of a repeated header
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


@dataclass
class Client:
    host: str  # 127.0.0.1
    port: int
    host_header: str  # which site answers
    timeout: float = 30.0
    user_agent: str = "govsite-bench-cases"
    cookies: dict[str, str] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, headers)

    async def post(
        self,
        path: str,
        data: dict[str, str],
        headers: dict[str, str] | None = None,
        *,
        multipart: bool = False,
    ) -> Response:
        """url-encoded, or multipart/form-data as a browser sends a form with a file input left empty."""
        if multipart:
            body, content_type = multipart_body(data)
        else:
            body, content_type = urlencode(data).encode(), "application/x-www-form-urlencoded"
        return await self.request("POST", path, {"Content-Type": content_type} | (headers or {}), body)

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        """One exchange on the kept connection; a connection the server closed in between is reopened once."""
        for attempt in (1, 2):
            reused = self._writer is not None
            try:
                return await asyncio.wait_for(self._exchange(method, path, headers or {}, body), self.timeout)
            except TimeoutError as error:
                await self.close()
                raise HTTPError("Timeout") from error
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                await self.close()
                if not (reused and attempt == 1):  # a stale keep-alive connection: try a new one once
                    name = "ConnectError" if isinstance(error, ConnectionRefusedError) else "ReadError"
                    raise HTTPError(name) from error
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host_header}",
            f"User-Agent: {self.user_agent}",
            "Accept: text/html",
            f"Content-Length: {len(body)}",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await self._writer.drain()
        return await self._read_response(path)

    async def _read_response(self, path: str) -> Response:
        assert self._reader is not None
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = value
            if name == "set-cookie":
                self._keep_cookie(value)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._read_chunked()
        else:
            content = await self._reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, headers, content, path)

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    def _keep_cookie(self, value: str) -> None:
        pair, *attributes = value.split(";")
        name, _, cookie = pair.strip().partition("=")
        expired = any(attribute.strip().lower() in ("max-age=0", "max-age=-1") for attribute in attributes)
        if expired or not cookie:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = cookie.strip('"')

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def multipart_body(data: dict[str, str], file_field: str = "attachments") -> tuple[bytes, str]:
    """The fields and an empty file part (`filename=""`), the way Chromium posts such a form."""
    boundary = "----WebKitFormBoundary" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in data.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"
