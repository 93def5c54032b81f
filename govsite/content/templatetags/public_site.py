"""Template tags of the public site: navigation, the leaving notice, the theme colour, pagination.

The template set is one design for every site; what differs per site (name, colour, columns)
comes from the `gov_site` context variable and the request's site root. These tags only read:
the rules they present (指引 §1.4 leaving notice, §1.5 meta tags) are explained where they are used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape, unescape
from urllib.parse import quote

from django import template
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page, Site

from govsite.content.models import ColumnPage
from govsite.content.render_cache import per_run, run_cache
from govsite.content.services import is_external

register = template.Library()

DEFAULT_THEME = "#b5121b"
HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
MIN_CONTRAST = 4.5  # WCAG 2 AA for body text; the theme colour is used as text and behind white text
LEAVING_PATH = "/leaving/"
ANCHOR_TAG = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
HREF_ATTRIBUTE = re.compile(r"(\shref\s*=\s*)(\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)


# --- the site and its columns --------------------------------------------------------------------


def _request(context) -> HttpRequest | None:
    return context.get("request")


def site_root(context) -> Page | None:
    """The root page of the site answering the request (the home page)."""
    gov_site = context.get("gov_site")
    if gov_site is not None:
        return gov_site.site.root_page
    request = _request(context)
    site = Site.find_for_request(request) if request is not None else None
    return site.root_page if site else None


def _current_page(context) -> Page | None:
    page = context.get("page")
    return page if isinstance(page, Page) else None


@register.simple_tag(takes_context=True)
def nav_items(context) -> list[dict]:
    """The top-level columns for the navigation bar: live, in-menu ColumnPage children of the site root.

    The home page passes them as `nav_columns`; elsewhere they are computed here. Each item says
    whether the current page is the column itself (`page`) or inside it (`section`).
    """
    columns = context.get("nav_columns")
    if columns is None:
        root = site_root(context)
        columns = memo(
            context,
            ("nav", root.pk if root else None),
            lambda: list(root.get_children().live().in_menu().type(ColumnPage).specific()) if root else [],
        )
    current = _current_page(context)
    items = []
    for column in columns:
        state = ""
        if current is not None and current.path.startswith(column.path):
            state = "page" if current.pk == column.pk else "section"
        items.append({"column": column, "state": state})
    return items


@register.simple_tag(takes_context=True)
def category_column(context, code: str) -> ColumnPage | None:
    """The first live column of this site with the given category code (for the “更多” links)."""
    root = site_root(context)
    if root is None:
        return None
    return ColumnPage.objects.live().descendant_of(root).filter(category_id=code).order_by("path").first()


def memo(context, key: tuple, compute):
    """Compute once per publishing run (pages of one column share their ancestors and navigation);
    see `content.render_cache`."""
    return per_run(_request(context), key, compute)


@register.simple_tag(takes_context=True)
def breadcrumb_ancestors(context, page: Page) -> list[Page]:
    """The pages above `page`, from its site's home page down (the tree root is not part of a site)."""
    if not isinstance(page, Page) or page.depth <= 2:
        return []
    parent_path = page.path[: -Page.steplen]
    return memo(
        context,
        ("ancestors", parent_path),
        lambda: list(page.get_ancestors().filter(depth__gte=2).specific()),
    )


@register.simple_tag(takes_context=True)
def parent_page(context, page: Page) -> Page | None:
    """The page directly above `page` (its column, for the 指引 §1.5 ColumnName tag)."""
    ancestors = breadcrumb_ancestors(context, page)
    return ancestors[-1] if ancestors else None


@register.simple_tag(takes_context=True)
def section_columns(context, page: ColumnPage, subcolumns) -> dict:
    """What a column's side menu lists: its subcolumns, or else its sibling columns under the parent column."""
    subcolumns = list(subcolumns or [])
    if subcolumns:
        return {"heading": page.title, "heading_page": page, "columns": subcolumns}
    parent = page.get_parent().specific
    if isinstance(parent, ColumnPage):
        siblings = parent.get_children().live().public().type(ColumnPage).specific()
        return {"heading": parent.title, "heading_page": parent, "columns": list(siblings)}
    return {"heading": "", "heading_page": None, "columns": []}


@dataclass
class TreeNode:
    page: Page
    children: list[TreeNode] = field(default_factory=list)


@register.simple_tag
def column_tree(columns) -> list[TreeNode]:
    """Turn a path-ordered list of columns into a nested tree (for the 网站地图).

    A column whose parent is not in the list (e.g. a hidden parent) hangs from its nearest listed ancestor.
    """
    roots: list[TreeNode] = []
    stack: list[TreeNode] = []
    for column in sorted(columns, key=lambda page: page.path):
        node = TreeNode(column)
        while stack and not column.path.startswith(stack[-1].page.path):
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


# --- links that leave the site (指引 §1.4) ---------------------------------------------------------


def _internal_hosts(request: HttpRequest | None) -> set[str]:
    if request is None:
        return set()
    hosts = {request.get_host().rsplit(":", 1)[0].lower()}
    gov_site = getattr(request, "gov_site", None)
    if gov_site is not None and gov_site.domain:
        hosts.add(gov_site.domain.lower())
    return hosts


def _leaves(url: str, hosts: set[str]) -> bool:
    if not hosts:
        return False
    return all(is_external(url, host) for host in hosts)


def leaving_href(url: str, request: HttpRequest | None = None) -> str:
    """`/leaving/?to=<url>`; a protocol-relative `//host/…` gets the current scheme so the notice can show it."""
    if url.startswith("//"):
        url = f"{request.scheme if request is not None else 'https'}:{url}"
    return f"{LEAVING_PATH}?to={quote(url, safe='')}"


