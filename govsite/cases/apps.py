from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "govsite.cases"
    label = "cases"
    verbose_name = "互动交流"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from govsite.cases import published_forms, receivers  # noqa: F401  (signal receivers)
        from govsite.publishing.services import SITE_EXTRAS

        if published_forms.write_site_forms not in SITE_EXTRAS:
            SITE_EXTRAS.append(published_forms.write_site_forms)
