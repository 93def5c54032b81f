"""Write the production nginx configuration: `manage.py nginx_config --output /etc/nginx/govsite`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from govsite.publishing import nginx


class Command(BaseCommand):
    help = "为每个已开通的网站生成 nginx 配置（静态文件直出，动态路径转发应用，安全响应头，TLS 占位）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output", required=True, help="输出目录；在 nginx 的 http {} 中 include 其中的 govsite.conf"
        )
        parser.add_argument("--publish-root", help="静态页面根目录（默认取 GOVSITE_PUBLISH_ROOT）")
        parser.add_argument("--upstream", help="应用地址，如 127.0.0.1:8001（默认取 GOVSITE_APP_UPSTREAM）")
        parser.add_argument("--listen", type=int, default=80, help="HTTP 端口（默认 80）")
        parser.add_argument("--http-only", action="store_true", help="不启用 TLS（仅限内网测试）")

    def handle(self, *args, output: str, publish_root, upstream, listen: int, http_only: bool, **options):
        settings = nginx.default_options(
            publish_root=Path(publish_root).resolve() if publish_root else None,
            upstream=upstream,
            listen=listen,
            http_only=http_only,
        )
        for path in nginx.write_config(Path(output), settings):
            self.stdout.write(f"已写入 {path}")
