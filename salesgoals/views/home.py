"""Home page, area pages not built yet, notifications."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from salesgoals import scope, selectors, services, workdays
from salesgoals.models import FiscalYear, Metric, OrgUnit, Role
from salesgoals.navigation import area_by_slug, areas_for


def _time_progress(periods: list) -> list[dict]:
    """Working days elapsed and left in each period, as of today: facts, not estimates."""
    if not periods:
        return []
    today = timezone.localdate()
    spans = []
    for period in periods:
        spans += [(period.start, today), (today + datetime.timedelta(days=1), period.end)]
    counts = workdays.working_days_in(spans, region=periods[0].fiscal_year.holiday_region)
    rows = []
    for index, period in enumerate(periods):
        elapsed, left = counts[2 * index], counts[2 * index + 1]
        rows.append({"period": period, "elapsed": elapsed, "left": left, "total": elapsed + left})
    return rows


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    current = selectors.periods_containing(today)
    units = scope.visible_units(user)
    people = scope.visible_users(user)
    context = {
        "today": today,
        "time_progress": _time_progress(
            [current[kind] for kind in ("week", "month", "quarter", "year") if kind in current]
        ),
        "unit_count": units.count(),
        "rep_count": people.filter(role=Role.REP, is_active=True).count(),
        "recent_notifications": selectors.notifications_for(user)[:5],
        "is_admin": scope.is_admin(user),
    }
    if scope.is_admin(user):
        context["setup"] = {
            "units": OrgUnit.objects.count(),
            "users": people.count(),
            "fiscal_years": FiscalYear.objects.count(),
            "metrics": Metric.objects.filter(is_active=True).count(),
            "units_without_manager": OrgUnit.objects.filter(manager__isnull=True).count(),
        }
    return render(request, "salesgoals/home.html", context)


@login_required
def area(request: HttpRequest, slug: str) -> HttpResponse:
    found = area_by_slug(slug)
    if found is None:
        raise Http404
    if found not in areas_for(request.user.role, superuser=request.user.is_superuser):
        raise Http404
    return render(request, "salesgoals/area_empty.html", {"area": found})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "salesgoals/notifications.html", {"page": page})


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect("notifications")
