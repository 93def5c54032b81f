"""Rules of the review chain (Art. 8, 14-17).

- Art. 15: every item passes 录入员 → 审核负责人 → 分管领导; a major item also the 主要领导.
- Art. 16: on the city portal some steps go to another unit (`ReviewRoute`).
- Art. 14: nothing unapproved goes public; one check, `assert_publishable`, guards every path
  (admin button, bulk action, schedule, copy, commands, direct calls) and the publisher.
- Separation of duties: nobody approves an item they edited or approved at an earlier step.
- Art. 8: a policy document's interpretation is due within 3 working days of its publication.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Revision,
    TaskState,
    Workflow,
    WorkflowPage,
    WorkflowState,
    WorkflowTask,
)

from govsite.content.models import ColumnPage, ContentPage, InterpretationPage, PolicyDocumentPage
from govsite.review import audit
from govsite.review.chain import ReviewRoute, Role, RoleApprovalTask, SiteRole
from govsite.sites.models import GovSite
from govsite.workdays import services as workdays

DEFAULT_WORKFLOW_NAME = "三级审核"
INTERPRETATION_WORKDAYS = 3
ROLE_PAGE_PERMISSIONS = {
    Role.EDITOR: ["add", "change"],
    Role.REVIEWER: ["add", "change", "publish"],
    Role.LEADER: ["change", "publish"],
    Role.PRINCIPAL: ["change", "publish"],
}


class PublicationRefused(PermissionDenied):
    """A revision that has not passed its whole review chain may not become public (Art. 14)."""


# --- who reviews what -----------------------------------------------------------------------------


def site_of(page: Page) -> GovSite | None:
    site = page.get_site()
    return GovSite.objects.filter(site=site).first() if site else None


def category_of(item: Page) -> str | None:
    parent = item.get_parent()
    column = parent.specific if parent else None
    return column.category_id if isinstance(column, ColumnPage) else None


def major_concerning_leaders(item: Page) -> bool:
    """Art. 16: a major item that concerns national, provincial or city leaders."""
    return bool(getattr(item, "is_major", False) and getattr(item, "concerns_leaders", False))


def approver_group(item: Page, role: str) -> Group | None:
    """Art. 15-16: the group that takes `role` for `item`: a matching route, else the site's own role."""
    gov_site = site_of(item)
    if gov_site is None:
        return None
    item = item.specific
    return routed_group(
        gov_site, role, category=category_of(item), concerns_leaders=major_concerning_leaders(item)
    )


def routed_group(
    gov_site: GovSite, role: str, *, category: str | None, concerns_leaders: bool
) -> Group | None:
    """Art. 15-16: on `gov_site`, the group that takes `role` for an item in a column of `category`.

    The first matching `ReviewRoute` (by priority) wins; without one, the site's own role group.
    """
    for route in ReviewRoute.objects.filter(site=gov_site, role=role).prefetch_related("categories"):
        codes = {c.code for c in route.categories.all()}
        if codes and category not in codes:
            continue
        if route.only_concerning_leaders and not concerns_leaders:
            continue
        return route.group
    site_role = SiteRole.objects.filter(site=gov_site, role=role).select_related("group").first()
    return site_role.group if site_role else None


def is_approver(item: Page, role: str, user: AbstractBaseUser) -> bool:
    group = approver_group(item, role)
    return bool(group and user.is_authenticated and user.groups.filter(pk=group.pk).exists())


def conflicted_users(item: Page, workflow_state: WorkflowState, *, step_id: int | None = None) -> set[int]:
    """Who may not approve step `step_id`: whoever edited the item under review, submitted it, or
    approved it at another step (a step asked again after an edit may be approved by the same person)."""
    revisions = Revision.objects.filter(
        base_content_type_id=workflow_state.base_content_type_id, object_id=str(item.pk)
    )
    submitted_at = workflow_state.created_at
    editors = set(revisions.filter(created_at__gte=submitted_at).values_list("user_id", flat=True))
    latest = revisions.order_by("-created_at", "-pk").values_list("user_id", flat=True).first()
    approvers = (
        workflow_state.task_states.filter(status=TaskState.STATUS_APPROVED)
        .exclude(task_id=step_id)
        .values_list("finished_by_id", flat=True)
    )
    return {pk for pk in (*editors, latest, workflow_state.requested_by_id, *approvers) if pk}


