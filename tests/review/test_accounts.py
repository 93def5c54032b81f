"""Issue 3 point 8 (accounts): login lockout through the real Wagtail admin login form, strong
passwords, and the admin idle timeout — every failure and lock on record (Art. 14)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from govsite.review import audit, lockout
from govsite.review.middleware import LAST_ACTIVITY_KEY
from govsite.review.models import LoginLock
from govsite.review.passwords import StrongPasswordValidator
from tests.review.support import PASSWORD, make_user, records

pytestmark = pytest.mark.django_db

LOCKED_WORDS = "登录失败次数过多"


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = audit._now()

        @classmethod
        def advance(cls, **delta):
            cls.now += datetime.timedelta(**delta)

    monkeypatch.setattr(audit, "_now", lambda: Clock.now)
    return Clock


def attempt(client, username: str, password: str, ip: str = "10.20.30.40"):
    return client.post(
        reverse("wagtailadmin_login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def logged_in(response) -> bool:
    return response.status_code == 302


# --- lockout --------------------------------------------------------------------------------------


def test_point8_five_failures_lock_the_account_even_for_the_right_password(client, clock):
    make_user("rudong_editor")
    for _ in range(4):
        response = attempt(client, "rudong_editor", "Wrong-Password-1")
        assert not logged_in(response)
        assert LOCKED_WORDS not in response.content.decode()
    fifth = attempt(client, "rudong_editor", "Wrong-Password-1")
    assert LOCKED_WORDS in fifth.content.decode()
    assert "15 分钟" in fifth.content.decode()

    refused = attempt(client, "rudong_editor", PASSWORD)
    assert not logged_in(refused)
    assert LOCKED_WORDS in refused.content.decode()
    assert fifth.context["form"].errors.as_data()["__all__"][0].code == "login_locked"


def test_point8_lock_ends_after_fifteen_minutes(client, clock):
    make_user("rudong_editor")
    for _ in range(5):
        attempt(client, "rudong_editor", "Wrong-Password-1")
    clock.advance(minutes=14)
    assert not logged_in(attempt(client, "rudong_editor", PASSWORD))
    clock.advance(minutes=1, seconds=1)
    assert logged_in(attempt(client, "rudong_editor", PASSWORD))


def test_point8_refusal_reads_the_same_whether_or_not_the_account_exists(client, clock):
    make_user("haimen_reviewer")
    for _ in range(5):
        existing = attempt(client, "haimen_reviewer", "Wrong-Password-1", ip="10.0.0.1")
        missing = attempt(client, "no_such_person", "Wrong-Password-1", ip="10.0.0.2")
    assert existing.status_code == missing.status_code == 200
    existing_errors = existing.context["form"].non_field_errors()
    missing_errors = missing.context["form"].non_field_errors()
    assert existing_errors == missing_errors
    assert LOCKED_WORDS in existing_errors[0]


def test_point8_failures_from_one_address_lock_that_address(client, clock):
    for number in range(5):
        attempt(client, f"guess{number}", "Wrong-Password-1", ip="203.0.113.9")
    make_user("tongzhou_editor")
    refused = attempt(client, "tongzhou_editor", PASSWORD, ip="203.0.113.9")
    assert LOCKED_WORDS in refused.content.decode()
    assert logged_in(attempt(client, "tongzhou_editor", PASSWORD, ip="203.0.113.10"))


def test_point8_lockout_ignores_the_case_of_the_user_name(client, clock):
    make_user("jyj_editor")
    for name in ("jyj_editor", "JYJ_editor", "Jyj_Editor", "jyj_EDITOR", "JYJ_EDITOR"):
        attempt(client, name, "Wrong-Password-1", ip=f"10.9.9.{len(name)}")
    assert LoginLock.objects.filter(kind="username", value="jyj_editor").exists()


def test_point8_a_successful_login_forgets_the_earlier_failures(client, clock):
    make_user("fgw_editor")
    for _ in range(4):
        attempt(client, "fgw_editor", "Wrong-Password-1", ip="10.1.1.1")
    assert logged_in(attempt(client, "fgw_editor", PASSWORD, ip="10.1.1.2"))
    client.logout()
    for _ in range(4):
        attempt(client, "fgw_editor", "Wrong-Password-1", ip="10.1.1.3")
    assert logged_in(attempt(client, "fgw_editor", PASSWORD, ip="10.1.1.4"))


def test_point8_failures_and_lockouts_are_on_the_audit_trail(client, clock):
    make_user("rsj_editor")
    for _ in range(6):
        attempt(client, "rsj_editor", "Wrong-Password-1", ip="10.5.5.5")
    failed = records("auth.login_failed")
    assert [entry.detail["reason"] for entry in failed] == ["invalid_credentials"] * 5 + ["locked"]
    assert all(entry.ip_address == "10.5.5.5" and entry.object_repr == "rsj_editor" for entry in failed)
    locks = records("auth.lockout")
    assert {entry.detail["lock_kind"] for entry in locks} == {"username", "ip"}
    assert all(entry.detail["failures"] == 5 for entry in locks)
    assert audit.verify_chain().ok


def test_point8_the_backend_refuses_a_locked_login_outside_the_admin_form(clock):
    from django.contrib.auth import authenticate

    make_user("api_user")
    LoginLock.objects.create(
        kind="username",
        value="api_user",
        locked_at=clock.now,
        locked_until=clock.now + datetime.timedelta(minutes=15),
    )
    assert authenticate(username="api_user", password=PASSWORD) is None
    assert records("auth.login_failed")[-1].detail["reason"] == "locked"


def test_point8_login_unlock_lifts_a_lock_and_is_recorded(client, clock, capsys):
    make_user("nantong_editor")
    for _ in range(5):
        attempt(client, "nantong_editor", "Wrong-Password-1", ip="10.7.7.7")
    call_command("login_unlock", "nantong_editor")
    call_command("login_unlock", "10.7.7.7")
    assert "已解除" in capsys.readouterr().out
    assert logged_in(attempt(client, "nantong_editor", PASSWORD, ip="10.7.7.7"))
    assert [entry.detail["value"] for entry in records("auth.unlock")] == ["nantong_editor", "10.7.7.7"]


def test_point8_limits_come_from_settings(client, clock, settings):
    settings.GOVSITE_LOGIN_MAX_FAILURES = 3
    settings.GOVSITE_LOGIN_IP_MAX_FAILURES = 0  # off
    settings.GOVSITE_LOGIN_LOCK_SECONDS = 120
    make_user("chongchuan_editor")
    for _ in range(3):
        response = attempt(client, "chongchuan_editor", "Wrong-Password-1")
    assert "2 分钟" in response.content.decode()
    assert not LoginLock.objects.filter(kind="ip").exists()
    assert lockout.lock_duration() == datetime.timedelta(minutes=2)


# --- strong passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Short-1a", {"password_too_short"}),
        ("alllowercaseletters", {"password_too_simple"}),
        ("lowercase-and-symbols", {"password_too_simple"}),
        ("chongchuan-Editor-2026", {"password_contains_username"}),
        ("short", {"password_too_short", "password_too_simple"}),
    ],
)
def test_point8_weak_passwords_are_refused_with_every_reason_at_once(password, codes, django_user_model):
    user = django_user_model(username="chongchuan-editor")
    with pytest.raises(ValidationError) as refused:
        StrongPasswordValidator().validate(password, user)
    assert {error.code for error in refused.value.error_list} == codes
    assert all("密码" in message for message in refused.value.messages)


@pytest.mark.parametrize(
    "password", ["Nantong-Review-2026!", "nantong-review-2026", "南通政务Review2026", "Gov Site 2026 ok"]
)
def test_point8_strong_passwords_pass(password, django_user_model):
    StrongPasswordValidator().validate(password, django_user_model(username="editor"))


def test_point8_the_platform_validates_passwords_with_the_strong_rule(django_user_model):
    with pytest.raises(ValidationError) as refused:
        validate_password("abcdefghijkl", django_user_model(username="someone"))
    assert "password_too_simple" in {error.code for error in refused.value.error_list}
    validate_password("Nantong-Review-2026!", django_user_model(username="someone"))


# --- idle timeout ---------------------------------------------------------------------------------


def test_point8_thirty_idle_minutes_log_the_user_out_of_the_admin(client, clock):
    user = make_user(superuser=True)
    assert logged_in(attempt(client, user.username, PASSWORD))
    assert client.get(reverse("wagtailadmin_home")).status_code == 200

    clock.advance(minutes=29)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200  # activity: the clock restarts
    clock.advance(minutes=31)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
    assert client.get(reverse("wagtailadmin_home")).status_code == 302  # really logged out
    logout = records("auth.logout")[-1]
    assert (logout.actor, logout.detail["reason"]) == (user, "idle")


def test_point8_idle_timeout_can_be_switched_off(client, clock, settings):
    settings.GOVSITE_ADMIN_IDLE_SECONDS = 0
    user = make_user(superuser=True)
    client.force_login(user)
    session = client.session
    session[LAST_ACTIVITY_KEY] = clock.now.timestamp() - 7200
    session.save()
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
