"""manage.py login_unlock NAME_OR_IP — lift a login lockout now (issue 3 point 8), recorded in the audit trail."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from govsite.review import lockout


class Command(BaseCommand):
    help = "立即解除某个用户名或 IP 地址的登录锁定（记入审计记录）。"

    def add_arguments(self, parser):
        parser.add_argument("value", help="用户名或 IP 地址")

    def handle(self, *args, value: str, **options):
        lifted = lockout.unlock(value)
        if lifted:
            self.stdout.write(self.style.SUCCESS(f"已解除 {value} 的 {lifted} 项登录锁定。"))
        else:
            self.stdout.write(f"{value} 当前没有登录锁定。")