def action_refusal(item: Page, role: str, user: AbstractBaseUser, task_state: TaskState) -> str:
    """Why `user` may not act on this step, in Chinese; empty when they may."""
    if not is_approver(item, role, user):
        return f"您不是该信息的{Role(role).label}，不能审核。"
    if user.pk in conflicted_users(item, task_state.workflow_state, step_id=task_state.task_id):
        return "不能审核自己录入、修改或在前一环节已审核过的信息（审核分离）。"
    return ""


def may_act(item: Page, role: str, user: AbstractBaseUser) -> bool:
    workflow_state = item.current_workflow_state if hasattr(item, "current_workflow_state") else None
    task_state = workflow_state.current_task_state if workflow_state else None
    return bool(task_state) and not action_refusal(item, role, user, task_state)


# --- the one check before anything goes public ----------------------------------------------------


def revision_passed_review(page: Page, revision: Revision | None) -> bool:
    """True when every active step of an approved workflow was approved (or skipped) on `revision`."""
    if revision is None:
        return False
    return page.pk in revisions_passed_review({page.pk: revision.pk})


def revisions_passed_review(revisions: dict[int, int]) -> set[int]:
    """The pages (of `revisions`: page id → revision id) whose given revision passed every active
    step of an approved workflow; the one rule behind `revision_passed_review`, in three queries
    for any number of pages (the publisher checks whole batches with it)."""
    if not revisions:
        return set()
    page_type = ContentType.objects.get_for_model(Page)
    rows = WorkflowState.objects.filter(
        base_content_type=page_type,
        object_id__in=[str(page_id) for page_id in revisions],
        status=WorkflowState.STATUS_APPROVED,
    ).values_list("pk", "workflow_id", "object_id")
    states = {state_id: workflow_id for state_id, workflow_id, _ in rows}
    state_pages = {state_id: page_id for state_id, _, page_id in rows}
    required: dict[int, set[int]] = {}
    for workflow_id, task_id in WorkflowTask.objects.filter(
        workflow_id__in=set(states.values()), task__active=True
    ).values_list("workflow_id", "task_id"):
        required.setdefault(workflow_id, set()).add(task_id)
    passed: dict[int, set[int]] = {}
    for state_id, task_id, revision_id in TaskState.objects.filter(
        workflow_state_id__in=states,
        revision_id__in=set(revisions.values()),
        status__in=(TaskState.STATUS_APPROVED, TaskState.STATUS_SKIPPED),
    ).values_list("workflow_state_id", "task_id", "revision_id"):
        if revisions.get(int(state_pages[state_id])) == revision_id:
            passed.setdefault(state_id, set()).add(task_id)
    return {
        int(state_pages[state_id])
        for state_id, workflow_id in states.items()
        if required.get(workflow_id) and required[workflow_id] <= passed.get(state_id, set())
    }


def assert_publishable(page: Page, revision: Revision | None) -> None:
    """Art. 14 (未经审核的信息严禁上网发布): refuse unless `revision` passed its whole chain.

    Called before a content page goes live by any path, and again by the publisher before it writes.
    """
    if not revision_passed_review(page, revision):
        raise PublicationRefused(
            f"“{page.title}”的这一版本尚未通过三级审核，不能发布（第十四条、第十五条）。"
        )


def guard_publication(sender, instance: ContentPage, **kwargs) -> None:
    """pre_save guard: a content page that becomes live, or gets a new live revision, must pass."""
    if not instance.live:
        return
    stored = (
        ContentPage.objects.filter(pk=instance.pk).values("live", "live_revision_id").first()
        if instance.pk
        else None
    )
    if stored and stored["live"] and stored["live_revision_id"] == instance.live_revision_id:
        return
    assert_publishable(instance, instance.live_revision)


def publish_approved(workflow_state: WorkflowState, user: AbstractBaseUser | None = None) -> None:
    """WAGTAIL_FINISH_WORKFLOW_ACTION: publish the approved revision; the chain is the permission.

    Art. 8: interpretations submitted together with this document are approved with it, on record,
    and published with it.
    """
    revision = workflow_state.current_task_state.revision
    revision.publish(user=user, skip_permission_checks=True)
    item = workflow_state.content_object.specific
    if isinstance(item, PolicyDocumentPage):
        for interpretation in interpretations_submitted_with(item):
            approve_with_document(interpretation, workflow_state, user)


