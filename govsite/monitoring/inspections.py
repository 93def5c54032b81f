"""The inspections of Art. 23 (整体运行、链接可用、栏目更新、信息内容质量、安全防护) and Art. 25.

Each probe looks at every open site and returns an `ObservationBatch`; `services.run_inspection`
turns it into findings. Probes read published pages from the publish root (what visitors get) and
reach sites over HTTP through `site_origin` (GOVSITE_MONITOR_ORIGIN sends every request to one
address with the site's Host header, e.g. the front of `make run` on 127.0.0.1).

The same scheduler also sends the cases' deadline reminders on working days (`send_case_reminders`):
one scheduler for every periodic job of the platform.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from wagtail.models import Page

from govsite.content.models import ColumnPage, ColumnShare, ContentPage
from govsite.monitoring.models import AvailabilityCheck, Finding, InspectionRun, LinkCheck
from govsite.monitoring.services import Observation, ObservationBatch, wording_scanner
from govsite.publishing import storage
from govsite.publishing.models import PublishedFile
from govsite.sites.models import GovSite
from govsite.workdays import services as workdays

Progress = Callable[[int, int], None]

AVAILABILITY_TIMEOUT = 15.0  # §2.2: a site "still fails to open after ≥ 15 s"
AVAILABILITY_VETO_SHARE = 0.05
AVAILABILITY_MIN_DAILY = 20
KEY_PAGES = 5
HOME_STALE_DAYS = 14
VETO_STALE, VETO_LONG_STALE, VETO_BLANK = 5, 10, 5
CERT_WARN_DAYS = 30
REQUIRED_HEADERS = {
    "content-security-policy": "Content-Security-Policy",
    "x-content-type-options": "X-Content-Type-Options",
    "referrer-policy": "Referrer-Policy",
}
COMMERCIAL_HOSTS = (
    "taobao.com",
    "tmall.com",
    "jd.com",
    "pinduoduo.com",
    "doubleclick.net",
    "googlesyndication.com",
    "pos.baidu.com",
    "cpro.baidu.com",
    "union.baidu.com",
    "adservice.google.com",
)


def open_sites() -> list[GovSite]:
    return list(GovSite.objects.filter(status=GovSite.Status.OPEN).select_related("site").order_by("pk"))


def site_origin(gov_site: GovSite) -> tuple[str, dict[str, str]]:
    """Where to send a request for `gov_site`, and the headers that name the site."""
    site = gov_site.site
    host = site.hostname if site.port in (80, 443) else f"{site.hostname}:{site.port}"
    override = getattr(settings, "GOVSITE_MONITOR_ORIGIN", "")
    if override:
        return override.rstrip("/"), {"Host": host}
    return site.root_url.rstrip("/"), {}


def site_url(gov_site: GovSite, path: str) -> str:
    """The public URL of a path on the site (what findings show)."""
    return gov_site.site.root_url.rstrip("/") + "/" + path.lstrip("/")


def published_pages(gov_site: GovSite) -> Iterator[tuple[str, str]]:
    """(url path, html) of every published HTML page of the site, read from the publish root."""
    host = gov_site.site.hostname
    paths = (
        PublishedFile.objects.filter(host=host, path__endswith=".html")
        .order_by("path")
        .values_list("path", flat=True)
    )
    base = storage.root() / host
    for path in paths.iterator():
        try:
            html = (base / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # a missing file is the tamper check's finding
        url_path = "/" + (path[: -len("index.html")] if path.endswith("index.html") else path)
        yield url_path, html


# --- availability (§2.2 站点无法访问; Art. 23 整体运行情况) -------------------------------------


@dataclass
class Probe:
    url: str
    is_home: bool
    status: int | None = None
    elapsed_ms: float | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def key_paths(gov_site: GovSite) -> list[tuple[str, bool]]:
    """The home page and the first top-level columns in the menu."""
    home = gov_site.site.root_page
    columns = home.get_children().live().in_menu().type(ColumnPage)[:KEY_PAGES]
    return [("/", True), *[(column.url_path[len(home.url_path) - 1 :], False) for column in columns]]


async def _fetch(client: httpx.AsyncClient, probe: Probe, headers: dict[str, str], timeout: float) -> Probe:
    started = time.perf_counter()
    try:
        response = await client.get(probe.url, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        probe.problem = f"超过 {timeout:g} 秒未打开"
    except httpx.HTTPError as error:
        probe.problem = f"无法连接（{type(error).__name__}）"
    else:
        probe.status = response.status_code
        if response.status_code >= 400:
            probe.problem = f"HTTP {response.status_code}"
    probe.elapsed_ms = (time.perf_counter() - started) * 1000
    return probe


async def _probe_sites(targets: list[tuple[GovSite, list[Probe], dict[str, str]]], timeout: float) -> None:
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(limits=limits, follow_redirects=True, verify=True) as client:
        await asyncio.gather(
            *[
                _fetch(client, probe, headers, timeout)
                for _site, probes, headers in targets
                for probe in probes
            ]
        )


def check_availability(progress: Progress | None = None, *, now: datetime | None = None) -> ObservationBatch:
    """Art. 23 and gov-site-rules §2.2: open each site's home page and key pages; a page that does
    not open within 15 s fails. Every check is kept, so the weekly failure share can be computed."""
    now = now or timezone.now()
    timeout = float(getattr(settings, "GOVSITE_AVAILABILITY_TIMEOUT", AVAILABILITY_TIMEOUT))
    targets = []
    for gov_site in open_sites():
        origin, headers = site_origin(gov_site)
        probes = [Probe(url=origin + path, is_home=home) for path, home in key_paths(gov_site)]
        targets.append((gov_site, probes, headers))
    asyncio.run(_probe_sites(targets, timeout))
    AvailabilityCheck.objects.bulk_create(
        (
            AvailabilityCheck(
                gov_site=gov_site,
                url=probe.url,
                is_home=probe.is_home,
                checked_at=now,
                status=probe.status,
                elapsed_ms=probe.elapsed_ms,
                ok=probe.ok,
                problem=probe.problem,
            )
            for gov_site, probes, _headers in targets
            for probe in probes
        ),
        batch_size=500,
    )
    weeks = availability_weeks([gov_site for gov_site, *_rest in targets], now)
    observations: list[Observation] = []
    for gov_site, probes, _headers in targets:
        observations += _availability_observations(gov_site, probes, weeks[gov_site.pk], now)
    if progress:
        progress(len(targets), len(targets))
    checked = sum(len(probes) for _site, probes, _headers in targets)
    return ObservationBatch(observations, checked, {"sites": len(targets)}, _scope(targets))


def _scope(targets) -> frozenset[int]:
    return frozenset(gov_site.pk for gov_site, *_rest in targets)


def _availability_observations(
    gov_site: GovSite, probes: list[Probe], week: AvailabilityWeek, now: datetime
) -> list[Observation]:
    found = []
    for probe in probes:
        if probe.ok:
            continue
        path = urlsplit(probe.url).path or "/"
        found.append(
            Observation(
                key=f"{gov_site.pk}:{path}",
                title=("首页无法访问：" if probe.is_home else "重点页面无法访问：") + probe.problem,
                severity=Finding.Severity.HIGH if probe.is_home else Finding.Severity.MEDIUM,
                gov_site_id=gov_site.pk,
                page_url=site_url(gov_site, path),
                detail=f"检查时间 {timezone.localtime(now):%Y-%m-%d %H:%M}，{probe.problem}。",
                suggestion="检查前端服务、网络与证书；恢复前可在应急预案中启动应急响应。",
            )
        )
    if week.veto:
        found.append(
            Observation(
                key=f"{gov_site.pk}:veto",
                title=f"站点无法访问比例 {week.share:.1%}，达到单项否决线（5%）",
                severity=Finding.Severity.CRITICAL,
                gov_site_id=gov_site.pk,
                page_url=site_url(gov_site, "/"),
                detail=f"近7天 {week.checks} 次检查中 {week.failures} 次超过15秒仍无法打开（gov-site-rules §2.2）。",
                suggestion="立即排查并在值班记录中说明；必要时启动应急预案。",
            )
        )
    return found


@dataclass(frozen=True)
class AvailabilityWeek:
    checks: int
    failures: int
    fewest_daily_checks: int
    days: int

    @property
    def share(self) -> float:
        return self.failures / self.checks if self.checks else 0.0

    @property
    def share_percent(self) -> str:
        return f"{self.share:.1%}"

    @property
    def enough_checks(self) -> bool:
        """The veto rule assumes at least 20 checks on every day of the week."""
        return self.days >= 7 and self.fewest_daily_checks >= AVAILABILITY_MIN_DAILY

    @property
    def veto(self) -> bool:
        return self.checks > 0 and self.share >= AVAILABILITY_VETO_SHARE


def availability_week(gov_site: GovSite, end: datetime) -> AvailabilityWeek:
    """gov-site-rules §2.2: over one week, the share of home-page checks that failed to open
    within 15 s; a share of 5 % or more is a veto."""
    return availability_weeks([gov_site], end)[gov_site.pk]


def availability_weeks(sites: Iterable[GovSite], end: datetime) -> dict[int, AvailabilityWeek]:
    """`availability_week` of many sites (GovSite pk → week) in one query, whatever their number:
    the home-page checks of the week ending at `end`, counted per site and local day."""
    start = end - timedelta(days=7)
    ids = [gov_site.pk for gov_site in sites]
    per_day: dict[int, list[tuple[int, int]]] = {pk: [] for pk in ids}
    rows = (
        AvailabilityCheck.objects.filter(
            gov_site_id__in=ids, is_home=True, checked_at__gt=start, checked_at__lte=end
        )
        .annotate(day=TruncDate("checked_at"))  # the local day (settings.TIME_ZONE)
        .values_list("gov_site_id", "day")
        .annotate(total=Count("pk"), failed=Count("pk", filter=Q(ok=False)))
        .order_by()
    )
    for gov_site_id, _day, total, failed in rows:
        per_day[gov_site_id].append((total, failed))
    return {
        pk: AvailabilityWeek(
            checks=sum(total for total, _failed in days),
            failures=sum(failed for _total, failed in days),
            fewest_daily_checks=min((total for total, _failed in days), default=0),
            days=len(days),
        )
        for pk, days in per_day.items()
    }


# --- freshness (§2.2 首页不更新、栏目不更新; Art. 6-7) ------------------------------------------


@dataclass
class ColumnState:
    column: ColumnPage
    last_update: datetime | None
    age_days: int | None
    blank: bool
    stale: bool
    long_stale: bool
    counts_for_veto_a: bool


@dataclass
class FreshnessReport:
    gov_site: GovSite
    columns: list[ColumnState] = field(default_factory=list)
    home_last_update: datetime | None = None

    @property
    def stale_veto_a(self) -> list[ColumnState]:
        return [state for state in self.columns if state.stale and state.counts_for_veto_a]

    @property
    def long_stale(self) -> list[ColumnState]:
        return [state for state in self.columns if state.long_stale]

    @property
    def blank(self) -> list[ColumnState]:
        return [state for state in self.columns if state.blank]

    @property
    def home_stale(self) -> bool:
        if self.home_last_update is None:
            return True
        return (timezone.now() - self.home_last_update).days > HOME_STALE_DAYS

    def vetoes(self) -> list[str]:
        """The veto conditions of §2.2 this site meets now."""
        found = []
        if self.home_stale:
            found.append("首页不更新：首页2周内无更新")
        if len(self.stale_veto_a) >= VETO_STALE:
            found.append(
                f"栏目不更新(a)：动态要闻2周、通知公告和政策文件一级栏目6个月未更新共 {len(self.stale_veto_a)} 个"
            )
        if len(self.long_stale) >= VETO_LONG_STALE:
            found.append(f"栏目不更新(b)：应更新但长期未更新的栏目 {len(self.long_stale)} 个")
        if len(self.blank) >= VETO_BLANK:
            found.append(f"栏目不更新(c)：空白栏目 {len(self.blank)} 个")
        return found


def _column_state(
    column: ColumnPage, last: datetime | None, has_live_subcolumns: bool, home_depth: int, now: datetime
) -> ColumnState:
    category = column.category
    age = (now - last).days if last else None
    has_text = bool(re.sub(r"<[^>]+>|\s", "", column.body or ""))
    blank = last is None and not has_text and not has_live_subcolumns
    limit, long_limit = category.update_within_days, category.long_stale_days
    tracked = limit is not None and not has_text
    stale = tracked and (age is None or age > limit)
    long_stale = tracked and long_limit is not None and (age is None or age > long_limit)
    top_level = column.depth == home_depth + 1
    in_group = bool(category.veto_group) and (top_level or not category.top_level_only)
    return ColumnState(column, last, age, blank, bool(stale), bool(long_stale), bool(stale and in_group))


def _latest_items(home: Page, columns: list[ColumnPage]) -> tuple[dict[int, datetime], datetime | None]:
    """When each column last got a new item, and when the site did: the same items as
    `content.services.column_items` (live, public content below the column, and the pages shared
    into it), read for all columns at once instead of one query per column."""
    visible = ContentPage.objects.live().public()
    column_at = {column.path: column.pk for column in columns}
    latest: dict[int, datetime] = {}
    site_latest: datetime | None = None

    def note(column_id: int, moment: datetime) -> None:
        if column_id not in latest or moment > latest[column_id]:
            latest[column_id] = moment

    for path, moment in visible.descendant_of(home).values_list("path", "first_published_at").iterator():
        if moment is None:
            continue
        site_latest = moment if site_latest is None else max(site_latest, moment)
        for end in range(Page.steplen, len(path), Page.steplen):  # every ancestor's path
            if path[:end] in column_at:
                note(column_at[path[:end]], moment)
    shares = ColumnShare.objects.filter(column_id__in=column_at.values(), page__in=visible)
    for column_id, moment in shares.values_list("column_id", "page__first_published_at"):
        if moment is not None:
            note(column_id, moment)
    return latest, site_latest


def freshness_report(gov_site: GovSite, now: datetime | None = None) -> FreshnessReport:
    """Art. 6-7 and gov-site-rules §2.2: every column of the site against its category's rule, the
    blank columns, the home page's last update, and the veto counts. A fixed number of queries,
    however many columns the site has."""
    now = now or timezone.now()
    home = gov_site.site.root_page
    columns = list(ColumnPage.objects.live().descendant_of(home).select_related("category").order_by("path"))
    with_live_subcolumns = {column.path[: -Page.steplen] for column in columns}
    latest, site_latest = _latest_items(home, columns)
    report = FreshnessReport(gov_site, home_last_update=site_latest)
    report.columns = [
        _column_state(column, latest.get(column.pk), column.path in with_live_subcolumns, home.depth, now)
        for column in columns
    ]
    return report


def check_freshness(progress: Progress | None = None) -> ObservationBatch:
    sites = open_sites()
    observations: list[Observation] = []
    summary: dict[str, dict] = {}
    checked = 0
    for number, gov_site in enumerate(sites, start=1):
        report = freshness_report(gov_site)
        checked += len(report.columns)
        observations += _freshness_observations(report)
        summary[gov_site.slug] = {
            "stale": len(report.stale_veto_a),
            "long_stale": len(report.long_stale),
            "blank": len(report.blank),
            "vetoes": report.vetoes(),
        }
        if progress:
            progress(number, len(sites))
    return ObservationBatch(observations, checked, {"sites": summary}, frozenset(site.pk for site in sites))


def _freshness_observations(report: FreshnessReport) -> list[Observation]:
    gov_site = report.gov_site
    found = []
    for state in report.columns:
        column = state.column
        base = {"gov_site_id": gov_site.pk, "column_id": column.pk, "page_url": column.full_url or ""}
        if state.blank:
            found.append(
                Observation(
                    key=f"blank:{column.pk}",
                    title=f"空白栏目：{column.title}",
                    severity=Finding.Severity.MEDIUM,
                    suggestion="补充内容，或将栏目归并、关闭（第十三条）。",
                    **base,
                )
            )
        elif state.stale:
            limit = column.category.update_within_days
            found.append(
                Observation(
                    key=f"stale:{column.pk}",
                    title=f"栏目未按期更新：{column.title}（{state.age_days or '从未'}天，要求{limit}天内）",
                    severity=Finding.Severity.HIGH if state.long_stale else Finding.Severity.MEDIUM,
                    detail=f"栏目类别“{column.category.name}”：{column.category.rule_note}",
                    suggestion="按栏目类别要求发布新信息。",
                    **base,
                )
            )
    for veto in report.vetoes():
        found.append(
            Observation(
                key=f"veto:{gov_site.pk}:{veto.split('：')[0]}",
                title=f"单项否决风险：{veto}",
                severity=Finding.Severity.CRITICAL,
                gov_site_id=gov_site.pk,
                page_url=site_url(gov_site, "/"),
                suggestion="立即组织更新并在值班记录中跟踪（国办秘函〔2019〕19号）。",
            )
        )
    return found


# --- security and conduct (Art. 23 安全防护; Art. 25 不得从事营利性活动) ----------------------------

SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)
RESOURCE_SRC = re.compile(
    r"<(?:img|script|iframe|link|source|audio|video)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(http://[^\"'\s>]+)",
    re.IGNORECASE,
)
ANCHOR_HREF = re.compile(r"<a\b[^>]*\bhref\s*=\s*[\"']?(https?://[^\"'\s>]+)", re.IGNORECASE)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _matches(host: str, domains: tuple[str, ...] | list[str]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def page_conduct_problems(gov_site: GovSite, url_path: str, html: str) -> list[Observation]:
    """Art. 25 and Art. 23: unexpected external scripts, mixed content on HTTPS pages, and links to
    commercial or advertising sites, in one published page."""
    own = gov_site.site.hostname.lower()
    allowed = (*getattr(settings, "GOVSITE_ALLOWED_SCRIPT_HOSTS", ()), own)
    commercial = tuple(getattr(settings, "GOVSITE_COMMERCIAL_HOSTS", COMMERCIAL_HOSTS))
    https = gov_site.site.port == 443 or site_url(gov_site, "/").startswith("https:")
    page = site_url(gov_site, url_path)
    found = []
    for src in SCRIPT_SRC.findall(html):
        host = _host(src if "//" in src else "")
        if host and not _matches(host, allowed):
            found.append(
                _conduct(gov_site, page, f"script:{url_path}:{host}", f"页面引用外部脚本：{host}", src)
            )
    if https:
        for src in RESOURCE_SRC.findall(html):
            found.append(_conduct(gov_site, page, f"mixed:{url_path}:{src}", "HTTPS页面引用了HTTP资源", src))
    for href in ANCHOR_HREF.findall(html):
        host = _host(href)
        if host and _matches(host, commercial):
            found.append(
                _conduct(
                    gov_site,
                    page,
                    f"commercial:{url_path}:{host}",
                    f"链接到商业或广告网站：{host}（第二十五条）",
                    href,
                )
            )
    return found


def _conduct(gov_site: GovSite, page: str, key: str, title: str, detail: str) -> Observation:
    return Observation(
        key=f"{gov_site.pk}:{key}",
        title=title,
        severity=Finding.Severity.HIGH,
        gov_site_id=gov_site.pk,
        page_url=page,
        detail=detail[:1000],
        suggestion="删除或替换该引用；外部脚本须经平台审核后加入允许列表。",
    )


def certificate_problem(
    host: str, port: int = 443, *, now: datetime | None = None, timeout: float = 10, cafile: str | None = None
) -> str:
    """The site's TLS certificate: "" when valid for more than 30 days, else what is wrong.
    `cafile` replaces the system's trusted roots (e.g. an intranet CA)."""
    now = now or timezone.now()
    context = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            certificate = tls.getpeercert()
    except ssl.SSLCertVerificationError as error:
        return f"证书无效：{error.verify_message}"
    except (OSError, ssl.SSLError) as error:
        return f"无法建立HTTPS连接：{type(error).__name__}"
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(certificate["notAfter"]), tz=UTC)
    days = (expires - now).days
    if days < CERT_WARN_DAYS:
        return f"证书将在 {days} 天后过期（{timezone.localtime(expires):%Y-%m-%d}）"
    return ""


