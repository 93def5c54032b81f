"""The load: concurrent citizens writing letters, each in a loop of GET form → POST letter.

One asyncio task per client, each with its own http1.Client (its own cookies, one keep-alive
connection). A cycle: GET the form page (the CSRF cookie and the form's token), a captcha when the
target has one (issued in this process with the server's SECRET_KEY), POST the letter without
following redirects, then read the receipt number: the `X-Receipt-Number` header, else the number
on the page answered (the stock peer's landing page), else on the page the 303 points to. For every
10th accepted letter the client also follows the 303 to the receipt page, untimed, and checks that
it shows the same number. A cycle is accepted when a receipt number was read; anything else (a
refusal, a 503 from the front while the application restarts, a connection error, a timeout) is
counted by its kind and the client tries again after a short pause. Every receipt number read is
kept, to be looked up in the database at the end (lost = read by a client, not stored).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import http1

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RECEIPT_ON_PAGE = re.compile(r"data-receipt-number[^>]*>\s*([^<\s]+)\s*<")
RECEIPT_HEADER = "x-receipt-number"
REQUEST_TIMEOUT_S = 30.0
RECEIPT_PAGE_EVERY = (
    10  # the 1st, 11th, 21st … accepted letter: its client follows the 303 to the receipt page
)
STAGGER_S = 0.01
RETRY_PAUSE_S = 0.5  # after a failed cycle: a citizen does not hammer a page that answered 503
BODY_SENTENCES = [
    "我家住在崇川区某小区，小区门口的路灯已经坏了两个多月，晚上出行很不方便。",
    "多次向物业反映未果，希望有关部门尽快安排维修，并加强日常巡查。",
    "另外，附近公交站台的候车亭顶棚破损，下雨天无处避雨，恳请一并处理。",
    "感谢市长百忙之中阅读此信，期待早日得到答复。",
]

Captcha = Callable[[], tuple[str, str]]


@dataclass(frozen=True)
class Target:
    """Where the clients write: the form page's address and what the form needs."""

    name: str
    port: int  # the front's, on 127.0.0.1
    host: str  # the Host header: which site answers
    form_path: str
    captcha: Captcha | None = None  # (token, answer), computed in this process
    multipart: bool = False  # the form has a file input: a browser posts multipart/form-data


@dataclass
class Tally:
    """What the clients saw, from the start of the measured load."""

    started: float = 0.0
    accepted: int = 0
    attempts: int = 0
    outcomes: Counter = field(default_factory=Counter)  # "accepted", "POST 429", "GET 503", "ConnectError" …
    post_ms: list[float] = field(default_factory=list)  # accepted POSTs (receipt read included)
    cycle_ms: list[float] = field(default_factory=list)  # accepted cycles: GET + captcha + POST
    get_ms: list[float] = field(default_factory=list)  # GETs of accepted cycles
    accepted_at: list[float] = field(default_factory=list)  # seconds since start
    failed_at: list[float] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    refusal_samples: list[str] = field(default_factory=list)
    receipt_pages: Counter = field(default_factory=Counter)  # "same number", "other number", "GET 503" …

    def note_failure(self, kind: str, at: float, sample: str = "") -> None:
        self.outcomes[kind] += 1
        self.failed_at.append(at)
        if sample and len(self.refusal_samples) < 5:
            self.refusal_samples.append(f"{kind}: {sample[:300]}")


