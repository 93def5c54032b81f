"""Which published files a change touches (issue 4 point 1), and no more.

A content item appears on its own page, on the list pages of every column that lists it (its
ancestors and the columns of other sites that share it, Art. 20), in their feeds, on the home page
of each of those sites, in one sitemap shard, and on the pages that link to it (a document and its
interpretations, Art. 8). Column pages are numbered from the oldest item (see
`content.services.column_archive`), so adding an item rewrites at most two archive pages per column,
however long the column is. Removing an item shifts the archive pages after it; that is the one
change whose cost grows with the column, and it is rare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wagtail.models import Page, Site

from govsite.content import services as content
from govsite.content.models import (
    ColumnPage,
    ColumnShare,
    ContentPage,
    InterpretationPage,
    PolicyDocumentPage,
)

SITE_MAP_PATH = "/sitemap/"


@dataclass(frozen=True)
class Target:
    site_id: int
    url_path: str


@dataclass
class Plan:
    """The URLs to render (with the page each belongs to) and to remove, per site."""

    render: dict[Target, int | None] = field(default_factory=dict)
    remove: set[Target] = field(default_factory=set)
    redirects: dict[Target, str] = field(default_factory=dict)
    whole_sites: set[int] = field(default_factory=set)

    def add(self, site_id: int, url_path: str, page_id: int | None = None) -> None:
        target = Target(site_id, url_path)
        self.remove.discard(target)
        self.render.setdefault(target, page_id)

    def drop(self, site_id: int, url_path: str) -> None:
        target = Target(site_id, url_path)
        if target not in self.render:
            self.remove.add(target)


class SiteIndex:
    """The platform's Wagtail sites by root path, loaded once per job."""

    def __init__(self) -> None:
        self.sites = {site.pk: site for site in Site.objects.select_related("root_page")}
        self._by_root = sorted(
            ((site.root_page.path, site) for site in self.sites.values()), key=lambda row: -len(row[0])
        )

    def site_of(self, page: Page) -> Site | None:
        for path, site in self._by_root:
            if page.path.startswith(path):
                return site
        return None

    def url_path(self, page: Page, site: Site | None = None) -> str | None:
        """The page's path on its own site (`/column/item/`), or None outside every site."""
        site = site or self.site_of(page)
        if site is None:
            return None
        root_url_path = site.root_page.url_path
        return "/" + page.url_path[len(root_url_path) :] if page.url_path.startswith(root_url_path) else None


# --- content items ----------------------------------------------------------------------------------


def columns_listing(item: ContentPage) -> list[ColumnPage]:
    """Every column whose list shows `item`: its column ancestors and the columns that share it."""
    ancestors = list(ColumnPage.objects.live().filter(pk__in=_ancestor_ids(item)))
    shared_in = list(
        ColumnPage.objects.live().filter(
            pk__in=ColumnShare.objects.filter(page_id=item.pk).values_list("column_id", flat=True)
        )
    )
    return ancestors + [column for column in shared_in if column.pk not in {c.pk for c in ancestors}]


def _ancestor_ids(page: Page) -> list[int]:
    steplen = Page.steplen
    prefixes = [page.path[:end] for end in range(steplen, len(page.path), steplen)]
    return list(Page.objects.filter(path__in=prefixes).values_list("pk", flat=True))


def linked_items(item: ContentPage) -> list[ContentPage]:
    """Pages that show a link to `item`: a document's interpretations, an interpretation's document."""
    if isinstance(item, PolicyDocumentPage):
        return list(InterpretationPage.objects.live().filter(document_id=item.pk))
    if isinstance(item, InterpretationPage) and item.document_id:
        return list(PolicyDocumentPage.objects.live().filter(pk=item.document_id))
    return []


def plan_item(plan: Plan, index: SiteIndex, item: ContentPage, *, added: bool) -> None:
    """An item was published (`added`) or taken down: its page, lists, feeds, homes, sitemap, links."""
    site = index.site_of(item)
    own_path = index.url_path(item, site)
    if site is not None and own_path is not None:
        if item.live:
            plan.add(site.pk, own_path, item.pk)
        else:
            plan.drop(site.pk, own_path)
        _plan_sitemap(plan, site, item)
    for column in columns_listing(item):
        plan_column_lists(plan, index, column, item, added=added)
    for linked in linked_items(item):
        linked_site = index.site_of(linked)
        linked_path = index.url_path(linked, linked_site)
        if linked_site is not None and linked_path is not None:
            plan.add(linked_site.pk, linked_path, linked.pk)


