"""Target pages: plans, the create wizard with SMART feedback, the grid, workflow, revisions,
Excel, history and "my targets". Thin: reads through `targets.selectors`, writes through
`targets.services`; inline grid edits go to the API (`target-plans/{id}/cells/`), which
returns every cell the rebalancing changed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesgoals import scope
from salesgoals.forms import apply_service_error
from salesgoals.models import FiscalYear, Metric, PeriodKind
from salesgoals.selectors import period_tree
from targets import excel, figures, rules, selectors, services
from targets.forms import ImportForm, PlanForm, ReasonForm, ResplitForm, RevisionForm
from targets.models import OwnerMethod, OwnerType, TargetPlan, TargetRevision
from targets.units import format_value, from_stored, to_stored

KINDS = [
    (PeriodKind.YEAR, PeriodKind.YEAR.label),
    (PeriodKind.QUARTER, PeriodKind.QUARTER.label),
    (PeriodKind.MONTH, PeriodKind.MONTH.label),
    (PeriodKind.WEEK, PeriodKind.WEEK.label),
]


def _flash_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _kind(request: HttpRequest, default: str = PeriodKind.MONTH) -> str:
    kind = request.GET.get("kind", default)
    return kind if kind in PeriodKind.values else default


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k) or None for k in ("metric", "fiscal_year", "status")}
    plans = selectors.plans_visible(request.user, **filters).distinct()
    page = Paginator(plans, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "metrics": Metric.objects.filter(is_active=True),
        "years": FiscalYear.objects.order_by("-year"),
        "statuses": TargetPlan.Status.choices,
        "can_create": scope.editable_units(request.user).exists(),
        "has_mine": selectors.my_targets(request.user) != [],
    }
    return render(request, "targets/plan_list.html", context)


def _smart_context(form: PlanForm) -> dict[str, Any]:
    report = services.smart_check(form.draft())
    draft = form.draft()
    figure = None
    if draft.metric is not None and report.baseline.months:
        figure = figures.baseline_chart(draft.metric, report.baseline.months, draft.value)
    return {"report": report, "figure": figure, "metric": draft.metric}


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    if not scope.editable_units(request.user).exists():
        raise PermissionDenied
    form = PlanForm(request.POST or None, user=request.user)
    smart = None
    if request.method == "POST" and form.is_valid():
        smart = _smart_context(form)
        try:
            plan = services.plan_create(actor=request.user, draft=form.draft())
        except ValidationError as error:
            apply_service_error(form, error)
        except PermissionDenied as error:
            form.add_error("org_unit", str(error))
        else:
            messages.success(request, _("Plan created and split down to every rep and week."))
            return redirect("targets:grid", pk=plan.pk)
    return render(
        request,
        "targets/plan_form.html",
        {"form": form, "smart": smart, "figure_ids": ["baseline-fig"]},
    )


@login_required
@require_POST
def plan_validate(request: HttpRequest) -> HttpResponse:
    """htmx: the SMART feedback for the wizard as the form changes."""
    form = PlanForm(request.POST, user=request.user)
    form.is_valid()
    needed = ("metric", "fiscal_year", "org_unit", "value")
    if any(name not in form.cleaned_data or form.cleaned_data[name] is None for name in needed):
        return render(request, "targets/_smart.html", {"smart": None})
    return render(request, "targets/_smart.html", {"smart": _smart_context(form)})


def _plan(request: HttpRequest, pk: int) -> TargetPlan:
    return selectors.plan_get_for_user(user=request.user, pk=pk)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    user = request.user
    year = next(p for p in period_tree(plan.fiscal_year) if p.kind == PeriodKind.YEAR)
    mine = plan.lines.filter(owner_type=OwnerType.REP, owner_id=user.pk).first()
    context = {
        "plan": plan,
        "value": format_value(plan.metric, plan.value),
        "can_manage": rules.can_manage(user, plan),
        "can_approve": rules.can_approve(user, plan),
        "can_acknowledge": rules.can_acknowledge(user, plan),
        "mine": mine,
        "my_value": format_value(plan.metric, mine.value_of(year.pk)) if mine else None,
        "acks": selectors.acknowledgements(plan),
        "revisions": selectors.revisions_for(plan)[:20],
        "events": selectors.plan_events(plan)[:30],
        "reason_form": ReasonForm(),
    }
    return render(request, "targets/plan_detail.html", context)


def _grid_context(request: HttpRequest, plan: TargetPlan, kind: str, parent=None) -> dict:
    every = period_tree(plan.fiscal_year)
    periods = [p for p in every if p.kind == kind]
    year = next(p for p in every if p.kind == PeriodKind.YEAR)
    rows = selectors.grid_rows(
        user=request.user, plan=plan, periods=periods, year=year, parent=parent
    )
    metric = plan.metric
    for row in rows:
        row.cells = [
            {
                "period": period,
                "value": from_stored(metric, value),
                "shown": format_value(metric, value),
                "locked": locked,
            }
            for period, value, locked in zip(periods, row.values, row.locked, strict=True)
        ]
        row.year_shown = format_value(metric, row.year_value)
        row.over = (
            round(row.children_sum * 100 / row.year_value, 1)
            if row.children_sum is not None and row.year_value
            else None
        )
    return {"plan": plan, "periods": periods, "rows": rows, "kind": kind, "year": year}


@login_required
def plan_grid(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    kind = _kind(request)
    context = _grid_context(request, plan, kind)
    context.update(
        {
            "kinds": KINDS,
            "can_manage": rules.can_manage(request.user, plan),
            "resplit_form": ResplitForm(
                initial={
                    "period_method": plan.period_method,
                    "owner_method": plan.owner_method,
                    "profile": plan.profile_id,
                }
            ),
            "import_form": ImportForm(),
            "editable": plan.is_editable,
            "unit_label": _unit_label(plan.metric),
        }
    )
    return render(request, "targets/grid.html", context)


def _unit_label(metric: Metric) -> str:
    if metric.unit == Metric.Unit.CURRENCY:
        return _("Amounts in base currency")
    if metric.unit == Metric.Unit.PERCENT:
        return _("Rates in % — inherited by every unit and rep unless overridden")
    return _("Counts")


@login_required
def grid_rows(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the child rows of one unit, inserted under it when it is expanded."""
    plan = _plan(request, pk)
    owner_type, _sep, owner_id = request.GET.get("parent", "").partition(":")
    if owner_type != OwnerType.UNIT or not owner_id.isdigit():
        raise PermissionDenied
    context = _grid_context(request, plan, _kind(request), parent=(owner_type, int(owner_id)))
    context["editable"] = plan.is_editable
    return render(request, "targets/_grid_rows.html", context)


