"""Plan pages: list, detail with the payout curve and versions, the builder (create/edit)
and its live preview (the engine's curve and validation as JSON for static/js/incentives.js)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from incentives import selectors, services
from incentives.engine import PlanInvalid, parse_components
from incentives.figures import payout_curve
from incentives.forms import PlanForm
from incentives.messages import FIELD_LABELS, problem_text
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


KIND_LABELS = {
    "tiered": _lazy("Tiered bonus"),
    "commission": _lazy("Commission"),
    "spiff": _lazy("SPIFF"),
    "badge": _lazy("Badge"),
    "promotion": _lazy("Promotion eligibility"),
}


def _range(lo: Any, hi: Any, unit: str = "") -> str:
    return f"{lo}{unit} – {hi if hi not in (None, '') else '∞'}{unit}"


def component_rows(component: dict[str, Any]) -> list[tuple[str, str]]:
    """A component's parameters as (label, text) rows for people, not JSON."""
    rows: list[tuple[str, str]] = []
    for key, value in component.items():
        if key in ("kind", "key", "label") or value in (None, "", []):
            continue
        label = capfirst(str(FIELD_LABELS.get(key, key)))
        if key == "bands":
            parts = []
            for band in value:
                mode = _("Stepped") if band.get("mode") == "stepped" else _("Linear")
                text = f"{_range(band.get('from_pct'), band.get('to_pct'), '%')}: {mode}"
                if band.get("rate") not in (None, "", "0"):
                    text += f" · {FIELD_LABELS['rate']} {band['rate']}"
                if band.get("step_pct") not in (None, "", "0"):
                    text += f" · {FIELD_LABELS['step_pct']} +{band['step_pct']}%"
                parts.append(text)
            rows.append((label, "; ".join(parts)))
        elif key == "tiers":
            parts = [
                f"{_range(t.get('from_amount'), t.get('to_amount'))}: {t.get('rate_pct')}%"
                for t in value
            ]
            rows.append((label, "; ".join(parts)))
        elif isinstance(value, list):
            rows.append((label, ", ".join(str(v) for v in value)))
        elif key.endswith("_pct"):
            rows.append((label, f"{value}%"))
        else:
            rows.append((label, str(value)))
    return rows


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
        "components": [
            {
                "kind": KIND_LABELS.get(c.get("kind"), c.get("kind")),
                "label": c.get("label") or c.get("key") or "",
                "rows": component_rows(c),
            }
            for c in plan.components
            if isinstance(c, dict)
        ],
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
