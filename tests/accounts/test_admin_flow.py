"""Issue 3 point 8 (Art. 14–15): the second factor in the Wagtail admin, through the real login form.

A reviewer, leader or administrator signs in with the password, is sent to set up an authenticator
app the first time and to type its code at every later login; editors are not asked. Wrong and
replayed codes are refused in Chinese, recovery codes work once, repeated failures lock, and all
of it is on the audit trail.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from govsite.accounts import services
from govsite.accounts.models import SecondFactor
from govsite.review import audit
from tests import factories
from tests.accounts.support import (
    DEMO_SECRET,
    actions,
    admin_home,
    editor,
    enroll_through_setup_page,
    login,
    make_user,
    records,
    refusal_codes,
    reviewer,
    secret_from_setup_page,
    setup_url,
    submit_code,
    verify_url,
)

pytestmark = pytest.mark.django_db


def wrong_code(secret: str) -> str:
    """A 6-digit code that is none of the three accepted now."""
    now = services._now()
    accepted = {
        services.current_code(secret, now + datetime.timedelta(seconds=delta)) for delta in (-30, 0, 30)
    }
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


# --- who is asked ------------------------------------------------------------------------------------


def test_point8_an_editor_logs_in_without_a_second_factor(client, clock):
    editor()
    login(client, "chongchuan_editor")
    assert admin_home(client).status_code == 200
    assert actions() == []


def test_point8_a_reviewer_is_sent_to_set_up_then_must_verify_at_the_next_login(client, clock):
    reviewer()
    login(client, "chongchuan_reviewer")
    page = reverse("wagtailadmin_account")
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"{setup_url()}?next=%2Fadmin%2Faccount%2F"

    secret, codes = enroll_through_setup_page(client)
    assert len(codes) == 10
    assert admin_home(client).status_code == 200  # verified by setting up

    client.post(reverse("wagtailadmin_logout"))
    login(client, "chongchuan_reviewer")
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"{verify_url()}?next=%2Fadmin%2Faccount%2F"
    assert client.get(setup_url()).status_code == 302  # no second set-up from a password-only session

    clock.next_step()
    response = submit_code(client, services.current_code(secret), next_url=page)
    assert response.status_code == 302 and response["Location"] == page
    assert client.get(page).status_code == 200


def test_point8_superusers_and_leaders_are_asked_too(clock):
    for user in (
        make_user("platform_admin", superuser=True),
        make_user("dsj_leader", role="分管领导"),
        make_user("dsj_principal", role="主要领导"),
    ):
        client = Client()
        login(client, user.username)
        assert admin_home(client)["Location"].startswith(setup_url())


def test_point8_an_editor_who_enrolled_by_choice_is_asked_as_well(client, clock):
    user = editor()
    services.enroll_with_secret(user, DEMO_SECRET)
    login(client, user.username)
    assert admin_home(client)["Location"].startswith(verify_url())


def test_point8_a_verified_session_is_not_asked_again(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    submit_code(client, services.current_code(DEMO_SECRET))
    for minutes in (0, 10, 20):
        clock.advance(minutes=minutes)
        for url in (
            reverse("wagtailadmin_home"),
            reverse("wagtailadmin_account"),
            reverse("wagtailadmin_reports:site_history"),
        ):
            assert client.get(url).status_code == 200, url
    assert client.get(verify_url())["Location"] == reverse("wagtailadmin_home")  # nothing left to verify
    assert actions("auth.2fa_verified") == ["auth.2fa_verified"]


def test_point8_each_password_login_needs_its_own_code_even_in_the_same_browser(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    submit_code(client, services.current_code(DEMO_SECRET))
    login(client, "chongchuan_reviewer")  # signs in again without signing out
    assert admin_home(client)["Location"].startswith(verify_url())


def test_point8_the_session_key_changes_when_the_second_factor_is_verified(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    before = client.cookies["sessionid"].value
    submit_code(client, services.current_code(DEMO_SECRET))
    after = client.cookies["sessionid"].value
    assert before != after
    stolen = Client()
    stolen.cookies["sessionid"] = before
    assert stolen.get(reverse("wagtailadmin_home")).status_code == 302  # the old key is worth nothing
    assert stolen.get(reverse("wagtailadmin_home"))["Location"].startswith(reverse("wagtailadmin_login"))


def test_point8_public_pages_are_not_affected(client, clock):
    portal = factories.county_portal()
    reviewer()
    login(client, "chongchuan_reviewer")
    response = client.get("/", HTTP_HOST=portal.site.hostname)
    assert response.status_code == 200
    assert client.get("/sitemap.xml", HTTP_HOST=portal.site.hostname).status_code == 200
    assert admin_home(client).status_code == 302  # while the admin still asks


def test_point8_the_login_layout_assets_stay_reachable(client, clock):
    reviewer()
    login(client, "chongchuan_reviewer")
    assert client.get(reverse("wagtailadmin_javascript_catalog")).status_code == 200
    assert client.get(reverse("wagtailadmin_sprite")).status_code == 200


def test_point8_the_gate_can_be_switched_off(client, clock, settings):
    settings.GOVSITE_2FA_ENFORCED = False
    reviewer()
    login(client, "chongchuan_reviewer")
    assert admin_home(client).status_code == 200


def test_point8_next_never_leads_off_the_platform(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    response = submit_code(
        client, services.current_code(DEMO_SECRET), next_url="https://evil.example.com/admin/"
    )
    assert response["Location"] == reverse("wagtailadmin_home")


# --- the pages --------------------------------------------------------------------------------------


def test_point8_setup_page_shows_secret_qr_code_and_an_accessible_code_field(client, clock):
    reviewer()
    login(client, "chongchuan_reviewer")
    response = client.get(setup_url())
    text = response.content.decode()
    assert '<img src="data:image/svg+xml' in text and 'alt="二维码' in text
    assert 'autocomplete="one-time-code"' in text and 'inputmode="numeric"' in text
    assert "<label" in text and "6 位动态验证码" in text
    secret = secret_from_setup_page(client)
    assert secret == secret_from_setup_page(client)  # a reload keeps the secret the app already has
    assert len(secret) == 32
    assert SecondFactor.objects.get(user__username="chongchuan_reviewer").confirmed_at is None


def test_point8_verify_page_offers_recovery_codes_and_a_way_out(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    text = client.get(verify_url()).content.decode()
    assert 'autocomplete="one-time-code"' in text and 'inputmode="numeric"' in text
    assert "使用恢复码" in text and 'name="recovery_code"' in text
    assert f'action="{reverse("wagtailadmin_logout")}"' in text


def test_point8_recovery_codes_are_shown_once(client, clock):
    reviewer()
    login(client, "chongchuan_reviewer")
    _, codes = enroll_through_setup_page(client)
    assert client.get(setup_url()).status_code == 302
    again = client.get(verify_url(), follow=True).content.decode()
    assert not any(code in again for code in codes)
    assert records("auth.2fa_enrolled")[-1].detail == {"method": "authenticator_app", "recovery_codes": 10}


# --- refusals ---------------------------------------------------------------------------------------


def test_point8_a_wrong_code_is_refused_with_a_chinese_message(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    response = submit_code(client, wrong_code(DEMO_SECRET))
    assert response.status_code == 200
    assert refusal_codes(response) == {"code_invalid"}
    assert "验证码不正确" in response.content.decode()
    assert admin_home(client).status_code == 302


def test_point8_a_wrong_code_at_set_up_is_refused_and_nothing_is_enabled(client, clock):
    reviewer()
    login(client, "chongchuan_reviewer")
    secret = secret_from_setup_page(client)
    response = client.post(setup_url(), {"code": wrong_code(secret)})
    assert refusal_codes(response) == {"code_invalid"}
    assert "扫描本页的二维码" in response.content.decode()
    assert not services.has_second_factor(get_user_model().objects.get(username="chongchuan_reviewer"))


def test_point8_an_empty_form_asks_for_a_code(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    response = submit_code(client, "")
    assert refusal_codes(response) == {"code_missing"}
    assert actions("auth.2fa_failed") == []  # nothing was tried


def test_point8_a_used_code_cannot_be_replayed_within_its_window(clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    code = services.current_code(DEMO_SECRET)
    first, second = Client(), Client()
    login(first, "chongchuan_reviewer")
    assert submit_code(first, code).status_code == 302

    login(second, "chongchuan_reviewer")  # e.g. someone who watched the code being typed
    clock.advance(seconds=20)  # the same code is still inside its ±1 step window
    response = submit_code(second, code)
    assert refusal_codes(response) == {"code_reused"}
    assert "已经使用过" in response.content.decode()
    assert records("auth.2fa_failed")[-1].detail == {"reason": "code_reused", "stage": "verify"}

    clock.next_step()
    assert submit_code(second, services.current_code(DEMO_SECRET)).status_code == 302


def test_point8_the_code_that_confirmed_set_up_cannot_be_used_again(clock):
    reviewer()
    first = Client()
    login(first, "chongchuan_reviewer")
    secret = secret_from_setup_page(first)
    code = services.current_code(secret)
    first.post(setup_url(), {"code": code})
    second = Client()
    login(second, "chongchuan_reviewer")
    assert refusal_codes(submit_code(second, code)) == {"code_reused"}


def test_point8_an_older_code_is_refused_once_a_newer_one_was_used(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    older = services.current_code(DEMO_SECRET)
    clock.next_step()
    login(client, "chongchuan_reviewer")
    submit_code(client, services.current_code(DEMO_SECRET))
    other = Client()
    login(other, "chongchuan_reviewer")
    assert refusal_codes(submit_code(other, older)) & {"code_reused", "code_invalid"}


def test_point8_a_code_from_the_previous_step_is_still_accepted(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    code = services.current_code(DEMO_SECRET)
    clock.next_step()  # the person typed slowly
    login(client, "chongchuan_reviewer")
    assert submit_code(client, code).status_code == 302


def test_point8_full_width_digits_from_a_chinese_input_method_are_accepted(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    code = services.current_code(DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    fullwidth = code[:3].translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"}) + " " + code[3:]
    assert submit_code(client, fullwidth).status_code == 302


# --- recovery codes ---------------------------------------------------------------------------------


def test_point8_a_recovery_code_works_once(clock):
    codes = services.enroll_with_secret(reviewer(), DEMO_SECRET)
    first, second = Client(), Client()
    login(first, "chongchuan_reviewer")
    response = submit_code(first, recovery_code=codes[3].upper())
    assert response.status_code == 302
    assert admin_home(first).status_code == 200
    messages = [str(message) for message in response.wsgi_request._messages]
    assert any("还剩 9 个" in message for message in messages)
    used = records("auth.2fa_recovery_used")[-1]
    assert used.detail == {"recovery_codes_left": 9}
    assert records("auth.2fa_verified")[-1].detail == {"method": "recovery_code"}

    login(second, "chongchuan_reviewer")
    refused = submit_code(second, recovery_code=codes[3])
    assert refusal_codes(refused) == {"recovery_code_used"}
    assert "只能使用一次" in refused.content.decode()
    assert admin_home(second).status_code == 302


def test_point8_a_made_up_recovery_code_is_refused(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    response = submit_code(client, recovery_code=services.new_recovery_code())
    assert refusal_codes(response) == {"code_invalid"}


# --- the lock ---------------------------------------------------------------------------------------


def test_point8_five_wrong_codes_lock_verification_for_fifteen_minutes(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    for _ in range(4):
        response = submit_code(client, wrong_code(DEMO_SECRET))
        assert refusal_codes(response) == {"code_invalid"}
    fifth = submit_code(client, wrong_code(DEMO_SECRET))
    assert refusal_codes(fifth) == {"locked"}
    assert "验证码错误次数过多" in fifth.content.decode() and "15 分钟" in fifth.content.decode()

    refused = submit_code(client, services.current_code(DEMO_SECRET))  # even the right code
    assert refusal_codes(refused) == {"locked"}
    assert admin_home(client).status_code == 302
    recovery_refused = submit_code(client, recovery_code="anything-at-all")
    assert refusal_codes(recovery_refused) == {"locked"}
    assert "验证码错误次数过多" in client.get(verify_url()).content.decode()  # the page says so at once

    clock.advance(minutes=14)
    assert refusal_codes(submit_code(client, services.current_code(DEMO_SECRET))) == {"locked"}
    clock.advance(minutes=1, seconds=1)
    assert submit_code(client, services.current_code(DEMO_SECRET)).status_code == 302


def test_point8_the_lock_holds_for_every_session_of_the_user(clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    attacker, owner = Client(), Client()
    login(attacker, "chongchuan_reviewer")
    for _ in range(5):
        submit_code(attacker, wrong_code(DEMO_SECRET))
    login(owner, "chongchuan_reviewer")
    assert refusal_codes(submit_code(owner, services.current_code(DEMO_SECRET))) == {"locked"}


def test_point8_wrong_codes_locks_and_refusals_are_on_the_audit_trail(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    for _ in range(6):
        submit_code(client, wrong_code(DEMO_SECRET), next_url="/admin/")
    failed = records("auth.2fa_failed")
    assert [entry.detail["reason"] for entry in failed] == ["code_invalid"] * 5 + ["locked"]
    assert all(
        entry.object_repr == "chongchuan_reviewer" and entry.actor.username == "chongchuan_reviewer"
        for entry in failed
    )
    assert all(entry.ip_address == "127.0.0.1" for entry in failed)
    lock = records("auth.2fa_lockout")
    assert len(lock) == 1 and lock[0].detail["failures"] == 5 and lock[0].detail["window_seconds"] == 900
    assert audit.verify_chain().ok


def test_point8_a_success_forgets_earlier_wrong_codes(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    for _ in range(4):
        submit_code(client, wrong_code(DEMO_SECRET))
    submit_code(client, services.current_code(DEMO_SECRET))
    other = Client()
    login(other, "chongchuan_reviewer")
    for _ in range(4):
        assert refusal_codes(submit_code(other, wrong_code(DEMO_SECRET))) == {"code_invalid"}


def test_point8_lock_limits_come_from_settings(client, clock, settings):
    settings.GOVSITE_2FA_MAX_FAILURES = 2
    settings.GOVSITE_2FA_LOCK_SECONDS = 120
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    submit_code(client, wrong_code(DEMO_SECRET))
    response = submit_code(client, wrong_code(DEMO_SECRET))
    assert refusal_codes(response) == {"locked"} and "2 分钟" in response.content.decode()


# --- the audit trail of a whole journey -------------------------------------------------------------


def test_point8_art14_enrolment_and_verification_are_recorded(client, clock):
    reviewer()
    login(client, "chongchuan_reviewer")
    secret, _ = enroll_through_setup_page(client)
    client.post(reverse("wagtailadmin_logout"))
    login(client, "chongchuan_reviewer")
    clock.next_step()
    submit_code(client, services.current_code(secret))
    assert actions() == ["auth.2fa_enrolled", "auth.2fa_verified"]
    enrolled, verified = records("auth.2fa_enrolled")[0], records("auth.2fa_verified")[0]
    for entry in (enrolled, verified):
        assert entry.actor.username == "chongchuan_reviewer"
        assert entry.object_type == "auth.user" and entry.object_repr == "chongchuan_reviewer"
    assert verified.detail == {"method": "totp"}
    assert not any(secret in str(entry.detail) for entry in records("auth.2fa_enrolled"))
    assert audit.verify_chain().ok