@login_required
@require_POST
def plan_resplit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = ResplitForm(request.POST)
    target = reverse("targets:grid", args=[plan.pk]) + f"?kind={_kind(request)}"
    if not form.is_valid():
        messages.error(request, _("Choose how to split."))
        return redirect(target)
    owner_text = form.cleaned_data.get("owner") or ""
    owner = None
    if owner_text.startswith("unit:") and owner_text[5:].isdigit():
        owner = ("unit", int(owner_text[5:]))
    if owner is None and not rules.can_manage(request.user, plan):
        raise PermissionDenied
    try:
        result = services.plan_decompose(
            plan=plan,
            actor=request.user,
            period_method=form.cleaned_data["period_method"],
            owner_method=form.cleaned_data["owner_method"],
            profile=form.cleaned_data.get("profile"),
            owner=owner,
        )
    except ValidationError as error:
        _flash_errors(request, error)
    else:
        messages.success(
            request,
            _("Re-split: %(cells)s cells changed; locked cells kept their values.")
            % {"cells": result["changed_cells"]},
        )
    return redirect(target)


STEPS = {
    "submit": (services.plan_submit, _("Submitted for approval.")),
    "approve": (services.plan_approve, _("Approved; the targets are published to the dashboards.")),
    "activate": (services.plan_activate, _("The plan is active.")),
    "acknowledge": (services.plan_acknowledge, _("Thank you: your targets are acknowledged.")),
}


