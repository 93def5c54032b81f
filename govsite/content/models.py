"""Columns and content with the unified metadata of the resource library (Art. 6, 7, 13, 20).

ColumnCategory and TopicCategory are data (seeded by migrations, editable in the admin); the
metadata rules (document numbers, index numbers, immutable first-publication dates) live in
`services.py`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
    Panel,
)
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from govsite.search.fields import SegmentedAutocompleteField, SegmentedSearchField
from govsite.sites.models import Institution


class ColumnCategory(models.Model):
    """What kind of column this is, and how often it must be updated (gov-site-rules §2.2, Art. 6).

    The numbers are data, not constants: several come from memory of the national text ([M-M])
    and operators can correct them in the admin.
    """

    class VetoGroup(models.TextChoices):
        DYNAMIC = "dynamic", "动态要闻类（2周）"
        NOTICE_POLICY = "notice_policy", "通知公告、政策文件类（6个月）"
        NONE = "", "不计入单项否决分组"

    code = models.SlugField("代码", max_length=40, primary_key=True)
    name = models.CharField("名称", max_length=40, unique=True)
    update_within_days = models.PositiveIntegerField(
        "更新周期（天）",
        null=True,
        blank=True,
        help_text="超过此天数未更新即为“栏目不更新”；留空表示发生变化时及时更新。",
    )
    long_stale_days = models.PositiveIntegerField(
        "长期未更新（天）", null=True, blank=True, help_text="超过此天数计为“应更新但长期未更新”。"
    )
    veto_group = models.CharField("单项否决分组", max_length=20, choices=VetoGroup.choices, blank=True)
    top_level_only = models.BooleanField("仅一级栏目计入", default=False)
    rule_note = models.TextField("规则依据", blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "栏目类别"
        verbose_name_plural = "栏目类别"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class TopicCategory(models.Model):
    """The two-level topic classification (主题分类) used on gov.cn, e.g. 综合政务\\政务公开."""

    name = models.CharField("名称", max_length=40)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级主题",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "主题分类"
        verbose_name_plural = "主题分类"
        ordering = ["sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="unique_topic_per_parent")]

    def __str__(self) -> str:
        return f"{self.parent.name}\\{self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": ValidationError("主题分类只有两级。", code="topic_depth")})


class RepostSource(models.Model):
    """An approved source unit (稿源单位) whose items may be reposted (Art. 17)."""

    name = models.CharField("稿源单位", max_length=100, unique=True)
    determined_by = models.CharField(
        "确定单位", max_length=100, blank=True, help_text="确定该稿源的党委、政府或主管部门。"
    )
    active = models.BooleanField("有效", default=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "稿源单位"
        verbose_name_plural = "稿源单位"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IndexNumberSequence(models.Model):
    """The last serial handed out per issuer code and year, for `code/YYYY-NNNNN` index numbers."""

    issuer_code = models.CharField(max_length=18)
    year = models.PositiveIntegerField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer_code", "year"], name="unique_index_sequence")]

    def __str__(self) -> str:
        return f"{self.issuer_code}/{self.year}: {self.last_serial}"


class HomePage(Page):
    """A site's home page: news, notices and policy blocks, service and interaction entrances."""

    intro = models.TextField("网站简介", blank=True)
    services_url = models.URLField(
        "办事服务入口地址", blank=True, help_text="南通市政务服务网的本地区、本部门入口（第九条）。"
    )
    interaction_url = models.CharField("互动交流入口地址", max_length=200, blank=True, default="/hudong/")

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("services_url"),
        FieldPanel("interaction_url"),
    ]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["content.ColumnPage"]

    class Meta:
        verbose_name = "网站首页"

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from govsite.content import services

        context = super().get_context(request, *args, **kwargs)
        context.update(services.home_blocks(self))
        return context


class OperatorOnlyInlinePanel(InlinePanel):
    """The column's direct shares (`ColumnShare`), shown only when the form kept their formset: to
    the platform operator. Other units send items to the city portal through a submission that
    their leader in charge and the portal approve (Art. 15-16, `govsite.review.submissions`)."""

    class BoundPanel(InlinePanel.BoundPanel):
        def __init__(self, **kwargs):
            form = kwargs.get("form")
            self.withheld = form is not None and kwargs["panel"].relation_name not in form.formsets
            if self.withheld:
                Panel.BoundPanel.__init__(self, **kwargs)
                self.label = self.panel.label
                return
            super().__init__(**kwargs)

        def is_shown(self) -> bool:
            return not self.withheld and super().is_shown()


