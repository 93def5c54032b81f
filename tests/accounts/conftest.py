"""Fixtures of the second-factor tests (issue 3 point 8): the gate is on, and a clock tests can move.

The clock is the audit trail's (`govsite.review.audit._now`), which `govsite.accounts.services`
reads too, so TOTP steps, locks and audit records all follow it. It starts 5 seconds into a
30-second step, so a test never straddles a step boundary by accident.
"""

from __future__ import annotations

import datetime

import pytest

from govsite.accounts import totp
from govsite.review import audit


@pytest.fixture(autouse=True)
def _second_factor_enforced(settings):
    settings.GOVSITE_2FA_ENFORCED = True


@pytest.fixture
def clock(monkeypatch):
    real = audit._now()
    start = totp.time_step(real) * totp.STEP_SECONDS + 5

    class Clock:
        now = datetime.datetime.fromtimestamp(start, tz=datetime.UTC)

        @classmethod
        def advance(cls, **delta):
            cls.now += datetime.timedelta(**delta)

        @classmethod
        def next_step(cls, steps: int = 1):
            cls.advance(seconds=totp.STEP_SECONDS * steps)

    monkeypatch.setattr(audit, "_now", lambda: Clock.now)
    return Clock
