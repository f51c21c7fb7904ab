"""Fiscal calendar: company settings, fiscal years, the period tree and day overrides."""

from __future__ import annotations

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CalendarType(models.TextChoices):
    GREGORIAN = "gregorian", _("Calendar months")
    W445 = "445", _("4-4-5 weeks")
    W454 = "454", _("4-5-4 weeks")
    W544 = "544", _("5-4-4 weeks")


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Year")
    QUARTER = "quarter", _("Quarter")
    MONTH = "month", _("Month")
    WEEK = "week", _("Week")


WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class CompanySettings(models.Model):
    """The single row of company-wide settings (fiscal calendar, holidays, currency)."""

    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal-year start month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    week_start = models.PositiveSmallIntegerField(
        _("week start day"), choices=WEEKDAY_CHOICES, default=0
    )
    calendar_type = models.CharField(
        _("calendar type"),
        max_length=10,
        choices=CalendarType.choices,
        default=CalendarType.GREGORIAN,
    )
    holiday_region = models.CharField(_("holiday region"), max_length=8, default="CN")
    base_currency = models.CharField(_("base currency"), max_length=3, default="CNY")
    company_name = models.CharField(_("company name"), max_length=120, default="SalesGoals")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("company settings")
        verbose_name_plural = _("company settings")

    def __str__(self) -> str:
        return str(self.company_name)

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> CompanySettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class FiscalYear(models.Model):
    """A fiscal year, named by the calendar year in which it starts.

    The calendar settings are copied in when the year is generated, so changing the company
    settings later never reshapes a year that already has targets.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    calendar_type = models.CharField(
        _("calendar type"), max_length=10, choices=CalendarType.choices
    )
    start_month = models.PositiveSmallIntegerField(_("start month"))
    week_start = models.PositiveSmallIntegerField(_("week start day"), choices=WEEKDAY_CHOICES)
    holiday_region = models.CharField(_("holiday region"), max_length=8)
    is_provisional = models.BooleanField(
        _("provisional holidays"),
        default=False,
        help_text=_("The official holiday calendar for part of this year is not published yet."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="fy_end")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from salesgoals.fiscal import fiscal_year_label

        return fiscal_year_label(self.year, self.start_month)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


class Period(models.Model):
    """One node of a fiscal year's period tree: year ⊃ quarter ⊃ month ⊃ week (inclusive dates)."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="periods")
    kind = models.CharField(_("kind"), max_length=8, choices=PeriodKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    number = models.PositiveSmallIntegerField(
        _("number"), help_text=_("1-based position of this period within its fiscal year")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    label = models.CharField(_("label"), max_length=40)
    working_days = models.PositiveSmallIntegerField(_("working days"), default=0)

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "kind", "number"], name="period_number"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="period_end"
            ),
        ]
        indexes = [models.Index(fields=["kind", "start", "end"])]

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class CalendarDay(models.Model):
    """A company-specific override of the holiday calendar."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("Company closed day")
        WORKING = "working", _("Extra working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
