"""Helpers of the audit-trail and account tests: groups and users per site, raw SQL behind the
platform's back, and short chains appended through the service."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from wagtail.models import GroupPagePermission

from govsite.review import audit
from govsite.review.models import AuditRecord
from tests import factories

PASSWORD = "Nantong-Review-2026!"


def site_group(gov_site, *, name: str | None = None, audit_view: bool = True) -> Group:
    """A group with add/change/publish on `gov_site`'s home page, admin access and (optionally) the audit view."""
    group = Group.objects.create(name=name or f"{gov_site.name}-审核负责人-{factories.next_number()}")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    if audit_view:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="review", codename="view_auditrecord")
        )
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=group,
            page=gov_site.site.root_page,
            permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
        )
    return group


def make_user(username: str | None = None, *, groups=(), superuser: bool = False, password: str = PASSWORD):
    User = get_user_model()
    username = username or f"user{factories.next_number()}"
    if superuser:
        user = User.objects.create_superuser(username, f"{username}@example.gov.cn", password)
    else:
        user = User.objects.create_user(username, f"{username}@example.gov.cn", password)
    for group in groups:
        user.groups.add(group)
    return user


def records(action: str | None = None):
    queryset = AuditRecord.objects.order_by("sequence")
    return list(queryset.filter(action=action) if action else queryset)


def table() -> str:
    return connection.ops.quote_name(AuditRecord._meta.db_table)


def raw(sql: str, params=()) -> None:
    """Run SQL behind the platform's back (no model, no signal)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{table}", table()), params)


def chain_of(count: int, action: str = "test.event") -> list[AuditRecord]:
    """`count` fresh records appended through the service."""
    return [
        audit.record(action, object_repr=f"事项{number}", detail={"n": number}) for number in range(count)
    ]
