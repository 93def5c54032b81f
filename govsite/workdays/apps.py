from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "govsite.workdays"
    verbose_name = "工作日历"

    def ready(self) -> None:
        """Give each request its own cache of override rows, and drop it when a row changes."""
        from django.core.signals import request_finished, request_started
        from django.db.models.signals import post_delete, post_save

        from govsite.workdays import services
        from govsite.workdays.models import ConfirmedYear, WorkdayOverride

        request_started.connect(services.begin_request_scope, dispatch_uid="workdays_begin_request")
        request_finished.connect(services.end_request_scope, dispatch_uid="workdays_end_request")
        for model in (WorkdayOverride, ConfirmedYear):
            for action, signal in (("save", post_save), ("delete", post_delete)):
                signal.connect(
                    services.forget_cached_rows,
                    sender=model,
                    dispatch_uid=f"workdays_forget_{model.__name__}_on_{action}",
                )
