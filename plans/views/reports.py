"""Pages of periodic reports and reviews: list (mine / my team, missing reports), start a report,
edit it with its KPI snapshot, the report with comments and sign-off, and the review meeting.

Market change pages live in `plans.views.market`; their URLs are added here.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plans.forms.reports import (
    CommentForm,
    ReportCreateForm,
    ReportSectionsForm,
    ReviewForm,
    ReviewMeetingForm,
)
from plans.models import PeriodicReport
from plans.selectors import reports as selectors
from plans.services import reports as services
from plans.views import market as market_views
from salesgoals import scope
from salesgoals.forms import apply_service_error
from salesgoals.ids import is_id
from salesgoals.models import Period, PeriodKind, Role

FILTERS = ("view", "status", "kind", "org_unit")
MISSING_SHOWN = 50  # an executive's "my team" covers everyone: show the first ones


def _is_reviewer(user) -> bool:
    return user.role != Role.REP or user.is_superuser


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k) or "" for k in FILTERS}
    reviewer = _is_reviewer(request.user)
    view = filters["view"] or ("team" if reviewer else "mine")
    items = selectors.reports_visible(
        request.user,
        status=filters["status"],
        kind=filters["kind"],
        org_unit=filters["org_unit"],
        mine=view == "mine",
    )
    if view == "team":
        items = items.exclude(author=request.user)
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    today = timezone.localdate()
    weeks = Period.objects.filter(kind=PeriodKind.WEEK, end__lt=today, working_days__gt=0)
    recent = list(weeks.order_by("-end")[:4])  # a clipped week with no working day expects none
    missing_scope = request.user if view == "team" else None
    if missing_scope is None:
        missing = [
            (request.user, w)
            for w in recent
            if request.user.role == Role.REP
            and not PeriodicReport.objects.filter(
                author=request.user, owner_type="rep", period=w
            ).exists()
        ]
    else:
        missing = [
            (rep, w)
            for rep, w in selectors.missing_reports(request.user, periods=recent)
            if rep.pk != request.user.pk
        ]
    query = {k: v for k, v in filters.items() if v and k != "view"}
    api = reverse("report-list")
    export_query = {**query, **({"mine": "1"} if view == "mine" else {})}
    context = {
        "page": page,
        "filters": filters,
        "view": view,
        "reviewer": reviewer,
        "filtered": bool(query),
        "statuses": PeriodicReport.Status.choices,
        "kinds": [(k, PeriodKind(k).label) for k in selectors.REPORT_KINDS],
        "units": scope.visible_units(request.user).order_by("path"),
        "missing": missing[:MISSING_SHOWN],
        "missing_more": max(0, len(missing) - MISSING_SHOWN),
        "exports": {
            fmt: f"{api}?{urlencode({**export_query, 'format': fmt})}" for fmt in ("csv", "xlsx")
        },
    }
    return render(request, "plans/reports/list.html", context)


@login_required
def report_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if is_id(request.GET.get("period") or ""):
        initial["period"] = int(request.GET["period"])
    form = ReportCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        unit = form.cleaned_data.get("org_unit")
        try:
            report = services.report_create(
                actor=request.user,
                period=form.cleaned_data["period"],
                owner_type="unit" if unit else "rep",
                org_unit=unit,
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return redirect("plans:report-edit", pk=report.pk)
    return render(request, "plans/reports/create.html", {"form": form})


@login_required
def report_snapshot_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the KPI snapshot a new report would start with (the chosen period and team)."""
    form = ReportCreateForm(request.GET, user=request.user)
    rows: list[dict] = []
    if form.is_valid():
        unit = form.cleaned_data.get("org_unit")
        rows = selectors.snapshot_rows(
            selectors.kpi_snapshot(
                user=request.user,
                owner_type="unit" if unit else "rep",
                owner_id=unit.pk if unit else request.user.pk,
                period=form.cleaned_data["period"],
            )
        )
    context = {"rows": rows, "frozen": False}
    return render(request, "plans/reports/_snapshot.html", context)


def _snapshot(report: PeriodicReport) -> list[dict]:
    return selectors.snapshot_rows(selectors.report_snapshot(report))


@login_required
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    if not selectors.report_can_edit(request.user, report):
        raise PermissionDenied
    form = ReportSectionsForm(request.POST or None, instance=report)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_update(
                actor=request.user, report=report, **{k: form.cleaned_data[k] for k in form.fields}
            )
            if "submit" in request.POST:
                report = services.report_submit(actor=request.user, report=report)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            if report.status == PeriodicReport.Status.SUBMITTED:
                messages.success(request, _("Report submitted."))
                return redirect("plans:report-detail", pk=report.pk)
            messages.success(request, _("Draft saved."))
            return redirect("plans:report-edit", pk=report.pk)
    returned = None
    if report.status == PeriodicReport.Status.RETURNED:
        returned = selectors.report_comments(report).filter(kind="returned").last()
    context = {
        "report": report,
        "form": form,
        "snapshot": _snapshot(report),
        "returned": returned,
    }
    status = 400 if form.errors else 200
    return render(request, "plans/reports/edit.html", context, status=status)


