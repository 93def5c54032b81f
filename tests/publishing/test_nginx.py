"""The nginx configuration the platform writes (`manage.py nginx_config`), run by a real nginx."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from tests import factories as f
from tests.publishing.conftest import work_off_queue
from tests.publishing.test_front import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.django_db


@pytest.fixture
def published(publish_root):
    county = f.county_portal(slug="chongchuan")
    news = f.make_column(county.site.root_page, slug="news")
    f.make_article(news, slug="item", title="由 nginx 直出的稿件")
    work_off_queue()
    return publish_root


def start_nginx(config_dir: Path, port: int) -> subprocess.Popen:
    prefix = config_dir / "run"
    (prefix / "logs").mkdir(parents=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log;\n"
        "events { worker_connections 256; }\n"
        f"http {{ include /etc/nginx/mime.types; access_log off; include {config_dir}/govsite.conf; }}\n"
    )
    process = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")])
    for _ in range(50):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return process


def test_generated_nginx_config_serves_published_pages_with_headers(published, tmp_path):
    port = free_port()
    config_dir = tmp_path / "nginx"
    call_command("nginx_config", output=str(config_dir), http_only=True, listen=port, upstream="127.0.0.1:9")
    site_config = (config_dir / "sites" / "chongchuan.conf").read_text()
    assert "server_name chongchuan.localhost" in site_config

    process = start_nginx(config_dir, port)
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/news/item/", headers={"Host": "chongchuan.localhost"})
        assert page.status_code == 200
        assert "由 nginx 直出的稿件" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        (published / "chongchuan.localhost" / "news" / ".redirect").write_text("/elsewhere/")
        marker = httpx.get(
            f"http://127.0.0.1:{port}/news/.redirect", headers={"Host": "chongchuan.localhost"}
        )
        assert marker.status_code == 404
        dynamic = httpx.get(f"http://127.0.0.1:{port}/search/?q=1", headers={"Host": "chongchuan.localhost"})
        assert dynamic.status_code == 502  # handed to the application (not running in this test)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_tls_placeholders_are_written_for_production(published, tmp_path):
    call_command("nginx_config", output=str(tmp_path / "conf"))
    site_config = (tmp_path / "conf" / "sites" / "chongchuan.conf").read_text()
    assert "listen 443 ssl http2;" in site_config
    assert "ssl_certificate /etc/ssl/govsite/chongchuan.localhost.crt;" in site_config
    assert "return 301 https://$host$request_uri;" in site_config
    assert "Strict-Transport-Security" in (tmp_path / "conf" / "govsite-headers.conf").read_text()
