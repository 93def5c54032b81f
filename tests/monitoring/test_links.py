"""The link checker (Art. 23 link availability; gov-site-rules §2.3) against real servers on 127.0.0.1.

No mocks: every test talks HTTP to `tests/monitoring/servers.py`. Timeouts are short but generous
enough for a loaded machine; nothing asserts how long a check took.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from govsite.monitoring.links import (
    HostSlots,
    LinkPolicy,
    ResultCache,
    check_links,
    crawl,
    extract_links,
)
from tests.monitoring.servers import MisbehavingServer, TLSServer, free_port, running, self_signed_certificate

QUICK = LinkPolicy(timeout=1.0, retries=0)


@pytest.fixture(scope="module")
def server() -> Iterator[MisbehavingServer]:
    with running(MisbehavingServer()) as started:
        assert isinstance(started, MisbehavingServer)
        started.external = f"http://localhost:{started.server_address[1]}"
        yield started


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSServer]:
    cert, key = self_signed_certificate(Path(tmp_path_factory.mktemp("tls")))
    with running(TLSServer(cert, key)) as started:
        assert isinstance(started, TLSServer)
        yield started


def check_one(url: str, policy: LinkPolicy = QUICK):
    return check_links([url], policy)[url]


# --- answers -------------------------------------------------------------------------------------------


def test_art23_working_link_is_ok(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/ok")
    assert (result.ok, result.kind, result.status, result.problem) == (True, "ok", 200, "")
    assert result.redirects == ()
    assert result.final_url == server.origin + "/ok"


def test_art23_missing_page_is_reported_as_http_404(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/missing")
    assert (result.ok, result.kind, result.status, result.problem) == (False, "http_error", 404, "HTTP 404")


def test_art23_server_error_is_reported_as_http_500(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/error")
    assert (result.ok, result.kind, result.problem) == (False, "http_error", "HTTP 500")


def test_art23_page_slower_than_the_timeout_is_reported_as_timeout(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/slow")
    assert (result.ok, result.kind, result.status, result.problem) == (False, "timeout", None, "超时")


def test_art23_connection_reset_without_answer_is_reported(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/reset")
    assert (result.ok, result.kind, result.problem) == (False, "reset", "连接被重置")


def test_art23_port_with_nobody_listening_is_reported_as_unreachable() -> None:
    result = check_one(f"http://127.0.0.1:{free_port()}/")
    assert (result.ok, result.kind, result.problem) == (False, "connect", "无法连接")


def test_art23_unknown_domain_is_reported_as_unresolvable() -> None:
    result = check_one("http://no-such-site.invalid/", LinkPolicy(timeout=10.0, retries=0))
    assert (result.ok, result.kind, result.problem) == (False, "dns", "域名无法解析")


@pytest.mark.parametrize(
    "bad", ["http://", "htp://www.example.gov.cn/", "file:///C:/文件/通知.doc", "http://[::1/"]
)
def test_art23_malformed_link_is_reported_not_raised(bad: str) -> None:
    result = check_one(bad)
    assert (result.ok, result.kind, result.problem, result.status) == (
        False,
        "invalid_url",
        "链接地址无效",
        None,
    )


# --- redirects -----------------------------------------------------------------------------------------


def test_art23_redirect_chain_is_followed_and_recorded(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/chain/a")
    assert (result.ok, result.status) == (True, 200)
    assert result.redirects == (server.origin + "/chain/b", server.origin + "/chain/c")
    assert result.final_url == server.origin + "/chain/c"


def test_art23_redirect_loop_is_reported_with_its_chain(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/loop/a")
    assert (result.ok, result.kind, result.problem) == (False, "redirect_loop", "重定向循环")
    assert result.redirects == (server.origin + "/loop/b", server.origin + "/loop/a")


def test_art23_endless_redirects_stop_at_the_limit(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/hops/0", LinkPolicy(timeout=1.0, retries=0, max_redirects=5))
    assert (result.ok, result.kind, result.problem) == (False, "too_many_redirects", "重定向过多")
    assert len(result.redirects) == 6


# --- TLS ------------------------------------------------------------------------------------------------


def test_art23_self_signed_certificate_is_reported_as_invalid(tls_server: TLSServer) -> None:
    result = check_one(tls_server.origin + "/ok")
    assert (result.ok, result.kind, result.problem) == (False, "tls", "证书无效")


def test_art23_certificate_check_can_be_turned_off_for_intranet_sites(tls_server: TLSServer) -> None:
    result = check_one(tls_server.origin + "/ok", LinkPolicy(timeout=2.0, retries=0, verify_tls=False))
    assert (result.ok, result.status) == (True, 200)


# --- retries, politeness, headers, cache, progress ------------------------------------------------------


def test_art23_passing_503_is_retried_and_the_link_is_ok(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/flaky/retried", LinkPolicy(timeout=1.0, retries=2))
    assert (result.ok, result.status) == (True, 200)
    assert server.paths.count("/flaky/retried") == 2


def test_art23_without_retries_a_503_is_reported(server: MisbehavingServer) -> None:
    result = check_one(server.origin + "/flaky/not-retried")
    assert (result.ok, result.problem) == (False, "HTTP 503")


def test_art23_never_more_requests_in_flight_per_host_than_the_policy_allows(
    server: MisbehavingServer,
) -> None:
    server.max_in_flight = 0
    server.busy_seconds = 0.2
    urls = [f"{server.origin}/busy/{n}" for n in range(24)]
    results = check_links(urls, LinkPolicy(per_host=3, total=50, timeout=10.0, retries=0))
    assert all(result.ok for result in results.values())
    assert 1 < server.max_in_flight <= 3


def test_art23_a_crawl_gives_a_hosts_free_slot_to_pages_before_attachments() -> None:
    async def scenario() -> list[str]:
        slots, served = HostSlots(1), []
        await slots.acquire()

        async def wait(name: str, priority: int) -> None:
            await slots.acquire(priority)
            served.append(name)
            slots.release()

        waiting = [asyncio.create_task(wait("attachment", 1)), asyncio.create_task(wait("page", 0))]
        await asyncio.sleep(0)
        slots.release()
        await asyncio.gather(*waiting)
        assert slots.held == 0
        return served

    assert asyncio.run(scenario()) == ["page", "attachment"]


def test_art23_requests_carry_a_browsers_headers(server: MisbehavingServer) -> None:
    check_one(server.origin + "/ok?headers")
    headers = {name.lower(): value for name, value in server.headers_seen[-1].items()}
    assert "Mozilla/5.0" in headers["user-agent"]
    assert "govsite-linkcheck" in headers["user-agent"]
    assert headers["accept-language"].startswith("zh-CN")
    assert "text/html" in headers["accept"]


def test_art23_cached_result_is_reused_until_it_expires(server: MisbehavingServer) -> None:
    url = server.origin + "/ok?cached"
    cache = ResultCache(ttl=3600)
    first = check_links([url], QUICK, cache=cache)[url]
    asked = len(server.paths)
    assert check_links([url], QUICK, cache=cache)[url] == first
    assert len(server.paths) == asked
    stale = ResultCache(ttl=-1)
    stale.put(first)
    assert stale.get(url) is None


def test_art23_duplicates_are_checked_once_and_progress_reaches_the_total(server: MisbehavingServer) -> None:
    seen: list[tuple[int, int]] = []
    urls = [server.origin + "/ok?dup", server.origin + "/missing?dup", server.origin + "/ok?dup"]
    results = check_links(urls, QUICK, progress=lambda done, total: seen.append((done, total)))
    assert list(results) == urls[:2]
    assert seen[-1] == (2, 2)


# --- crawling ---------------------------------------------------------------------------------------------


def test_section_2_3_crawl_reports_every_broken_link_with_the_pages_holding_it(
    server: MisbehavingServer,
) -> None:
    home = server.origin + "/site/"
    report = crawl([home], QUICK)
    broken = report.broken()
    assert set(broken) == {
        server.origin + "/missing",
        server.origin + "/error",
        server.external + "/missing",
    }
    assert report.referrers[server.origin + "/missing"] == [home, server.origin + "/site/about"]
    assert report.referrers[server.external + "/missing"] == [server.origin + "/site/news"]
    assert report.referrers[server.origin + "/error"] == [server.origin + "/site/news/1"]


def test_section_2_3_crawl_checks_external_links_without_following_them(server: MisbehavingServer) -> None:
    report = crawl([server.origin + "/site/"], QUICK)
    assert report.results[server.external + "/not-followed"].ok
    assert server.external + "/never-checked" not in report.results
    assert server.origin + "/site/logo.png" in report.results  # images are links too
    assert not any(url.startswith("mailto:") or "#" in url for url in report.results)


def test_section_2_3_crawl_reads_a_moved_page_under_its_new_address(server: MisbehavingServer) -> None:
    report = crawl([server.origin + "/site/"], QUICK)
    moved = report.results[server.origin + "/site/moved"]
    assert moved.ok and moved.redirects == (server.origin + "/site/new-home",)
    assert report.referrers[server.origin + "/site/new-only"] == [server.origin + "/site/new-home"]


def test_section_2_3_crawl_finds_the_last_link_of_a_long_page(server: MisbehavingServer) -> None:
    report = crawl([server.origin + "/site/"], QUICK)
    assert report.referrers[server.origin + "/site/at-the-end"] == [server.origin + "/site/long"]


def test_section_2_3_crawl_stops_reading_pages_at_max_pages(server: MisbehavingServer) -> None:
    report = crawl([server.origin + "/site/"], QUICK, max_pages=1)
    assert report.pages == [server.origin + "/site/"]
    assert report.truncated


# --- link extraction -----------------------------------------------------------------------------------


def test_art23_links_are_found_in_every_tag_that_loads_something() -> None:
    page = """<html><head><link rel=stylesheet href="/a.css"><script src='/a.js'></script>
        <link rel="preconnect" href="https://cdn.example.com"></head>
        <body><a href="x.html#part">x</a><img src="/logo.png"><iframe src="/map.html"></iframe>
        <video><source src="/v.mp4"></video><a HREF="x.html">again</a></body></html>"""
    assert extract_links(page, "http://www.example.gov.cn/dir/page.html") == [
        "http://www.example.gov.cn/a.css",
        "http://www.example.gov.cn/a.js",
        "http://www.example.gov.cn/dir/x.html",
        "http://www.example.gov.cn/logo.png",
        "http://www.example.gov.cn/map.html",
        "http://www.example.gov.cn/v.mp4",
    ]


def test_art23_links_that_lead_to_no_document_are_left_out() -> None:
    page = """<a href="mailto:a@b.gov.cn">m</a><a href="tel:12345">t</a><a href="javascript:void(0)">j</a>
        <a href="#">top</a><a href="#news">news</a><img src="data:image/png;base64,AAAA"><a href="">empty</a>
        <a href=" /kept.html ">kept</a>"""
    assert extract_links(page, "http://www.example.gov.cn/") == ["http://www.example.gov.cn/kept.html"]


def test_art23_links_inside_comments_and_scripts_are_not_links() -> None:
    page = """<!-- <a href="/old.html">old</a> --><script>var s = '<a href="/in-js.html">';</script>
        <a href="/real.html?a=1&amp;b=2">real</a>"""
    assert extract_links(page, "http://www.example.gov.cn/") == [
        "http://www.example.gov.cn/real.html?a=1&b=2"
    ]


def test_art23_relative_links_resolve_like_a_browser() -> None:
    page = """<a href="../up.html">up</a><a href="/x/../y.html">y</a><a href='//cdn.example.com/a.js'>cdn</a>
        <a href=/plain/path.pdf#page=2>pdf</a><a data-href="/not-a-link" href="/kept">kept</a>"""
    assert extract_links(page, "http://www.example.gov.cn/col/page.html") == [
        "http://www.example.gov.cn/up.html",
        "http://www.example.gov.cn/y.html",
        "http://cdn.example.com/a.js",
        "http://www.example.gov.cn/plain/path.pdf",
        "http://www.example.gov.cn/kept",
    ]


def test_art23_base_href_changes_where_relative_links_point() -> None:
    page = """<head><base href="/sub/"></head><a href="page.html">p</a>"""
    assert extract_links(page, "http://www.example.gov.cn/other/") == [
        "http://www.example.gov.cn/sub/page.html"
    ]