def _detail_context(request: HttpRequest, report: PeriodicReport, **forms):
    return {
        "report": report,
        "snapshot": _snapshot(report),
        "comments": list(selectors.report_comments(report)),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "review_form": forms.get("review_form") or ReviewForm(),
        "can_edit": selectors.report_can_edit(request.user, report),
        "can_comment": selectors.report_can_comment(request.user, report),
        "can_review": selectors.report_can_review(request.user, report)
        and report.status == PeriodicReport.Status.SUBMITTED,
        "sections": [
            (_("Achievements"), report.achievements),
            (_("Problems and challenges"), report.problems),
            (_("Help needed"), report.help_needed),
            (_("Next steps"), report.next_steps),
        ],
    }


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    return render(request, "plans/reports/detail.html", _detail_context(request, report))


@login_required
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    try:
        services.report_submit(actor=request.user, report=report)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("plans:report-edit", pk=report.pk)
    messages.success(request, _("Report submitted."))
    return redirect("plans:report-detail", pk=report.pk)


@login_required
@require_POST
def report_comment(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.report_comment(
                actor=request.user, report=report, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Comment added."))
            return redirect("plans:report-detail", pk=report.pk)
    context = _detail_context(request, report, comment_form=form)
    return render(request, "plans/reports/detail.html", context, status=400)


@login_required
@require_POST
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    form = ReviewForm(request.POST)
    decision = request.POST.get("decision")
    if form.is_valid() and decision in ("sign_off", "return"):
        text = form.cleaned_data["text"]
        try:
            if decision == "sign_off":
                services.report_sign_off(actor=request.user, report=report, text=text)
                messages.success(request, _("Report signed off."))
            else:
                services.report_return(actor=request.user, report=report, text=text)
                messages.success(request, _("Report returned to its author."))
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return redirect("plans:report-detail", pk=report.pk)
    context = _detail_context(request, report, review_form=form)
    return render(request, "plans/reports/detail.html", context, status=400)


@login_required
def review_meeting(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _is_reviewer(user):
        raise PermissionDenied
    initial = {}
    if user.org_unit_id:
        initial["org_unit"] = user.org_unit_id
    last_month = (
        Period.objects.filter(kind=PeriodKind.MONTH, start__lte=timezone.localdate())
        .order_by("-start")
        .first()
    )
    if last_month is not None:
        initial["period"] = last_month.pk
    data = request.GET if request.GET.get("org_unit") else None
    form = ReviewMeetingForm(data, user=user, initial=initial)
    agenda = None
    if data is not None and form.is_valid():
        unit, period = form.cleaned_data["org_unit"], form.cleaned_data["period"]
        agenda = selectors.review_agenda(user=user, unit=unit, period=period)
        agenda.variances = selectors.snapshot_rows(agenda.variances)
    context = {
        "form": form,
        "agenda": agenda,
        "figure": variance_figure(agenda.variances) if agenda and agenda.variances else None,
    }
    return render(request, "plans/reports/review.html", context)


def variance_figure(rows: list[dict]) -> dict:
    """A plotly bar chart of the agenda's variances (attainment − 100%), largest on top."""
    rows = list(reversed(rows))  # plotly draws the first bar at the bottom
    values = [float(row["variance_pct"]) for row in rows]  # display only
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": values,
                "y": [f"{row['owner_name']} · {row['label']}" for row in rows],
                "marker": {"color": ["#b3261e" if v < 0 else "#1d6b3a" for v in values]},
                "hovertemplate": "%{y}: %{x:+.2f}%<extra></extra>",
            }
        ],
        "layout": {
            "height": 60 + 28 * len(rows),
            "margin": {"l": 220, "r": 20, "t": 10, "b": 40},
            "xaxis": {"title": {"text": _("Variance (%)")}, "zeroline": True, "ticksuffix": "%"},
            "yaxis": {"automargin": True},
        },
    }


urlpatterns = [
    path("reports/", report_list, name="report-list"),
    path("reports/new/", report_create, name="report-create"),
    path("reports/review/", review_meeting, name="review-meeting"),
    path("reports/snapshot/", report_snapshot_preview, name="report-snapshot"),
    path("reports/<int:pk>/", report_detail, name="report-detail"),
    path("reports/<int:pk>/edit/", report_edit, name="report-edit"),
    path("reports/<int:pk>/submit/", report_submit, name="report-submit"),
    path("reports/<int:pk>/comment/", report_comment, name="report-comment"),
    path("reports/<int:pk>/review/", report_review, name="report-review"),
    *market_views.urlpatterns,
]
