"""Admin views of the audit trail: “报告 → 审计记录” with filters and xlsx export, and one record's page.

What a user may see is decided in `audit.records_visible_to` (issue 3 point 3: only the sites their
groups grant; platform superusers see all); these views only render it.
"""

from __future__ import annotations

import datetime
import json

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.forms import CheckboxSelectMultiple
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from wagtail.admin.filters import DateRangePickerWidget, MultipleUserFilter, WagtailFilterSet
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets.button import Button
from wagtail.models import Revision

from govsite.review import audit, revision_diff
from govsite.review.models import AuditRecord
from govsite.sites.models import GovSite


class AuditRecordFilterSet(WagtailFilterSet):
    action = django_filters.MultipleChoiceFilter(label="操作", widget=CheckboxSelectMultiple)
    actor = MultipleUserFilter(label="操作人", widget=CheckboxSelectMultiple)
    occurred_at = django_filters.DateFromToRangeFilter(label="日期", widget=DateRangePickerWidget)
    site = django_filters.ModelChoiceFilter(
        label="网站", queryset=GovSite.objects.none(), empty_label="全部网站"
    )

    class Meta:
        model = AuditRecord
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        visible = audit.records_visible_to(self.request.user).order_by()
        actions = sorted(set(visible.values_list("action", flat=True).distinct()))
        self.filters["action"].extra["choices"] = [
            (code, f"{audit.action_label(code)}（{code}）") for code in actions
        ]
        actor_ids = visible.exclude(actor=None).values_list("actor_id", flat=True).distinct()
        User = get_user_model()
        self.filters["actor"].extra["queryset"] = User.objects.filter(pk__in=actor_ids).order_by(
            User.USERNAME_FIELD
        )
        site_ids = audit.visible_site_ids(self.request.user)
        sites = GovSite.objects.all() if site_ids is None else GovSite.objects.filter(pk__in=site_ids)
        self.filters["site"].queryset = sites.order_by("identifier_code")


def _local(value: datetime.datetime | None):
    return timezone.make_naive(timezone.localtime(value)) if value else None


class AuditRecordReportView(ReportView):
    """Art. 14: the audit records a user may see, newest first, filtered, exported to xlsx."""

    page_title = "审计记录"
    header_icon = "history"
    results_template_name = "review/admin/audit_records_results.html"
    filterset_class = AuditRecordFilterSet
    index_url_name = "review_audit_records"
    index_results_url_name = "review_audit_records_results"
    is_searchable = True
    search_fields = ["object_repr", "actor_name", "ip_address", "object_id"]
    search_backend_name = None
    default_ordering = "-sequence"
    FORMATS = (ReportView.FORMAT_XLSX,)  # xlsx only: no CSV, so no spreadsheet formula injection by CSV
    list_export = [
        "sequence",
        "occurred_at",
        "actor_name",
        "ip_address",
        "site",
        "action_display",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "detail",
        "record_hash",
    ]
    export_headings = {
        "sequence": "序号",
        "occurred_at": "时间",
        "actor_name": "操作人",
        "ip_address": "IP 地址",
        "site": "网站",
        "action_display": "操作",
        "action": "操作代码",
        "object_type": "对象类型",
        "object_id": "对象编号",
        "object_repr": "对象",
        "detail": "详情",
        "record_hash": "本条哈希",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.custom_field_preprocess = {
            **self.custom_field_preprocess,
            "occurred_at": {self.FORMAT_XLSX: _local},
            "site": {self.FORMAT_XLSX: lambda site: str(site) if site else ""},
            "detail": {
                self.FORMAT_XLSX: lambda detail: json.dumps(detail, ensure_ascii=False, sort_keys=True)
            },
        }

    def dispatch(self, request, *args, **kwargs):
        if not audit.can_view_audit(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return audit.records_visible_to(self.request.user).select_related("site", "actor")

    def decorate_paginated_queryset(self, object_list):
        for entry in object_list:
            entry.action_display = audit.action_label(entry.action)
        return object_list

    @property
    def header_more_buttons(self):
        return [Button("下载 XLSX", url=self.xlsx_export_url, icon_name="download", priority=90)]

    def get_filename(self):
        return f"audit-records-{timezone.localdate():%Y-%m-%d}"

    def to_row_dict(self, item):
        item.action_display = audit.action_label(item.action)
        return super().to_row_dict(item)

    def write_xlsx(self, queryset, output):
        """Like Wagtail's, but streams the queryset in chunks, and leaves a record of the export."""
        from openpyxl import Workbook

        workbook = Workbook(write_only=True, iso_dates=True)
        worksheet = workbook.create_sheet(title="审计记录")
        worksheet.append([self.export_headings[field] for field in self.list_export])
        count = 0
        for item in audit.iter_records(queryset):
            worksheet.append(
                self.generate_xlsx_row(worksheet, self.to_row_dict(item), date_format="yyyy-mm-dd hh:mm:ss")
            )
            count += 1
        workbook.save(output)
        audit.record(
            "audit.export",
            request=self.request,
            object_type="review.auditrecord",
            object_repr=f"导出审计记录 {count} 条",
            detail={"format": "xlsx", "count": count, "query": self.request.GET.urlencode()},
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["detail_url_name"] = "review_audit_record"
        return context


class AuditRecordDetailView(WagtailAdminTemplateMixin, TemplateView):
    """One audit record: every field, whether its hash still matches, and for a page edit the diff."""

    template_name = "review/admin/audit_record_detail.html"
    header_icon = "history"

    def dispatch(self, request, *args, **kwargs):
        if not audit.can_view_audit(request.user):
            raise PermissionDenied
        entry = (
            audit.records_visible_to(request.user)
            .select_related("site", "actor")
            .filter(pk=kwargs["pk"])
            .first()
        )
        if entry is None:
            raise Http404("没有这条审计记录，或您无权查看。")
        self.entry = entry
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"审计记录第 {self.entry.sequence} 条"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("review_audit_records"), "label": "审计记录"},
            {"url": "", "label": f"第 {self.entry.sequence} 条"},
        ]

    def revision_context(self) -> dict:
        entry = self.entry
        if entry.revision_id is None or not entry.action.startswith("page."):
            return {}
        revision = Revision.objects.filter(pk=entry.revision_id).first()
        if revision is None:
            return {"revision_missing": True}
        recorded = (entry.detail or {}).get("revision_sha256")
        context = {
            "revision": revision,
            "revision_intact": recorded is None or recorded == revision_diff.revision_sha256(revision.pk),
        }
        previous = revision_diff.previous_revision(revision)
        try:
            changes = revision_diff.page_revision_diff(previous, revision)
        except Exception:  # a revision of a page whose type no longer exists cannot be rebuilt
            return {**context, "diff_unavailable": True}
        context["previous_revision"] = previous
        context["changes"] = [
            {
                "label": change.label,
                "before": change.before,
                "after": change.after,
                "inline": revision_diff.inline_diff_html(change.before, change.after),
            }
            for change in changes
        ]
        return context

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry = self.entry
        context.update(
            entry=entry,
            action_display=audit.action_label(entry.action),
            hash_intact=audit.compute_hash(entry) == entry.record_hash,
            detail_json=json.dumps(entry.detail, ensure_ascii=False, indent=2, sort_keys=True),
            **self.revision_context(),
        )
        return context
