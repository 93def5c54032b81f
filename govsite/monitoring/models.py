"""24-hour monitoring (Art. 23-25): inspections and their runs, findings, wording dictionaries, the
duty roster and handover notes, emergency plans, incidents and drills.

An `Inspection` is one kind of check on its own interval; each time it runs it leaves an
`InspectionRun`. What a run finds becomes a `Finding` (one per problem, recognised again by its
`fingerprint` so that a problem that returns reopens its finding instead of opening a second one).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from govsite.sites.models import GovSite


class Inspection(models.Model):
    """One kind of inspection and how often the scheduler runs it (Art. 23: 日常巡检)."""

    class Kind(models.TextChoices):
        AVAILABILITY = "availability", "网站可用性"
        LINKS = "links", "链接可用性"
        FRESHNESS = "freshness", "栏目更新"
        WORDING = "wording", "错敏字"
        SECURITY = "security", "安全与合规"
        TAMPER = "tamper", "网页防篡改"
        REMINDERS = "reminders", "催办提醒"

    kind = models.CharField("巡检类型", max_length=20, choices=Kind.choices, unique=True)
    interval_seconds = models.PositiveIntegerField("间隔（秒）")
    enabled = models.BooleanField("启用", default=True)
    next_run_at = models.DateTimeField("下次运行", default=timezone.now)

    class Meta:
        verbose_name = "巡检项目"
        verbose_name_plural = "巡检项目"
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()


class InspectionRun(models.Model):
    """One run of an inspection, kept as history: when, how long, what it saw, how far it got."""

    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        OK = "ok", "完成"
        FAILED = "failed", "出错"

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField("开始时间", default=timezone.now, db_index=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    done = models.PositiveIntegerField("已完成", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    checked = models.PositiveIntegerField("检查数", default=0)
    problems = models.PositiveIntegerField("发现问题", default=0)
    summary = models.JSONField("摘要", default=dict, blank=True)
    error = models.TextField("错误", blank=True)

    class Meta:
        verbose_name = "巡检记录"
        verbose_name_plural = "巡检记录"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.inspection} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class AvailabilityCheck(models.Model):
    """One request to a site's page: the raw data of the veto rule "站点无法访问" (gov-site-rules §2.2)."""

    gov_site = models.ForeignKey(GovSite, on_delete=models.CASCADE, related_name="availability_checks")
    run = models.ForeignKey(InspectionRun, on_delete=models.SET_NULL, null=True, blank=True)
    url = models.CharField("地址", max_length=500)
    is_home = models.BooleanField("首页", default=False)
    checked_at = models.DateTimeField("检查时间", default=timezone.now, db_index=True)
    status = models.PositiveSmallIntegerField("状态码", null=True, blank=True)
    elapsed_ms = models.FloatField("响应时间（毫秒）", null=True, blank=True)
    ok = models.BooleanField("可访问")
    problem = models.CharField("问题", max_length=200, blank=True)

    class Meta:
        verbose_name = "可用性检查"
        verbose_name_plural = "可用性检查"
        indexes = [models.Index(fields=["gov_site", "checked_at"])]

    def __str__(self) -> str:
        return f"{self.url} {'可访问' if self.ok else self.problem}"


class LinkCheck(models.Model):
    """The last result for one URL, shared by every page that links to it (the link checker's cache)."""

    url = models.CharField("链接", max_length=2000, unique=True)
    ok = models.BooleanField("可用")
    status = models.PositiveSmallIntegerField("状态码", null=True, blank=True)
    kind = models.CharField("结果类型", max_length=30)
    problem = models.CharField("问题", max_length=200, blank=True)
    redirects = models.JSONField("重定向链", default=list, blank=True)
    elapsed_ms = models.FloatField("响应时间（毫秒）", default=0)
    checked_at = models.DateTimeField("检查时间")

    class Meta:
        verbose_name = "链接检查结果"
        verbose_name_plural = "链接检查结果"

    def __str__(self) -> str:
        return self.url


class WordingEntry(models.Model):
    """A dictionary entry for the wording scan (错敏字, gov-site-rules §5.1), kept by operators."""

    class Kind(models.TextChoices):
        MISWRITTEN = "miswritten", "常见错别字"
        FORMULATION = "formulation", "固定表述与职务名称"
        SENSITIVE = "sensitive", "敏感词"

    class Severity(models.TextChoices):
        BLOCK = "block", "阻止发布"
        WARN = "warn", "提示"

    term = models.CharField("错误或敏感写法", max_length=100)
    kind = models.CharField("类别", max_length=20, choices=Kind.choices)
    severity = models.CharField("处理方式", max_length=10, choices=Severity.choices, default=Severity.WARN)
    correction = models.CharField("正确写法", max_length=100, blank=True)
    allowed = models.TextField(
        "不算错误的较长词语", blank=True, help_text="每行一个；正文中这些词语里包含的写法不提示。"
    )
    note = models.CharField("说明", max_length=200, blank=True)
    enabled = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "错敏词"
        verbose_name_plural = "错敏词库"
        ordering = ["kind", "term"]
        constraints = [models.UniqueConstraint(fields=["term", "kind"], name="wording_term_kind_unique")]

    def __str__(self) -> str:
        return f"{self.term} → {self.correction}" if self.correction else self.term


