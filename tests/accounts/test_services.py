"""Issue 3 point 8 (Art. 14–15): who needs a second factor, and how secrets and codes are kept."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from govsite.accounts import encryption, services, totp
from govsite.accounts.models import RecoveryCode, SecondFactor
from govsite.review import audit
from tests.accounts.support import DEMO_SECRET, make_user, records, role_group

pytestmark = pytest.mark.django_db


# --- who must use it -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "required"),
    [("录入员", False), ("审核负责人", True), ("分管领导", True), ("主要领导", True)],
)
def test_point8_art15_reviewers_and_leaders_need_a_second_factor_editors_do_not(role, required):
    assert services.requires_second_factor(make_user(role=role)) is required


def test_point8_superusers_need_a_second_factor():
    assert services.requires_second_factor(make_user(superuser=True))


def test_point8_a_user_with_a_role_group_among_others_needs_it():
    user = make_user(
        groups=[Group.objects.create(name="信息公开工作组"), role_group("分管领导", "南通市人民政府办公室")]
    )
    assert services.requires_second_factor(user)


def test_point8_group_names_are_compared_after_nfkc_and_trimming():
    fullwidth = Group.objects.create(name="海门区人民政府－审核负责人 ")  # full-width hyphen, trailing space
    assert services.requires_second_factor(make_user(groups=[fullwidth]))


def test_point8_only_the_end_of_the_group_name_counts():
    assert not services.requires_second_factor(
        make_user(groups=[Group.objects.create(name="审核负责人培训班")])
    )


def test_point8_required_group_suffixes_come_from_settings(settings):
    settings.GOVSITE_2FA_REQUIRED_GROUP_SUFFIXES = ["-审核负责人", "-网站管理员"]
    assert services.requires_second_factor(make_user(role="网站管理员"))
    assert not services.requires_second_factor(make_user(role="分管领导"))
    assert services.requires_second_factor(make_user(superuser=True))


def test_point8_anonymous_and_inactive_users_need_nothing(django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not services.requires_second_factor(AnonymousUser())
    assert not services.requires_second_factor(None)
    inactive = make_user(role="主要领导")
    inactive.is_active = False
    assert not services.requires_second_factor(inactive)


# --- secrets at rest ---------------------------------------------------------------------------------


def _column(sql_column: str, table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql_column} FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_point8_the_totp_secret_is_encrypted_at_rest():
    user = make_user(role="审核负责人")
    services.enroll_with_secret(user, DEMO_SECRET)
    factor = services.confirmed_factor(user)
    stored = _column("encrypted_secret", SecondFactor._meta.db_table, factor.pk)
    assert DEMO_SECRET not in stored and DEMO_SECRET.lower() not in stored.lower()
    assert encryption.decrypt(stored) == DEMO_SECRET


def test_point8_secrets_still_read_after_a_secret_key_rotation_with_fallbacks(settings):
    token = encryption.encrypt(DEMO_SECRET)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-" + "x" * 20
    with pytest.raises(encryption.SecretUnreadable):
        encryption.decrypt(token)
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert encryption.decrypt(token) == DEMO_SECRET
    assert encryption.needs_rotation(token)


def test_point8_a_verification_reencrypts_a_secret_written_under_an_old_key(settings, clock):
    user = make_user(role="审核负责人")
    services.enroll_with_secret(user, DEMO_SECRET)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-" + "y" * 20
    services.verify_code(user, services.current_code(DEMO_SECRET))
    factor = services.confirmed_factor(user)
    assert not encryption.needs_rotation(factor.encrypted_secret)
    settings.SECRET_KEY_FALLBACKS = []
    assert encryption.decrypt(factor.encrypted_secret) == DEMO_SECRET


def test_point8_an_unreadable_secret_is_refused_with_a_chinese_message_and_recorded(settings, clock):
    user = make_user(role="审核负责人")
    services.enroll_with_secret(user, DEMO_SECRET)
    settings.SECRET_KEY = "someone-replaced-the-key-without-a-fallback-" + "z" * 20
    with pytest.raises(services.SecondFactorRefusal) as refused:
        services.verify_code(user, services.current_code(DEMO_SECRET))
    assert refused.value.code == "secret_unreadable"
    assert "平台管理员重置" in refused.value.messages[0]
    assert records("auth.2fa_failed")[-1].detail == {"reason": "secret_unreadable", "stage": "verify"}


# --- recovery codes ----------------------------------------------------------------------------------


def test_point8_ten_recovery_codes_are_stored_only_as_salted_hashes():
    user = make_user(role="分管领导")
    codes = services.enroll_with_secret(user, DEMO_SECRET)
    assert len(codes) == len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(factor__user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and len(set(stored)) == 10
    for code in codes:
        assert all(code not in digest and code.replace("-", "") not in digest for digest in stored)
        assert sum(services.recovery_code_matches(digest, code) for digest in stored) == 1
    assert all(digest.startswith("sha256$") for digest in stored)


def test_point8_recovery_codes_are_typed_forgivingly():
    code = services.new_recovery_code()
    digest = services.hash_recovery_code(code)
    assert services.recovery_code_matches(digest, code.upper().replace("-", " "))
    fullwidth = code.upper().translate({ord(c): ord(c) + 0xFEE0 for c in "ABCDEFGHJKMNPQRSTUVWXYZ23456789"})
    assert services.recovery_code_matches(digest, fullwidth)  # typed with a Chinese input method
    assert not services.recovery_code_matches(digest, services.new_recovery_code())


def test_point8_recovery_codes_carry_about_79_bits():
    code = services.new_recovery_code()
    assert len(code.replace("-", "")) == 16 and set(code.replace("-", "")) <= set(services.RECOVERY_ALPHABET)
    assert len(services.RECOVERY_ALPHABET) ** 16 > 2**79


# --- the demo and test helpers ---------------------------------------------------------------------


def test_point8_enroll_with_secret_gives_a_known_secret_for_the_demo(clock):
    user = make_user("dsj_principal", role="主要领导")
    codes = services.enroll_with_secret(user, DEMO_SECRET.lower())
    assert len(codes) == 10
    verification = services.verify_code(user, services.current_code(DEMO_SECRET))
    assert verification.method == "totp" and verification.recovery_codes_left == 10
    enrolled = records("auth.2fa_enrolled")[-1]
    assert (enrolled.object_repr, enrolled.detail["method"]) == ("dsj_principal", "preset_secret")


def test_point8_enroll_with_secret_replaces_an_earlier_factor():
    user = make_user(role="主要领导")
    services.enroll_with_secret(user, DEMO_SECRET)
    first = services.confirmed_factor(user).uuid
    services.enroll_with_secret(user, totp.new_secret())
    assert services.confirmed_factor(user).uuid != first
    assert SecondFactor.objects.filter(user=user).count() == 1
    assert RecoveryCode.objects.filter(factor__user=user).count() == 10


def test_point8_current_code_is_what_the_app_shows(clock):
    assert services.current_code(DEMO_SECRET) == totp.code_at(DEMO_SECRET, clock.now)


def test_point8_every_second_factor_event_keeps_the_audit_chain_valid(clock):
    user = make_user(role="审核负责人")
    codes = services.enroll_with_secret(user, DEMO_SECRET)
    with pytest.raises(services.SecondFactorRefusal):
        services.verify_code(user, "000000" if services.current_code(DEMO_SECRET) != "000000" else "111111")
    services.verify_code(user, codes[0])
    services.reset_second_factor(user, via="test")
    assert audit.verify_chain().ok


def test_point8_art15_the_role_groups_the_platform_provisions_follow_the_rule():
    """The per-site groups `review.provision_site` creates are the ones the rule names."""
    from govsite.review import services as review
    from tests import factories

    groups = review.provision_site(factories.county_portal())
    required = {
        role: services.requires_second_factor(make_user(groups=[group])) for role, group in groups.items()
    }
    assert required == {"editor": False, "reviewer": True, "leader": True, "principal": True}


def test_point8_art14_the_audit_view_names_second_factor_actions_in_chinese():
    assert audit.action_label("auth.2fa_failed") == "二次验证失败"
    assert audit.action_label("auth.2fa_reset") == "重置二次验证"
