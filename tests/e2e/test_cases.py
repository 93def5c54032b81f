"""A citizen uses the public channels of the demo city (issue 6): reports an error from a page's
footer and later looks it up; writes to the mayor, a handler replies, another reviews and sends
it, the letters-and-visits bureau publishes it and the citizen reads it and rates it; a disclosure
request gets an extension (条例 Art. 33) that the requester sees. The handlers use the cases admin
with the demo accounts of `load_demo` (govsite/cases/demo.py).

The forms carry a captcha. The browser answers it the only legitimate way a test can: it reads
the token from the page and asks `captcha.answer_for` with the server's secret key. The server
gets its key from GOVSITE_SECRET_KEY (tests/e2e/conftest.py passes the environment on), so this
module makes sure that variable is set before the server starts (collection comes first).
"""

from __future__ import annotations

import os
import re
import secrets
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect

from govsite.cases import captcha

from .accessibility import assert_no_serious_axe_violations

if TYPE_CHECKING:
    from .conftest import DemoServer

pytestmark = pytest.mark.e2e

SERVER_SECRET = os.environ.setdefault("GOVSITE_SECRET_KEY", secrets.token_urlsafe(48))
NAV = 'nav[aria-label="栏目导航"]'
DEMO_PASSWORD = os.environ.get("GOVSITE_DEMO_PASSWORD", "Nantong-Demo-2026!")
SIGNED_IN = re.compile(r"/admin/(?!login/|2fa/)")


def answer_captcha(page: Page) -> None:
    token = page.locator("input[name=captcha_token]").input_value()
    page.get_by_label("请输入验证码中的数字").fill(captcha.answer_for(token, secret=SERVER_SECRET))


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def read_receipt(page: Page) -> tuple[str, str]:
    expect(page.locator("h1")).to_have_text("提交成功")
    number = page.locator("[data-receipt-number]").inner_text().strip()
    code = page.locator("[data-query-code]").inner_text().strip()
    assert re.fullmatch(r"[A-Z][0-9]{16}", number), number
    assert re.fullmatch(r"[A-Z0-9]{8}", code), code
    return number, code


def look_up(page: Page, server: DemoServer, number: str, code: str) -> None:
    page.goto(server.url + "/hudong/chaxun/")
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("查询码").fill(code)
    submit(page, "查询")
    expect(page.locator("[data-lookup-result]")).to_be_visible()


def test_citizen_reports_an_error_from_a_page_footer_and_later_looks_it_up(
    strict_page: Page, demo_server: DemoServer
):
    page = strict_page
    page.goto(demo_server.url + "/")
    with page.expect_navigation():
        page.locator(NAV).get_by_role("link", name="通知公告", exact=True).first.click()
    with page.expect_navigation():
        page.locator("ol.item-list > li > a").first.click()
    article_path = page.url.split(str(demo_server.port), 1)[1]

    with page.expect_navigation():
        page.locator('footer [data-footer="error-report"]').first.click()
    expect(page.locator("h1")).to_have_text("我为政府网站找错")
    reported = page.get_by_label("出错页面地址").input_value()
    assert reported.endswith(article_path), f"{reported!r} is not the page the footer was on ({article_path})"
    expect(page.locator("img[data-captcha-image]")).to_have_js_property("complete", True)
    assert page.locator("img[data-captcha-image]").evaluate("img => img.naturalWidth") > 0

    page.get_by_label("错误类型").select_option(label="错别字或表述错误")
    page.get_by_label("问题描述").fill("第二段“南通市”写成了“南同市”。")
    answer_captcha(page)
    submit(page, "提交纠错")
    number, code = read_receipt(page)
    assert number.startswith("J")

    look_up(page, demo_server, number, code)
    result = page.locator("[data-lookup-result]")
    expect(result.locator("[data-status]")).to_have_text("已转办")
    expect(result).to_contain_text("南同市")
    expect(result.locator(".cases-timeline")).to_contain_text("转办")
    assert not page.console_errors, page.console_errors


def test_a_wrong_captcha_keeps_the_letter_and_offers_a_new_picture(
    strict_page: Page, demo_server: DemoServer
):
    page = strict_page
    page.goto(demo_server.url + "/hudong/")
    mailbox = page.locator("#mailboxes a").first
    if not mailbox.count():
        pytest.skip("the demo city has no mailbox (load_demo adds them with the cases app's demo data)")
    with page.expect_navigation():
        mailbox.click()
    old_token = page.locator("input[name=captcha_token]").input_value()
    page.get_by_label("标题").fill("公交站台没有遮雨棚")
    page.get_by_label("来信内容").fill("人民路公交站台没有遮雨棚，雨天候车不便。")
    page.get_by_label("姓名").fill("王五")
    page.get_by_label("联系电话").fill("13900001111")
    page.get_by_label("请输入验证码中的数字").fill("00000")
    submit(page, "提交")
    expect(page.locator("[data-form-errors]")).to_contain_text("验证码")
    page.console_errors.clear()  # Chromium reports the refusal's own status (400) as a console error
    expect(page.get_by_label("标题")).to_have_value("公交站台没有遮雨棚")
    assert page.locator("input[name=captcha_token]").input_value() != old_token

    refresh = page.get_by_role("button", name="换一张")
    before = page.locator("input[name=captcha_token]").input_value()
    refresh.click()
    expect(page.locator("input[name=captcha_token]")).not_to_have_value(before)
    answer_captcha(page)
    submit(page, "提交")
    number, _code = read_receipt(page)
    assert number.startswith("X")
    assert not page.console_errors, page.console_errors


