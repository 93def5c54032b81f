"""Rules of the unified metadata and of what columns show (Art. 6, 13, 20; 指引 §3.2).

- Index numbers (索引号) are `issuer code/YYYY-NNNNN`, generated once and never changed.
- Document numbers (文号) follow GB/T 9704-2012: agency code, year in 〔〕, serial, 号.
- The first-publication date is immutable once set: rewriting it is 伪造发稿日期, a veto item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from wagtail.models import Page

from govsite.content.models import (
    ColumnPage,
    ContentPage,
    HomePage,
    IndexNumberSequence,
    PolicyDocumentPage,
)
from govsite.sites.models import GovSite, Institution

DOCUMENT_NUMBER = re.compile(
    r"^(?P<agency>[\u4e00-\u9fa5A-Za-z]{1,20})〔(?P<year>\d{4})〕(?P<serial>\d{1,5})号$", re.ASCII
)
WRONG_BRACKETS = re.compile(r"[\[\]【】()（）〈〉<>{}［］﹝﹞〖〗]")
SUMMARY_LIMIT = 300


def document_number_problem(number: str) -> ValidationError | None:
    """GB/T 9704-2012 §7.2.3: 机关代字 + 〔年份〕 + 序号 + 号; no 第, no leading zeros."""
    number = number.strip()
    if WRONG_BRACKETS.search(number):
        return ValidationError(
            "文号中的年份应使用六角括号“〔〕”，如：通政办发〔2019〕89号。", code="document_number_brackets"
        )
    if "第" in number:
        return ValidationError("文号序号前不加“第”字，如：通政办发〔2019〕89号。", code="document_number_di")
    match = DOCUMENT_NUMBER.fullmatch(number)
    if not match:
        return ValidationError(
            "文号格式应为“机关代字〔年份〕序号号”，如：通政办发〔2019〕89号。", code="document_number_format"
        )
    if match["serial"].startswith("0"):
        return ValidationError(
            "文号序号不编虚位，不加“0”，如“9号”而非“09号”。", code="document_number_leading_zero"
        )
    year = int(match["year"])
    if not 1949 <= year <= timezone.localdate().year + 1:
        return ValidationError("文号中的年份不正确。", code="document_number_year")
    return None


def validate_metadata(page: ContentPage) -> None:
    """Check a content page's metadata; one Chinese message per problem, all at once."""
    errors: dict[str, ValidationError] = {}
    if page.document_number and (problem := document_number_problem(page.document_number)):
        errors["document_number"] = problem
    if isinstance(page, PolicyDocumentPage):
        errors.update(_policy_document_problems(page))
    if page.written_date and page.written_date > timezone.localdate():
        errors["written_date"] = ValidationError("成文日期不能晚于今天。", code="written_date_future")
    if page.summary and len(page.summary) > SUMMARY_LIMIT:
        errors["summary"] = ValidationError(f"内容概述不超过{SUMMARY_LIMIT}字。", code="summary_too_long")
    errors.update(repost_problems(page))
    if page.topic_id and page.topic.parent_id is None:
        errors["topic"] = ValidationError(
            "请选择二级主题分类，如“综合政务\\政务公开”。", code="topic_second_level"
        )
    try:
        guard_immutable_metadata(page)
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)


def repost_problems(page: ContentPage) -> dict[str, ValidationError]:
    """Art. 17: a repost names its source unit, chosen from the managed list of approved sources."""
    if not page.is_repost:
        return {}
    if not page.repost_source_id:
        return {
            "repost_source": ValidationError(
                "转载的信息须注明稿源单位（第十七条）。", code="repost_source_required"
            )
        }
    if not page.repost_source.active:
        return {
            "repost_source": ValidationError(
                f"“{page.repost_source.name}”不是经确定的有效稿源单位，不能转载其信息（第十七条）。",
                code="repost_source_not_approved",
            )
        }
    return {}


def _policy_document_problems(page: PolicyDocumentPage) -> dict[str, ValidationError]:
    errors = {}
    if not page.document_number:
        errors["document_number"] = ValidationError("政策文件须填写文号。", code="document_number_required")
    if not page.issuing_body_id:
        errors["issuing_body"] = ValidationError(
            "政策文件须填写发布机构（全称）。", code="issuing_body_required"
        )
    if not page.written_date:
        errors["written_date"] = ValidationError("政策文件须填写成文日期。", code="written_date_required")
    return errors


