"""Long-running commands (serve, workers) stop between two units of work, never in the middle."""

from __future__ import annotations

import signal


class StopRequest:
    """SIGTERM and SIGINT set `requested`; the command's loop reads it and finishes what it is doing."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self._request)
        signal.signal(signal.SIGINT, self._request)

    def _request(self, signum, frame) -> None:
        self.requested = True