def test_public_channel_pages_pass_axe(page: Page, demo_server: DemoServer):
    for path in (
        "/hudong/xinxiang/mayor/",
        "/hudong/",
        "/error-report/?url=http://localhost/",
        "/hudong/yishenqing/",
        "/hudong/chaxun/",
        "/hudong/zhishiku/",
        "/hudong/tongji/",
    ):
        response = page.goto(demo_server.url + path)
        assert response is not None and response.ok, (
            f"{path} answered {response.status if response else None}"
        )
        assert_no_serious_axe_violations(page)


def ask_for_information(page: Page, server: DemoServer, what: str) -> tuple[str, str]:
    page.goto(server.url + "/hudong/yishenqing/")
    page.get_by_label("公民").check()
    page.get_by_label("姓名（联系人）").fill("李四")
    page.get_by_label("证件类型").select_option(label="居民身份证")
    page.get_by_label("证件号码").fill("11010519491231002X")
    page.get_by_label("联系电话").fill("0513-85001234")
    page.get_by_label("电子邮箱").fill("lisi@example.com")
    page.get_by_label("所需政府信息的名称、文号或者便于查询的其他特征性描述").fill(what)
    page.get_by_label("电子邮件").check()
    page.get_by_label("电子", exact=True).check()
    answer_captcha(page)
    submit(page, "提交申请")
    return read_receipt(page)


def test_citizen_asks_for_government_information(strict_page: Page, demo_server: DemoServer):
    page = strict_page
    number, code = ask_for_information(page, demo_server, "2025年度老旧小区改造项目清单")
    assert number.startswith("Y")
    look_up(page, demo_server, number, code)
    expect(page.locator("[data-lookup-result] [data-status]")).to_have_text("已收到")


# --- the handlers' side (the cases admin) -------------------------------------------------------


class Handler:
    """A handler signed in to the admin in a browser context of their own."""

    def __init__(self, browser: Browser, server: DemoServer, username: str) -> None:
        self.context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.server = server
        self.page.goto(server.url + "/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", DEMO_PASSWORD)
        self.page.get_by_role("button", name=re.compile("登录")).click()
        self.page.wait_for_url(SIGNED_IN)

    def open_case(self, receipt_number: str) -> str:
        """Find the case in the list by its receipt number; returns the address of its page."""
        self.page.goto(f"{self.server.url}/admin/cases/?q={receipt_number}")
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=receipt_number).click()
        return self.page.url

    def act(self, button: str, fields: dict[str, str] | None = None) -> None:
        for label, value in (fields or {}).items():
            self.page.locator(label).fill(value)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()

    def close(self) -> None:
        self.context.close()


def write_to_the_mayor(page: Page, server: DemoServer, subject: str) -> tuple[str, str]:
    page.goto(server.url + "/hudong/xinxiang/mayor/")
    page.get_by_label("标题").fill(subject)
    page.get_by_label("来信内容").fill(f"{subject}。我住在崇川区人民中路18号，电话13812345678，请帮助解决。")
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("联系电话").fill("13812345678")
    answer_captcha(page)
    submit(page, "提交")
    return read_receipt(page)


def test_a_handler_replies_and_the_reply_is_published_and_rated(
    strict_page: Page, browser: Browser, demo_server: DemoServer
):
    citizen = strict_page
    subject = f"濠河边路灯不亮{secrets.token_hex(2)}"
    number, code = write_to_the_mayor(citizen, demo_server, subject)

    drafter = Handler(browser, demo_server, "zfb_handler")
    case_url = drafter.open_case(number)
    drafter.act("保存答复，提交审核", {"#reply_body": "经核查，路灯线路已修复，感谢您的监督。"})
    drafter.close()

    checker = Handler(browser, demo_server, "zfb_checker")
    checker.page.goto(case_url)
    checker.act("审核通过")
    checker.act("发送答复")
    checker.close()

    publisher = Handler(
        browser, demo_server, "xfj_handler"
    )  # 市信访局 publishes the mayor's letters (Art. 16)
    publisher.page.goto(case_url)
    publisher.act("审核公开（自动脱敏）")
    publisher.close()

    citizen.goto(demo_server.url + "/hudong/xinxiang/mayor/")
    with citizen.expect_navigation():
        citizen.get_by_role("link", name=subject).click()
    published = citizen.locator("[data-published-case]")
    expect(published.locator("[data-reply]")).to_contain_text("路灯线路已修复")
    expect(published).not_to_contain_text("13812345678")
    expect(published).not_to_contain_text("张三")

    look_up(citizen, demo_server, number, code)
    expect(citizen.locator("[data-lookup-result] [data-reply]")).to_contain_text("路灯线路已修复")
    citizen.get_by_label("满意", exact=True).check()
    submit(citizen, "提交评价")
    expect(citizen.locator("[data-rated]")).to_contain_text("感谢您的评价")
    expect(citizen.locator("[data-status]")).to_have_text("已办结")
    assert not citizen.console_errors, citizen.console_errors


def test_a_disclosure_request_gets_an_extension_the_requester_sees(
    strict_page: Page, browser: Browser, demo_server: DemoServer
):
    citizen = strict_page
    number, code = ask_for_information(citizen, demo_server, "2025年度市区道路维修资金使用明细")

    handler = Handler(browser, demo_server, "nantong_handler")
    case_url = handler.open_case(number)
    handler.act("提交延期申请", {"#ext_reason": "涉及多个部门，需要会商。"})
    handler.close()

    approver = Handler(browser, demo_server, "nantong_checker")
    approver.page.goto(case_url)
    approver.act("批准延期并告知申请人")
    approver.close()

    look_up(citizen, demo_server, number, code)
    result = citizen.locator("[data-lookup-result]")
    expect(result).to_contain_text("已延期")
    expect(result.locator("[data-extension]")).to_be_visible()
    expect(result.locator(".cases-timeline")).to_contain_text("延期")