class Refused(Exception):
    """The server answered, but not with an accepted letter."""

    def __init__(self, kind: str, sample: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.sample = sample


def letter(client: int, sequence: int) -> dict[str, str]:
    body = "".join(BODY_SENTENCES[(client + index) % len(BODY_SENTENCES)] for index in range(6))
    return {
        "subject": f"关于小区路灯和公交候车亭维修的建议（{client}-{sequence}）",
        "body": f"{body}（编号 {client}-{sequence}）",
        "name": "张明",
        "phone": f"139{client:04d}{sequence % 10000:04d}",
        "email": f"citizen{client}@example.com",
    }


async def cycle(
    http: http1.Client, target: Target, client: int, sequence: int
) -> tuple[str, float, http1.Response]:
    """One letter: returns (receipt number, ms of the GET, the POST's answer); raises Refused or http1.HTTPError."""
    started = time.perf_counter()
    page = await http.get(target.form_path)
    if page.status_code != 200:
        raise Refused(f"GET {page.status_code}", page.text)
    match = CSRF_INPUT.search(page.text)
    if match is None:
        raise Refused("GET without CSRF token", page.text)
    get_ms = (time.perf_counter() - started) * 1000
    data = letter(client, sequence) | {"csrfmiddlewaretoken": match.group(1)}
    if target.captcha is not None:
        token, answer = target.captcha()
        data |= {"captcha_token": token, "captcha_answer": answer}
    origin = f"http://{target.host}"
    headers = {"Referer": f"{origin}{target.form_path}", "Origin": origin}
    response = await http.post(target.form_path, data, headers, multipart=target.multipart)
    receipt = await read_receipt(http, response)
    if receipt is None:
        raise Refused(f"POST {response.status_code}", response.text)
    return receipt, get_ms, response


async def check_receipt_page(
    http: http1.Client, response: http1.Response, receipt: str, tally: Tally
) -> None:
    """Follow a 303 to the receipt page (not timed) and see that it shows the same receipt number."""
    location = response.headers.get("location")
    if response.status_code not in (302, 303) or not location:
        return
    try:
        page = await http.get(location)
    except http1.HTTPError as error:
        tally.receipt_pages[str(error)] += 1
        return
    match = RECEIPT_ON_PAGE.search(page.text) if page.status_code == 200 else None
    if match is None:
        tally.receipt_pages[f"GET {page.status_code} without a receipt number"] += 1
    else:
        tally.receipt_pages["same number" if match.group(1) == receipt else "other number"] += 1


async def read_receipt(http: http1.Client, response: http1.Response) -> str | None:
    if response.headers.get(RECEIPT_HEADER):
        return response.headers[RECEIPT_HEADER].strip()
    if response.status_code == 200:
        match = RECEIPT_ON_PAGE.search(response.text)
        return match.group(1) if match else None
    if response.status_code in (302, 303) and response.headers.get("location"):
        page = await http.get(response.headers["location"])
        match = RECEIPT_ON_PAGE.search(page.text) if page.status_code == 200 else None
        return match.group(1) if match else None
    return None


async def client_loop(
    target: Target, client: int, until: float, tally: Tally, record: Callable[[], bool]
) -> None:
    """One citizen: cycles until `until` (monotonic); `record()` says whether the load is measured yet."""
    async with http1.Client(
        "127.0.0.1", target.port, target.host, REQUEST_TIMEOUT_S, f"govsite-bench-cases/{client}"
    ) as http:
        await asyncio.sleep(client * STAGGER_S)  # not all in step: the clients start spread over a second
        sequence = 0
        while time.monotonic() < until:
            sequence += 1
            started = time.perf_counter()
            measured = record()
            try:
                receipt, get_ms, response = await cycle(http, target, client, sequence)
            except Refused as refusal:
                if measured:
                    tally.attempts += 1
                    tally.note_failure(refusal.kind, time.monotonic() - tally.started, refusal.sample)
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            except http1.HTTPError as error:
                if measured:
                    tally.attempts += 1
                    tally.note_failure(str(error), time.monotonic() - tally.started)
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            done = time.perf_counter()
            if measured:
                tally.attempts += 1
                tally.accepted += 1
                tally.outcomes["accepted"] += 1
                tally.receipts.append(receipt)
                tally.cycle_ms.append((done - started) * 1000)
                tally.get_ms.append(get_ms)
                tally.post_ms.append((done - started) * 1000 - get_ms)
                tally.accepted_at.append(time.monotonic() - tally.started)
                if tally.accepted % RECEIPT_PAGE_EVERY == 1:
                    await check_receipt_page(http, response, receipt, tally)
            elif receipt:
                tally.receipts.append(receipt)  # warm-up letters are stored too: check them as well


async def run_load(
    target: Target,
    *,
    clients: int,
    warmup_s: float,
    duration_s: float,
    events: list[tuple[float, Callable[[], Awaitable[None]]]] = (),
) -> Tally:
    """`clients` citizens for warmup_s (not measured) then duration_s; each event (seconds after the
    measured start, coroutine function) runs during the load, e.g. a restart of the application."""
    tally = Tally()
    loop_started = time.monotonic()
    measure_from = loop_started + warmup_s
    until = measure_from + duration_s
    tally.started = measure_from

    def record() -> bool:
        return time.monotonic() >= measure_from

    async def at(offset: float, action: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(max(0.0, measure_from + offset - time.monotonic()))
        await action()

    tasks = [
        asyncio.create_task(client_loop(target, number, until, tally, record)) for number in range(clients)
    ]
    tasks += [asyncio.create_task(at(offset, action)) for offset, action in events]
    await asyncio.gather(*tasks)
    return tally