# --- Art. 8: interpretations with their documents --------------------------------------------------


def interpretations_submitted_with(document: PolicyDocumentPage) -> QuerySet[InterpretationPage]:
    return InterpretationPage.objects.filter(document=document, submit_with_document=True, live=False)


def approve_with_document(interpretation: InterpretationPage, document_state: WorkflowState, user) -> None:
    """Record the document's chain on the interpretation's latest revision, then publish it."""
    revision = interpretation.get_latest_revision() or interpretation.save_revision(user=user)
    state = WorkflowState.objects.create(
        content_type=interpretation.get_content_type(),
        base_content_type=interpretation.get_base_content_type(),
        object_id=str(interpretation.pk),
        workflow=document_state.workflow,
        status=WorkflowState.STATUS_IN_PROGRESS,
        requested_by=document_state.requested_by,
    )
    for task_state in document_state.task_states.filter(
        status__in=(TaskState.STATUS_APPROVED, TaskState.STATUS_SKIPPED)
    ).select_related("task"):
        TaskState.objects.create(
            workflow_state=state,
            revision=revision,
            task=task_state.task,
            status=task_state.status,
            finished_at=timezone.now(),
            finished_by=task_state.finished_by,
            comment=f"随政策文件（修订 {task_state.revision_id}）同步审核（第八条）。",
        )
    state.status = WorkflowState.STATUS_APPROVED
    state.save()
    revision.publish(user=user, skip_permission_checks=True)
    audit.record(
        "review.published_with_document",
        actor=user,
        obj=interpretation,
        detail={"document": document_state.object_id},
    )


@dataclass(frozen=True)
class InterpretationClock:
    document: PolicyDocumentPage
    due: workdays.Deadline
    interpreted: bool

    @property
    def overdue(self) -> bool:
        return not self.interpreted and timezone.now() > self.due.due


def interpretation_clock(document: PolicyDocumentPage) -> InterpretationClock:
    """Art. 8: an interpretation is due within 3 working days of the document going online."""
    published = document.first_published_at or timezone.now()
    due = workdays.deadline(timezone.localtime(published), INTERPRETATION_WORKDAYS)
    interpreted = InterpretationPage.objects.live().filter(document=document).exists()
    return InterpretationClock(document, due, interpreted)


def pending_interpretations(root: Page) -> list[InterpretationClock]:
    """Live documents of a site still waiting for their interpretation, most urgent first."""
    documents = (
        PolicyDocumentPage.objects.live()
        .descendant_of(root)
        .exclude(pk__in=InterpretationPage.objects.live().values("document_id"))
    )
    return sorted((interpretation_clock(d) for d in documents), key=lambda clock: clock.due.due)


# --- rejections -------------------------------------------------------------------------------------


def notify_rejection(task_state: TaskState, user: AbstractBaseUser, comment: str) -> list[str]:
    """A rejection goes back to the editor and to everyone upstream who already approved (Wagtail #10196)."""
    workflow_state = task_state.workflow_state
    item = workflow_state.content_object
    upstream = conflicted_users(item, workflow_state) - {user.pk}
    User = get_user_model()
    recipients = list(User.objects.filter(pk__in=upstream, is_active=True))
    subject = f"【退回修改】{item.title}"
    body = f"{user.get_full_name() or user.get_username()} 在“{task_state.task.name}”环节退回了“{item.title}”。\n退回意见：{comment}"
    emails = [r.email for r in recipients if r.email]
    if emails:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True)
    audit.record(
        "review.rejection_notified",
        actor=user,
        obj=item,
        detail={"comment": comment, "notified": [r.get_username() for r in recipients]},
    )
    return [r.get_username() for r in recipients]


# --- setting a site up, and running the chain from code ----------------------------------------------


def default_workflow() -> Workflow:
    """The three-level workflow every site uses (Art. 15); tasks resolve groups per site."""
    workflow, created = Workflow.objects.get_or_create(name=DEFAULT_WORKFLOW_NAME)
    if created:
        steps = [
            ("审核负责人审核", Role.REVIEWER, False),
            ("分管领导审核", Role.LEADER, False),
            ("主要领导审核（重大信息）", Role.PRINCIPAL, True),
        ]
        for order, (name, role, major_only) in enumerate(steps):
            task = RoleApprovalTask.objects.create(name=name, role=role, major_only=major_only)
            WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=order)
    return workflow