def header_problems(headers: httpx.Headers, https: bool) -> list[str]:
    """The security headers every page must carry (govsite's own defaults are the bar)."""
    missing = [name for key, name in REQUIRED_HEADERS.items() if key not in headers]
    if "x-frame-options" not in headers and "frame-ancestors" not in headers.get(
        "content-security-policy", ""
    ):
        missing.append("X-Frame-Options 或 CSP frame-ancestors")
    if https and "strict-transport-security" not in headers:
        missing.append("Strict-Transport-Security")
    return missing


def check_security(progress: Progress | None = None) -> ObservationBatch:
    sites = open_sites()
    observations: list[Observation] = []
    checked = 0
    for number, gov_site in enumerate(sites, start=1):
        observations += _site_security(gov_site)
        for url_path, html in published_pages(gov_site):
            observations += page_conduct_problems(gov_site, url_path, html)
            checked += 1
        if progress:
            progress(number, len(sites))
    return ObservationBatch(
        observations, checked, {"sites": len(sites)}, frozenset(site.pk for site in sites)
    )


def _site_security(gov_site: GovSite) -> list[Observation]:
    origin, headers = site_origin(gov_site)
    https = site_url(gov_site, "/").startswith("https:")
    found = []
    base = {"gov_site_id": gov_site.pk, "page_url": site_url(gov_site, "/")}
    try:
        response = httpx.get(
            origin + "/", headers=headers, timeout=AVAILABILITY_TIMEOUT, follow_redirects=True
        )
    except httpx.HTTPError:
        return []  # the availability inspection reports a site that does not open
    missing = header_problems(response.headers, https)
    if missing:
        found.append(
            Observation(
                key=f"{gov_site.pk}:headers",
                title="缺少安全响应头：" + "、".join(missing),
                severity=Finding.Severity.MEDIUM,
                suggestion="在前端或 nginx 配置中加入这些响应头（manage.py nginx_config 生成的配置已包含）。",
                **base,
            )
        )
    if https:
        problem = certificate_problem(gov_site.site.hostname)
        if problem:
            found.append(
                Observation(
                    key=f"{gov_site.pk}:certificate",
                    title=problem,
                    severity=Finding.Severity.CRITICAL if "无效" in problem else Finding.Severity.HIGH,
                    suggestion="及时更换证书。",
                    **base,
                )
            )
    return found


