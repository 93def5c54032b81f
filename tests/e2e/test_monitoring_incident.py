"""An operator on duty handles a defaced page as a security incident (Art. 24), in the browser.

The scene: in the demo city, an article of 崇川区's portal was altered on disk behind the
platform's back (its site does not restore automatically), and the tamper inspection left a
finding. The operator (a member of 平台运维值班, password only) opens the finding, opens an incident
from it, restores the published version, records the resolution, reports the result to the
authority, writes the review and closes the incident.

The scene is set in the demo server's own database and publish root with `manage.py shell`, the
way the server itself was built (tests/e2e/conftest.py): same environment, same workdir.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from .conftest import DemoServer

pytestmark = pytest.mark.e2e

SITE = "chongchuan"
OPERATOR = "e2e_duty_officer"
PASSWORD = "Duty-Officer-2026!"
DEFACEMENT = "黑客到此一游"
SIGNED_IN = re.compile(r"/admin/(?!login/|2fa/)")
ROOT = Path(__file__).resolve().parents[2]

SET_SCENE = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from govsite.content.models import ArticlePage
from govsite.monitoring.incidents import OPERATORS_GROUP
from govsite.monitoring.models import Finding
from govsite.publishing import storage
from govsite.publishing.models import PublishedFile, SitePublishing
from govsite.sites.models import GovSite

group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
group.permissions.add(Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"))
user, _ = get_user_model().objects.get_or_create(username=%(operator)r, defaults={"first_name": "值班员"})
user.set_password(%(password)r)
user.save()
user.groups.add(group)
site = GovSite.objects.select_related("site").get(slug=%(site)r)
SitePublishing.objects.update_or_create(site=site, defaults={"auto_restore": False})
host = site.site.hostname
articles = ArticlePage.objects.live().values_list("pk", flat=True)
item = PublishedFile.objects.filter(host=host, page_id__in=articles, path__endswith="/index.html").order_by("path").first()
target = storage.root() / host / item.path
target.write_bytes(target.read_bytes().replace(b"</body>", "<p>%(defacement)s</p></body>".encode()))
url_path = "/" + item.path[: -len("index.html")]
finding = Finding.objects.create(
    kind="tamper", fingerprint="e2e-incident-" + str(timezone.now().timestamp()), gov_site=site,
    page_url="http://" + host + url_path, title="网页被篡改：" + url_path, severity="critical",
    due_on=timezone.localdate(),
)
print("SCENE " + json.dumps({"finding": finding.pk, "file": str(target), "sha256": item.sha256,
                             "host": host, "url_path": url_path}))
"""

RESET_SITE = """
from govsite.publishing.models import SitePublishing
SitePublishing.objects.filter(site__slug=%(site)r).update(auto_restore=True)
"""


def server_environment(server: DemoServer) -> dict[str, str]:
    """The environment the demo server was built with: its database and its publish root."""
    workdir = server.log.parent
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        database_url = f"sqlite:///{workdir / 'e2e.sqlite3'}"
    else:
        parts = urlsplit(os.environ["DATABASE_URL"])
        database_url = urlunsplit(parts._replace(path=f"/govsite_e2e_{os.getpid()}"))
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "GOVSITE_DEBUG": os.environ.get("GOVSITE_DEBUG", "0"),
        "GOVSITE_SECRET_KEY": os.environ.get("GOVSITE_SECRET_KEY", "e2e-monitoring-scene"),
        "GOVSITE_PUBLISH_ROOT": str(workdir / "publish"),
        "GOVSITE_PUBLISH_VAULT": str(workdir / "vault"),
    }


def shell(server: DemoServer, code: str) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=server_environment(server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


@pytest.fixture
def defaced_page(demo_server: DemoServer) -> Iterator[dict]:
    """A live article's published file altered on disk, and the tamper finding that names it."""
    output = shell(
        demo_server,
        SET_SCENE % {"operator": OPERATOR, "password": PASSWORD, "site": SITE, "defacement": DEFACEMENT},
    )
    line = next(line for line in output.splitlines() if line.startswith("SCENE "))
    yield json.loads(line.removeprefix("SCENE "))
    shell(demo_server, RESET_SITE % {"site": SITE})


def log_in(page: Page, server: DemoServer) -> None:
    page.goto(f"{server.url}/admin/login/")
    page.fill("#id_username", OPERATOR)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("登录")).click()
    page.wait_for_url(SIGNED_IN)


def act(page: Page, button: str, fields: dict[str, str] | None = None) -> None:
    for label, value in (fields or {}).items():
        page.get_by_label(label, exact=True).fill(value)
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def served_through_the_front(server: DemoServer, host: str, url_path: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{url_path}",
        headers={"Host": f"{host}:{server.port}", "Accept-Encoding": "identity"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode("utf-8")


def test_art24_operator_restores_a_defaced_page_through_an_incident_and_closes_it(
    page: Page, demo_server: DemoServer, defaced_page: dict
):
    published = Path(defaced_page["file"])
    assert DEFACEMENT in published.read_text(encoding="utf-8")
    log_in(page, demo_server)
    page.goto(demo_server.url + reverse("monitoring_finding", args=[defaced_page["finding"]]))
    with page.expect_navigation():
        page.get_by_role("link", name="开启安全事件").click()
    expect(page.get_by_label("事件名称")).to_have_value(re.compile("网页被篡改"))
    page.get_by_label("事件级别").select_option(label="Ⅲ级（较大）")
    act(page, "启动应急响应")
    expect(page.locator("[data-incident-status]")).to_have_text("处置中")

    expect(page.locator("#restore-url")).to_have_value(re.compile(re.escape(defaced_page["url_path"]) + "$"))
    act(page, "恢复发布版本")
    expect(page.locator('[data-event="page_restored"]')).to_be_visible()
    assert DEFACEMENT not in published.read_text(encoding="utf-8")
    front = served_through_the_front(demo_server, defaced_page["host"], defaced_page["url_path"])
    assert DEFACEMENT not in front and "</html>" in front

    act(page, "记录处置完成", {"处置结果": "已恢复被篡改页面，排查上传目录未发现后门。"})
    expect(page.locator("[data-incident-status]")).to_have_text("已处置")
    act(page, "记录已报告处置结果", {"报告内容": "已书面报告市大数据管理局。"})
    act(page, "结案", {"总结评估": "篡改经文件系统写入，已收紧服务器权限。"})

    expect(page.locator("[data-incident-status]")).to_have_text("已结案")
    expect(page.locator("[data-timeline]")).to_contain_text("向主管部门报告处置结果")
    expect(page.locator("[data-incident-review]")).to_contain_text("收紧服务器权限")
