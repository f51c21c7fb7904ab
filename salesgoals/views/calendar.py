"""The fiscal calendar page: period tree, holidays, company overrides and (admins) settings.

Everyone signed in reads; admins generate years, add or remove company days and change the
calendar settings. Every write is a POST → service → redirect; a refused write re-renders the
page with the messages next to the fields. Any other user's POST is 403.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from salesgoals import fiscal, scope, selectors, services, workdays
from salesgoals.models import CalendarDay, CalendarType, CompanySettings, FiscalYear, Period
from salesgoals.models.calendar import WEEKDAY_CHOICES

# --- forms -----------------------------------------------------------------------------------


class FiscalYearGenerateForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("Fiscal year"),
        min_value=1900,
        max_value=2200,
        help_text=gettext_lazy("The calendar year in which the fiscal year starts."),
    )


class CalendarDayForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDay.Kind.choices)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For example: company offsite, or a Saturday trade fair."),
    )


class CalendarSettingsForm(forms.Form):
    fiscal_year_start_month = forms.TypedChoiceField(
        label=gettext_lazy("Fiscal-year start month"),
        coerce=int,
        choices=list(MONTHS.items()),
    )
    week_start = forms.TypedChoiceField(
        label=gettext_lazy("Week start day"), coerce=int, choices=WEEKDAY_CHOICES
    )
    calendar_type = forms.ChoiceField(
        label=gettext_lazy("Calendar type"),
        choices=CalendarType.choices,
        help_text=gettext_lazy(
            "Calendar months, or 13-week quarters split 4-4-5, 4-5-4 or 5-4-4 weeks "
            "(a 53rd week, when a year needs one, goes to the last month)."
        ),
    )
    holiday_region = forms.ChoiceField(
        label=gettext_lazy("Holiday region"),
        help_text=gettext_lazy("Whose public holidays and make-up workdays count."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = workdays.region_choices()
        current = str(self.data.get("holiday_region") or self.initial.get("holiday_region") or "")
        # A subdivision such as "US-CA" is valid too, though not offered in the list.
        if current not in dict(choices) and workdays.is_supported_region(current):
            choices = [(current, current), *choices]
        self.fields["holiday_region"].choices = choices


def _apply_error(form: forms.Form, error: services.CalendarError, default_field: str) -> None:
    """Put a service error next to its field (or the form's default field)."""
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages_)
    else:
        form.add_error(default_field, error.messages)


# --- the page --------------------------------------------------------------------------------


@dataclass
class Node:
    period: Period
    label: str
    children: list[Node] = field(default_factory=list)

    @property
    def is_current(self) -> bool:
        return self.period.start <= timezone.localdate() <= self.period.end


def _tree(fiscal_year: FiscalYear) -> Node | None:
    periods = list(Period.objects.filter(fiscal_year=fiscal_year).order_by("start", "-end", "id"))
    nodes: dict[int, Node] = {}
    root: Node | None = None
    for period in periods:
        period.fiscal_year = fiscal_year
        label = fiscal.display_label(
            period.kind, period.number, period.start, period.end, fiscal_year
        )
        nodes[period.pk] = node = Node(period, label)
        if period.parent_id is None:
            root = node
        elif period.parent_id in nodes:
            nodes[period.parent_id].children.append(node)
    return root


def _suggested_year(latest: FiscalYear | None, company: CompanySettings) -> int:
    if latest is not None:
        return latest.year + 1
    today = timezone.localdate()
    return today.year if today.month >= company.fiscal_year_start_month else today.year - 1


def _pick_year(request: HttpRequest, years: list[FiscalYear]) -> FiscalYear | None:
    wanted = request.GET.get("year", "")
    if wanted.isdigit():
        for fiscal_year in years:
            if fiscal_year.year == int(wanted):
                return fiscal_year
    current = selectors.fiscal_year_for(timezone.localdate())
    if current is not None:
        return current
    return years[-1] if years else None


