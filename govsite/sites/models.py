"""The site registry (Art. 2, 4, 5): institutions, and a GovSite for every Wagtail Site.

The rules that decide who may open a site and how it is named live in `services.py`; the
models only hold the facts.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.models import Site


class Institution(models.Model):
    """A public body of the city: a government, a department, a town or a subordinate unit."""

    class Kind(models.TextChoices):
        CITY_GOVERNMENT = "city_government", "设区市人民政府"
        COUNTY_GOVERNMENT = "county_government", "县（市）区人民政府"
        MUNICIPAL_DEPARTMENT = "municipal_department", "市级政府部门"
        COUNTY_DEPARTMENT = "county_department", "县级政府部门"
        TOWN = "town", "乡（镇、街道）"
        SUBORDINATE_UNIT = "subordinate_unit", "部门下属单位"
        MANAGEMENT_COMMITTEE = "management_committee", "开发区（园区）管委会"

    name = models.CharField("机构全称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=40, blank=True)
    kind = models.CharField("机构类型", max_length=32, choices=Kind.choices)
    division_code = models.CharField(
        "行政区划代码", max_length=6, help_text="GB/T 2260 六位代码，如南通市为 320600。"
    )
    org_code = models.CharField(
        "机构代码",
        max_length=18,
        blank=True,
        help_text="统一社会信用代码（18位）或组织机构代码（9位），用作索引号前段码。",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("short_name"),
        FieldPanel("kind"),
        FieldPanel("division_code"),
        FieldPanel("org_code"),
        FieldPanel("parent"),
    ]

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = "机构"
        ordering = ["division_code", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from govsite.sites import services

        services.validate_institution(self)


class GovSite(models.Model):
    """A government website on the platform; wraps one Wagtail Site (Art. 2)."""

    class Kind(models.TextChoices):
        CITY_PORTAL = "city_portal", "市政府门户网站"
        COUNTY_PORTAL = "county_portal", "县（市）区政府门户网站"
        DEPARTMENT_SITE = "department_site", "市级部门网站"

    class Status(models.TextChoices):
        PLANNED = "planned", "筹建中"
        OPEN = "open", "已开通"
        CLOSED = "closed", "已关停"
        MERGED = "merged", "已整合"

    site = models.OneToOneField(
        Site, verbose_name="Wagtail 站点", on_delete=models.PROTECT, related_name="gov_site"
    )
    institution = models.ForeignKey(
        Institution, verbose_name="开办机构", on_delete=models.PROTECT, related_name="gov_sites"
    )
    kind = models.CharField("网站类型", max_length=32, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级网站",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField("网站名称", max_length=100, help_text="以本地区、本部门机构全称命名（第五条）。")
    slug = models.SlugField("网站代号", max_length=40, unique=True, help_text="英文短名，用于归档地址等。")
    domain = models.CharField("英文域名", max_length=253, unique=True, help_text="须以 .gov.cn 结尾。")
    identifier_code = models.CharField("网站标识码", max_length=10, unique=True)
    icp_number = models.CharField("ICP备案编号", max_length=40, blank=True)
    police_record_number = models.CharField("公安机关备案号", max_length=40, blank=True)
    host_unit = models.CharField("主办单位", max_length=100)
    operator_unit = models.CharField("承办单位", max_length=100, blank=True)
    contact_phone = models.CharField("联系电话", max_length=40, blank=True)
    contact_email = models.EmailField("联系邮箱", blank=True)
    contact_address = models.CharField("联系地址", max_length=200, blank=True)
    security_officer = models.CharField("安全责任人", max_length=40, blank=True)
    security_officer_phone = models.CharField("安全责任人电话", max_length=40, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PLANNED)
    status_changed_at = models.DateTimeField("状态变更时间", default=timezone.now)
    successor = models.ForeignKey(
        "self",
        verbose_name="承接网站",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        help_text="关停或整合后，原网址跳转到此网站。",
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="徽标",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    theme_colour = models.CharField(
        "主题色",
        max_length=7,
        default="#b5121b",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "主题色应为“#”加6位十六进制数字，如 #b5121b。")],
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("site"), FieldPanel("institution"), FieldPanel("kind"), FieldPanel("parent")], "开办"
        ),
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldPanel("slug"),
                FieldPanel("domain"),
                FieldPanel("identifier_code"),
                FieldPanel("icp_number"),
                FieldPanel("police_record_number"),
            ],
            "名称、域名与标识",
        ),
        MultiFieldPanel(
            [
                FieldPanel("host_unit"),
                FieldPanel("operator_unit"),
                FieldPanel("contact_phone"),
                FieldPanel("contact_email"),
                FieldPanel("contact_address"),
                FieldPanel("security_officer"),
                FieldPanel("security_officer_phone"),
            ],
            "主办与联系",
        ),
        MultiFieldPanel([FieldPanel("logo"), FieldPanel("theme_colour")], "外观"),
        MultiFieldPanel([FieldPanel("status", read_only=True), FieldPanel("successor")], "生命周期"),
    ]

    class Meta:
        verbose_name = "政府网站"
        verbose_name_plural = "政府网站"
        ordering = ["identifier_code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_serving(self) -> bool:
        return self.status == self.Status.OPEN

    def clean(self) -> None:
        from govsite.sites import services

        services.validate_registration(self)
