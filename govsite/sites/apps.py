from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "govsite.sites"
    label = "govsites"
    verbose_name = "网站登记"