# --- tamper (Art. 22; the publisher's check) ------------------------------------------------------


def check_tamper(progress: Progress | None = None) -> ObservationBatch:
    """The publisher's tamper check, its changes turned into findings (restored ones included, so
    that the duty log shows them)."""
    from govsite.publishing import tamper

    reports = tamper.check_all()
    observations = []
    hosts = {site.site.hostname: site for site in open_sites()}
    for report in reports:
        gov_site = hosts.get(report.host)
        for change in report.findings:
            state = "已自动恢复" if change.restored_at else "未恢复"
            observations.append(
                Observation(
                    key=f"{report.host}/{change.path}:{change.found_sha256}",
                    title=f"网页被篡改（{change.get_kind_display()}，{state}）：/{change.path}",
                    severity=Finding.Severity.CRITICAL,
                    gov_site_id=gov_site.pk if gov_site else None,
                    page_url=site_url(gov_site, change.path) if gov_site else change.path,
                    detail=change.diff[:5000],
                    suggestion="核查服务器访问记录；如未自动恢复，在安全事件中恢复发布版本。",
                )
            )
    if progress:
        progress(len(reports), len(reports))
    return ObservationBatch(
        observations,
        sum(report.checked for report in reports),
        {"restored": sum(r.restored for r in reports)},
    )