def guard_immutable_metadata(page: ContentPage) -> None:
    """The index number and the first-publication date never change once set.

    A rewritten 发稿日期 is 弄虚作假 (gov-site-rules §2.2, a veto item), so it is refused at the
    model, whatever path (admin, import, shell) tries it.
    """
    if not page.pk:
        return
    stored = ContentPage.objects.filter(pk=page.pk).values("index_number", "first_published_at").first()
    if stored is None:
        return
    errors = {}
    if stored["first_published_at"] and page.first_published_at != stored["first_published_at"]:
        errors["first_published_at"] = ValidationError(
            "首次发布日期一经确定不得修改（改写发稿日期属弄虚作假，为单项否决项）。",
            code="first_published_immutable",
        )
    if stored["index_number"] and page.index_number != stored["index_number"]:
        errors["index_number"] = ValidationError("索引号一经生成不得修改。", code="index_number_immutable")
    if errors:
        raise ValidationError(errors)


def gov_site_of(page: Page) -> GovSite | None:
    """The site whose tree holds `page` (works during the first save, once the tree path is set)."""
    anchor = page if page.pk else (page.get_parent() if page.path else None)
    site = anchor.get_site() if anchor else None
    return GovSite.objects.filter(site=site).select_related("institution").first() if site else None


def issuer_for(page: ContentPage) -> Institution | None:
    """The issuing body, or the institution that runs the page's site."""
    if page.issuing_body_id:
        return page.issuing_body
    gov_site = gov_site_of(page)
    return gov_site.institution if gov_site else None


def index_year(page: ContentPage) -> int:
    if page.first_published_at:
        return timezone.localtime(page.first_published_at).year
    return timezone.localdate().year


@transaction.atomic
def next_index_number(issuer_code: str, year: int) -> str:
    """Hand out the next `code/YYYY-NNNNN` for an issuer and year; the row lock makes serials unique."""
    sequence, _ = IndexNumberSequence.objects.select_for_update().get_or_create(
        issuer_code=issuer_code, year=year
    )
    sequence.last_serial += 1
    sequence.save(update_fields=["last_serial"])
    return f"{issuer_code}/{year}-{sequence.last_serial:05d}"


def assign_index_number(page: ContentPage) -> None:
    """指引 §3.2: the 前段码 is the issuer's organisation code; without one, the site's identifier code."""
    issuer = issuer_for(page)
    code = issuer.org_code if issuer and issuer.org_code else ""
    if not code:
        gov_site = gov_site_of(page)
        code = gov_site.identifier_code if gov_site else "0000000000"
    page.index_number = next_index_number(code, index_year(page))


def column_items(column: ColumnPage) -> QuerySet[ContentPage]:
    """What a column lists: live content in it and its sub-columns, plus the resource-library items
    it shares from other sites (Art. 20), newest first."""
    shared_ids = column.shared_items.values_list("page_id", flat=True)
    own = Q(path__startswith=column.path, depth__gt=column.depth)
    return (
        ContentPage.objects.live()
        .public()
        .filter(own | Q(pk__in=shared_ids))
        .specific()
        .order_by("-first_published_at", "-pk")
    )


def column_last_update(column: ColumnPage):
    """When the column last got a new item (own or shared), or None if it is blank."""
    latest = column_items(column).values_list("first_published_at", flat=True).first()
    return latest


def latest_in(home: HomePage, categories: tuple[str, ...], limit: int = 8) -> list[ContentPage]:
    columns = ColumnPage.objects.live().descendant_of(home).filter(category_id__in=categories)
    query = Q()
    for column in columns:
        query |= Q(path__startswith=column.path, depth=column.depth + 1)
        query |= Q(pk__in=column.shared_items.values_list("page_id", flat=True))
    if not query:
        return []
    return list(
        ContentPage.objects.live().public().filter(query).specific().order_by("-first_published_at")[:limit]
    )


def home_blocks(home: HomePage) -> dict:
    """The home page blocks of the 指引 §1.6: news, notices, policy documents, interpretations."""
    return {
        "news": latest_in(home, ("news", "city_affairs", "county_news", "department_news")),
        "notices": latest_in(home, ("notices",)),
        "policies": latest_in(home, ("policy",)),
        "interpretations": latest_in(home, ("interpretation",), limit=5),
        "nav_columns": home.get_children().live().in_menu().type(ColumnPage).specific(),
    }


def is_external(url: str, host: str) -> bool:
    """A link leaves the site when it names another host (指引 §1.4: warn before leaving)."""
    match = re.match(r"^(?:https?:)?//([^/:?#]+)", url.strip(), re.IGNORECASE)
    return bool(match) and match.group(1).lower() != host.lower()


def site_pages_for_map(home: Page) -> QuerySet[Page]:
    return Page.objects.live().public().descendant_of(home, inclusive=False).type(ColumnPage).specific()


# --- stable column pagination (issue 4: the cost of one publish does not grow with the column) ------


