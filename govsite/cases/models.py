"""Models of the case engine (Art. 10, 16, 18): mailboxes, cases and their steps, replies,
attachments, the knowledge base and the handler groups of each unit.

The models hold the facts; every rule (routing, deadlines, who may act, what is public, masking)
lives in `services.py` and the modules it uses (`deadlines.py`, `masking.py`, `statistics.py`,
`knowledge.py`).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel


class AttachmentStorage(FileSystemStorage):
    """Attachments carry personal data: they live outside MEDIA_ROOT and are never served as files.

    The place is read from the settings at each use (GOVSITE_CASE_ATTACHMENT_ROOT, else
    `case-attachments/` beside MEDIA_ROOT), so a changed setting (tests, a moved volume) is followed.
    """

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        configured = getattr(settings, "GOVSITE_CASE_ATTACHMENT_ROOT", None)
        return str(configured or Path(settings.MEDIA_ROOT).parent / "case-attachments")

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def attachment_storage() -> FileSystemStorage:
    return AttachmentStorage()


class Mailbox(models.Model):
    """A mailbox on a site: the mayor's (city portal), a department's, a county (district) head's."""

    class Kind(models.TextChoices):
        MAYOR = "mayor", "市长信箱"
        DEPARTMENT = "department", "部门信箱"
        COUNTY = "county", "县（市、区）长信箱"

    gov_site = models.ForeignKey(
        "govsites.GovSite", verbose_name="网站", on_delete=models.CASCADE, related_name="mailboxes"
    )
    institution = models.ForeignKey(
        "govsites.Institution",
        verbose_name="承办单位",
        on_delete=models.PROTECT,
        related_name="mailboxes",
        help_text="来信默认转至该单位办理。",
    )
    kind = models.CharField("信箱类型", max_length=16, choices=Kind.choices)
    name = models.CharField("信箱名称", max_length=60)
    slug = models.SlugField("地址代号", max_length=40, help_text="英文短名，同一网站内唯一。")
    deadline_workdays = models.PositiveSmallIntegerField(
        "办理时限（工作日）", default=15, help_text="自收信次日起计算的工作日数。"
    )
    publisher = models.ForeignKey(
        "govsites.Institution",
        verbose_name="公开审核单位",
        on_delete=models.PROTECT,
        related_name="published_mailboxes",
        help_text="市长信箱由市信访局审核公开（第十六条），部门信箱由本部门审核。",
    )
    intro = models.TextField("信箱说明", blank=True)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)

    panels = [
        MultiFieldPanel(
            [FieldPanel("gov_site"), FieldPanel("kind"), FieldPanel("name"), FieldPanel("slug")], "信箱"
        ),
        MultiFieldPanel(
            [FieldPanel("institution"), FieldPanel("publisher"), FieldPanel("deadline_workdays")],
            "办理与公开",
        ),
        FieldPanel("intro"),
        FieldPanel("is_active"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        verbose_name = "信箱"
        verbose_name_plural = "信箱"
        ordering = ["gov_site", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["gov_site", "slug"], name="cases_mailbox_slug_per_site")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from govsite.cases import services

        services.validate_mailbox(self)


class Case(models.Model):
    """One letter, error report or disclosure request, from receipt to closing."""

    class Kind(models.TextChoices):
        LETTER = "letter", "来信"
        ERROR_REPORT = "error_report", "网站纠错"
        DISCLOSURE = "disclosure", "依申请公开"

    class Status(models.TextChoices):
        RECEIVED = "received", "已收到"
        FORWARDED = "forwarded", "已转办"
        ACCEPTED = "accepted", "已受理"
        HANDLING = "handling", "办理中"
        REPLY_DRAFTED = "reply_drafted", "答复待审核"
        REPLY_REVIEWED = "reply_reviewed", "答复已审核"
        ANSWERED = "answered", "已答复"
        CLOSED = "closed", "已办结"

    class Withheld(models.TextChoices):
        NONE = "", "公开"
        UNTRUE = "untrue", "不实"
        UNSUITABLE = "unsuitable", "不宜公开"

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    receipt_number = models.CharField("受理编号", max_length=20, unique=True)
    query_code_hash = models.CharField("查询码摘要", max_length=64, editable=False)
    gov_site = models.ForeignKey(
        "govsites.GovSite", verbose_name="网站", on_delete=models.PROTECT, related_name="cases"
    )
    mailbox = models.ForeignKey(
        Mailbox, verbose_name="信箱", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    unit = models.ForeignKey(
        "govsites.Institution", verbose_name="办理单位", on_delete=models.PROTECT, related_name="cases"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.RECEIVED)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    name = models.CharField("姓名", max_length=60, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    email = models.CharField("电子邮箱", max_length=254, blank=True)
    id_number = models.CharField("证件号码", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    organization = models.CharField("单位名称", max_length=100, blank=True)
    details = models.JSONField("其他信息", default=dict, blank=True)
    page_url = models.CharField("页面地址", max_length=500, blank=True)
    wants_public = models.BooleanField("同意公开", default=True)

    submitted_at = models.DateTimeField("提交时间", default=timezone.now, db_index=True)
    forwarded_at = models.DateTimeField("转办时间", null=True, blank=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    due_on = models.DateField("办理期限", db_index=True)
    due_provisional = models.BooleanField("期限暂定", default=False)

    extended = models.BooleanField("已延期", default=False)
    extended_at = models.DateTimeField("延期时间", null=True, blank=True)
    extension_reason = models.TextField("延期理由", blank=True)
    extension_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="延期批准人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    extension_notice = models.TextField("延期告知内容", blank=True)

    is_public = models.BooleanField("已公开", default=False)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    withheld = models.CharField("不予公开", max_length=16, choices=Withheld.choices, default="", blank=True)
    withheld_reason = models.TextField("不予公开理由", blank=True)

    rating = models.PositiveSmallIntegerField("满意度", null=True, blank=True)
    rating_comment = models.CharField("评价意见", max_length=500, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "来信与申请"
        verbose_name_plural = "来信与申请"
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["unit", "status"], name="cases_case_unit_status"),
            models.Index(fields=["gov_site", "kind", "is_public"], name="cases_case_public"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in OPEN_EXCLUDED


OPEN_EXCLUDED = (Case.Status.ANSWERED, Case.Status.CLOSED)


class CaseStep(models.Model):
    """One step of a case's handling, mirrored in the audit chain (Art. 14)."""

    case = models.ForeignKey(Case, verbose_name="事项", on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("操作", max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    from_unit = models.ForeignKey(
        "govsites.Institution", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        "govsites.Institution", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "办理步骤"
        verbose_name_plural = "办理步骤"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case.receipt_number} {self.action}"


class Reply(models.Model):
    """A reply to a case: drafted, reviewed by someone else, then sent (separation of duties)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        RETURNED = "returned", "退回修改"
        REVIEWED = "reviewed", "已审核"
        SENT = "sent", "已发送"

    case = models.ForeignKey(Case, verbose_name="事项", on_delete=models.CASCADE, related_name="replies")
    body = models.TextField("答复内容")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="拟稿人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    drafted_at = models.DateTimeField("拟稿时间", default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "答复"
        verbose_name_plural = "答复"
        ordering = ["drafted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case.receipt_number} {self.get_status_display()}"


class Attachment(models.Model):
    """A file sent with a case; the type was checked by content before it got here."""

    case = models.ForeignKey(Case, verbose_name="事项", on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("文件", storage=attachment_storage, upload_to="%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.name


class UnitHandlers(models.Model):
    """The group whose members handle an institution's cases (least privilege: their unit only)."""

    institution = models.OneToOneField(
        "govsites.Institution", verbose_name="单位", on_delete=models.CASCADE, related_name="case_handlers"
    )
    group = models.ForeignKey(Group, verbose_name="办理人员组", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "办理人员组"
        verbose_name_plural = "办理人员组"

    def __str__(self) -> str:
        return f"{self.institution} {self.group}"


class Reminder(models.Model):
    """One reminder e-mail to a unit's handlers on one day: `cases_remind` sends at most one a day."""

    institution = models.ForeignKey("govsites.Institution", on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField("日期")
    recipients = models.PositiveSmallIntegerField("收件人数", default=0)
    cases = models.PositiveIntegerField("事项数", default=0)

    class Meta:
        verbose_name = "催办提醒"
        verbose_name_plural = "催办提醒"
        constraints = [
            models.UniqueConstraint(fields=["institution", "sent_on"], name="cases_one_reminder_per_unit_day")
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.sent_on}"


class KnowledgeEntry(models.Model):
    """A question and its answer, curated from answered cases (Art. 10: 知识库)."""

    class Topic(models.TextChoices):
        SOCIAL_SECURITY = "social_security", "社会保障"
        EMPLOYMENT = "employment", "就业创业"
        EDUCATION = "education", "教育"
        HEALTH = "health", "医疗卫生"
        HOUSING = "housing", "住房和城乡建设"
        TRANSPORT = "transport", "交通出行"
        PUBLIC_SECURITY = "public_security", "户籍与治安"
        MARKET = "market", "市场监管"
        ENVIRONMENT = "environment", "生态环境"
        AGRICULTURE = "agriculture", "农业农村"
        GOVERNMENT = "government", "政务公开与网站"
        OTHER = "other", "其他"

    gov_site = models.ForeignKey(
        "govsites.GovSite",
        verbose_name="网站",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="knowledge_entries",
        help_text="留空表示全市各网站通用。",
    )
    question = models.CharField("问题", max_length=200)
    answer = models.TextField("解答")
    topic = models.CharField("主题", max_length=32, choices=Topic.choices, default=Topic.OTHER)
    unit = models.ForeignKey(
        "govsites.Institution",
        verbose_name="答复单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="knowledge_entries",
    )
    source_case = models.ForeignKey(
        Case, verbose_name="来源事项", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    search_text = models.TextField("检索词", blank=True, editable=False)
    views = models.PositiveIntegerField("浏览次数", default=0)
    asks = models.PositiveIntegerField("提问次数", default=0)
    is_current = models.BooleanField("现行有效", default=True)
    reviewed_at = models.DateTimeField("核对时间", default=timezone.now)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    panels = [
        FieldPanel("gov_site"),
        FieldPanel("topic"),
        FieldPanel("question"),
        FieldPanel("answer"),
        FieldPanel("unit"),
        FieldPanel("is_current"),
        FieldPanel("reviewed_at"),
    ]

    class Meta:
        verbose_name = "知识库条目"
        verbose_name_plural = "知识库"
        ordering = ["-asks", "-views", "-pk"]

    def __str__(self) -> str:
        return self.question

    def save(self, *args, **kwargs) -> None:
        from govsite.cases import knowledge

        self.search_text = knowledge.search_text_of(self)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)
