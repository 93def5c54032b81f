"""Rate limits per client address (issue 6 part 7): configurable, shared through the database by
every server process, and cheap beside the submission they guard (helper C's benchmark posts
300 letters a second)."""

from __future__ import annotations

import pytest

from govsite import throttle

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("5/m", throttle.Rate(5, 60)),
        ("300/s", throttle.Rate(300, 1)),
        ("20/10m", throttle.Rate(20, 600)),
        (" 100 / h ", throttle.Rate(100, 3600)),
        ("1/d", throttle.Rate(1, 86400)),
        ("off", throttle.Rate(0, 1)),
    ],
)
def test_rate_setting_is_read(text, rate):
    assert throttle.parse_rate(text) == rate


@pytest.mark.parametrize("text", ["5", "five/m", "5/x", "-1/m", ""])
def test_unreadable_rate_is_refused(text):
    with pytest.raises(ValueError, match="GOVSITE_FORM_RATE"):
        throttle.parse_rate(text)


def test_rate_comes_from_settings_then_environment(settings, monkeypatch):
    settings.GOVSITE_FORM_RATE = None
    monkeypatch.setenv("GOVSITE_FORM_RATE", "7/h")
    assert throttle.configured_rate() == throttle.Rate(7, 3600)
    settings.GOVSITE_FORM_RATE = "9/m"
    assert throttle.configured_rate() == throttle.Rate(9, 60)
    monkeypatch.delenv("GOVSITE_FORM_RATE")
    settings.GOVSITE_FORM_RATE = None
    assert throttle.configured_rate() == throttle.Rate(5, 60)


def test_counts_per_scope_and_address_within_a_window():
    rate = throttle.Rate(2, 60)
    now = 1_800_000_000.0  # a multiple of 60
    decisions = [throttle.hit("letter", "10.0.0.1", rate, now=now + i) for i in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[2].retry_after == 58 and "每分钟最多提交 2 次" in decisions[2].message
    assert throttle.hit("letter", "10.0.0.2", rate, now=now).allowed
    assert throttle.hit("lookup", "10.0.0.1", rate, now=now).allowed
    assert throttle.hit("letter", "10.0.0.1", rate, now=now + 60).allowed  # a new window
    assert throttle.current_spool().rate_count("letter:10.0.0.1") == 1


def test_no_limit_when_switched_off():
    assert all(throttle.hit("letter", "10.0.0.1", throttle.Rate(0, 1)).allowed for _ in range(3))
    assert throttle.current_spool().connection().execute("SELECT COUNT(*) FROM rate").fetchone()[0] == 0


def test_idle_counters_are_forgotten():
    throttle.hit("letter", "10.0.0.1", throttle.Rate(5, 60), now=1_000_000.0)
    throttle.hit("letter", "10.0.0.2", throttle.Rate(5, 60), now=1_100_000.0)
    assert throttle.forget_idle(now=1_100_000.0) == 1
    keys = throttle.current_spool().connection().execute("SELECT key FROM rate").fetchall()
    assert keys == [("letter:10.0.0.2",)]
