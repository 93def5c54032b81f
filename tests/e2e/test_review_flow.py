"""The three-level review (Art. 14-15, docs/review.md) and the second factor (docs/two-factor.md),
done in the browser the way the people of 崇川区 do it.

An editor (录入员) writes an article in the 政务动态 column and submits it: there is no publish
button. The reviewer (审核负责人) and the leader (分管领导) log in with a password and a TOTP code and
approve it from their dashboard; the article is then on the public site. A rejection goes back to
the editor with its comment. Each person works in a browser context of their own.

The demo users share the public demo TOTP secret; one user can't use the same code twice, so a
user who logs in again waits for the next 30-second step (the only waiting these tests do).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from govsite.accounts.totp import code_at

if TYPE_CHECKING:
    from .conftest import DemoServer

pytestmark = pytest.mark.e2e

SITE = "chongchuan"
COLUMN = "政务动态"
PASSWORD = "Nantong-Demo-2026!"
DEMO_TOTP_SECRET = "NANTONGGOVSITEDEMOTOTPSECRET2345"
TOTP_STEP = 30
NAV = 'nav[aria-label="栏目导航"]'
SIGNED_IN = re.compile(r"/admin/(?!login/|2fa/)")  # any admin page but the login and 2FA pages
VERIFY = re.compile(r"/admin/2fa/verify/")

# The last TOTP step each user has used, so that nobody reuses a code within a step.
_last_step: dict[str, int] = {}


# --- people and their browsers --------------------------------------------------------------------


@pytest.fixture
def new_person(browser: Browser) -> Iterator:
    """Open a fresh browser context (a person at their own computer); all closed at the end."""
    contexts: list[BrowserContext] = []

    def open_page() -> Page:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def fresh_code(username: str) -> str:
    """The user's current TOTP code, waiting for the next step if this user used this one already."""
    while True:
        now = time.time()
        step = int(now // TOTP_STEP)
        if step > _last_step.get(username, -1):
            _last_step[username] = step
            return code_at(DEMO_TOTP_SECRET, now)
        time.sleep((step + 1) * TOTP_STEP - now + 0.5)  # the next code


def wrong_code() -> str:
    """Six digits that are not a code the server accepts now (it accepts one step either side)."""
    now = time.time()
    valid = {code_at(DEMO_TOTP_SECRET, now + shift) for shift in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def enter_password(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("登录")).click()


def log_in(page: Page, base: str, username: str, *, second_factor: bool) -> None:
    enter_password(page, base, username)
    if second_factor:
        page.wait_for_url(VERIFY)
        page.fill("#id_code", fresh_code(username))
        page.get_by_role("button", name="验证", exact=True).click()
    page.wait_for_url(SIGNED_IN)


# --- what they do --------------------------------------------------------------------------------


def unique_title(what: str) -> str:
    return f"崇川区{what}（端到端测试 {secrets.token_hex(4)}）"


def write_and_submit_article(page: Page, base: str, title: str) -> str:
    """The editor adds a 稿件 under 政务动态 and submits it; returns the article's edit URL."""
    page.goto(f"{base}/admin/pages/")
    column_link = page.locator("main").get_by_role("link", name=COLUMN, exact=True).first
    column_edit = column_link.get_attribute("href") or ""
    column_id = re.search(r"/admin/pages/(\d+)/", column_edit).group(1)  # type: ignore[union-attr]
    page.goto(f"{base}/admin/pages/{column_id}/add_subpage/")
    page.locator("main").get_by_role("link", name="稿件", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/pages/add/content/articlepage/"))

    page.fill("#id_title", title)  # the only required field; metadata defaults to the site's own
    page.fill("#id_summary", "区政府召开专题会议，部署下一阶段重点任务。")

    footer = page.locator("footer nav.actions")
    expect(footer.get_by_role("button", name="发布", exact=True)).to_have_count(0)
    footer.locator(".w-dropdown__toggle").first.click()
    expect(footer.get_by_role("button", name="发布", exact=True)).to_have_count(0)
    submit = footer.get_by_role("button", name=re.compile("^提交给"))
    expect(submit).to_have_text(re.compile("三级审核"))
    submit.click()

    message = page.locator(".messages")
    expect(message).to_contain_text(title)
    expect(message).to_contain_text("提交审核")
    message.get_by_role("link", name="编辑").first.click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/edit/$"))
    return page.url


def public_url(page: Page, base: str) -> str:
    """The article's address on the public site: its column's address and its slug."""
    slug = page.locator("#id_slug").input_value()
    assert slug, "the article has no slug"
    return f"{column_url(page.context.browser, base)}{slug}/"  # type: ignore[arg-type]


def column_url(browser: Browser, base: str) -> str:
    context = browser.new_context(locale="zh-CN")
    try:
        visitor = context.new_page()
        visitor.goto(f"{base}/")
        href = visitor.locator(NAV).get_by_role("link", name=COLUMN, exact=True).first.get_attribute("href")
        assert href, f"no {COLUMN} in the navigation of {base}"
        return href if href.startswith("http") else f"{base}{href}"
    finally:
        context.close()


def awaiting_row(page: Page, title: str):
    """The item's row in the dashboard's “awaiting your review” panel."""
    return page.locator("#awaiting-review-content tr", has_text=title)


def approve_from_dashboard(page: Page, base: str, title: str) -> None:
    page.goto(f"{base}/admin/")
    row = awaiting_row(page, title)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="动作").click()
    row.get_by_role("button", name="审核通过", exact=True).click()
    expect(awaiting_row(page, title)).to_have_count(0)  # the dashboard reloads without it
    page.wait_for_load_state()


def status_of(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None, f"no response for {url}"
    return response.status


# --- the tests -----------------------------------------------------------------------------------


def test_art15_editor_submits_reviewer_and_leader_approve_and_the_page_goes_live(
    demo_server: DemoServer, new_person, strict_page: Page
) -> None:
    base = demo_server.site_url(SITE).rstrip("/")
    title = unique_title("召开政务服务专题会议")

    editor = new_person()
    log_in(editor, base, f"{SITE}_editor", second_factor=False)
    write_and_submit_article(editor, base, title)
    article_url = public_url(editor, base)

    visitor = strict_page
    assert status_of(visitor, article_url) == 404, "an article awaiting review is on the public site"

    reviewer = new_person()
    log_in(reviewer, base, f"{SITE}_reviewer", second_factor=True)
    approve_from_dashboard(reviewer, base, title)
    assert status_of(visitor, article_url) == 404, "the article went public after the first approval"

    leader = new_person()
    log_in(leader, base, f"{SITE}_leader", second_factor=True)
    approve_from_dashboard(leader, base, title)

    # Not major: the principal's step is skipped on record and the approved version goes public.
    assert status_of(visitor, article_url) == 200, f"{article_url} is not public after both approvals"
    expect(visitor.locator('meta[name="ArticleTitle"]')).to_have_attribute("content", title)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(title)
    visitor.goto(column_url(visitor.context.browser, base))  # type: ignore[arg-type]
    expect(visitor.locator("main").get_by_role("link", name=title)).to_have_count(1)


def test_art15_rejection_returns_with_its_comment(demo_server: DemoServer, new_person) -> None:
    base = demo_server.site_url(SITE).rstrip("/")
    title = unique_title("推进义务教育优质均衡")
    comment = f"第二段数据需核实，请补充来源（{secrets.token_hex(3)}）。"

    editor = new_person()
    log_in(editor, base, f"{SITE}_editor", second_factor=False)
    edit_url = write_and_submit_article(editor, base, title)

    reviewer = new_person()
    log_in(reviewer, base, f"{SITE}_reviewer", second_factor=True)
    row = awaiting_row(reviewer, title)
    row.get_by_role("button", name="动作").click()
    row.get_by_role("button", name="退回修改", exact=True).click()
    dialog = reviewer.locator(".modal-content")
    dialog.locator("#id_comment").fill(comment)
    with reviewer.expect_response(
        lambda response: "/reject/" in response.url and response.request.method == "POST"
    ) as rejection:
        dialog.get_by_role("button", name="退回修改").click()

    # Back with the editor: the history shows the rejection and its comment.
    editor.goto(edit_url.replace("/edit/", "/history/"))
    entry = editor.locator("main tr", has_text="已拒绝")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("审核负责人审核")
    expect(entry).to_contain_text(comment)
    # ... and the article is a draft the editor can change again.
    editor.goto(edit_url)
    expect(editor.locator("footer nav.actions").get_by_role("button", name="保存草稿")).to_be_visible()

    # The reviewer's rejection went through without an error, and left the dashboard.
    assert rejection.value.status < 400, f"the rejection answered {rejection.value.status}"
    expect(awaiting_row(reviewer, title)).to_have_count(0)


def test_second_factor_login_refuses_a_wrong_code_then_accepts_the_right_one(
    demo_server: DemoServer, new_person
) -> None:
    base = demo_server.site_url(SITE).rstrip("/")
    username = f"{SITE}_principal"

    principal = new_person()
    enter_password(principal, base, username)
    principal.wait_for_url(VERIFY)

    principal.fill("#id_code", wrong_code())
    principal.get_by_role("button", name="验证", exact=True).click()
    principal.wait_for_url(VERIFY)
    expect(principal.locator("main")).to_contain_text("验证码不正确")
    principal.goto(f"{base}/admin/")  # still not signed in: the admin sends back to the second factor
    principal.wait_for_url(VERIFY)

    principal.fill("#id_code", fresh_code(username))
    principal.get_by_role("button", name="验证", exact=True).click()
    principal.wait_for_url(SIGNED_IN)
    expect(principal.locator("main")).not_to_contain_text("验证码")
    principal.goto(f"{base}/admin/")
    expect(principal).to_have_url(re.compile(r"/admin/$"))
    expect(principal.locator("#awaiting-review-content, main").first).to_be_visible()
