"""Insight pages: the skills matrix, recommendations (assign or dismiss; rules for admins)
and the effectiveness report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from salesgoals import scope
from salesgoals.forms import apply_service_error
from salesgoals.ids import is_id
from salesgoals.models import Metric
from training import selectors, services
from training.forms import DueForm, EffectivenessForm, RuleForm
from training.models import Course, Recommendation, RecommendationRule
from training.selectors.access import can_configure, is_leader
from training.selectors.effectiveness import course_effects, display_value, effects_figure
from training.selectors.matrix import matrix_status_legend, skills_matrix
from training.views.common import export_links, require_admin, require_leader, run


@login_required
def skills(request: HttpRequest) -> HttpResponse:
    require_leader(request)
    units = scope.visible_units(request.user).order_by("path")
    unit_id = request.GET.get("org_unit") or ""
    unit = None
    if unit_id:
        unit = units.filter(pk=unit_id).first() if is_id(unit_id) else None
        if unit is None:
            raise PermissionDenied
    by = "category" if request.GET.get("by") == "category" else "course"
    category = request.GET.get("category") or ""
    matrix = skills_matrix(request.user, unit=unit, category=category or None, by=by)
    page = Paginator(matrix.rows, 40).get_page(request.GET.get("page"))
    return render(
        request,
        "training/skills.html",
        {
            "matrix": matrix,
            "page": page,
            "units": units,
            "unit_id": unit_id,
            "by": by,
            "category": category,
            "categories": Course.Category.choices,
            "legend": matrix_status_legend(),
        },
    )


@login_required
def recommendations(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k) or "" for k in ("status", "course", "org_unit")}
    if "status" not in request.GET:
        filters["status"] = Recommendation.Status.OPEN
    items = selectors.recommendations_visible(request.user, **filters)
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    for rec in page.object_list:
        rec.explained = services.explain(rec.rule, rec.evidence)
        # Every listed recommendation is in scope, and whoever sees a person may assign them
        # a course (a rep: themselves) — so an open one can be decided here.
        rec.can_decide = rec.status == Recommendation.Status.OPEN
    query = {k: v for k, v in filters.items() if v}
    return render(
        request,
        "training/recommendations.html",
        {
            "page": page,
            "filters": filters,
            "filtered": bool(request.GET.get("course") or request.GET.get("org_unit")),
            "statuses": Recommendation.Status.choices,
            "courses": Course.objects.filter(active=True).order_by("title"),
            "units": scope.visible_units(request.user).order_by("path"),
            "is_leader": is_leader(request.user),
            "can_configure": can_configure(request.user),
            "due_form": DueForm(),
            "exports": export_links("recommendation-list", query),
        },
    )


@login_required
@require_POST
def recommendations_compute(request: HttpRequest) -> HttpResponse:
    require_leader(request)
    made = services.recommendations_compute(actor=request.user)
    if made:
        text = ngettext("%(n)s new recommendation.", "%(n)s new recommendations.", len(made)) % {
            "n": len(made)
        }
    else:
        text = _("No new recommendations: nobody in your scope lags on the configured rules.")
    messages.success(request, text)
    return redirect("training:recommendations")


@login_required
@require_POST
def recommendation_assign(request: HttpRequest, pk: int) -> HttpResponse:
    rec = selectors.recommendation_get_for_user(user=request.user, pk=pk)
    form = DueForm(request.POST)
    due = form.cleaned_data["due_on"] if form.is_valid() else None
    try:
        rec = services.recommendation_assign(actor=request.user, recommendation=rec, due_on=due)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(course)s assigned to %(person)s.")
            % {"course": rec.course.title, "person": rec.user.display},
        )
    return redirect("training:recommendations")


@login_required
@require_POST
def recommendation_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    rec = selectors.recommendation_get_for_user(user=request.user, pk=pk)
    run(
        request,
        services.recommendation_dismiss,
        _("Recommendation dismissed."),
        actor=request.user,
        recommendation=rec,
    )
    return redirect("training:recommendations")


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    require_admin(request)
    return render(request, "training/rules.html", {"rules": selectors.rules_all()})


@login_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_admin(request)
    rule = get_object_or_404(RecommendationRule, pk=pk) if pk else None
    initial = (
        {
            "name": rule.name,
            "metric": rule.metric.code,
            "condition": rule.condition,
            "months": rule.months,
            "threshold": rule.threshold,
            "course": rule.course_id,
            "active": rule.active,
        }
        if rule
        else {"months": 2, "active": True}
    )
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.rule_save(actor=request.user, rule=rule, **data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("training:rules")
    return render(request, "training/rule_form.html", {"form": form, "rule": rule})


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request)
    rule = get_object_or_404(RecommendationRule, pk=pk)
    services.rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Rule deleted."))
    return redirect("training:rules")


@login_required
def effectiveness(request: HttpRequest) -> HttpResponse:
    require_leader(request)
    form = EffectivenessForm(request.GET or None)
    metric = None
    months = 3
    if form.is_valid():
        metric = form.cleaned_data.get("metric")
        months = form.cleaned_data.get("months") or 3
    metric = metric or Metric.objects.filter(code="revenue").first() or Metric.objects.first()
    if not form.is_bound:
        form = EffectivenessForm(initial={"metric": metric.code if metric else None, "months": 3})
    effects = course_effects(request.user, metric=metric, months=months) if metric else []
    rows = [
        {
            "effect": e,
            "before": display_value(metric, e.before),
            "after": display_value(metric, e.after),
            "change": display_value(metric, e.change),
            "comparison_before": display_value(metric, e.comparison_before),
            "comparison_after": display_value(metric, e.comparison_after),
            "comparison_change": display_value(metric, e.comparison_change),
            "difference": display_value(metric, e.effect),
            "better": e.effect is not None
            and ((e.effect > 0) == (metric.direction == Metric.Direction.HIGHER)),
        }
        for e in effects
    ]
    has_data = any(e.completers for e in effects)
    return render(
        request,
        "training/effectiveness.html",
        {
            "form": form,
            "metric": metric,
            "months": months,
            "rows": rows,
            "has_data": has_data,
            "figure": effects_figure(metric, effects) if has_data else None,
            "exports": export_links(
                "course-effectiveness", {"metric": metric.code if metric else "", "months": months}
            ),
        },
    )