@dataclass(frozen=True)
class ColumnListing:
    """One list page of a column.

    Archive pages are numbered from the oldest item: page 1 holds the first `per_page` items ever
    published, page 2 the next, and so on, so adding an item changes only the newest archive page
    (and the one before it when a new page starts) plus the column's front page. The front page
    shows the newest archive page together with the one before it while the newest is not full
    (between `per_page` and 2×`per_page`-1 items), so that its “next page” link continues exactly
    where it ends: no item is shown twice and none is skipped. `number` is None on the front page.
    """

    items: list[ContentPage]
    number: int | None
    total: int | None
    has_newer: bool
    older_number: int | None

    @property
    def has_older(self) -> bool:
        return self.older_number is not None

    @property
    def newer_number(self) -> int | None:
        return self.number + 1 if self.number is not None and self.has_newer else None


def archive_page_count(column: ColumnPage) -> int:
    return -(-column_items(column).count() // column.per_page)


def front_start(total: int, per_page: int) -> int:
    """Rank (oldest = 0) of the oldest item on the column's front page."""
    newest = -(-total // per_page)
    first_bucket = newest if total % per_page == 0 else newest - 1
    return max(first_bucket - 1, 0) * per_page


def column_front(column: ColumnPage) -> ColumnListing:
    """The column's own address: the newest items, down to an archive-page boundary."""
    total = column_items(column).count()
    start = front_start(total, column.per_page)
    items = list(column_items(column)[: total - start])
    older = start // column.per_page if start else None
    return ColumnListing(items, None, total, has_newer=False, older_number=older)


def column_ids_oldest_first(column: ColumnPage) -> list[int]:
    """The ids of everything the column lists, oldest first (what archive page numbers count)."""
    return list(column_items(column).order_by("first_published_at", "pk").values_list("pk", flat=True))


def column_archive(
    column: ColumnPage, number: int, ordered_ids: list[int] | None = None
) -> ColumnListing | None:
    """Archive page `number` (1 = oldest), newest first within the page; None when it does not exist.

    The page never shows the total, so it changes only when one of its own items changes or, for
    the newest page, when an item is added. `ordered_ids` (from `column_ids_oldest_first`) lets a
    rebuild render every archive page of a long column without an OFFSET scan for each.
    """
    if number < 1:
        return None
    start = (number - 1) * column.per_page
    if ordered_ids is None:
        oldest_first = column_items(column).order_by("first_published_at", "pk")
        window = list(oldest_first[start : start + column.per_page + 1])
    else:
        window_ids = ordered_ids[start : start + column.per_page + 1]
        found = {item.pk: item for item in column_items(column).filter(pk__in=window_ids)}
        window = [found[pk] for pk in window_ids if pk in found]
    if not window:
        return None
    has_newer = len(window) > column.per_page
    items = window[: column.per_page]
    items.reverse()
    return ColumnListing(items, number, None, has_newer=has_newer, older_number=number - 1 or None)


def archive_number_of(column: ColumnPage, item: ContentPage) -> int | None:
    """The archive page of `column` that lists `item` (by its rank among the column's items, oldest first)."""
    if item.first_published_at is None:
        return None
    older = column_items(column).filter(
        Q(first_published_at__lt=item.first_published_at)
        | Q(first_published_at=item.first_published_at, pk__lt=item.pk)
    )
    return older.count() // column.per_page + 1


# --- sitemap in fixed shards (issue 4: one publish rewrites one shard and the index) --------------

SITEMAP_SHARD_SIZE = 5000


def _site_pages(root: Page) -> QuerySet[Page]:
    return Page.objects.live().public().descendant_of(root, inclusive=True)


def sitemap_shards(root: Page) -> list[int]:
    """The shard numbers that hold at least one page of this site; shard n holds page ids
    n*SITEMAP_SHARD_SIZE … (n+1)*SITEMAP_SHARD_SIZE-1, so a page never moves between shards."""
    shards = (
        _site_pages(root)
        .annotate(shard=F("pk") / SITEMAP_SHARD_SIZE)
        .order_by()
        .values_list("shard", flat=True)
        .distinct()
    )
    return sorted(shards)


def sitemap_shard_has_pages(root: Page, shard: int) -> bool:
    low = shard * SITEMAP_SHARD_SIZE
    return _site_pages(root).filter(pk__gte=low, pk__lt=low + SITEMAP_SHARD_SIZE).exists()


def sitemap_shard_of(page: Page) -> int:
    return page.pk // SITEMAP_SHARD_SIZE


def sitemap_entries(root: Page, shard: int) -> list[tuple[str, object]]:
    """(relative URL, last published) of the site's live pages in one shard."""
    low = shard * SITEMAP_SHARD_SIZE
    rows = (
        _site_pages(root)
        .filter(pk__gte=low, pk__lt=low + SITEMAP_SHARD_SIZE)
        .order_by("pk")
        .values_list("url_path", "last_published_at")
    )
    base = len(root.url_path) - 1
    return [(url_path[base:], published) for url_path, published in rows]