class ContentPageForm(WagtailAdminPageForm):
    """gov-site-rules §5.1 (严重表述错误 is a veto): text sent to review or publication is scanned
    against the wording dictionaries (监测巡检 › 错敏词库); a blocking hit stops it, with the
    suggested fix on the field. Saving a draft is never stopped; warnings are shown after saving."""

    PUBLISHING_ACTIONS = (
        "action-publish",
        "action-submit",
        "action-workflow-action",
        "action-restart-workflow",
    )
    SCANNED_FIELDS = ("title", "body")

    def clean(self):
        cleaned = super().clean()
        if not any(action in self.data for action in self.PUBLISHING_ACTIONS):
            return cleaned
        from govsite.monitoring import services as monitoring

        texts = {
            name: cleaned.get(name) for name in self.SCANNED_FIELDS if isinstance(cleaned.get(name), str)
        }
        for name, problems in monitoring.blocking_wording(texts).items():
            for problem in problems:
                self.add_error(name, ValidationError(problem, code="wording_blocked"))
        return cleaned


class ColumnPageForm(WagtailAdminPageForm):
    """Only the platform operator (a superuser) adds or removes a column's direct shares; for anyone
    else the shares are not part of the form, so saving the column leaves them as they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if not (user is not None and user.is_superuser):
            self.formsets.pop("shared_items", None)


class ColumnPage(Page):
    """A column (栏目): its category sets its freshness rule; it lists its own and shared items."""

    category = models.ForeignKey(
        ColumnCategory, verbose_name="栏目类别", on_delete=models.PROTECT, related_name="columns"
    )
    description = models.CharField("栏目描述", max_length=200, blank=True)
    keywords = models.CharField("栏目关键词", max_length=200, blank=True)
    body = RichTextField("栏目说明", blank=True, help_text="概况、机构职能等以说明为主的栏目在此填写正文。")
    per_page = models.PositiveSmallIntegerField("每页条数", default=20)

    content_panels = [
        *Page.content_panels,
        FieldPanel("category"),
        FieldPanel("description"),
        FieldPanel("keywords"),
        FieldPanel("body"),
        OperatorOnlyInlinePanel("shared_items", label="引用资源库内容（不复制）"),
    ]
    settings_panels = [*Page.settings_panels, FieldPanel("per_page")]
    base_form_class = ColumnPageForm
    parent_page_types = ["content.HomePage", "content.ColumnPage"]
    subpage_types = [
        "content.ColumnPage",
        "content.ArticlePage",
        "content.PolicyDocumentPage",
        "content.InterpretationPage",
    ]

    class Meta:
        verbose_name = "栏目"

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from govsite.content import services

        context = super().get_context(request, *args, **kwargs)
        number = kwargs.get("archive_number")
        if number is None:
            listing = services.column_front(self)
        else:
            listing = services.column_archive(self, number, ordered_ids=self._ids_for_publishing(request))
        if listing is None:
            raise Http404("该页不存在")
        context["listing"] = listing
        context["column_url"] = self.get_url(request)
        context["items"] = listing.items
        context["subcolumns"] = self.get_children().live().public().type(ColumnPage).specific()
        return context

    def _ids_for_publishing(self, request: HttpRequest) -> list[int] | None:
        """While the static publisher renders (its requests carry a `render_cache`), the column's
        item order is read once and shared by all its archive pages."""
        from govsite.content import services
        from govsite.content.render_cache import per_run, run_cache

        if run_cache(request) is None:
            return None
        return per_run(request, ("column-ids", self.pk), lambda: services.column_ids_oldest_first(self))

    def get_archive_url(self, number: int, request: HttpRequest | None = None) -> str:
        """Archive page `number` of the column (1 = oldest), served by `content.views.column_archive`."""
        return f"{self.get_url(request)}list_{number}.html"

    def get_feed_url(self, request: HttpRequest | None = None) -> str:
        """The column's RSS feed: its own URL followed by `feed.xml` (served by `content.views.column_feed`)."""
        return f"{self.get_url(request)}feed.xml"


