from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from govsite.sites import services


def portal_coverage(request: HttpRequest) -> HttpResponse:
    """Art. 4: every county/district government, and whether it has its portal yet."""
    rows = services.portal_coverage()
    missing = [row for row in rows if row.missing]
    return TemplateResponse(
        request,
        "sites/admin/portal_coverage.html",
        {"rows": rows, "missing": missing, "header_title": "县（市）区政府门户网站开设情况"},
    )
