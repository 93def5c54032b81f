from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "govsite.cases"
    label = "cases"
    verbose_name = "互动交流"
    default_auto_field = "django.db.models.BigAutoField"
