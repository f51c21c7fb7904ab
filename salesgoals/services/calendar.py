"""Fiscal years, periods and working-day overrides: every calendar write goes through here."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from salesgoals import fiscal, hooks, workdays
from salesgoals.models import CalendarDay, CalendarType, CompanySettings, FiscalYear, Period

__all__ = [
    "CalendarError",
    "calendar_day_remove",
    "calendar_day_set",
    "company_calendar_update",
    "fiscal_year_generate",
    "fiscal_year_recompute",
]


_ONE_DAY = datetime.timedelta(days=1)


class CalendarError(ValidationError):
    """A calendar change that cannot be made (duplicate year, gap, unknown region …)."""


def _date(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _name(fiscal_year: FiscalYear) -> str:
    return fiscal.display_year_name(fiscal_year.year, fiscal_year.start_month)


def _check_neighbours(year: int, start: datetime.date, end: datetime.date) -> None:
    overlapping = FiscalYear.objects.filter(start__lte=end, end__gte=start).order_by("year").first()
    if overlapping is not None:
        raise CalendarError(
            {
                "year": [
                    _(
                        "FY%(year)s would run from %(start)s to %(end)s and overlap %(other)s "
                        "(%(other_start)s to %(other_end)s)."
                    )
                    % {
                        "year": year,
                        "start": _date(start),
                        "end": _date(end),
                        "other": _name(overlapping),
                        "other_start": _date(overlapping.start),
                        "other_end": _date(overlapping.end),
                    }
                ]
            }
        )
    previous = FiscalYear.objects.filter(year=year - 1).first()
    if previous is not None and previous.end + _ONE_DAY != start:
        raise CalendarError(
            {
                "year": [
                    _(
                        "FY%(year)s would start on %(start)s, but %(other)s ends on "
                        "%(other_end)s: the %(days)s days between would belong to no fiscal "
                        "year. Fiscal years must follow one another without gaps; change the "
                        "calendar settings so that the new year starts on %(wanted)s."
                    )
                    % {
                        "year": year,
                        "start": _date(start),
                        "other": _name(previous),
                        "other_end": _date(previous.end),
                        "days": (start - previous.end).days - 1,
                        "wanted": _date(previous.end + _ONE_DAY),
                    }
                ]
            }
        )
    following = FiscalYear.objects.filter(year=year + 1).first()
    if following is not None and end + _ONE_DAY != following.start:
        raise CalendarError(
            {
                "year": [
                    _(
                        "FY%(year)s would end on %(end)s, but %(other)s starts on "
                        "%(other_start)s: the %(days)s days between would belong to no fiscal "
                        "year. Fiscal years must follow one another without gaps; change the "
                        "calendar settings so that the new year ends on %(wanted)s."
                    )
                    % {
                        "year": year,
                        "end": _date(end),
                        "other": _name(following),
                        "other_start": _date(following.start),
                        "days": (following.start - end).days - 1,
                        "wanted": _date(following.start - _ONE_DAY),
                    }
                ]
            }
        )


@transaction.atomic
def fiscal_year_generate(*, year: int) -> FiscalYear:
    """Create a fiscal year and its whole period tree from the current company settings.

    The settings are copied into the year, so later changes never reshape it.
    """
    if not 1900 <= year <= 2200:
        raise CalendarError({"year": [_("Choose a year between 1900 and 2200.")]})
    settings = CompanySettings.load()
    if FiscalYear.objects.filter(year=year).exists():
        raise CalendarError({"year": [_("Fiscal year %(year)s already exists.") % {"year": year}]})
    specs = fiscal.build_periods(
        year, settings.fiscal_year_start_month, settings.week_start, settings.calendar_type
    )
    start, end = specs[0].start, specs[0].end
    _check_neighbours(year, start, end)

    region = settings.holiday_region or workdays.DEFAULT_REGION
    try:
        # A savepoint, so that losing a race to a concurrent request is a clean error.
        with transaction.atomic():
            fiscal_year = FiscalYear.objects.create(
                year=year,
                start=start,
                end=end,
                calendar_type=settings.calendar_type,
                start_month=settings.fiscal_year_start_month,
                week_start=settings.week_start,
                holiday_region=region,
                is_provisional=bool(workdays.provisional_years(start, end, region=region)),
            )
    except IntegrityError as error:
        raise CalendarError(
            {"year": [_("Fiscal year %(year)s already exists.") % {"year": year}]}
        ) from error
    counts = workdays.working_days_in([(s.start, s.end) for s in specs], region=region)
    rows: list[Period] = []
    for spec, count in zip(specs, counts, strict=True):
        rows.append(
            Period(
                fiscal_year=fiscal_year,
                kind=spec.kind,
                number=spec.number,
                start=spec.start,
                end=spec.end,
                label=spec.label,
                working_days=count,
                parent=rows[spec.parent] if spec.parent is not None else None,
            )
        )
    # One bulk insert per level, so each parent has its primary key before its children.
    for kind in fiscal.KINDS:
        level = [row for row in rows if row.kind == kind]
        for row in level:
            row.parent_id = row.parent.pk if row.parent is not None else None
        Period.objects.bulk_create(level)
    hooks.announce_fiscal_year_generated(fiscal_year)
    return fiscal_year


def _recompute_periods(periods: list[Period]) -> None:
    by_region: dict[str, list[Period]] = {}
    for period in periods:
        by_region.setdefault(period.fiscal_year.holiday_region, []).append(period)
    changed = []
    for region, group in by_region.items():
        for period, count in zip(
            group, workdays.working_days_in(group, region=region), strict=True
        ):
            if period.working_days != count:
                period.working_days = count
                changed.append(period)
    Period.objects.bulk_update(changed, ["working_days"])
    hooks.announce_working_days_changed(changed)


def _recompute_day(day: datetime.date) -> None:
    periods = Period.objects.filter(start__lte=day, end__gte=day).select_related("fiscal_year")
    _recompute_periods(list(periods))


@transaction.atomic
def fiscal_year_recompute(*, fiscal_year: FiscalYear) -> FiscalYear:
    """Recount working days and the provisional flag (after the holiday calendar is updated)."""
    periods = list(Period.objects.filter(fiscal_year=fiscal_year).select_related("fiscal_year"))
    _recompute_periods(periods)
    provisional = bool(
        workdays.provisional_years(
            fiscal_year.start, fiscal_year.end, region=fiscal_year.holiday_region
        )
    )
    if provisional != fiscal_year.is_provisional:
        fiscal_year.is_provisional = provisional
        fiscal_year.save(update_fields=["is_provisional"])
    return fiscal_year


@transaction.atomic
def calendar_day_set(*, date: datetime.date, kind: str, note: str = "") -> CalendarDay:
    """Mark a company closed day or extra working day, and recount the periods around it."""
    if kind not in CalendarDay.Kind.values:
        raise CalendarError({"kind": [_("Choose a closed day or an extra working day.")]})
    note = (note or "").strip()
    official = workdays.official_is_working_day(date)
    if kind == CalendarDay.Kind.CLOSED and not official:
        raise CalendarError(
            {
                "date": [
                    _("%(date)s is already a day off in the official calendar.")
                    % {"date": _date(date)}
                ]
            }
        )
    if kind == CalendarDay.Kind.WORKING and official:
        raise CalendarError(
            {
                "date": [
                    _("%(date)s is already a working day in the official calendar.")
                    % {"date": _date(date)}
                ]
            }
        )
    day, _created = CalendarDay.objects.update_or_create(
        date=date, defaults={"kind": kind, "note": note}
    )
    _recompute_day(date)
    return day


@transaction.atomic
def calendar_day_remove(*, date: datetime.date) -> None:
    """Drop a company override; the official calendar applies to that day again."""
    deleted, _detail = CalendarDay.objects.filter(date=date).delete()
    if not deleted:
        raise CalendarError(
            {"date": [_("There is no company override on %(date)s.") % {"date": _date(date)}]}
        )
    _recompute_day(date)


@transaction.atomic
def company_calendar_update(
    *,
    fiscal_year_start_month: int | None = None,
    week_start: int | None = None,
    calendar_type: str | None = None,
    holiday_region: str | None = None,
) -> CompanySettings:
    """Change the calendar settings. Only fiscal years generated afterwards follow them."""
    settings = CompanySettings.load()
    errors: dict[str, list[str]] = {}
    changed: list[str] = []
    if fiscal_year_start_month is not None:
        if not 1 <= fiscal_year_start_month <= 12:
            errors["fiscal_year_start_month"] = [_("Choose a month from 1 to 12.")]
        else:
            settings.fiscal_year_start_month = fiscal_year_start_month
            changed.append("fiscal_year_start_month")
    if week_start is not None:
        if not 0 <= week_start <= 6:
            errors["week_start"] = [_("Choose a day of the week.")]
        else:
            settings.week_start = week_start
            changed.append("week_start")
    if calendar_type is not None:
        if calendar_type not in CalendarType.values:
            errors["calendar_type"] = [_("Choose calendar months, 4-4-5, 4-5-4 or 5-4-4 weeks.")]
        else:
            settings.calendar_type = calendar_type
            changed.append("calendar_type")
    if holiday_region is not None:
        region = holiday_region.strip().upper()
        if not region or not workdays.is_supported_region(region):
            errors["holiday_region"] = [
                _("No holiday calendar is known for “%(region)s”.") % {"region": holiday_region}
            ]
        else:
            settings.holiday_region = region
            changed.append("holiday_region")
    if errors:
        raise CalendarError(errors)
    if changed:
        settings.save(update_fields=changed)
    return settings