class Finding(models.Model):
    """A problem an inspection found (or a person reported), owned by someone until it is fixed.

    Art. 23: 及时发现问题、纠正错漏并做好记录. A finding is recognised by its `fingerprint`; when the
    same problem is seen again after it was fixed, the finding reopens (`reopened` counts how often).
    """

    class Severity(models.TextChoices):
        CRITICAL = "critical", "严重"
        HIGH = "high", "高"
        MEDIUM = "medium", "中"
        LOW = "low", "低"

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        FIXED = "fixed", "已整改"
        DISMISSED = "dismissed", "已忽略"

    kind = models.CharField("类型", max_length=20, choices=Inspection.Kind.choices)
    fingerprint = models.CharField("问题标识", max_length=64, unique=True)
    gov_site = models.ForeignKey(
        GovSite, verbose_name="网站", on_delete=models.CASCADE, null=True, blank=True, related_name="findings"
    )
    column = models.ForeignKey(
        "content.ColumnPage",
        verbose_name="栏目",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    page_url = models.CharField("页面", max_length=2000, blank=True)
    title = models.CharField("问题", max_length=300)
    detail = models.TextField("详情", blank=True)
    suggestion = models.CharField("建议", max_length=300, blank=True)
    severity = models.CharField("严重程度", max_length=10, choices=Severity.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="monitoring_findings",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    first_seen = models.DateTimeField("首次发现", default=timezone.now)
    last_seen = models.DateTimeField("最近发现", default=timezone.now)
    due_on = models.DateField("整改期限")
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField("忽略或整改说明", blank=True)
    reopened = models.PositiveIntegerField("重新打开次数", default=0)

    class Meta:
        verbose_name = "巡检问题"
        verbose_name_plural = "巡检问题"
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["status", "kind"]), models.Index(fields=["gov_site", "status"])]

    def __str__(self) -> str:
        return self.title


class DutyShift(models.Model):
    """A shift of the 24-hour duty roster (Art. 23: 建立24小时值班制度)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="值班人员",
        on_delete=models.PROTECT,
        related_name="duty_shifts",
    )
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    phone = models.CharField("值班电话", max_length=40, blank=True)
    handover = models.TextField("交接班记录", blank=True)
    handed_over_at = models.DateTimeField("交班时间", null=True, blank=True)

    class Meta:
        verbose_name = "值班班次"
        verbose_name_plural = "值班表"
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at)
        return f"{start:%m-%d %H:%M} {self.person.get_full_name() or self.person.get_username()}"


class EmergencyPlan(models.Model):
    """A site's emergency plan (Art. 24: 制定网站安全应急预案)."""

    gov_site = models.OneToOneField(
        GovSite, verbose_name="网站", on_delete=models.CASCADE, related_name="emergency_plan"
    )
    body = models.TextField("预案内容")
    contacts = models.TextField("应急联系人", blank=True)
    report_to = models.CharField("报告对象", max_length=200, default="市大数据管理局")
    reviewed_on = models.DateField("最近修订", default=timezone.localdate)

    class Meta:
        verbose_name = "应急预案"
        verbose_name_plural = "应急预案"

    def __str__(self) -> str:
        return f"{self.gov_site} 应急预案"


class Incident(models.Model):
    """A security incident or a drill, run by the site's emergency plan (Art. 24)."""

    class Level(models.TextChoices):
        EXTRAORDINARY = "1", "Ⅰ级（特别重大）"
        MAJOR = "2", "Ⅱ级（重大）"
        SERIOUS = "3", "Ⅲ级（较大）"
        GENERAL = "4", "Ⅳ级（一般）"

    class Status(models.TextChoices):
        OPEN = "open", "处置中"
        RESOLVED = "resolved", "已处置"
        CLOSED = "closed", "已结案"

    gov_site = models.ForeignKey(
        GovSite, verbose_name="网站", on_delete=models.PROTECT, related_name="incidents"
    )
    title = models.CharField("事件", max_length=200)
    level = models.CharField("级别", max_length=2, choices=Level.choices, default=Level.GENERAL)
    is_drill = models.BooleanField("演练", default=False)
    finding = models.ForeignKey(
        Finding,
        verbose_name="来源问题",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField("发现时间", default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField("处置完成", null=True, blank=True)
    review = models.TextField("总结评估", blank=True)

    class Meta:
        verbose_name = "安全事件"
        verbose_name_plural = "安全事件与演练"
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        prefix = "【演练】" if self.is_drill else ""
        return f"{prefix}{self.title}"


class IncidentEvent(models.Model):
    """One step on an incident's timeline (Art. 24: 启动应急响应 … 报告处置结果)."""

    class Kind(models.TextChoices):
        DISCOVERED = "discovered", "发现"
        REPORTED = "reported", "上报"
        ASSESSED = "assessed", "研判定级"
        PAGE_OFFLINE = "page_offline", "页面下线"
        PAGE_RESTORED = "page_restored", "恢复发布版本"
        ACTION = "action", "处置措施"
        RESOLVED = "resolved", "处置完成"
        RESULT_REPORTED = "result_reported", "向主管部门报告处置结果"
        REVIEWED = "reviewed", "总结评估"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("环节", max_length=20, choices=Kind.choices)
    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField("说明", blank=True)
    page_url = models.CharField("涉及页面", max_length=2000, blank=True)
    level = models.CharField("定级", max_length=2, choices=Incident.Level.choices, blank=True)

    class Meta:
        verbose_name = "处置记录"
        verbose_name_plural = "处置记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.get_kind_display()