class ColumnShare(Orderable):
    """A content page from the resource library shown in this column without being copied (Art. 20).

    A share is made by the platform operator in the column's editor, or by the city portal accepting
    another unit's submission once that unit's leader in charge approved it (Art. 15-16,
    `govsite.review.submissions`); a proposal still under review is no share and shows nowhere.
    """

    column = ParentalKey(ColumnPage, related_name="shared_items", on_delete=models.CASCADE)
    page = models.ForeignKey(
        "content.ContentPage", verbose_name="内容", on_delete=models.CASCADE, related_name="+"
    )
    panels = [
        PageChooserPanel(
            "page", ["content.ArticlePage", "content.PolicyDocumentPage", "content.InterpretationPage"]
        )
    ]

    class Meta(Orderable.Meta):
        verbose_name = "引用内容"
        constraints = [models.UniqueConstraint(fields=["column", "page"], name="unique_share_per_column")]


class ContentPage(Page):
    """Every content page carries the unified metadata of the resource library (Art. 20, 指引 §3.2)."""

    class Validity(models.TextChoices):
        VALID = "valid", "有效"
        AMENDED = "amended", "已修改"
        REPEALED = "repealed", "已废止"

    class Disclosure(models.TextChoices):
        PROACTIVE = "proactive", "主动公开"
        ON_REQUEST = "on_request", "依申请公开"

    index_number = models.CharField(
        "索引号", max_length=40, unique=True, null=True, blank=True, editable=False
    )
    issuing_body = models.ForeignKey(
        Institution,
        verbose_name="发布机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="机构全称；留空时为本网站的开办机构。",
    )
    document_number = models.CharField(
        "文号", max_length=60, blank=True, help_text="如：通政办发〔2019〕89号"
    )
    topic = models.ForeignKey(
        TopicCategory,
        verbose_name="主题分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    written_date = models.DateField("成文日期", null=True, blank=True)
    validity = models.CharField("有效性", max_length=16, choices=Validity.choices, default=Validity.VALID)
    disclosure = models.CharField(
        "公开方式", max_length=16, choices=Disclosure.choices, default=Disclosure.PROACTIVE
    )
    keywords = models.CharField(
        "主题词", max_length=200, blank=True, help_text="多个主题词用空格或逗号分隔。"
    )
    source = models.CharField("来源", max_length=100, blank=True)
    author = models.CharField("作者", max_length=60, blank=True)
    summary = models.TextField("内容概述", max_length=300, blank=True)
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="题图",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = RichTextField("正文", blank=True)
    is_major = models.BooleanField(
        "重大信息", default=False, help_text="重大信息须经单位主要领导审核（第十五条）。"
    )
    concerns_leaders = models.BooleanField(
        "涉及国家、省、市领导",
        default=False,
        help_text="市政府门户网站由市大数据管理局主要领导审核把关（第十六条）。",
    )
    is_repost = models.BooleanField("转载", default=False)
    repost_source = models.ForeignKey(
        RepostSource,
        verbose_name="稿源单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="转载的，只能转载经确定的稿源单位发布的信息（第十七条）。",
    )

    review_panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("is_major"), FieldPanel("concerns_leaders")]),
                FieldRowPanel([FieldPanel("is_repost"), FieldPanel("repost_source")]),
            ],
            "审核要素",
        )
    ]
    metadata_panels = [
        MultiFieldPanel(
            [
                FieldPanel("issuing_body"),
                FieldRowPanel([FieldPanel("document_number"), FieldPanel("written_date")]),
                FieldRowPanel([FieldPanel("topic"), FieldPanel("validity"), FieldPanel("disclosure")]),
                FieldPanel("keywords"),
                FieldRowPanel([FieldPanel("source"), FieldPanel("author")]),
                FieldPanel("summary"),
            ],
            "统一元数据",
        )
    ]
    base_form_class = ContentPageForm
    content_panels = [
        *Page.content_panels,
        *metadata_panels,
        *review_panels,
        FieldPanel("cover_image"),
        FieldPanel("body"),
        InlinePanel("attachments", label="附件"),
        InlinePanel("images", label="图片"),
    ]
    search_fields = [
        *Page.search_fields,
        SegmentedSearchField("title", boost=2),
        SegmentedAutocompleteField("title"),
        SegmentedSearchField("body"),
        SegmentedSearchField("summary"),
        index.SearchField("document_number"),
        index.FilterField("validity"),
    ]
    parent_page_types = ["content.ColumnPage"]
    subpage_types: list[str] = []
    exclude_fields_in_copy = ["index_number", "first_published_at", "last_published_at"]
    is_creatable = False

    class Meta:
        verbose_name = "内容"

    @property
    def publication_date(self):
        return self.first_published_at or timezone.now()

    def clean(self) -> None:
        from govsite.content import services

        super().clean()
        services.validate_metadata(self)

    def save(self, *args, **kwargs):
        from govsite.content import services

        services.guard_immutable_metadata(self)
        if not self.index_number:
            services.assign_index_number(self)
        return super().save(*args, **kwargs)

    def with_content_json(self, content):
        """A revision never brings back another index number or first-publication date: once stored,
        they are fixed for the page's whole life (revisions keep dates only to the millisecond)."""
        obj = super().with_content_json(content)
        obj.index_number = self.index_number
        if self.first_published_at:
            obj.first_published_at = self.first_published_at
        return obj


