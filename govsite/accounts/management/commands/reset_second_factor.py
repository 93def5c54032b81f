"""manage.py reset_second_factor USERNAME: remove a user's second factor (issue 3 point 8)."""

from __future__ import annotations

import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from govsite.accounts import services


class Command(BaseCommand):
    help = "重置一个用户的二次验证（手机丢失、更换手机、恢复码用完或被锁定时）；该用户下次登录后台时须重新设置。记入审计记录。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")
        parser.add_argument("--reason", default="", help="重置原因，写入审计记录")

    def handle(self, *args, username: str, reason: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"用户“{username}”不存在。") from None
        try:
            operator = getpass.getuser()
        except Exception:  # no login name in this environment (container, service account)
            operator = ""
        had = services.reset_second_factor(
            user,
            via=f"manage.py reset_second_factor{f' (os user {operator})' if operator else ''}",
            reason=reason,
        )
        if had:
            self.stdout.write(
                self.style.SUCCESS(f"已重置 {username} 的二次验证，该用户下次登录后台时须重新设置。")
            )
        else:
            self.stdout.write(f"{username} 原本没有启用二次验证；已清除未完成的设置和错误计数。")
