from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "govsite.content"
    verbose_name = "栏目与内容"