@transaction.atomic
def provision_site(gov_site: GovSite) -> dict[str, Group]:
    """Create a site's four role groups with their page permissions and assign the workflow."""
    home = gov_site.site.root_page
    admin_access = Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
    groups = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=f"{gov_site.name}-{role.label}")
        group.permissions.add(admin_access)
        for permission in ROLE_PAGE_PERMISSIONS[role]:
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=home,
                permission=Permission.objects.get(
                    codename=f"{permission}_page", content_type__app_label="wagtailcore"
                ),
            )
        SiteRole.objects.update_or_create(site=gov_site, role=role, defaults={"group": group})
        groups[role.value] = group
    WorkflowPage.objects.update_or_create(page=home, defaults={"workflow": default_workflow()})
    provision_collection(gov_site, groups)
    return groups


MEDIA_PERMISSIONS = {"wagtailimages": "image", "wagtaildocs": "document"}


def provision_collection(gov_site: GovSite, groups: dict[str, Group]) -> Collection:
    """Site isolation of the media library: a site's images and documents live in its own
    collection, and only its role groups may add, change or choose them there."""
    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=gov_site.name).first() or root.add_child(name=gov_site.name)
    for role, group in groups.items():
        actions = ["add", "change", "choose"] + (["delete"] if role != Role.EDITOR else [])
        for app_label, model in MEDIA_PERMISSIONS.items():
            for action in actions:
                GroupCollectionPermission.objects.get_or_create(
                    group=group,
                    collection=collection,
                    permission=Permission.objects.get(
                        codename=f"{action}_{model}", content_type__app_label=app_label
                    ),
                )
    return collection


def submit_for_review(item: ContentPage, user: AbstractBaseUser) -> WorkflowState:
    """The editor's submission: save a revision and start the item's workflow (as the admin does)."""
    item.save_revision(user=user, log_action=True)
    workflow = item.get_workflow()
    if workflow is None:
        raise PublicationRefused("该栏目未配置审核流程，不能提交。请联系平台管理员。")
    return workflow.start(item, user)


def act(item: Page, user: AbstractBaseUser, action: str = "approve", comment: str = "") -> WorkflowState:
    """Take the current step of `item`'s workflow as `user`, through the same checks as the admin."""
    item = Page.objects.get(pk=item.pk).specific
    workflow_state = item.current_workflow_state
    if workflow_state is None:
        raise PermissionDenied("该信息不在审核流程中。")
    task_state = workflow_state.current_task_state.specific
    task_state.task.specific.on_action(task_state, user, action, comment=comment)
    workflow_state.refresh_from_db()
    return workflow_state


def pick_approver(item: Page, role: str, workflow_state: WorkflowState) -> AbstractBaseUser:
    """Someone who holds `role` for `item` and is free of conflict (for the demo loader and tests)."""
    group = approver_group(item, role)
    candidates = group.user_set.filter(is_active=True) if group else None
    step_id = workflow_state.current_task_state.task_id
    user = (
        candidates.exclude(pk__in=conflicted_users(item, workflow_state, step_id=step_id)).first()
        if candidates
        else None
    )
    if user is None:
        raise PublicationRefused(f"“{item.title}”没有可担任{Role(role).label}的审核人员。")
    return user


def run_chain(
    item: ContentPage, *, editor, approvers: dict[str, AbstractBaseUser] | None = None
) -> ContentPage:
    """Submit `item` and take every step: with the given approver per role, or anyone free to."""
    submit_for_review(item, editor)
    return complete_chain(item, approvers)


def complete_chain(item: ContentPage, approvers: dict[str, AbstractBaseUser] | None = None) -> ContentPage:
    """Take every remaining step of `item`'s workflow with the given approver per role, or anyone free to."""
    state = Page.objects.get(pk=item.pk).specific.current_workflow_state
    while state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS:
        role = state.current_task_state.task.specific.role
        user = (approvers or {}).get(role) or pick_approver(item, role, state)
        state = act(item, user)
    item.refresh_from_db()
    return item
