"""Rate limits per client address for public POSTs (issue 6 part 7), shared by every server process.

Django's cache is local to one process here, so the counters live in the intake spool
(`govsite/cases/spool.py`, a SQLite file every server process of the machine shares, the front
included): one row per scope and address, updated by one `INSERT ... ON CONFLICT DO UPDATE ...
RETURNING` statement — a fixed window that starts again when the period has passed. The front's
fast intake counts in the same rows, so a limit holds whichever process answers.

The rate is `GOVSITE_FORM_RATE` (settings or environment): "<count>/<period>", the period one of
s, m, h, d or a number of seconds with one of them ("5/m", "300/s", "20/10m"). "0" or "off"
switches limits off (only for a benchmark on a loopback address; it says so in its results).
"""

from __future__ import annotations

import os
import random
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

DEFAULT_RATE = "5/m"
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE_PATTERN = re.compile(r"^\s*(\d{1,7})\s*/\s*(\d{0,6})\s*([smhd])\s*$")
MAX_KEY_LENGTH = 150
CLEANUP_CHANCE = 0.002  # about one request in 500 removes counters idle for a day
IDLE_SECONDS = 86400


@dataclass(frozen=True)
class Rate:
    count: int  # 0: no limit
    period: int  # seconds

    @property
    def unlimited(self) -> bool:
        return self.count <= 0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    limit: int
    period: int
    retry_after: int  # seconds until the window starts again

    @property
    def message(self) -> str:
        """What the citizen reads when refused (status 429)."""
        return (
            f"您提交得太频繁了：同一网络地址每{period_text(self.period)}最多提交 {self.limit} 次。"
            f"请在 {self.retry_after} 秒后再试。"
        )


def period_text(seconds: int) -> str:
    """60 -> "分钟", 600 -> "10分钟", 1 -> "秒"."""
    for unit, name in ((86400, "天"), (3600, "小时"), (60, "分钟"), (1, "秒")):
        if seconds % unit == 0:
            amount = seconds // unit
            return f"{amount if amount > 1 else ''}{name}"
    return f"{seconds}秒"


def parse_rate(text: str) -> Rate:
    """ "5/m" -> Rate(5, 60); "20/10m" -> Rate(20, 600); "0" / "off" -> no limit. ValueError otherwise."""
    value = (text or "").strip().lower()
    if value in {"0", "off", "none"}:
        return Rate(0, 1)
    match = RATE_PATTERN.match(value)
    if not match:
        raise ValueError(f"GOVSITE_FORM_RATE: cannot read {text!r}, expected e.g. '5/m'")
    count, multiple, unit = match.groups()
    return Rate(int(count), int(multiple or 1) * PERIOD_SECONDS[unit])


def configured_rate() -> Rate:
    """The rate from settings.GOVSITE_FORM_RATE, else the environment, else 5 a minute."""
    text = getattr(settings, "GOVSITE_FORM_RATE", None) or os.environ.get("GOVSITE_FORM_RATE") or DEFAULT_RATE
    return parse_rate(str(text))


def hit(scope: str, address: str, rate: Rate | None = None, *, now: float | None = None) -> Decision:
    """Count one request of `address` in `scope` and say whether it is within the rate.

    Refused requests count too, so that a client that keeps trying stays refused until the window
    ends. One statement, committed at once (never inside the caller's transaction).
    """
    rate = rate or configured_rate()
    if rate.unlimited:
        return Decision(True, 0, 0, rate.period, 0)
    moment = time.time() if now is None else now
    window = int(moment // rate.period * rate.period)
    key = f"{scope}:{address or '-'}"[:MAX_KEY_LENGTH]
    count = current_spool().count_hit(key, window)  # committed by itself, outside any transaction
    if random.random() < CLEANUP_CHANCE:  # housekeeping, not security
        forget_idle(moment)
    retry_after = max(1, window + rate.period - int(moment))
    return Decision(count <= rate.count, count, rate.count, rate.period, retry_after)


def forget_idle(now: float | None = None) -> int:
    """Remove counters whose window ended more than a day ago (and spent captchas past expiry)."""
    return current_spool().forget_expired(now)


def current_spool():
    """The intake spool of this installation (settings.GOVSITE_INTAKE_DB)."""
    from govsite.cases.spool import spool

    return spool(settings.GOVSITE_INTAKE_DB)


def check_request(request: HttpRequest, scope: str, rate: Rate | None = None) -> Decision:
    """Count this request against its client's address (the proxy's X-Forwarded-For behind the front)."""
    from govsite.review.audit import client_ip  # here: the front imports this module without Django set up

    return hit(scope, client_ip(request), rate)
