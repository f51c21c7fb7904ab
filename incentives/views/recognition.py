"""Leaderboards, badges (with manual awards) and contests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives import selectors, services
from incentives.forms import BadgeForm, ContestForm
from incentives.leaderboards import leaderboard as build_leaderboard
from incentives.models import Contest
from salesgoals import scope
from salesgoals.forms import apply_service_error
from salesgoals.ids import is_id
from salesgoals.models import Metric, OrgUnit, Period
from salesgoals.money import to_minor

LEADERBOARD_KINDS = ("month", "quarter", "year")


def leaderboard_choice(params, user) -> tuple[Metric, Period | None, OrgUnit | None, str]:
    """The metric, period, unit and ranking asked for (defaults: revenue, this quarter,
    the whole company, attainment). Leaderboards are public inside the company."""
    metric = Metric.objects.filter(code=params.get("metric") or "revenue").first()
    if metric is None:
        metric = Metric.objects.order_by("sort_order").first()
    period = None
    if is_id(params.get("period") or ""):
        period = Period.objects.filter(pk=params["period"], kind__in=LEADERBOARD_KINDS).first()
    if period is None:
        today = timezone.localdate()
        period = Period.objects.filter(kind="quarter", start__lte=today, end__gte=today).first()
    unit = None
    scope_param = params.get("scope") or "company"
    if is_id(params.get("org_unit") or ""):
        unit = OrgUnit.objects.filter(pk=params["org_unit"]).first()
    elif scope_param == "team" and user.org_unit_id:
        unit = user.org_unit
    rank_by = (
        params.get("rank_by") if params.get("rank_by") in Contest.RankBy.values else "attainment"
    )
    return metric, period, unit, rank_by


@login_required
def leaderboard(request: HttpRequest) -> HttpResponse:
    metric, period, unit, rank_by = leaderboard_choice(request.GET, request.user)
    rows = (
        build_leaderboard(metric=metric, period=period, unit=unit, rank_by=rank_by)
        if metric and period
        else []
    )
    context = {
        "rows": rows,
        "metric": metric,
        "period": period,
        "unit": unit,
        "rank_by": rank_by,
        "scope": "team" if unit else "company",
        "metrics": Metric.objects.filter(is_active=True),
        "periods": Period.objects.filter(kind__in=LEADERBOARD_KINDS).order_by("-start")[:30],
        "units": OrgUnit.objects.order_by("path"),
        "contests": selectors.contests_visible(request.user)[:10],
        "feed": selectors.recognition_feed(12),
        "can_run_contests": scope.sees_everything(request.user),
        "contest_form": ContestForm() if scope.sees_everything(request.user) else None,
    }
    return render(request, "incentives/leaderboard.html", context)


@login_required
def badges(request: HttpRequest) -> HttpResponse:
    user = request.user
    can_award = scope.sees_everything(user) or user.role == "manager"
    form = BadgeForm(request.POST or None, user=user) if can_award else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.badge_award(actor=user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("Badge awarded."))
                return redirect("incentives:badges")
    mine = request.GET.get("mine") == "1"
    rows = selectors.badges_visible(user, person=user.pk if mine else None)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    context = {"page": page, "form": form, "mine": mine}
    return render(
        request, "incentives/badges.html", context, status=400 if form and form.errors else 200
    )


@login_required
@require_POST
def contest_create(request: HttpRequest) -> HttpResponse:
    if not scope.sees_everything(request.user):
        raise PermissionDenied
    form = ContestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.contest_create(
                actor=request.user,
                name=data["name"],
                metric=data["metric"],
                period=data["period"],
                org_unit=data["org_unit"],
                rank_by=data["rank_by"],
                winners=data["winners"],
                prize_minor=to_minor(data["prize"]),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Contest created."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("incentives:leaderboard")


@login_required
@require_POST
def contest_close(request: HttpRequest, pk: int) -> HttpResponse:
    contest = get_object_or_404(Contest, pk=pk)
    if not scope.sees_everything(request.user):
        raise PermissionDenied
    winners = services.contest_close(actor=request.user, contest=contest)
    messages.success(request, _("Contest closed with %(n)s winners.") % {"n": len(winners)})
    return redirect("incentives:leaderboard")
