"""Signal receivers that feed the audit trail (Art. 14: 信息审核过程必须全程留痕).

* Wagtail's own log (`PageLogEntry`, `ModelLogEntry`): every entry Wagtail writes — page create,
  edit, publish, unpublish, move, copy, delete, revert, lock, workflow start/approve/reject/cancel
  with the reviewer's comment — is mirrored as `page.<action>` / `object.<action>`, with the
  revision id, a fingerprint of that revision's content and, for edits, the fields that changed.
* Django auth: `auth.login`, `auth.logout`, `auth.login_failed` (the user name tried, never the
  password; counted by the lockout) and `auth.lockout`.
* Permission changes, as `auth.permission_change`: user ↔ group membership, group and user model
  permissions, Wagtail page and collection permissions of groups, and a user's superuser, staff or
  active flag.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import translation
from wagtail.models import GroupCollectionPermission, GroupPagePermission, ModelLogEntry, Page, PageLogEntry

from govsite.review import audit, lockout, revision_diff
from govsite.review.middleware import LAST_ACTIVITY_KEY

logger = logging.getLogger("govsite.review.audit")
User = get_user_model()
USER_FLAGS = ("is_superuser", "is_staff", "is_active")
DIFFED_ACTIONS = {"wagtail.edit", "wagtail.revert", "wagtail.publish", "wagtail.publish.scheduled"}


# --- Wagtail's log ------------------------------------------------------------------------------


def mirrored_action(wagtail_action: str, *, is_page: bool) -> str:
    """`wagtail.publish` on a page → `page.publish`; on another model → `object.publish`."""
    suffix = wagtail_action.removeprefix("wagtail.")
    return f"{'page' if is_page else 'object'}.{suffix}"


def _text(callable_value) -> str:
    try:
        with translation.override(settings.LANGUAGE_CODE):
            return str(callable_value() or "")
    except Exception:  # a formatter that cannot read its data must not stop the action being logged
        logger.warning("could not format a Wagtail log entry", exc_info=True)
        return ""


def _log_user(entry):
    if not entry.user_id:
        return None
    return User.objects.filter(pk=entry.user_id).first()


def _revision_detail(entry, detail: dict) -> None:
    if not entry.revision_id:
        return
    detail["revision_sha256"] = revision_diff.revision_sha256(entry.revision_id)
    if entry.action not in DIFFED_ACTIONS:
        return
    try:
        revision = entry.revision
        previous = revision_diff.previous_revision(revision)
        if previous is not None:
            detail["previous_revision_id"] = previous.pk
            detail["changed_fields"] = [
                change.label for change in revision_diff.page_revision_diff(previous, revision)
            ]
    except Exception:  # the diff is a convenience; the record itself must be written
        logger.warning("could not diff revision %s for the audit trail", entry.revision_id, exc_info=True)


def mirror_log_entry(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Art. 14: every action Wagtail logs also goes into the audit chain, in the same transaction."""
    if not created or raw:
        return
    is_page = isinstance(instance, PageLogEntry)
    content_type = (
        ContentType.objects.get_for_id(instance.content_type_id) if instance.content_type_id else None
    )
    detail = {
        "wagtail_action": instance.action,
        "wagtail_log_id": instance.pk,
        "revision_id": instance.revision_id,
        "uuid": str(instance.uuid) if instance.uuid else None,
        "content_changed": instance.content_changed,
        "deleted": instance.deleted,
        "message": _text(lambda: instance.message),
        "comment": _text(lambda: instance.comment),
        "data": instance.data or {},
    }
    site = None
    if is_page:
        object_id = instance.page_id
        page = Page.objects.filter(pk=instance.page_id).first()
        site = audit.site_for_page(page) if page is not None else None
        _revision_detail(instance, detail)
    else:
        object_id = instance.object_id
        if content_type is not None and (content_type.app_label, content_type.model) == (
            "govsites",
            "govsite",
        ):
            site = int(object_id) if str(object_id).isdigit() else None
        if instance.revision_id:
            detail["revision_sha256"] = revision_diff.revision_sha256(instance.revision_id)
    audit.record(
        mirrored_action(instance.action, is_page=is_page),
        actor=_log_user(instance),
        site=site,
        object_type=f"{content_type.app_label}.{content_type.model}" if content_type else "",
        object_id=object_id,
        object_repr=instance.label,
        detail=detail,
    )


