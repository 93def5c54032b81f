"""HTTP load with wrk from loopback, and what its `--latency` report says.

result = run_wrk("http://127.0.0.1:8000/tzgg/a1/", host="localhost")
result.requests_per_second, result.p99_ms
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field

WRK_THREADS = 2
WRK_CONNECTIONS = 32
WRK_SECONDS = 10
WARMUP_SECONDS = 2

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = re.compile(r"^([\d.]+)(us|ms|s|m|h)$")


class WrkOutputError(ValueError):
    """wrk printed something this parser does not understand."""


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    seconds: float
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    command: str = ""

    @property
    def clean(self) -> bool:
        """Every response was 2xx/3xx and no socket error happened: the figures mean something."""
        return self.non_2xx_3xx == 0 and not any(self.socket_errors.values())

    def as_dict(self) -> dict:
        data = asdict(self)
        data["clean"] = self.clean
        return data


def duration_ms(text: str) -> float:
    """wrk's `512.34us`, `1.20ms`, `2.00s` in milliseconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise WrkOutputError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> LoadResult:
    """The figures of one `wrk --latency` run."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in ([\d.]+\w+),", output, re.M)
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M))
    if not rate or not total or set(percentiles) != {"50", "75", "90", "99"}:
        raise WrkOutputError(f"unexpected wrk output:\n{output}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return LoadResult(
        requests_per_second=float(rate.group(1)),
        p50_ms=duration_ms(percentiles["50"]),
        p75_ms=duration_ms(percentiles["75"]),
        p90_ms=duration_ms(percentiles["90"]),
        p99_ms=duration_ms(percentiles["99"]),
        requests=int(total.group(1)),
        seconds=duration_ms(total.group(2)) / 1000,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=(
            dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True))
            if errors
            else {}
        ),
    )


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise FileNotFoundError("wrk is not installed (Debian: apt-get install wrk)")
    return path


def wrk_command(url: str, host: str, seconds: int) -> list[str]:
    return [
        wrk_path(),
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "5s",
        "-H",
        f"Host: {host}",
        url,
    ]


def run_wrk(url: str, host: str, *, seconds: int = WRK_SECONDS, warmup: int = WARMUP_SECONDS) -> LoadResult:
    """A short unrecorded warm-up, then the measured run."""
    if warmup:
        subprocess.run(wrk_command(url, host, warmup), capture_output=True, check=True, timeout=warmup + 30)
    command = wrk_command(url, host, seconds)
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    result = parse_wrk(done.stdout)
    return LoadResult(**{**asdict(result), "command": " ".join(command[1:])})
