from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "govsite.monitoring"
    label = "monitoring"
    verbose_name = "监测巡检"
    default_auto_field = "django.db.models.BigAutoField"
