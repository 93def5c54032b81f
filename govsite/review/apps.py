from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "govsite.review"
    label = "review"
    verbose_name = "审核与留痕"

    def ready(self) -> None:
        """Mirror Wagtail's log, logins and permission changes into the audit chain (Art. 14)."""
        from govsite.review import checks, receivers  # noqa: F401  (registers signal receivers and checks)

        self.connect_publication_guard()

    def connect_publication_guard(self) -> None:
        """Art. 14: every content page type checks its review chain before it goes live, by any path."""
        from django.apps import apps
        from django.db.models.signals import pre_save

        from govsite.content.models import ContentPage
        from govsite.review.services import guard_publication

        for model in apps.get_models():
            if issubclass(model, ContentPage):
                pre_save.connect(
                    guard_publication, sender=model, dispatch_uid=f"publication-guard-{model._meta.label}"
                )
