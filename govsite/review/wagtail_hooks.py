"""Admin entry points of the audit trail: “报告 → 审计记录” (Art. 14)."""

from django.contrib.auth.models import Permission
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from govsite.review import audit, views


class AuditMenuItem(MenuItem):
    def is_shown(self, request):
        return audit.can_view_audit(request.user)


@hooks.register("register_admin_urls")
def audit_urls():
    return [
        path("audit/", views.AuditRecordReportView.as_view(), name="review_audit_records"),
        path(
            "audit/results/",
            views.AuditRecordReportView.as_view(results_only=True),
            name="review_audit_records_results",
        ),
        path("audit/<int:pk>/", views.AuditRecordDetailView.as_view(), name="review_audit_record"),
    ]


@hooks.register("register_reports_menu_item")
def audit_menu_item():
    return AuditMenuItem(
        "审计记录", reverse("review_audit_records"), name="audit-records", icon_name="history", order=1050
    )


@hooks.register("register_permissions")
def audit_permissions():
    """Lets administrators grant “可查看审计记录” to a group (Settings → Groups)."""
    return Permission.objects.filter(content_type__app_label="review", codename="view_auditrecord")


from govsite.review import admin_hooks  # noqa: E402,F401  (the review chain's admin hooks)
