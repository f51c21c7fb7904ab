"""Plan pages: list, detail with the payout curve and versions, the builder (create/edit)
and its live preview (the engine's curve and validation as JSON for static/js/incentives.js)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives import selectors, services
from incentives.engine import PlanInvalid, parse_components
from incentives.figures import payout_curve
from incentives.forms import PlanForm
from incentives.messages import problem_text
from incentives.models import IncentivePlan
from salesgoals.forms import apply_service_error
from salesgoals.models import Metric, Period


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = selectors.plans_visible(request.user, current_only=True)
    context = {"plans": plans, "can_edit": selectors.plan_can_edit(request.user)}
    return render(request, "incentives/plan_list.html", context)


def _curve(plan: IncentivePlan) -> dict | None:
    try:
        components = parse_components(plan.components)
    except PlanInvalid:
        return None
    figure = payout_curve(components)
    return figure if figure["data"] else None


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_for_user(user=request.user, pk=pk)
    context = {
        "plan": plan,
        "figure": _curve(plan),
        "versions": selectors.plan_versions(plan),
        "statement_count": plan.statements.count(),
        "can_edit": selectors.plan_can_edit(request.user) and plan.is_current,
        "periods": Period.objects.filter(kind=plan.period_kind).order_by("-start")[:12],
        "components": plan.components,
    }
    return render(request, "incentives/plan_detail.html", context)


def _builder_context(form: PlanForm, plan: IncentivePlan | None) -> dict:
    return {
        "form": form,
        "plan": plan,
        "in_use": plan is not None and selectors.plan_in_use(plan),
        "metrics": Metric.objects.filter(is_active=True),
    }


def _save(request: HttpRequest, plan: IncentivePlan | None) -> HttpResponse:
    if not selectors.plan_can_edit(request.user):
        raise PermissionDenied
    initial = PlanForm.initial_for(plan) if plan else None
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if plan is None:
                saved = services.plan_create(actor=request.user, **data)
                messages.success(request, _("Incentive plan created."))
            else:
                saved = services.plan_update(actor=request.user, plan=plan, **data)
                if saved.pk != plan.pk:
                    messages.success(
                        request,
                        _("The plan is in use, so version %(version)s was created.")
                        % {"version": saved.version},
                    )
                else:
                    messages.success(request, _("Incentive plan saved."))
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return redirect("incentives:plan-detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "incentives/plan_form.html", _builder_context(form, plan), status=status)


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_for_user(user=request.user, pk=pk)
    if not plan.is_current:
        messages.error(request, _("This is an old version; edit the current one."))
        return redirect("incentives:plan-detail", pk=pk)
    return _save(request, plan)


@login_required
@require_POST
def plan_preview(request: HttpRequest) -> JsonResponse:
    """The builder's live preview: `{"figure": …, "errors": […]}` for posted components."""
    if not selectors.plan_can_edit(request.user):
        raise PermissionDenied
    try:
        raw = json.loads(request.body or b"{}", parse_float=str).get("components", [])
    except (json.JSONDecodeError, AttributeError):
        return JsonResponse({"figure": None, "errors": [_("This is not valid JSON.")]}, status=400)
    try:
        components = parse_components(raw)
    except PlanInvalid as error:
        return JsonResponse({"figure": None, "errors": [problem_text(p) for p in error.problems]})
    return JsonResponse({"figure": payout_curve(components), "errors": []})
