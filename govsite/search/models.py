"""Search index, the words it knows, and what people search for and choose (Art. 21)."""

from __future__ import annotations

from django.db import models
from wagtail.models import Page

from govsite.sites.models import GovSite


class TsVectorField(models.TextField):
    """A PostgreSQL tsvector; only migrations up to 0007 use it (the index now stores term ids)."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"


class TermsField(models.Field):
    """PostgreSQL: a document's term ids (`bigint[]`, see `index.term_id`), written only by
    `documents` (binary COPY or an array parameter); unused (NULL) on SQLite, which has FTS5."""

    def db_type(self, connection):
        return "bigint[]" if connection.vendor == "postgresql" else "text"


class SearchDocument(models.Model):
    """One published item as search sees it: metadata for facets and ranking, text for snippets.

    The full-text side lives beside it: an FTS5 table over `title_tokens`, `body_tokens` and `tags`
    on SQLite, a `SearchVector` row on PostgreSQL (see `govsite.search.index`).
    Rows are written only for pages that are live and passed review, by the publishing worker.
    """

    page_id = models.PositiveIntegerField("页面", unique=True)
    site = models.ForeignKey(
        GovSite, verbose_name="网站", null=True, on_delete=models.CASCADE, related_name="+"
    )
    path = models.CharField("地址", max_length=500)
    title = models.CharField("标题", max_length=300)
    body = models.TextField("正文摘录", blank=True)
    column_title = models.CharField("栏目", max_length=100, blank=True)
    category = models.CharField("栏目分类", max_length=40, blank=True)
    ctype = models.CharField("类型", max_length=20, blank=True)
    topic = models.CharField("主题分类", max_length=60, blank=True)
    issuer = models.CharField("发布机构", max_length=100, blank=True)
    year = models.PositiveSmallIntegerField("年份", null=True)
    document_number = models.CharField("文号", max_length=60, blank=True)
    document_number_key = models.CharField(max_length=60, blank=True, db_index=True)
    index_number = models.CharField("索引号", max_length=40, blank=True, db_index=True)
    validity = models.CharField("有效性", max_length=16, blank=True)
    published_at = models.DateTimeField("发布时间", null=True)
    clicks = models.PositiveIntegerField("点击", default=0)
    title_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)
    tags = models.TextField(blank=True)
    indexed_at = models.DateTimeField("索引时间", auto_now=True)

    class Meta:
        verbose_name = "检索文档"
        verbose_name_plural = "检索文档"

    def __str__(self) -> str:
        return self.title


class SearchVector(models.Model):
    """PostgreSQL: a document's term ids and its facet columns, in a table partitioned by id.

    Search reads the newest matches: partitions by ranges of document ids keep each GIN index
    (one per partition) to its own range, so a common word's posting list is read only for the
    newest documents, and the facet columns of thousands of matches come from narrow rows rather
    than from the wide document rows. Written only by `documents._write_rows`; the table exists
    on SQLite too but stays empty there (FTS5 does this job). See `index.ensure_partitions`.
    """

    document = models.OneToOneField(
        SearchDocument,
        primary_key=True,
        db_column="id",
        db_constraint=False,
        on_delete=models.CASCADE,
        related_name="+",
    )
    site_id = models.BigIntegerField(null=True)
    category = models.CharField(max_length=40, blank=True)
    ctype = models.CharField(max_length=20, blank=True)
    topic = models.CharField(max_length=60, blank=True)
    year = models.PositiveSmallIntegerField(null=True)
    issuer = models.CharField(max_length=100, blank=True)
    validity = models.CharField(max_length=16, blank=True)
    terms = TermsField(null=True)

    class Meta:
        db_table = "govsearch_vector"

    def __str__(self) -> str:
        return f"检索向量 {self.pk}"


class SearchWord(models.Model):
    """A custom dictionary word: place names, unit names, policy terms (jieba user dictionary)."""

    class Kind(models.TextChoices):
        PLACE = "place", "地名"
        UNIT = "unit", "单位名称"
        POLICY = "policy", "政策术语"
        SERVICE = "service", "办事事项"
        OTHER = "other", "其他"

    word = models.CharField("词语", max_length=40, unique=True)
    kind = models.CharField("类别", max_length=10, choices=Kind.choices, default=Kind.OTHER)
    weight = models.PositiveIntegerField("词频", default=2000, help_text="越大越不易被切开。")
    active = models.BooleanField("启用", default=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "检索词典"
        verbose_name_plural = "检索词典"
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class SynonymGroup(models.Model):
    """Words that mean the same for search (社保 ↔ 社会保险): a query for one finds all."""

    words = models.CharField("同义词", max_length=300, help_text="用逗号或空格分隔，如：社保，社会保险")
    active = models.BooleanField("启用", default=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "同义词"
        verbose_name_plural = "同义词"

    def __str__(self) -> str:
        return self.words

    def word_list(self) -> list[str]:
        from govsite.search.text import normalize

        parts = normalize(self.words).replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
        return [part.strip() for part in parts if part.strip()]


class PinnedResult(models.Model):
    """An editor's best answer for a query: shown first (Art. 21)."""

    query = models.CharField("检索词", max_length=100)
    page = models.ForeignKey(Page, verbose_name="最佳答案", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(
        GovSite,
        verbose_name="网站",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="留空时在全平台和各网站都生效。",
    )
    active = models.BooleanField("启用", default=True)
    until = models.DateField("有效期至", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "置顶答案"
        verbose_name_plural = "置顶答案"

    def __str__(self) -> str:
        return f"{self.query} → {self.page_id}"


class SearchTerm(models.Model):
    """A word people may mean: for suggestions, pinyin (shebao, sb → 社保) and corrections."""

    term = models.CharField("词语", max_length=60, unique=True)
    pinyin = models.CharField("拼音", max_length=200, db_index=True)
    initials = models.CharField("首字母", max_length=60, db_index=True)
    weight = models.PositiveIntegerField("热度", default=0)
    source = models.CharField("来源", max_length=20, blank=True)

    class Meta:
        verbose_name = "检索提示词"
        verbose_name_plural = "检索提示词"

    def __str__(self) -> str:
        return self.term


class QueryDay(models.Model):
    """How often a query was searched on a day, on one site or platform-wide (site empty).

    No personal data: no address, no cookie, no account — only the query text and counts.
    """

    day = models.DateField("日期")
    site = models.ForeignKey(
        GovSite, verbose_name="网站", null=True, on_delete=models.CASCADE, related_name="+"
    )
    query = models.CharField("检索词", max_length=100)
    searches = models.PositiveIntegerField("检索次数", default=0)
    zero_results = models.PositiveIntegerField("无结果次数", default=0)

    class Meta:
        verbose_name = "检索日志"
        verbose_name_plural = "检索日志"
        constraints = [
            models.UniqueConstraint(fields=["day", "site", "query"], name="govsearch_queryday_unique"),
            models.UniqueConstraint(
                fields=["day", "query"], condition=models.Q(site=None), name="govsearch_queryday_platform"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.query}"


class ResultClick(models.Model):
    """Which result people chose for a query (no personal data): raises it for that query."""

    query = models.CharField("检索词", max_length=100)
    page_id = models.PositiveIntegerField("页面")
    clicks = models.PositiveIntegerField("点击", default=0)
    last_day = models.DateField("最近点击")

    class Meta:
        verbose_name = "结果点击"
        verbose_name_plural = "结果点击"
        constraints = [models.UniqueConstraint(fields=["query", "page_id"], name="govsearch_click_unique")]

    def __str__(self) -> str:
        return f"{self.query} → {self.page_id}"


class ReindexRun(models.Model):
    """A full reindex in progress or finished; resumable from `done_up_to` (last page id done)."""

    scope = models.CharField("范围", max_length=60, default="all")
    total = models.PositiveIntegerField("总数", default=0)
    done = models.PositiveIntegerField("已完成", default=0)
    done_up_to = models.PositiveIntegerField("已完成至页面", default=0)
    started_at = models.DateTimeField("开始", auto_now_add=True)
    finished_at = models.DateTimeField("结束", null=True, blank=True)

    class Meta:
        verbose_name = "重建索引"
        verbose_name_plural = "重建索引"

    def __str__(self) -> str:
        return f"{self.scope} {self.done}/{self.total}"