# --- wording (§5.1) and links: thin glue over the engines -----------------------------------------


def check_wording(progress: Progress | None = None) -> ObservationBatch:
    """§5.1 and Art. 23: every published page, daily, against the wording dictionaries."""
    scanner = wording_scanner()
    sites = open_sites()
    observations: list[Observation] = []
    checked = 0
    for number, gov_site in enumerate(sites, start=1):
        for url_path, html in published_pages(gov_site):
            checked += 1
            observations += [_wording_observation(gov_site, url_path, hit) for hit in scanner.scan_html(html)]
        if progress:
            progress(number, len(sites))
    return ObservationBatch(observations, checked, {"pages": checked}, frozenset(site.pk for site in sites))


def _wording_observation(gov_site: GovSite, url_path: str, hit) -> Observation:
    rule = hit.rule
    blocking = rule.severity == "block"
    fix = f"，应为“{rule.correction}”" if rule.correction else ""
    return Observation(
        key=f"{gov_site.pk}:{url_path}:{rule.kind}:{rule.term}",
        title=f"错敏字：“{rule.term}”{fix}",
        severity=Finding.Severity.HIGH if blocking else Finding.Severity.LOW,
        gov_site_id=gov_site.pk,
        page_url=site_url(gov_site, url_path),
        detail=hit.excerpt,
        suggestion=f"改为“{rule.correction}”" if rule.correction else "删除或改写该词语",
    )


