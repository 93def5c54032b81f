from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "govsite.workdays"
    verbose_name = "工作日历"
