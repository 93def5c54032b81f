"""Issue 3 point 8: a platform administrator resets a lost second factor; the old one stops working
everywhere at once, and the reset is on the audit trail (Art. 14)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from govsite.accounts import services
from govsite.accounts.checks import second_factor_wiring
from govsite.accounts.models import SecondFactor
from tests.accounts.support import (
    DEMO_SECRET,
    admin_home,
    enroll_through_setup_page,
    login,
    make_user,
    records,
    reviewer,
    setup_url,
    submit_code,
    verified_force_login,
)

pytestmark = pytest.mark.django_db


def test_point8_reset_command_removes_the_factor_and_is_recorded(clock, capsys):
    user = reviewer()
    services.enroll_with_secret(user, DEMO_SECRET)
    call_command("reset_second_factor", "chongchuan_reviewer", "--reason", "手机丢失")
    assert "已重置 chongchuan_reviewer 的二次验证" in capsys.readouterr().out
    assert not SecondFactor.objects.filter(user=user).exists()
    entry = records("auth.2fa_reset")[-1]
    assert entry.object_repr == "chongchuan_reviewer"
    assert entry.detail["had_second_factor"] is True and entry.detail["reason"] == "手机丢失"
    assert entry.detail["via"].startswith("manage.py reset_second_factor")


def test_point8_reset_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="不存在"):
        call_command("reset_second_factor", "nobody")


def test_point8_after_a_reset_the_user_sets_up_again_at_the_next_login(client, clock):
    services.enroll_with_secret(reviewer(), DEMO_SECRET)
    call_command("reset_second_factor", "chongchuan_reviewer")
    login(client, "chongchuan_reviewer")
    assert admin_home(client)["Location"].startswith(setup_url())


def test_point8_a_reset_ends_sessions_verified_with_the_old_factor(client, clock):
    user = reviewer()
    services.enroll_with_secret(user, DEMO_SECRET)
    login(client, "chongchuan_reviewer")
    submit_code(client, services.current_code(DEMO_SECRET))
    assert admin_home(client).status_code == 200

    services.reset_second_factor(user, via="test")
    # Not even the set-up page: whoever holds this session must sign in with the password again.
    response = client.get(setup_url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("wagtailadmin_login"))
    assert admin_home(client)["Location"].startswith(reverse("wagtailadmin_login"))
    assert records("auth.logout")[-1].detail["reason"] == "second_factor_reset"


def test_point8_a_reset_lifts_a_lock(client, clock):
    user = reviewer()
    services.enroll_with_secret(user, DEMO_SECRET)
    login(client, user.username)
    for _ in range(5):
        submit_code(client, "000000" if services.current_code(DEMO_SECRET) != "000000" else "111111")
    services.reset_second_factor(user)
    enroll_through_setup_page(client)
    assert admin_home(client).status_code == 200


def test_point8_a_superuser_resets_another_user_in_the_admin(client, clock):
    operator = make_user("platform_admin", superuser=True)
    target = reviewer()
    services.enroll_with_secret(target, DEMO_SECRET)
    verified_force_login(client, operator)

    listing = client.get(reverse("wagtailusers_users:index")).content.decode()
    reset_url = reverse("accounts_2fa_reset", args=[target.pk])
    assert reset_url in listing and "重置二次验证" in listing

    page = client.get(reset_url)
    assert page.status_code == 200 and "chongchuan_reviewer" in page.content.decode()
    response = client.post(reset_url, {"reason": "更换手机"})
    assert response.status_code == 302
    assert not services.has_second_factor(target)
    entry = records("auth.2fa_reset")[-1]
    assert entry.actor == operator and entry.detail["via"] == "admin" and entry.detail["reason"] == "更换手机"


def test_point8_the_reset_page_is_for_superusers_only_and_not_for_oneself(client, clock):
    leader = make_user("dsj_leader", role="分管领导")
    target = reviewer()
    services.enroll_with_secret(target, DEMO_SECRET)
    verified_force_login(client, leader)
    refused = client.post(reverse("accounts_2fa_reset", args=[target.pk]))
    assert refused.status_code == 302 and refused["Location"] == reverse("wagtailadmin_home")  # Wagtail's 403
    assert services.has_second_factor(target)

    operator = make_user("platform_admin", superuser=True)
    own = Client()
    verified_force_login(own, operator)
    own.post(reverse("accounts_2fa_reset", args=[operator.pk]))
    assert services.has_second_factor(operator)
    assert (
        reverse("accounts_2fa_reset", args=[operator.pk])
        not in own.get(reverse("wagtailusers_users:index")).content.decode()
    )


def test_point8_the_reset_page_itself_needs_a_verified_session(client, clock):
    operator = make_user("platform_admin", superuser=True)
    services.enroll_with_secret(operator, DEMO_SECRET)
    target = reviewer()
    services.enroll_with_secret(target, DEMO_SECRET)
    login(client, "platform_admin")  # password only
    response = client.post(reverse("accounts_2fa_reset", args=[target.pk]))
    assert response.status_code == 302 and services.has_second_factor(target)


# --- configuration checks ----------------------------------------------------------------------------


def test_point8_check_warns_when_the_gate_is_off_in_production(settings):
    settings.DEBUG = False
    settings.GOVSITE_2FA_ENFORCED = False
    assert [problem.id for problem in second_factor_wiring()] == ["accounts.W001"]
    settings.GOVSITE_2FA_ENFORCED = True
    assert second_factor_wiring() == []


def test_point8_check_refuses_a_missing_or_misplaced_middleware(settings):
    path = "govsite.accounts.middleware.SecondFactorMiddleware"
    settings.MIDDLEWARE = [item for item in settings.MIDDLEWARE if item != path]
    assert [problem.id for problem in second_factor_wiring()] == ["accounts.E001"]
    settings.MIDDLEWARE = [path, *settings.MIDDLEWARE]
    assert {problem.id for problem in second_factor_wiring()} == {"accounts.E002"}