# --- case reminders (Art. 18 and the mailboxes' deadlines; the cases app's rule) ------------------


def send_case_reminders(progress: Progress | None = None) -> ObservationBatch:
    """On every working day, remind each unit's handlers by e-mail of the cases that are due soon or
    overdue: `cases.services.send_reminders`, which sends a unit at most one mail a day, so a second
    run on the same day only sends what failed before. On a day off nothing is sent.

    A unit whose handlers have no e-mail address, and mails the server refused, become findings.
    """
    from govsite.cases import deadlines
    from govsite.cases import services as cases

    today = deadlines.today()
    if not workdays.is_workday(today):
        note = f"{today:%Y-%m-%d} 非工作日，不发送催办提醒。"
        # An empty scope: a day off closes none of the findings of the last working day.
        return ObservationBatch([], 0, {"date": today.isoformat(), "sent": 0, "note": note}, frozenset())
    run = cases.send_reminders(today)
    observations = [
        Observation(
            key=f"without_handlers:{unit}",
            title=f"催办提醒无法送达：{unit}没有可接收邮件的办理人员",
            severity=Finding.Severity.MEDIUM,
            suggestion="为该单位的办理人员账号填写电子邮箱，或在“互动交流”中为该单位指定办理人员。",
        )
        for unit in run.without_handlers
    ]
    if run.failed:
        observations.append(
            Observation(
                key="send_failed",
                title=f"{len(run.failed)} 个单位的催办邮件发送失败",
                severity=Finding.Severity.HIGH,
                detail="\n".join(run.failed),
                suggestion="检查邮件服务器设置；当天在“巡检记录”中立即运行“催办提醒”即可补发。",
            )
        )
    units = run.sent + run.skipped + len(run.failed) + len(run.without_handlers)
    if progress:
        progress(units, units)
    summary = {
        "date": today.isoformat(),
        "sent": run.sent,
        "skipped": run.skipped,
        "failed": run.failed,
        "without_handlers": run.without_handlers,
        "note": f"发送 {run.sent} 个单位，今日已发送跳过 {run.skipped} 个，失败 {len(run.failed)} 个，"
        f"无办理人员 {len(run.without_handlers)} 个。",
    }
    return ObservationBatch(observations, units, summary)


