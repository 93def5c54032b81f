"""Helpers of the second-factor tests: role groups named as the platform names them, users, the real
admin login form, and the set-up and verify pages driven the way a person uses them."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from govsite.accounts import services
from govsite.review.models import AuditRecord
from tests import factories

PASSWORD = "Nantong-Review-2026!"
DEMO_SECRET = "NANTONGGOVSITEDEMOTOTPSECRET2345"  # base32, 160 bits: what the demo may print


def role_group(role: str, site_name: str | None = None) -> Group:
    """`<site name>-<role>` with admin access, as `review.provision_site` names the per-site groups."""
    group, _ = Group.objects.get_or_create(
        name=f"{site_name or f'测试{factories.next_number()}区人民政府'}-{role}"
    )
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    return group


def make_user(username: str | None = None, *, role: str | None = None, superuser: bool = False, groups=()):
    User = get_user_model()
    username = username or f"user{factories.next_number()}"
    if superuser:
        user = User.objects.create_superuser(username, f"{username}@example.gov.cn", PASSWORD)
    else:
        user = User.objects.create_user(username, f"{username}@example.gov.cn", PASSWORD)
    if role:
        user.groups.add(role_group(role))
    for group in groups:
        user.groups.add(group)
    return user


def editor(username: str = "chongchuan_editor"):
    return make_user(username, role="录入员")


def reviewer(username: str = "chongchuan_reviewer"):
    return make_user(username, role="审核负责人")


def login(client, username: str, password: str = PASSWORD):
    """Sign in through the real Wagtail admin login form; returns its response (302 when accepted)."""
    response = client.post(reverse("wagtailadmin_login"), {"username": username, "password": password})
    assert response.status_code == 302, "the password login itself should succeed"
    return response


def admin_home(client):
    return client.get(reverse("wagtailadmin_home"))


def setup_url() -> str:
    return reverse("accounts_2fa_setup")


def verify_url() -> str:
    return reverse("accounts_2fa_verify")


def secret_from_setup_page(client) -> str:
    """Open the set-up page and read the secret as a person would type it into an app."""
    response = client.get(setup_url())
    assert response.status_code == 200
    text = response.content.decode()
    match = re.search(r'<p class="accounts-secret" id="secret">([A-Z2-7 ]+)</p>', text)
    assert match, "the set-up page shows the secret"
    return match.group(1).replace(" ", "")


def enroll_through_setup_page(client) -> tuple[str, list[str]]:
    """Scan (read) the secret, type the current code: returns the secret and the recovery codes shown."""
    secret = secret_from_setup_page(client)
    response = client.post(setup_url(), {"code": services.current_code(secret), "next": "/admin/"})
    assert response.status_code == 200, response
    codes = response.context["codes"]
    return secret, codes


def submit_code(client, code: str = "", *, recovery_code: str = "", next_url: str = "/admin/"):
    return client.post(verify_url(), {"code": code, "recovery_code": recovery_code, "next": next_url})


def refusal_codes(response) -> set[str]:
    """The codes of every error the verify or set-up form shows."""
    form = response.context["form"]
    return {error.code for errors in form.errors.as_data().values() for error in errors}


def actions(prefix: str = "auth.2fa") -> list[str]:
    return list(
        AuditRecord.objects.filter(action__startswith=prefix)
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def records(action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action).order_by("sequence"))


def verified_force_login(client, user, secret: str = DEMO_SECRET) -> None:
    """A `force_login` whose session has also passed the second factor: enrols `user` with `secret`
    when they have no factor yet, logs in, and marks the session as the verify page would."""
    if not services.has_second_factor(user):
        services.enroll_with_secret(user, secret)
    client.force_login(user)
    factor = services.confirmed_factor(user)
    session = client.session
    session[services.SESSION_KEY] = {"user": str(user.pk), "factor": str(factor.uuid), "at": 0}
    session.save()