post_save.connect(mirror_log_entry, sender=PageLogEntry, dispatch_uid="review_mirror_page_log")
post_save.connect(mirror_log_entry, sender=ModelLogEntry, dispatch_uid="review_mirror_model_log")


# --- logins ---------------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="review_audit_login")
def on_login(sender, request, user, **kwargs) -> None:
    lockout.clear_failures(user.get_username())
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = audit._now().timestamp()
    audit.record("auth.login", actor=user, request=request, obj=user)


@receiver(user_logged_out, dispatch_uid="review_audit_logout")
def on_logout(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    reason = getattr(request, "govsite_logout_reason", "user")
    audit.record("auth.logout", actor=user, request=request, obj=user, detail={"reason": reason})


@receiver(user_login_failed, dispatch_uid="review_audit_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """Only the user name is kept: Django has already masked secrets, and nothing else is read."""
    username = credentials.get(User.USERNAME_FIELD, credentials.get("username"))
    lockout.register_failure(username if isinstance(username, str) else None, request)


# --- permission changes -------------------------------------------------------------------------


def _sites_of_group(group: Group) -> list[int]:
    """The GovSites a group's page permissions reach (their home page or an ancestor of it)."""
    from govsite.sites.models import GovSite

    paths = set(GroupPagePermission.objects.filter(group=group).values_list("page__path", flat=True))
    return [
        pk
        for pk, root_path in GovSite.objects.values_list("pk", "site__root_page__path")
        if any(root_path.startswith(path) for path in paths)
    ]


def _one_site(sites: list[int]) -> int | None:
    return sites[0] if len(sites) == 1 else None


def _permission_names(pks) -> list[str]:
    return sorted(
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.filter(pk__in=pks).values_list(
            "content_type__app_label", "codename"
        )
    )


def _changed_pks(instance, action: str, pk_set, model) -> set | None:
    """pk_set for post_add/post_remove; for post_clear, what pre_clear saw; None for other steps."""
    stash = f"_review_cleared_{model._meta.label_lower}"
    if action == "pre_clear":
        return None
    if action == "post_clear":
        return set(instance.__dict__.pop(stash, ()))
    if action in ("post_add", "post_remove"):
        return set(pk_set or ())
    return None


OPERATIONS = {"post_add": "add", "post_remove": "remove", "post_clear": "clear"}


def _stash_before_clear(
    instance, action: str, reverse: bool, relation_name: str, reverse_name: str, model
) -> None:
    if action == "pre_clear":
        manager = getattr(instance, reverse_name if reverse else relation_name)
        instance.__dict__[f"_review_cleared_{model._meta.label_lower}"] = list(
            manager.values_list("pk", flat=True)
        )


def on_user_groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    _stash_before_clear(instance, action, reverse, "groups", "user_set", model)
    pks = _changed_pks(instance, action, pk_set, model)
    if not pks:
        return
    if reverse:  # group.user_set.add(...)
        pairs = [(user, instance) for user in User.objects.filter(pk__in=pks)]
    else:
        pairs = [(instance, group) for group in Group.objects.filter(pk__in=pks)]
    for user, group in pairs:
        audit.record(
            "auth.permission_change",
            obj=user,
            site=_one_site(_sites_of_group(group)),
            detail={
                "change": "user_groups",
                "operation": OPERATIONS[action],
                "group": group.name,
                "group_id": group.pk,
            },
        )


def on_group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    _stash_before_clear(instance, action, reverse, "permissions", "group_set", model)
    pks = _changed_pks(instance, action, pk_set, model)
    if not pks:
        return
    if reverse:  # permission.group_set.add(...)
        groups, permissions = list(Group.objects.filter(pk__in=pks)), _permission_names([instance.pk])
    else:
        groups, permissions = [instance], _permission_names(pks)
    for group in groups:
        audit.record(
            "auth.permission_change",
            obj=group,
            site=_one_site(_sites_of_group(group)),
            detail={
                "change": "group_permissions",
                "operation": OPERATIONS[action],
                "permissions": permissions,
            },
        )


def on_user_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    _stash_before_clear(instance, action, reverse, "user_permissions", "user_set", model)
    pks = _changed_pks(instance, action, pk_set, model)
    if not pks:
        return
    if reverse:
        users, permissions = list(User.objects.filter(pk__in=pks)), _permission_names([instance.pk])
    else:
        users, permissions = [instance], _permission_names(pks)
    for user in users:
        audit.record(
            "auth.permission_change",
            obj=user,
            detail={
                "change": "user_permissions",
                "operation": OPERATIONS[action],
                "permissions": permissions,
            },
        )


m2m_changed.connect(on_user_groups_changed, sender=User.groups.through, dispatch_uid="review_user_groups")
m2m_changed.connect(
    on_group_permissions_changed, sender=Group.permissions.through, dispatch_uid="review_group_perms"
)
m2m_changed.connect(
    on_user_permissions_changed, sender=User.user_permissions.through, dispatch_uid="review_user_perms"
)


@receiver(post_save, sender=GroupPagePermission, dispatch_uid="review_group_page_permission_saved")
@receiver(post_delete, sender=GroupPagePermission, dispatch_uid="review_group_page_permission_deleted")
def on_group_page_permission(
    sender, instance, raw: bool = False, created: bool | None = None, **kwargs
) -> None:
    if raw:
        return
    operation = "delete" if created is None else ("add" if created else "change")
    page = Page.objects.filter(pk=instance.page_id).first()
    group = Group.objects.filter(pk=instance.group_id).first()
    permission = _permission_names([instance.permission_id])
    audit.record(
        "auth.permission_change",
        obj=group,
        object_type="auth.group",
        object_id=instance.group_id,
        site=audit.site_for_page(page) if page is not None else None,
        detail={
            "change": "group_page_permission",
            "operation": operation,
            "page_id": instance.page_id,
            "page": page.title if page is not None else "",
            "permissions": permission,
        },
    )


@receiver(
    post_save, sender=GroupCollectionPermission, dispatch_uid="review_group_collection_permission_saved"
)
@receiver(
    post_delete, sender=GroupCollectionPermission, dispatch_uid="review_group_collection_permission_deleted"
)
def on_group_collection_permission(
    sender, instance, raw: bool = False, created: bool | None = None, **kwargs
):
    if raw:
        return
    operation = "delete" if created is None else ("add" if created else "change")
    group = Group.objects.filter(pk=instance.group_id).first()
    audit.record(
        "auth.permission_change",
        obj=group,
        object_type="auth.group",
        object_id=instance.group_id,
        detail={
            "change": "group_collection_permission",
            "operation": operation,
            "collection_id": instance.collection_id,
            "permissions": _permission_names([instance.permission_id]),
        },
    )


@receiver(pre_save, sender=User, dispatch_uid="review_user_flags_before")
def remember_user_flags(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(USER_FLAGS):
        return  # e.g. last_login on every login
    instance._review_flags_before = User.objects.filter(pk=instance.pk).values(*USER_FLAGS).first()


@receiver(post_save, sender=User, dispatch_uid="review_user_flags_after")
def record_user_flags(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A user made (or no longer) superuser, staff or active is a permission change too."""
    if raw:
        return
    before = instance.__dict__.pop("_review_flags_before", None)
    if created:
        changes = {flag: [None, True] for flag in ("is_superuser", "is_staff") if getattr(instance, flag)}
        operation = "create"
    elif before is not None:
        changes = {
            flag: [before[flag], getattr(instance, flag)]
            for flag in USER_FLAGS
            if before[flag] != getattr(instance, flag)
        }
        operation = "change"
    else:
        return
    if changes:
        audit.record(
            "auth.permission_change",
            obj=instance,
            detail={"change": "user_flags", "operation": operation, "flags": changes},
        )