def plan_column_lists(plan: Plan, index: SiteIndex, column: ColumnPage, item: ContentPage, *, added: bool):
    """The column's front page and feed, the archive pages that list `item`, and its site's home."""
    site = index.site_of(column)
    column_path = index.url_path(column, site)
    if site is None or column_path is None:
        return
    plan.add(site.pk, column_path, column.pk)
    plan.add(site.pk, f"{column_path}feed.xml", column.pk)
    plan.add(site.pk, "/", site.root_page_id)
    number = content.archive_number_of(column, item)
    if number is None:
        return
    if added:
        # The item's archive page, and the one before it, whose “newer” link appears with a new page.
        numbers = [number - 1, number] if number > 1 else [number]
    else:
        # Removing an item shifts every later archive page by one item; the newest may disappear.
        newest = content.archive_page_count(column)
        numbers = list(range(number, newest + 2))
    pages = content.archive_page_count(column)
    for archive in numbers:
        path = f"{column_path}list_{archive}.html"
        if 1 <= archive <= pages:
            plan.add(site.pk, path, column.pk)
        else:
            plan.drop(site.pk, path)


def _plan_sitemap(plan: Plan, site: Site, page: Page) -> None:
    plan.add(site.pk, "/sitemap.xml")
    shard_path = f"/sitemap-{content.sitemap_shard_of(page)}.xml"
    if content.sitemap_shard_has_pages(site.root_page, content.sitemap_shard_of(page)):
        plan.add(site.pk, shard_path)
    else:
        plan.drop(site.pk, shard_path)


# --- columns, home pages, whole sites ----------------------------------------------------------------


def plan_column(plan: Plan, index: SiteIndex, column: ColumnPage) -> None:
    """A column's own settings changed: its pages, its parent's, the navigation and the site map.

    A top-level column is in every page's navigation, so its site is rebuilt whole.
    """
    site = index.site_of(column)
    if site is None:
        return
    if column.depth == site.root_page.depth + 1:
        plan.whole_sites.add(site.pk)
        return
    column_path = index.url_path(column, site)
    if column_path is None:
        return
    plan_column_everything(plan, site, column, column_path)
    parent = column.get_parent().specific
    parent_path = index.url_path(parent, site)
    if parent_path is not None:
        plan.add(site.pk, parent_path, parent.pk)
    plan.add(site.pk, SITE_MAP_PATH)
    _plan_sitemap(plan, site, column)


def plan_column_everything(plan: Plan, site: Site, column: ColumnPage, column_path: str) -> None:
    """Every list page of one column: front page, feed and all archive pages."""
    if not column.live:
        plan.drop(site.pk, column_path)
        plan.drop(site.pk, f"{column_path}feed.xml")
        return
    plan.add(site.pk, column_path, column.pk)
    plan.add(site.pk, f"{column_path}feed.xml", column.pk)
    for number in range(1, content.archive_page_count(column) + 1):
        plan.add(site.pk, f"{column_path}list_{number}.html", column.pk)


def site_urls(index: SiteIndex, site: Site) -> list[tuple[str, int | None]]:
    """Every URL of a site in publishing order: pages by id, then list pages, feeds, site maps."""
    urls: list[tuple[str, int | None]] = []
    pages = Page.objects.live().public().descendant_of(site.root_page, inclusive=True).order_by("pk")
    for page in pages.only("pk", "path", "url_path", "depth").iterator(chunk_size=2000):
        path = index.url_path(page, site)
        if path is not None:
            urls.append((path, page.pk))
    return urls + site_list_urls(index, site)


def site_list_urls(index: SiteIndex, site: Site) -> list[tuple[str, int | None]]:
    urls: list[tuple[str, int | None]] = []
    for column in ColumnPage.objects.live().public().descendant_of(site.root_page).order_by("pk"):
        path = index.url_path(column, site)
        if path is None:
            continue
        urls.append((f"{path}feed.xml", column.pk))
        for number in range(1, content.archive_page_count(column) + 1):
            urls.append((f"{path}list_{number}.html", column.pk))
    urls.append((SITE_MAP_PATH, None))
    urls.append(("/sitemap.xml", None))
    for shard in content.sitemap_shards(site.root_page):
        urls.append((f"/sitemap-{shard}.xml", None))
    return urls