def last_run(kind: str) -> InspectionRun | None:
    return InspectionRun.objects.filter(inspection__kind=kind).order_by("-started_at").first()


# --- links (Art. 23 链接可用情况; gov-site-rules §2.3) ---------------------------------------------

LINK_CACHE_SECONDS = 24 * 3600
LONG_REDIRECT_CHAIN = 3
REFERRERS_SHOWN = 20


def _stored_results(urls: list[str], ttl: float):
    """The link checker's cache, filled from the results stored by earlier (or interrupted) runs."""
    from govsite.monitoring import links

    cache = links.ResultCache(ttl=ttl)
    since = timezone.now() - timedelta(seconds=ttl)
    for start in range(0, len(urls), 500):
        for row in LinkCheck.objects.filter(url__in=urls[start : start + 500], checked_at__gte=since):
            cache.put(
                links.LinkResult(
                    url=row.url,
                    ok=row.ok,
                    status=row.status,
                    problem=row.problem,
                    kind=row.kind,
                    elapsed_ms=row.elapsed_ms,
                    redirects=tuple(row.redirects),
                    final_url=row.redirects[-1] if row.redirects else row.url,
                    checked_at=row.checked_at.timestamp(),
                )
            )
    return cache


def _store_results(results: dict) -> None:
    rows = [
        LinkCheck(
            url=result.url[:2000],
            ok=result.ok,
            status=result.status,
            kind=result.kind,
            problem=result.problem[:200],
            redirects=list(result.redirects),
            elapsed_ms=result.elapsed_ms,
            checked_at=datetime.fromtimestamp(result.checked_at, tz=UTC),
        )
        for result in results.values()
    ]
    LinkCheck.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["url"],
        update_fields=["ok", "status", "kind", "problem", "redirects", "elapsed_ms", "checked_at"],
    )