@register.filter
def via_leaving(url: str, request: HttpRequest | None = None) -> str:
    """A URL to put in an href: links to another host go through the leaving notice first.

    Without a request (a template rendered outside one) every absolute http(s) URL is treated as external.
    """
    url = (url or "").strip()
    if not url:
        return url
    if request is None:
        leaves = bool(re.match(r"^(?:https?:)?//", url, re.IGNORECASE))
    else:
        leaves = _leaves(url, _internal_hosts(request))
    return leaving_href(url, request) if leaves else url


@register.filter(is_safe=True)
def leaving_links(html: str, request: HttpRequest | None = None) -> SafeString:
    """Rewrite the links in rendered rich text that leave the site to `/leaving/?to=…` (指引 §1.4).

    Internal links (relative, or to this host / the site's registered domain) are kept. The input is
    rich text that Wagtail has already rendered and sanitised; only href values change, re-escaped.
    """
    hosts = _internal_hosts(request)

    def rewrite_href(match: re.Match) -> str:
        raw = match.group(3) if match.group(3) is not None else match.group(4)
        url = unescape(raw).strip()
        if not _leaves(url, hosts):
            return match.group(0)
        return f'{match.group(1)}"{escape(leaving_href(url, request), quote=True)}"'

    def rewrite_anchor(match: re.Match) -> str:
        return HREF_ATTRIBUTE.sub(rewrite_href, match.group(0), count=1)

    return mark_safe(ANCHOR_TAG.sub(rewrite_anchor, str(html or "")))  # the input is already safe HTML


@register.simple_tag(takes_context=True)
def absolute_url(context, url: str) -> str:
    """`url` made absolute against the current request (for <meta name="Image"> and the like)."""
    request = _request(context)
    if not url or request is None:
        return url or ""
    return request.build_absolute_uri(url)


# --- the per-site theme colour ---------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _mix(rgb, other, share: float) -> tuple[float, float, float]:
    return tuple(c + (o - c) * share for c, o in zip(rgb, other, strict=True))


WHITE = (255, 255, 255)
BLACK = (0, 0, 0)


def theme_palette(colour: str | None) -> dict[str, str]:
    """The site's colour, darkened only as far as needed to keep 4.5:1 against white and its own tint.

    Returns `theme` (links, headings, the banner behind white text), `theme_dark` (navigation bar,
    hover) and `theme_tint` (light backgrounds that carry theme-coloured text).
    """
    colour = colour if colour and HEX_COLOUR.match(colour) else DEFAULT_THEME
    rgb: tuple[float, float, float] = _rgb(colour)
    tint = _mix(rgb, WHITE, 0.93)
    steps = 0
    while (contrast(rgb, WHITE) < MIN_CONTRAST or contrast(rgb, tint) < MIN_CONTRAST) and steps < 40:
        rgb = _mix(rgb, BLACK, 0.06)
        steps += 1
    dark = _mix(rgb, BLACK, 0.25)
    return {
        "theme": _hex(rgb) if steps else colour.lower(),
        "theme_dark": _hex(dark),
        "theme_tint": _hex(tint),
    }


@register.simple_tag
def theme_style(colour: str | None) -> SafeString:
    """A `<style>` block declaring the site's colours as CSS custom properties (CSP allows inline styles)."""
    palette = theme_palette(colour)
    return mark_safe(  # the values are validated hex colours
        "<style>:root{"
        f"--theme:{palette['theme']};--theme-dark:{palette['theme_dark']};--theme-tint:{palette['theme_tint']}"
        "}</style>"
    )


# --- pagination -----------------------------------------------------------------------------------


@register.simple_tag
def page_numbers(items) -> list:
    """Page numbers around the current one, with `None` where numbers are elided (shown as “…”)."""
    paginator = items.paginator
    ellipsis = paginator.ELLIPSIS
    return [
        None if number == ellipsis else number
        for number in paginator.get_elided_page_range(items.number, on_each_side=2, on_ends=1)
    ]


# --- rendering once per publishing run ------------------------------------------------------------


class MemoNode(template.Node):
    def __init__(self, nodelist, keys):
        self.nodelist = nodelist
        self.keys = keys

    def render(self, context) -> str:
        request = _request(context)
        if run_cache(request) is None:
            return self.nodelist.render(context)
        key = ("block", id(self), *(expression.resolve(context) for expression in self.keys))
        return per_run(request, key, lambda: self.nodelist.render(context))


@register.tag("memo_block")
def memo_block(parser, token) -> MemoNode:
    """`{% memo_block key … %}…{% endmemo_block %}`: while the static publisher renders a batch of
    pages, the part is rendered once per key (the header of a site, its navigation per section)
    and reused; for a browser's request it renders as usual. The keys must name everything the
    part shows."""
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endmemo_block",))
    parser.delete_first_token()
    return MemoNode(nodelist, keys)


@register.simple_tag(takes_context=True)
def nav_state(context) -> str:
    """What the navigation bar's highlighting depends on: the top-level column the current page is
    in, and whether the page is that column or the home page (a key for `memo_block`)."""
    template_name = getattr(getattr(context, "template", None), "name", "")
    current = _current_page(context)
    if current is None:
        return f"{template_name}:none"
    top = current.path[: Page.steplen * 3]
    return f"{template_name}:{top}:{current.depth}" if current.depth <= 3 else f"{template_name}:{top}:in"
