"""Template filters for deadlines: `{% load workdays %}` then `{{ case.reply_due|deadline_display }}`.

A deadline in a year whose holiday arrangement is not official yet was counted Monday-Friday
and is shown with （暂定） (gov-site-rules.md §6.5: flag deadlines in years without official data).
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from govsite.workdays import services

register = template.Library()


@register.filter
def deadline_display(value: services.Deadline | datetime | date | None) -> SafeString | str:
    """`YYYY-MM-DD`, followed by （暂定） in an <abbr> explaining it when the year is provisional.

    Takes a date, an aware datetime (shown by its day in Asia/Shanghai) or a `Deadline`, whose own
    provisional mark is used. Anything empty renders as an empty string.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, services.Deadline):
        due, provisional = value.due, value.provisional
    else:
        due, provisional = value, services.is_provisional(value)
    day = services.local_date(due)
    if not provisional:
        return format_html("{}", f"{day:%Y-%m-%d}")
    return format_html(
        '{}<abbr title="{}">（{}）</abbr>',
        f"{day:%Y-%m-%d}",
        services.PROVISIONAL_EXPLANATION,
        services.PROVISIONAL_LABEL,
    )
