"""Pages of strategies and action plans (list, detail with tasks table, board and timeline,
forms, status). Task pages and "my tasks" are in `plans.views.actions_tasks`; the URL list of
both is `urlpatterns` here. Every page checks scope through `plans.selectors.actions`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plans.forms.actions import ActionPlanForm, StrategyForm
from plans.models import PlanStatus, Strategy, Task
from plans.selectors import actions as sel
from plans.selectors import actions_pages as pages
from plans.selectors.actions_gantt import gantt_figure
from plans.services import actions as services
from plans.views import actions_tasks as task_views
from plans.views.common import status_post
from salesgoals import scope
from salesgoals.forms import apply_service_error
from salesgoals.ids import is_id
from salesgoals.models import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The area's home: a rep's own tasks; the action plans for everyone else."""
    if request.user.role == Role.REP and not request.user.is_superuser:
        return redirect("plans:my-tasks")
    return redirect("plans:action-plan-list")


def _exports(api_name: str, query: dict[str, str]) -> dict[str, str]:
    api = reverse(api_name)
    return {fmt: f"{api}?{urlencode({**query, 'format': fmt})}" for fmt in ("csv", "xlsx")}


def _status_choices(item: Any, user) -> list[tuple[str, str]]:
    return [(code, PlanStatus(code).label) for code in sel.next_statuses(user, item)]


# --- Strategies ----------------------------------------------------------------------------

STRATEGY_FILTERS = ("status", "kind", "org_unit")


@login_required
def strategy_list(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k) or "" for k in STRATEGY_FILTERS}
    items = sel.strategies_visible(request.user, **filters)
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    query = {k: v for k, v in filters.items() if v}
    context = {
        "page": page,
        "filters": filters,
        "filtered": bool(query),
        "statuses": PlanStatus.choices,
        "kinds": Strategy.Kind.choices,
        "units": scope.visible_units(request.user).order_by("path"),
        "can_create": sel.can_create(request.user),
        "exports": _exports("strategy-list", query),
    }
    return render(request, "plans/actions/strategy_list.html", context)


def _strategy_form_page(request: HttpRequest, item: Strategy | None) -> HttpResponse:
    if item is None and not sel.can_create(request.user):
        raise PermissionDenied
    initial = StrategyForm.initial_from(item) if item else _strategy_initial(request)
    form = StrategyForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        if values:
            try:
                item = services.strategy_save(actor=request.user, strategy=item, **values)
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("Strategy saved."))
                return redirect("plans:strategy-detail", pk=item.pk)
    return render(request, "plans/actions/strategy_form.html", {"form": form, "item": item})


def _strategy_initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {"owner": request.user.pk}
    if request.user.org_unit_id:
        initial["org_unit"] = request.user.org_unit_id
    plan = request.GET.get("target_plan")
    if plan and is_id(plan):
        initial["target_plan"] = int(plan)
    return initial


@login_required
def strategy_create(request: HttpRequest) -> HttpResponse:
    return _strategy_form_page(request, None)


@login_required
def strategy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = sel.strategy_get_for_user(user=request.user, pk=pk)
    if not sel.strategy_can_manage(request.user, item):
        raise PermissionDenied
    return _strategy_form_page(request, item)


@login_required
def strategy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = sel.strategy_get_for_user(user=request.user, pk=pk)
    plans = list(sel.action_plans_visible(request.user, strategy=item.pk))
    for plan in plans:
        plan.progress = sel.plan_progress(plan)
    context = {
        "item": item,
        "plans": plans,
        "can_manage": sel.strategy_can_manage(request.user, item),
        "next_statuses": _status_choices(item, request.user),
    }
    return render(request, "plans/actions/strategy_detail.html", context)


@login_required
@require_POST
def strategy_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = sel.strategy_get_for_user(user=request.user, pk=pk)
    return status_post(
        request,
        item,
        partial(services.strategy_set_status, actor=request.user, strategy=item),
        "plans:strategy-detail",
    )


# --- Action plans --------------------------------------------------------------------------

PLAN_FILTERS = ("status", "org_unit", "overdue", "mine")


