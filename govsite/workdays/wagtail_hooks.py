"""Admin for the working-day calendar: the override table and the confirmed years (menu “工作日历”).

Each November, once the State Council has published the next year's arrangement, an
administrator enters it here day by day and then confirms the year (docs/workdays.md).
"""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from govsite.workdays.models import ConfirmedYear, WorkdayOverride


class WorkdayOverrideViewSet(SnippetViewSet):
    model = WorkdayOverride
    icon = "date"
    menu_label = "工作日调整"
    menu_name = "workday_overrides"
    list_display = ["date", "weekday_display", "is_workday", "package_status", "note"]
    list_filter = ["is_workday"]
    search_fields = ["note"]
    search_backend_name = None  # a small table: plain database filtering, no search index
    ordering = ["-date"]


class ConfirmedYearViewSet(SnippetViewSet):
    model = ConfirmedYear
    icon = "calendar-check"
    menu_label = "已确认年度"
    menu_name = "confirmed_years"
    list_display = ["year", "note", "created_at"]


class WorkdayCalendarGroup(SnippetViewSetGroup):
    items = (WorkdayOverrideViewSet, ConfirmedYearViewSet)
    menu_icon = "calendar-alt"
    menu_label = "工作日历"
    menu_name = "workday_calendar"


register_snippet(WorkdayCalendarGroup)
