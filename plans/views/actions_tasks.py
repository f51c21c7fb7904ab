"""Task pages: add and edit a task (plan managers), a task's page, moving a task (its owner or
the plan's managers; from the board, the table, "my tasks" or the task page, with or without
htmx), and a person's "my tasks"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plans.forms.actions import TaskForm, TaskMoveForm
from plans.models import Task
from plans.selectors import actions as sel
from plans.selectors import actions_pages as pages
from plans.services import actions as services
from salesgoals.forms import apply_service_error


def _task_form_page(request: HttpRequest, plan, task: Task | None) -> HttpResponse:
    if not sel.plan_can_manage(request.user, plan):
        raise PermissionDenied
    if task is not None:
        initial = TaskForm.initial_from(task)
    else:
        initial = {"owner": plan.rep_id or request.user.pk, "start_date": plan.start_date}
    form = TaskForm(request.POST or None, user=request.user, plan=plan, task=task, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_save(
                actor=request.user, plan=plan, task=task, **form.service_values()
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Task saved."))
            return redirect("plans:action-plan-detail", pk=plan.pk)
    context = {"form": form, "plan": plan, "task": task}
    return render(request, "plans/actions/task_form.html", context)


@login_required
def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    plan = sel.action_plan_get_for_user(user=request.user, pk=pk)
    return _task_form_page(request, plan, None)


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = sel.task_get_for_user(user=request.user, pk=pk)
    return _task_form_page(request, task.plan, task)


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = sel.task_get_for_user(user=request.user, pk=pk)
    moves = [(code, Task.Status(code).label) for code in sel.task_next_statuses(request.user, task)]
    context = {
        "task": task,
        "plan": task.plan,
        "overdue": sel.is_overdue(task),
        "waiting_for": sel.unfinished_dependencies(task),
        "dependents": task.dependents.select_related("owner"),
        "moves": moves,
        "can_move": bool(moves) or sel.task_can_move(request.user, task),
        "can_manage": sel.plan_can_manage(request.user, task.plan),
        "form": TaskMoveForm(
            initial={
                "status": task.status,
                "progress": task.progress,
                "blocked_reason": task.blocked_reason,
            }
        ),
        "statuses": [(task.status, task.get_status_display()), *moves],
        "here": request.path,
    }
    return render(request, "plans/actions/task_detail.html", context)


def _next_url(request: HttpRequest, task: Task) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("plans:task-detail", args=[task.pk])


@login_required
@require_POST
def task_move(request: HttpRequest, pk: int) -> HttpResponse:
    task = sel.task_get_for_user(user=request.user, pk=pk)
    form = TaskMoveForm(request.POST)
    target = _next_url(request, task)
    failed = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            task = services.task_set_status(
                actor=request.user,
                task=task,
                status=data["status"] or None,
                progress=data["progress"],
                blocked_reason=data["blocked_reason"] if "blocked_reason" in request.POST else None,
            )
        except ValidationError as error:
            failed = True
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("“%(title)s” is now %(status)s (%(progress)s %%).")
                % {
                    "title": task.title,
                    "status": task.get_status_display(),
                    "progress": task.progress,
                },
            )
    else:
        failed = True
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    if failed and request.headers.get("HX-Request"):
        # Show the message: reload the whole page instead of swapping one region.
        return HttpResponse(headers={"HX-Refresh": "true"})
    return redirect(target)


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    groups = pages.my_task_groups(request.user)
    manageable: dict[int, bool] = {}
    for tasks in groups.values():
        for task in tasks:
            if task.plan_id not in manageable:
                manageable[task.plan_id] = sel.plan_can_manage(request.user, task.plan)
            task.move_codes = sel.task_next_statuses(request.user, task, manageable[task.plan_id])
            task.moves = [(code, Task.Status(code).label) for code in task.move_codes]
            task.waiting_for = sel.unfinished_dependencies(task)
    context = {
        "groups": [
            ("overdue", _("Overdue"), groups["overdue"]),
            ("blocked", _("Blocked"), groups["blocked"]),
            ("open", _("To do and in progress"), groups["open"]),
            ("done", _("Done in the last 30 days"), groups["done"]),
        ],
        "empty": not any(groups.values()),
        "here": request.path,
    }
    return render(request, "plans/actions/my_tasks.html", context)


urlpatterns: list = [
    path("action-plans/<int:pk>/tasks/new/", task_create, name="task-create"),
    path("tasks/<int:pk>/", task_detail, name="task-detail"),
    path("tasks/<int:pk>/edit/", task_edit, name="task-edit"),
    path("tasks/<int:pk>/move/", task_move, name="task-move"),
    path("my-tasks/", my_tasks, name="my-tasks"),
]