def _platform_hosts(sites: list[GovSite]) -> tuple[tuple[str, str], ...]:
    """With GOVSITE_MONITOR_ORIGIN set, the platform's own host names resolve to the origin's address."""
    override = getattr(settings, "GOVSITE_MONITOR_ORIGIN", "")
    address = urlsplit(override).hostname if override else None
    if not address:
        return ()
    return tuple((gov_site.site.hostname, address) for gov_site in sites)


def site_links(gov_site: GovSite) -> dict[str, list[str]]:
    """Every link on every published page of the site → the pages (public URLs) that contain it."""
    from govsite.monitoring import links

    referrers: dict[str, list[str]] = defaultdict(list)
    for url_path, html in published_pages(gov_site):
        page = site_url(gov_site, url_path)
        for link in links.extract_links(html, page):
            referrers[link].append(page)
    return referrers


def check_links_of_sites(progress: Progress | None = None) -> ObservationBatch:
    """Art. 23: every link on every published page, internal and external, checked once per run
    however many pages carry it; home-page broken links are counted apart from the others
    (gov-site-rules §2.3: −1 each on the home page, −0.1 each elsewhere)."""
    from govsite.monitoring import links

    sites = open_sites()
    per_site = {gov_site.pk: site_links(gov_site) for gov_site in sites}
    wanted = sorted({url for referrers in per_site.values() for url in referrers})
    ttl = float(getattr(settings, "GOVSITE_LINK_CACHE_SECONDS", LINK_CACHE_SECONDS))
    cache = _stored_results(wanted, ttl)
    policy = links.LinkPolicy(hosts=_platform_hosts(sites))
    fresh: dict = {}

    last = [0.0]

    def remember(done: int, total: int) -> None:
        """Called inside the checker's event loop, where Django may not touch the database: the
        progress is written from a short-lived thread, at most every 2 seconds."""
        if not progress or (time.monotonic() - last[0] < 2 and done < total):
            return
        last[0] = time.monotonic()
        writer = threading.Thread(target=progress, args=(done, total))
        writer.start()
        writer.join()

    results = links.check_links(wanted, policy, cache=_RecordingCache(cache, fresh), progress=remember)
    _store_results(fresh)
    observations: list[Observation] = []
    summary: dict[str, dict] = {}
    for gov_site in sites:
        found, counts = _link_observations(gov_site, per_site[gov_site.pk], results)
        observations += found
        summary[gov_site.slug] = counts
    return ObservationBatch(
        observations, len(wanted), {"sites": summary, "links": len(wanted)}, frozenset(s.pk for s in sites)
    )