def _render_page(
    request: HttpRequest, *, status: int = 200, selected: int | None = None, **forms_: forms.Form
) -> HttpResponse:
    years = list(FiscalYear.objects.order_by("year"))
    if selected is not None:
        fiscal_year = next((fy for fy in years if fy.year == selected), None)
    else:
        fiscal_year = _pick_year(request, years)
    company = CompanySettings.load()
    is_admin = scope.is_admin(request.user)
    context: dict[str, Any] = {
        "years": years,
        "fiscal_year": fiscal_year,
        "is_admin": is_admin,
        "company": company,
    }
    if fiscal_year is not None:
        context.update(
            tree=_tree(fiscal_year),
            label=fiscal.fiscal_year_label(fiscal_year.year, fiscal_year.start_month),
            official_days=workdays.holidays_in(
                fiscal_year.start, fiscal_year.end, region=fiscal_year.holiday_region
            ),
            overrides=list(
                CalendarDay.objects.filter(date__range=(fiscal_year.start, fiscal_year.end))
            ),
            provisional_years=workdays.provisional_years(
                fiscal_year.start, fiscal_year.end, region=fiscal_year.holiday_region
            ),
        )
    if is_admin:
        latest = years[-1] if years else None
        context.update(
            generate_form=forms_.get("generate_form")
            or FiscalYearGenerateForm(initial={"year": _suggested_year(latest, company)}),
            day_form=forms_.get("day_form") or CalendarDayForm(),
            settings_form=forms_.get("settings_form")
            or CalendarSettingsForm(
                initial={
                    "fiscal_year_start_month": company.fiscal_year_start_month,
                    "week_start": company.week_start,
                    "calendar_type": company.calendar_type,
                    "holiday_region": company.holiday_region,
                }
            ),
        )
    return render(request, "salesgoals/calendar.html", context, status=status)


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    return _render_page(request)


# --- admin actions ---------------------------------------------------------------------------


def admin_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else the login page), POST only, and an admin (else 403)."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope.is_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _back(year: int | None = None) -> HttpResponse:
    url = reverse("calendar")
    return redirect(f"{url}?year={year}" if year is not None else url)


def _year_of(day: datetime.date) -> int | None:
    fiscal_year = selectors.fiscal_year_for(day)
    return fiscal_year.year if fiscal_year else None


@admin_post
def fiscal_year_generate(request: HttpRequest) -> HttpResponse:
    form = FiscalYearGenerateForm(request.POST)
    if form.is_valid():
        try:
            fiscal_year = services.fiscal_year_generate(year=form.cleaned_data["year"])
        except services.CalendarError as error:
            _apply_error(form, error, "year")
        else:
            messages.success(
                request,
                _("%(year)s generated with %(count)s periods.")
                % {
                    "year": fiscal.fiscal_year_label(fiscal_year.year, fiscal_year.start_month),
                    "count": fiscal_year.periods.count(),
                },
            )
            return _back(fiscal_year.year)
    return _render_page(request, status=400, generate_form=form)


@admin_post
def calendar_day_add(request: HttpRequest) -> HttpResponse:
    form = CalendarDayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.calendar_day_set(date=data["date"], kind=data["kind"], note=data["note"])
        except services.CalendarError as error:
            _apply_error(form, error, "date")
        else:
            messages.success(request, _("Company calendar updated; working days recounted."))
            return _back(_year_of(data["date"]))
    return _render_page(request, status=400, day_form=form)


@admin_post
def calendar_day_remove(request: HttpRequest, pk: int) -> HttpResponse:
    day = get_object_or_404(CalendarDay, pk=pk)
    services.calendar_day_remove(date=day.date)
    messages.success(request, _("Company day removed; working days recounted."))
    return _back(_year_of(day.date))


@admin_post
def calendar_settings_update(request: HttpRequest) -> HttpResponse:
    form = CalendarSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.company_calendar_update(**form.cleaned_data)
        except services.CalendarError as error:
            _apply_error(form, error, "holiday_region")
        else:
            messages.success(
                request,
                _(
                    "Calendar settings saved. They apply to fiscal years generated from now "
                    "on; existing years keep their periods."
                ),
            )
            return _back()
    return _render_page(request, status=400, settings_form=form)


@admin_post
def fiscal_year_recompute(request: HttpRequest, year: int) -> HttpResponse:
    fiscal_year = get_object_or_404(FiscalYear, year=year)
    services.fiscal_year_recompute(fiscal_year=fiscal_year)
    fiscal_year.refresh_from_db()
    if fiscal_year.is_provisional:
        messages.info(
            request,
            _("Working days recounted. The official holiday calendar is still not published."),
        )
    else:
        messages.success(request, _("Working days recounted with the official holiday calendar."))
    return _back(year)


urlpatterns = [
    path("", calendar, name="calendar"),
    path("years/", fiscal_year_generate, name="calendar-generate"),
    path("years/<int:year>/recount/", fiscal_year_recompute, name="calendar-recompute"),
    path("days/", calendar_day_add, name="calendar-day-add"),
    path("days/<int:pk>/remove/", calendar_day_remove, name="calendar-day-remove"),
    path("settings/", calendar_settings_update, name="calendar-settings"),
]