@login_required
@require_POST
def plan_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    plan = _plan(request, pk)
    form = ReasonForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        if step == "return":
            services.plan_return(plan=plan, actor=request.user, reason=reason)
            messages.success(request, _("Returned to draft."))
        elif step == "close":
            services.plan_close(plan=plan, actor=request.user, note=reason)
            messages.success(request, _("Closed."))
        elif step in STEPS:
            fn, done = STEPS[step]
            fn(plan=plan, actor=request.user)
            messages.success(request, done)
        else:
            raise PermissionDenied
    except ValidationError as error:
        _flash_errors(request, error)
    back = request.POST.get("next") or reverse("targets:plan", args=[plan.pk])
    if not back.startswith("/"):
        back = reverse("targets:plan", args=[plan.pk])
    return redirect(back)


@login_required
def plan_export(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    return excel.xlsx_response(plan=plan, user=request.user)


@login_required
def plan_import(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = excel.grid_import(
                plan=plan, user=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(
                request,
                _("Imported: %(n)s cells changed, %(m)s rebalanced.")
                % {"n": len(report["changed"]), "m": report["rebalanced_cells"]},
            )
    return render(request, "targets/import.html", {"plan": plan, "form": form, "report": report})


@login_required
def revision_create(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    if not rules.can_manage(request.user, plan):
        raise PermissionDenied
    initial = {"new_value": from_stored(plan.metric, plan.value)}
    initial.update(
        {k: v for k, v in request.GET.items() if k in ("reason", "source_ref", "effective_date")}
    )
    form = RevisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            revision = services.revision_propose(
                plan=plan,
                actor=request.user,
                effective_date=data["effective_date"],
                reason=data["reason"],
                mode=data["mode"],
                new_value=to_stored(plan.metric, data["new_value"]),
                source_ref=data.get("source_ref", ""),
            )
        except ValidationError as error:
            apply_service_error(form, error)
        except ValueError as error:
            form.add_error("new_value", str(error))
        else:
            messages.success(request, _("Revision proposed; it applies once approved."))
            return redirect("targets:revision", pk=plan.pk, number=revision.number)
    return render(request, "targets/revision_form.html", {"plan": plan, "form": form})


@login_required
def revision_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    plan = _plan(request, pk)
    revision = plan.revisions.filter(number=number).select_related("author", "decided_by").first()
    if revision is None:
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "approve":
                services.revision_approve(revision=revision, actor=request.user)
                messages.success(request, _("Revision approved and published."))
            else:
                services.revision_reject(
                    revision=revision, actor=request.user, note=request.POST.get("reason", "")
                )
                messages.success(request, _("Revision rejected."))
        except ValidationError as error:
            _flash_errors(request, error)
        return redirect("targets:revision", pk=plan.pk, number=revision.number)
    visible = {
        line.key: line.name for line in plan.lines.filter(rules.lines_visible_q(request.user))
    }
    labels = dict(plan.fiscal_year.periods.values_list("pk", "label"))
    rows = [
        {
            "owner": visible[(t, o)],
            "period": labels.get(p, p),
            "before": format_value(plan.metric, b),
            "after": format_value(plan.metric, a),
        }
        for t, o, p, b, a in revision.diff
        if (t, o) in visible
    ]
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    can_decide = revision.status == TargetRevision.Status.PROPOSED and rules.can_decide_revision(
        request.user, plan, revision
    )
    return render(
        request,
        "targets/revision_detail.html",
        {"plan": plan, "revision": revision, "page": page, "can_decide": can_decide},
    )


@login_required
def plan_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Original (as first approved) against current, per cell, for the chosen period kind."""
    plan = _plan(request, pk)
    kind = _kind(request)
    periods = selectors.plan_periods_of_kind(plan, kind)
    original = selectors.original_values(plan)
    lines = plan.lines.filter(rules.lines_visible_q(request.user)).order_by("position")
    page = Paginator(lines, 50).get_page(request.GET.get("page"))
    rows = []
    for line in page.object_list:
        cells = []
        for period in periods:
            now = line.value_of(period.pk)
            first = original.get((line.owner_type, line.owner_id, period.pk), now)
            cells.append(
                {
                    "current": format_value(plan.metric, now),
                    "original": format_value(plan.metric, first),
                    "changed": first != now,
                }
            )
        rows.append({"line": line, "cells": cells})
    return render(
        request,
        "targets/history.html",
        {
            "plan": plan,
            "periods": periods,
            "rows": rows,
            "page": page,
            "kind": kind,
            "kinds": KINDS,
        },
    )


@login_required
def my_targets(request: HttpRequest) -> HttpResponse:
    kind = _kind(request, PeriodKind.MONTH)
    items = []
    for plan, line in selectors.my_targets(request.user):
        periods = selectors.plan_periods_of_kind(plan, kind)
        items.append(
            {
                "plan": plan,
                "line": line,
                "acknowledged": line.acknowledged_version == plan.version,
                "cells": [(p, format_value(plan.metric, line.value_of(p.pk))) for p in periods],
                "year": format_value(
                    plan.metric,
                    line.value_of(selectors.plan_periods_of_kind(plan, PeriodKind.YEAR)[0].pk),
                ),
            }
        )
    return render(request, "targets/mine.html", {"items": items, "kind": kind, "kinds": KINDS})


@login_required
def plan_owners(request: HttpRequest, pk: int) -> HttpResponse:
    """Weights (potential), over-assignment and owner split per unit, for the draft's split."""
    plan = _plan(request, pk)
    lines = list(plan.lines.filter(rules.lines_visible_q(request.user)).order_by("position"))
    if request.method == "POST":
        changes = []
        errors = []
        for line in lines:
            prefix = f"{line.owner_type}-{line.owner_id}"
            weight = request.POST.get(f"weight-{prefix}")
            over = request.POST.get(f"over-{prefix}")
            method = request.POST.get(f"method-{prefix}")
            change: dict[str, Any] = {}
            if weight is not None and weight.strip() != str(line.weight):
                if not weight.strip().isdigit():
                    errors.append(
                        _("%(owner)s: a weight is a whole number.") % {"owner": line.name}
                    )
                    continue
                change["weight"] = int(weight)
            if over is not None and over.strip():
                try:
                    over_bp = int((Decimal(over.replace(",", "")) * 100).to_integral_value())
                except (InvalidOperation, ValueError):
                    errors.append(_("%(owner)s: enter a percentage.") % {"owner": line.name})
                    continue
                current = (
                    plan.over_assignment_bp if line.parent_type == "" else line.over_assignment_bp
                )
                if over_bp != current:
                    change["over_assignment_bp"] = over_bp
            if method is not None and method != line.owner_method:
                change["owner_method"] = method
            if change:
                changes.append(services.OwnerChange(owner=line.key, **change))
        if errors:
            for message in errors:
                messages.error(request, message)
        elif changes:
            try:
                result = services.plan_owners_update(plan=plan, actor=request.user, changes=changes)
            except ValidationError as error:
                _flash_errors(request, error)
            else:
                messages.success(
                    request,
                    _("Saved and re-split: %(cells)s cells changed.")
                    % {"cells": result["changed_cells"]},
                )
                return redirect("targets:owners", pk=plan.pk)
    editable = {line.key: rules.can_edit_line(request.user, plan, line) for line in lines}
    # For each unit in view: may the user change how it splits among its children?
    splits_editable: dict[tuple[str, int], bool] = {}
    for line in lines:
        if line.parent_key is not None:
            parent = line.parent_key
            splits_editable[parent] = splits_editable.get(parent, False) or editable[line.key]
    manages = rules.can_manage(request.user, plan)
    rows = [
        {
            "line": line,
            "weight_editable": plan.is_editable and editable[line.key],
            "unit_editable": plan.is_editable
            and line.owner_type == OwnerType.UNIT
            and line.key in splits_editable
            and (manages if line.parent_type == "" else splits_editable[line.key]),
            "over": (plan.over_assignment_bp if line.parent_type == "" else line.over_assignment_bp)
            / 100,
        }
        for line in lines
    ]
    return render(
        request,
        "targets/owners.html",
        {"plan": plan, "rows": rows, "methods": OwnerMethod.choices},
    )