class ContentAttachment(Orderable):
    page = ParentalKey(ContentPage, related_name="attachments", on_delete=models.CASCADE)
    document = models.ForeignKey(
        "wagtaildocs.Document", verbose_name="文件", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("附件名称", max_length=200, blank=True)
    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = "附件"

    @property
    def display_title(self) -> str:
        return self.title or self.document.title


class ContentImage(Orderable):
    page = ParentalKey(ContentPage, related_name="images", on_delete=models.CASCADE)
    image = models.ForeignKey(
        "wagtailimages.Image", verbose_name="图片", on_delete=models.PROTECT, related_name="+"
    )
    caption = models.CharField("图片说明", max_length=200, blank=True)
    panels = [FieldPanel("image"), FieldPanel("caption")]

    class Meta(Orderable.Meta):
        verbose_name = "图片"


class ArticlePage(ContentPage):
    """A news item, notice or any other article (稿件)."""

    is_creatable = True

    class Meta:
        verbose_name = "稿件"


class PolicyDocumentPage(ContentPage):
    """A policy document (政策文件): document number, issuing body and written date are required."""

    effective_date = models.DateField("施行日期", null=True, blank=True)
    content_panels = [
        *ContentPage.content_panels[:2],
        FieldPanel("effective_date"),
        *ContentPage.content_panels[2:],
    ]
    is_creatable = True

    class Meta:
        verbose_name = "政策文件"

    def live_interpretations(self):
        return InterpretationPage.objects.live().public().filter(document=self).order_by("first_published_at")


class InterpretationPage(ContentPage):
    """A policy interpretation (政策解读), linked to the document it interprets (Art. 8)."""

    class Form(models.TextChoices):
        TEXT = "text", "文字解读"
        GRAPHIC = "graphic", "图解"
        MEDIA = "media", "音视频"
        EXPERT = "expert", "专家解读"
        INTERVIEW = "interview", "在线访谈"

    document = models.ForeignKey(
        PolicyDocumentPage,
        verbose_name="所解读的政策文件",
        on_delete=models.PROTECT,
        related_name="interpretations",
    )
    form = models.CharField("解读形式", max_length=16, choices=Form.choices, default=Form.TEXT)
    submit_with_document = models.BooleanField(
        "随文件同步审核发布",
        default=False,
        help_text="勾选后不单独提交：所解读的文件通过三级审核时，本解读随之审核通过并同时发布（第八条）。",
    )
    content_panels = [
        *Page.content_panels,
        PageChooserPanel("document", "content.PolicyDocumentPage"),
        FieldPanel("form"),
        FieldPanel("submit_with_document"),
        *ContentPage.content_panels[1:],
    ]
    is_creatable = True

    class Meta:
        verbose_name = "政策解读"