class _RecordingCache:
    """Reads from the stored results; keeps what this run checked so it can be stored afterwards."""

    def __init__(self, stored, fresh: dict) -> None:
        self.stored, self.fresh = stored, fresh

    def get(self, url: str):
        return self.stored.get(url)

    def put(self, result) -> None:
        self.fresh[result.url] = result


def _link_observations(gov_site: GovSite, referrers: dict[str, list[str]], results: dict):
    home = site_url(gov_site, "/")
    found, home_broken, other_broken = [], 0, 0
    for url, pages in referrers.items():
        result = results.get(url)
        if result is None:
            continue
        on_home = home in pages
        if not result.ok:
            home_broken += on_home
            other_broken += not on_home
            found.append(_broken_link(gov_site, url, pages, result, on_home))
        elif len(result.redirects) >= LONG_REDIRECT_CHAIN:
            found.append(_long_chain(gov_site, url, pages, result))
    counts = {
        "home_broken": home_broken,
        "other_broken": other_broken,
        "deduction": round(home_broken * 1 + other_broken * 0.1, 1),
    }
    return found, counts


def _pages_text(pages: list[str]) -> str:
    shown = "\n".join(pages[:REFERRERS_SHOWN])
    more = f"\n……另有 {len(pages) - REFERRERS_SHOWN} 个页面" if len(pages) > REFERRERS_SHOWN else ""
    return f"出现在 {len(pages)} 个页面：\n{shown}{more}"


def _broken_link(gov_site: GovSite, url: str, pages: list[str], result, on_home: bool) -> Observation:
    chain = " → ".join([url, *result.redirects]) if result.redirects else ""
    return Observation(
        key=f"{gov_site.pk}:{url}",
        title=f"{'首页' if on_home else ''}链接不可用（{result.problem}）：{url}",
        severity=Finding.Severity.HIGH if on_home else Finding.Severity.MEDIUM,
        gov_site_id=gov_site.pk,
        page_url=pages[0],
        detail="\n".join(
            part for part in (f"重定向链：{chain}" if chain else "", _pages_text(pages)) if part
        ),
        suggestion="修改或删除该链接；外部网站调整地址的，更新为新地址。",
    )


def _long_chain(gov_site: GovSite, url: str, pages: list[str], result) -> Observation:
    return Observation(
        key=f"{gov_site.pk}:chain:{url}",
        title=f"链接经过 {len(result.redirects)} 次重定向：{url}",
        severity=Finding.Severity.LOW,
        gov_site_id=gov_site.pk,
        page_url=pages[0],
        detail=f"重定向链：{' → '.join([url, *result.redirects])}\n{_pages_text(pages)}",
        suggestion=f"直接链接到最终地址 {result.final_url}",
    )


PROBES: dict[str, Callable[..., ObservationBatch]] = {
    "availability": check_availability,
    "freshness": check_freshness,
    "security": check_security,
    "tamper": check_tamper,
    "wording": check_wording,
    "links": check_links_of_sites,
    "reminders": send_case_reminders,
}
