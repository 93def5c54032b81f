from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "govsite.review"
    label = "review"
    verbose_name = "审核与留痕"

    def ready(self) -> None:
        """Mirror Wagtail's log, logins and permission changes into the audit chain (Art. 14)."""
        from govsite.review import checks, receivers  # noqa: F401  (registers signal receivers and checks)
