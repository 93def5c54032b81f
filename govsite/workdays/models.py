"""The working-day calendar's own facts: days the package does not know, and confirmed years.

The counting rules (gov-site-rules.md §6.3) live in `services.py`; these tables only hold what an
administrator entered. An override always wins over the chinesecalendar package.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from wagtail.admin.panels import FieldPanel

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class WorkdayOverride(models.Model):
    """One day whose status the administrator sets by hand (a late State Council notice, a local arrangement)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField(
        "当天上班",
        default=False,
        help_text="勾选：当天为工作日（如调休上班的周六、周日）；不勾选：当天休息（如法定节假日、调休休息日）。",
    )
    note = models.CharField(
        "说明", max_length=200, blank=True, help_text="如“2027年春节放假”“国庆节调休上班”，并注明通知文号。"
    )

    panels = [FieldPanel("date"), FieldPanel("is_workday"), FieldPanel("note")]

    class Meta:
        verbose_name = "工作日调整"
        verbose_name_plural = "工作日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        status = "上班" if self.is_workday else "休息"
        return f"{self.date:%Y-%m-%d}（{self.weekday_display()}）{status}"

    def weekday_display(self) -> str:
        return WEEKDAY_NAMES[self.date.weekday()] if self.date else ""

    weekday_display.short_description = "星期"  # type: ignore[attr-defined]

    def package_status(self) -> str:
        """What the chinesecalendar package says about this day, shown beside the override."""
        from govsite.workdays import services

        return services.package_status(self.date) if self.date else ""

    package_status.short_description = "软件包记载"  # type: ignore[attr-defined]


class ConfirmedYear(models.Model):
    """An administrator's record that a year's official arrangement has been entered as overrides.

    A year the package has no data for stops being provisional once it is confirmed.
    """

    year = models.PositiveSmallIntegerField(
        "年度", unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    note = models.CharField(
        "依据",
        max_length=200,
        blank=True,
        help_text="国务院办公厅关于该年度部分节假日安排的通知文号，以及本地调整的依据。",
    )
    created_at = models.DateTimeField("确认时间", auto_now_add=True)

    panels = [FieldPanel("year"), FieldPanel("note")]

    class Meta:
        verbose_name = "已确认年度"
        verbose_name_plural = "已确认年度"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年"

    def clean(self) -> None:
        from govsite.workdays import services

        services.validate_confirmed_year(self)
