from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "govsite.search"
    label = "govsearch"
    verbose_name = "站内检索"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from govsite.search import receivers

        receivers.connect()
