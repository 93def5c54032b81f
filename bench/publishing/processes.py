"""The processes a benchmark starts: each in its own process group, logged to a file, always stopped.

with ProcessGroup(log_dir) as processes:
    app = processes.start("gunicorn", [...], env=env)
    app.wait_for_port(port)
# every process started is stopped here (SIGTERM to its group, SIGKILL after a grace period)
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

STOP_GRACE_SECONDS = 10.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_pair() -> int:
    """A port P with P+1 free too (for `manage.py serve`, which puts the app on P+1)."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports found")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class ProcessFailed(RuntimeError):
    """A process exited when it should have been serving, or a command failed."""


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_port(self, port: int, timeout: float = 60.0) -> None:
        """Wait until `port` accepts connections; fail early if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise ProcessFailed(f"{self.name} exited ({self.popen.returncode}):\n{self.log_tail()}")
            if port_open(port):
                return
            time.sleep(0.05)
        raise ProcessFailed(
            f"{self.name} did not listen on {port} within {timeout:.0f} s:\n{self.log_tail()}"
        )

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM to the whole process group, then SIGKILL if it has not exited after `grace`."""
        if self.running():
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop within {grace:.0f} s: killing it")
        _signal_group(self.pid, signal.SIGKILL)  # workers left behind by the leader, if any
        if self.popen.poll() is None:
            self.popen.wait(timeout=5)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


class ProcessGroup:
    """Starts processes (each the leader of a new session) and stops all of them on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[Process] = []

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop_all()

    def start(
        self, name: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None
    ) -> Process:
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "ab") as output:
            popen = subprocess.Popen(
                list(argv),
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log_path)
        self.processes.append(process)
        log(f"started {name} (pid {popen.pid}), log {log_path}")
        return process

    def stop(self, process: Process) -> None:
        process.stop()
        if process in self.processes:
            self.processes.remove(process)
        log(f"stopped {process.name}")

    def stop_all(self) -> None:
        for process in reversed(list(self.processes)):
            try:
                self.stop(process)
            except Exception as error:  # keep stopping the others
                log(f"could not stop {process.name}: {error}")


def run_command(
    name: str, argv: Sequence[str], *, env: Mapping[str, str], log_dir: Path, timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run a command to completion in its own process group (killed on timeout or interrupt);
    stdout is returned, stderr goes to the log file and is echoed on failure."""
    log_path = log_dir / f"{name}.log"
    with open(log_path, "ab") as errors:
        popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            start_new_session=True,
        )
        try:
            stdout, _ = popen.communicate(timeout=timeout)
        except BaseException:
            _signal_group(popen.pid, signal.SIGKILL)
            popen.wait()
            raise
    result = subprocess.CompletedProcess(popen.args, popen.returncode, stdout.decode(errors="replace"), "")
    if popen.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise ProcessFailed(f"{name} failed ({popen.returncode}):\n{tail}")
    return result