@login_required
def action_plan_list(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k) or "" for k in PLAN_FILTERS}
    items = sel.action_plans_visible(request.user, **filters)
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    for plan in page.object_list:
        plan.progress = sel.plan_progress(plan)
    query = {k: v for k, v in filters.items() if v}
    context = {
        "page": page,
        "filters": filters,
        "filtered": bool(query),
        "statuses": PlanStatus.choices,
        "units": scope.visible_units(request.user).order_by("path"),
        "can_create": sel.can_create(request.user),
        "exports": _exports("action-plan-list", query),
    }
    return render(request, "plans/actions/plan_list.html", context)


def _plan_form_page(request: HttpRequest, item) -> HttpResponse:
    if item is None and not sel.can_create(request.user):
        raise PermissionDenied
    if item is not None:
        initial = ActionPlanForm.initial_from(item)
    else:
        initial = {"owner": request.user.pk, "org_unit": request.user.org_unit_id}
        for name in ("strategy", "target_plan"):
            value = request.GET.get(name)
            if value and is_id(value):
                initial[name] = int(value)
    form = ActionPlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.action_plan_save(actor=request.user, plan=item, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Action plan saved."))
            return redirect("plans:action-plan-detail", pk=item.pk)
    return render(request, "plans/actions/plan_form.html", {"form": form, "item": item})


@login_required
def action_plan_create(request: HttpRequest) -> HttpResponse:
    return _plan_form_page(request, None)


@login_required
def action_plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = sel.action_plan_get_for_user(user=request.user, pk=pk)
    if not sel.plan_can_manage(request.user, item):
        raise PermissionDenied
    return _plan_form_page(request, item)


def _plan_context(request: HttpRequest, pk: int, tab: str) -> dict[str, Any]:
    plan = sel.action_plan_get_for_user(user=request.user, pk=pk)
    tasks = list(sel.plan_tasks(plan))
    day = sel.today()
    can_manage = sel.plan_can_manage(request.user, plan)
    for task in tasks:
        task.plan = plan
        task.overdue = sel.is_overdue(task, day)
        task.waiting_for = sel.unfinished_dependencies(task)
        codes = sel.task_next_statuses(request.user, task, can_manage)
        task.moves = [(code, Task.Status(code).label) for code in codes]
    return {
        "plan": plan,
        "tasks": tasks,
        "tab": tab,
        "progress": sel.plan_progress(plan),
        "can_manage": can_manage,
        "is_open": plan.status in (PlanStatus.DRAFT, PlanStatus.ACTIVE),
        "next_statuses": _status_choices(plan, request.user),
        "here": request.path,
    }


@login_required
def action_plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _plan_context(request, pk, "tasks")
    return render(request, "plans/actions/plan_detail.html", context)


@login_required
def action_plan_board(request: HttpRequest, pk: int) -> HttpResponse:
    context = _plan_context(request, pk, "board")
    context["columns"] = pages.board_columns(context["tasks"])
    return render(request, "plans/actions/plan_board.html", context)


@login_required
def action_plan_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    context = _plan_context(request, pk, "timeline")
    context["figure"] = (
        gantt_figure(context["plan"], context["tasks"]) if context["tasks"] else None
    )
    return render(request, "plans/actions/plan_timeline.html", context)


@login_required
@require_POST
def action_plan_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = sel.action_plan_get_for_user(user=request.user, pk=pk)
    return status_post(
        request,
        item,
        partial(services.action_plan_set_status, actor=request.user, plan=item),
        "plans:action-plan-detail",
    )


urlpatterns: list = [
    path("", home, name="home"),
    path("strategies/", strategy_list, name="strategy-list"),
    path("strategies/new/", strategy_create, name="strategy-create"),
    path("strategies/<int:pk>/", strategy_detail, name="strategy-detail"),
    path("strategies/<int:pk>/edit/", strategy_edit, name="strategy-edit"),
    path("strategies/<int:pk>/status/", strategy_status, name="strategy-status"),
    path("action-plans/", action_plan_list, name="action-plan-list"),
    path("action-plans/new/", action_plan_create, name="action-plan-create"),
    path("action-plans/<int:pk>/", action_plan_detail, name="action-plan-detail"),
    path("action-plans/<int:pk>/board/", action_plan_board, name="action-plan-board"),
    path("action-plans/<int:pk>/timeline/", action_plan_timeline, name="action-plan-timeline"),
    path("action-plans/<int:pk>/edit/", action_plan_edit, name="action-plan-edit"),
    path("action-plans/<int:pk>/status/", action_plan_status, name="action-plan-status"),
    *task_views.urlpatterns,
]
