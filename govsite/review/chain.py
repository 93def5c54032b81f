"""Models of the review chain (Art. 15-16): who holds each review role on a site, the routing of
the city portal, the workflow task that asks the right role on the right site, and the submissions
of other units' items to the city portal.

The rules (who may act, separation of duties, what may go public) live in `services.py` and, for
submissions to the city portal, in `submissions.py`.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.models import Task, TaskState


class Role(models.TextChoices):
    EDITOR = "editor", "录入员"
    REVIEWER = "reviewer", "审核负责人"
    LEADER = "leader", "分管领导"
    PRINCIPAL = "principal", "主要领导"


APPROVING_ROLES = (Role.REVIEWER, Role.LEADER, Role.PRINCIPAL)


class SiteRole(models.Model):
    """The group that holds a review role on a site (Art. 15: 录入员、审核负责人、分管领导、主要领导)."""

    site = models.ForeignKey(
        "govsites.GovSite", verbose_name="网站", on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    group = models.ForeignKey(
        Group, verbose_name="用户组", on_delete=models.PROTECT, related_name="site_roles"
    )

    class Meta:
        verbose_name = "网站审核角色"
        verbose_name_plural = "网站审核角色"
        constraints = [models.UniqueConstraint(fields=["site", "role"], name="one_group_per_site_role")]

    def __str__(self) -> str:
        return f"{self.site.name} {self.get_role_display()}"


class ReviewRoute(models.Model):
    """Art. 16: on a site, a review step for some items goes to another unit's role group.

    A route matches an item by its column's category (none chosen: every category) and, when
    `only_concerning_leaders` is set, only major items that concern national, provincial or city
    leaders. The lowest priority number wins.
    """

    site = models.ForeignKey(
        "govsites.GovSite", verbose_name="网站", on_delete=models.CASCADE, related_name="routes"
    )
    role = models.CharField("审核环节", max_length=16, choices=[(r.value, r.label) for r in APPROVING_ROLES])
    categories = models.ManyToManyField("content.ColumnCategory", verbose_name="栏目类别", blank=True)
    only_concerning_leaders = models.BooleanField("仅限涉及国家、省、市领导的重大信息", default=False)
    group = models.ForeignKey(Group, verbose_name="审核用户组", on_delete=models.PROTECT, related_name="+")
    priority = models.PositiveSmallIntegerField("优先级", default=100, help_text="数字小的先匹配。")
    note = models.CharField("依据", max_length=200, blank=True)

    panels = [
        FieldPanel("site"),
        FieldPanel("role"),
        FieldPanel("categories", widget=forms.CheckboxSelectMultiple),
        FieldPanel("only_concerning_leaders"),
        FieldPanel("group"),
        FieldPanel("priority"),
        FieldPanel("note"),
    ]

    class Meta:
        verbose_name = "审核路由"
        verbose_name_plural = "审核路由"
        ordering = ["site", "priority", "pk"]

    def __str__(self) -> str:
        return f"{self.site.name} {self.get_role_display()} → {self.group.name}"


class RejectionForm(forms.Form):
    """Art. 14-15: a rejection returns the item to its editor with a reason, which is required."""

    comment = forms.CharField(
        label="退回意见",
        required=True,
        widget=forms.Textarea({"rows": 3}),
        error_messages={"required": "退回时必须填写退回意见，说明需要修改的内容。"},
    )


class ApprovalCommentForm(forms.Form):
    comment = forms.CharField(label="审核意见", required=False, widget=forms.Textarea({"rows": 2}))


class RoleApprovalTask(Task):
    """A review step taken by whoever holds `role` for the item's site (or its Art. 16 route).

    One workflow serves every site: the task resolves the approving group per item. A step marked
    `major_only` (the principal leader) is skipped, on record, for items that are not major.
    """

    role = models.CharField("审核环节", max_length=16, choices=[(r.value, r.label) for r in APPROVING_ROLES])
    major_only = models.BooleanField(
        "仅重大信息", default=False, help_text="非重大信息自动跳过本环节（留痕）。"
    )

    admin_form_fields = [*Task.admin_form_fields, "role", "major_only"]

    class Meta:
        verbose_name = "按角色审核"
        verbose_name_plural = "按角色审核"

    @classmethod
    def get_description(cls) -> str:
        return "由内容所属网站（或审核路由指定单位）中担任该角色的人员审核。"

    def _services(self):
        from govsite.review import services

        return services

    def start(self, workflow_state, user=None):
        item = workflow_state.content_object.specific
        if self.major_only and not getattr(item, "is_major", False):
            state = TaskState(workflow_state=workflow_state, task=self, status=TaskState.STATUS_SKIPPED)
            state.revision = workflow_state.content_object.get_latest_revision()
            state.comment = "非重大信息，无需主要领导审核（第十五条）。"
            state.save()
            return state
        return super().start(workflow_state, user=user)

    def user_can_access_editor(self, obj, user) -> bool:
        return self._services().is_approver(obj, self.role, user)

    def locked_for_user(self, obj, user) -> bool:
        return not self._services().is_approver(obj, self.role, user)

    def user_can_lock(self, obj, user) -> bool:
        return self._services().is_approver(obj, self.role, user)

    def get_actions(self, obj, user) -> list[tuple[str, str, bool]]:
        if self._services().may_act(obj, self.role, user):
            return [
                ("reject", "退回修改", True),
                ("approve", "审核通过", False),
                ("approve", "通过并留言", True),
            ]
        return []

    def get_form_for_action(self, action: str):
        return RejectionForm if action == "reject" else ApprovalCommentForm

    def on_action(self, task_state, user, action_name, **kwargs):
        services = self._services()
        item = task_state.workflow_state.content_object
        refusal = services.action_refusal(item, self.role, user, task_state)
        if refusal:
            raise PermissionDenied(refusal)
        if action_name == "reject" and not (kwargs.get("comment") or "").strip():
            raise PermissionDenied("退回时必须填写退回意见。")
        super().on_action(task_state, user, action_name, **kwargs)
        if action_name == "reject":
            services.notify_rejection(task_state, user, kwargs["comment"])

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS).select_related("workflow_state")
        allowed = [
            s.pk
            for s in states
            if self._services().is_approver(s.workflow_state.content_object, self.role, user)
        ]
        return TaskState.objects.filter(pk__in=allowed)


class PortalSubmission(models.Model):
    """A unit's live item sent (报送) to a column of the city portal (Art. 7, 15, 16).

    Art. 15: 向南通市人民政府网站报送的信息需经本地、本部门分管领导审核同意 — the sending unit's leader in
    charge approves first; Art. 16: then the city portal's reviewer for the target column. Only an
    accepted submission shows the item in the column (as a `ColumnShare`, without copying it).
    The transitions and who may take them are in `submissions.py`; this model holds the facts.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待本单位分管领导审核"
        UNIT_APPROVED = "unit_approved", "待市政府门户网站审核"
        ACCEPTED = "accepted", "已采用"
        REJECTED = "rejected", "已退回"

    OPEN = (Status.PROPOSED, Status.UNIT_APPROVED)

    item = models.ForeignKey(
        "content.ContentPage", verbose_name="报送信息", on_delete=models.CASCADE, related_name="+"
    )
    column = models.ForeignKey(
        "content.ColumnPage", verbose_name="市政府门户网站栏目", on_delete=models.CASCADE, related_name="+"
    )
    sending_site = models.ForeignKey(
        "govsites.GovSite", verbose_name="报送单位网站", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PROPOSED)
    note = models.CharField("报送说明", max_length=200, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报送人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proposed_at = models.DateTimeField("报送时间")
    unit_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="本单位分管领导",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit_approved_at = models.DateTimeField("本单位审核时间", null=True, blank=True)
    unit_comment = models.TextField("本单位审核意见", blank=True)
    portal_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="市政府门户网站审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    portal_approved_at = models.DateTimeField("门户网站审核时间", null=True, blank=True)
    portal_comment = models.TextField("门户网站审核意见", blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="退回人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rejected_at = models.DateTimeField("退回时间", null=True, blank=True)
    rejection_comment = models.TextField("退回意见", blank=True)

    class Meta:
        verbose_name = "报送到市政府门户网站"
        verbose_name_plural = "报送到市政府门户网站"
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "column"],
                condition=models.Q(status__in=["proposed", "unit_approved"]),
                name="one_open_portal_submission",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item.title} → {self.column.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN
