"""Writes of action-plan tasks and the daily reminders (see `plans.services.actions`).

Dependencies are tasks of the same plan and never form a cycle; after every change the plan's
tasks are re-checked — held ones become "blocked", released ones go back to "to do" (unless
blocked by hand, with a reason). Reminders and overdue notices are sent once per task and due
date (`dedupe_key`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import ActionPlan, PlanStatus, Task
from plans.selectors import actions as sel
from plans.services import actions_common as check
from salesgoals.ids import is_id
from salesgoals.models import User
from salesgoals.services import notification_send

#: How many days before the due date the owner is reminded.
REMINDER_DAYS = 2
#: Overdue notices go out for tasks that fell due within this many days: the daily run sends
#: each once and catches up after a missed run, without re-trying every old overdue task daily.
OVERDUE_LOOKBACK_DAYS = 7

# --- Tasks ---------------------------------------------------------------------------------


def _check_plan_open(plan: ActionPlan) -> None:
    if plan.status in (PlanStatus.DONE, PlanStatus.CANCELLED):
        raise ValidationError(
            _("This action plan is %(status)s; reopen it to change its tasks.")
            % {"status": plan.get_status_display()}
        )


def _dependency_graph(plan: ActionPlan) -> dict[int, set[int]]:
    edges: dict[int, set[int]] = {}
    through = Task.depends_on.through.objects.filter(from_task__plan=plan)
    for source, target in through.values_list("from_task_id", "to_task_id"):
        edges.setdefault(source, set()).add(target)
    return edges


def _reaches(edges: dict[int, set[int]], start: int, goal: int) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, ()))
    return False


def _dependencies(
    plan: ActionPlan, task: Task | None, values: Any, errors: check.Errors
) -> list[Task]:
    ids = []
    for value in values or []:
        pk = value.pk if isinstance(value, Task) else value
        if not is_id(pk):
            check.add(errors, "depends_on", _("Unknown task."))
            return []
        ids.append(int(pk))
    found = list(Task.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        check.add(errors, "depends_on", _("Unknown task."))
        return []
    if any(d.plan_id != plan.pk for d in found):
        check.add(errors, "depends_on", _("A task may depend only on tasks of the same plan."))
        return []
    if task is not None:
        if task.pk in ids:
            check.add(errors, "depends_on", _("A task cannot depend on itself."))
            return []
        edges = _dependency_graph(plan)
        edges[task.pk] = set(ids)
        cyclic = [d for d in found if _reaches(edges, d.pk, task.pk)]
        if cyclic:
            check.add(
                errors,
                "depends_on",
                _("That would make a cycle: “%(task)s” already depends on this task.")
                % {"task": cyclic[0].title},
            )
            return []
    return found


def refresh_blocked(plan: ActionPlan) -> list[Task]:
    """Block the plan's tasks held up by dependencies; release those no longer held.

    Returns the tasks whose status changed. One pass is enough: whether a dependency is done
    does not depend on the blocking itself.
    """
    changed = []
    tasks = list(plan.tasks.prefetch_related("depends_on"))
    for task in tasks:
        held = bool(sel.unfinished_dependencies(task))
        if held and task.status in (Task.Status.TODO, Task.Status.IN_PROGRESS):
            task.status = Task.Status.BLOCKED
        elif not held and task.status == Task.Status.BLOCKED and not task.blocked_reason:
            task.status = Task.Status.TODO
        else:
            continue
        task.save(update_fields=["status", "updated_at"])
        changed.append(task)
    return changed


def _notify_released(task: Task, actor: User) -> None:
    """The dependencies of a blocked task are done: its owner may start (once a day)."""
    if task.owner_id == actor.pk:
        return
    notification_send(
        recipient=task.owner,
        title=_("You can start: %(title)s") % {"title": task.title},
        body=_("The tasks it waited for in “%(plan)s” are done.") % {"plan": task.plan.title},
        link=reverse("plans:task-detail", args=[task.pk]),
        dedupe_key=f"plan-task:{task.pk}:released:{sel.today().isoformat()}",
    )


def _notify_owner(task: Task, actor: User) -> None:
    if task.owner_id == actor.pk:
        return
    notification_send(
        recipient=task.owner,
        title=_("New task: %(title)s") % {"title": task.title},
        body=_("%(who)s gave you a task in “%(plan)s”, due %(due)s.")
        % {"who": actor.display, "plan": task.plan.title, "due": task.due_date.isoformat()},
        link=reverse("plans:task-detail", args=[task.pk]),
        dedupe_key=f"plan-task:{task.pk}:owner:{task.owner_id}",
    )


@transaction.atomic
def task_save(
    *,
    actor: User,
    plan: ActionPlan,
    task: Task | None = None,
    title: str,
    owner: User | int | None,
    start_date: datetime.date | str | None,
    due_date: datetime.date | str | None,
    description: str = "",
    is_milestone: bool = False,
    budget: int | None = 0,
    hours: Decimal | str | int | None = 0,
    materials: str = "",
    depends_on: list[Task | int] | None = None,
) -> Task:
    """Create (no `task`) or replace every planning field of a task (plan managers only)."""
    plan = ActionPlan.objects.select_for_update().get(pk=plan.pk)
    if not sel.plan_can_manage(actor, plan):
        raise PermissionDenied(_("Only the plan's managers plan its tasks."))
    _check_plan_open(plan)
    if task is not None:
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.plan_id != plan.pk:
            raise ValidationError({"plan": [_("A task cannot move to another plan.")]})
    errors: check.Errors = {}
    title = check.text(title)
    if not title:
        check.add(errors, "title", _("Give the task a title."))
    owner = check.person(actor, owner, "owner", errors)
    due = check.date(due_date, "due_date", errors)
    start = due if is_milestone else check.date(start_date, "start_date", errors)
    if start and due and due < start:
        check.add(errors, "due_date", _("The due date cannot be before the start date."))
    budget = check.amount(budget, "budget", errors)
    try:
        hours = Decimal(str(hours if hours not in (None, "") else 0))
    except InvalidOperation:
        hours = Decimal(0)
        check.add(errors, "hours", _("Enter a number of hours."))
    if hours < 0:
        check.add(errors, "hours", _("Cannot be negative."))
    dependencies = _dependencies(plan, task, depends_on, errors)
    if errors:
        raise ValidationError(errors)
    previous_owner = task.owner_id if task else None
    item = task or Task(plan=plan)
    item.title, item.description, item.owner = title, check.text(description), owner
    item.start_date, item.due_date, item.is_milestone = start, due, bool(is_milestone)
    item.budget, item.hours, item.materials = budget, hours, check.text(materials)
    item.save()
    item.depends_on.set(dependencies)
    refresh_blocked(plan)
    item.refresh_from_db()
    if item.owner_id != previous_owner:
        _notify_owner(item, actor)
    return item


def task_create(*, actor: User, plan: ActionPlan, **fields: Any) -> Task:
    return task_save(actor=actor, plan=plan, task=None, **fields)


@transaction.atomic
def task_set_status(
    *,
    actor: User,
    task: Task,
    status: str | None = None,
    progress: int | None = None,
    blocked_reason: str | None = None,
) -> Task:
    """Move a task (its owner or the plan's managers): status, progress %, why it is blocked.

    A task held up by unfinished dependencies cannot start or finish. Done sets 100 %.
    """
    item = Task.objects.select_for_update().select_related("plan").get(pk=task.pk)
    if not sel.task_can_view(actor, item):
        raise PermissionDenied
    if not sel.task_can_move(actor, item):
        raise PermissionDenied(_("Only the task's owner and the plan's managers may move it."))
    _check_plan_open(item.plan)
    errors: check.Errors = {}
    status = status or item.status
    if status not in Task.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    cancelling = status == Task.Status.CANCELLED and status != item.status
    if cancelling and not sel.plan_can_manage(actor, item.plan):
        raise PermissionDenied(_("Only the plan's managers may cancel a task."))
    held = sel.unfinished_dependencies(item)
    if held and status in (Task.Status.IN_PROGRESS, Task.Status.DONE):
        names = ", ".join(f"“{d.title}”" for d in held)
        check.add(errors, "status", _("This task waits for %(tasks)s.") % {"tasks": names})
    reason = check.text(blocked_reason) if blocked_reason is not None else item.blocked_reason
    if status == Task.Status.BLOCKED and not held and not reason:
        check.add(errors, "blocked_reason", _("Say what blocks the task."))
    if status != Task.Status.BLOCKED:
        reason = ""
    if progress in (None, ""):
        progress = item.progress
    try:
        progress = int(progress)
    except (TypeError, ValueError):
        check.add(errors, "progress", _("Enter a whole percentage."))
        progress = item.progress
    if not 0 <= progress <= 100:
        check.add(errors, "progress", _("Progress is between 0 and 100 %."))
    if errors:
        raise ValidationError(errors)
    if status == Task.Status.DONE:
        progress = 100
        item.completed_at = item.completed_at or timezone.now()
    else:
        item.completed_at = None
    if status == Task.Status.TODO and held:
        status = Task.Status.BLOCKED
    item.status, item.progress, item.blocked_reason = status, progress, reason
    item.save(update_fields=["status", "progress", "blocked_reason", "completed_at", "updated_at"])
    for released in refresh_blocked(item.plan):
        if released.status == Task.Status.TODO:
            _notify_released(released, actor)
    item.refresh_from_db()
    return item


# --- Reminders -----------------------------------------------------------------------------


def task_reminders_send(
    *, day: datetime.date | None = None, days_ahead: int = REMINDER_DAYS
) -> dict[str, int]:
    """Remind owners of open tasks due within `days_ahead` days; tell owners and plan leads of
    tasks that fell overdue in the last `OVERDUE_LOOKBACK_DAYS` days. Each reminder is sent
    once per task and due date (dedupe keys), so the daily run may repeat safely; moving a due
    date brings a new reminder."""
    day = day or sel.today()
    sent = {"due_soon": 0, "overdue": 0}
    open_tasks = Task.objects.filter(
        status__in=sel.OPEN_STATUSES, plan__status__in=(PlanStatus.DRAFT, PlanStatus.ACTIVE)
    ).select_related("owner", "plan", "plan__owner")
    upcoming = open_tasks.filter(
        due_date__gte=day, due_date__lte=day + datetime.timedelta(days=days_ahead)
    )
    for task in upcoming:
        if not task.owner.is_active:
            continue
        left = (task.due_date - day).days
        note = notification_send(
            recipient=task.owner,
            title=_("Task due soon: %(title)s") % {"title": task.title},
            body=(
                _("Due today.")
                if left == 0
                else _("Due in %(days)s day(s), on %(date)s.")
                % {"days": left, "date": task.due_date.isoformat()}
            ),
            link=reverse("plans:task-detail", args=[task.pk]),
            dedupe_key=f"plan-task:{task.pk}:due-soon:{task.due_date.isoformat()}",
            email=True,
        )
        sent["due_soon"] += note is not None
    lately_due = open_tasks.filter(
        due_date__lt=day, due_date__gte=day - datetime.timedelta(days=OVERDUE_LOOKBACK_DAYS)
    )
    for task in lately_due:
        recipients = {task.owner_id: task.owner, task.plan.owner_id: task.plan.owner}
        for person in recipients.values():
            if not person.is_active:
                continue
            note = notification_send(
                recipient=person,
                title=_("Task overdue: %(title)s") % {"title": task.title},
                body=_("“%(title)s” (%(owner)s) was due on %(date)s.")
                % {
                    "title": task.title,
                    "owner": task.owner.display,
                    "date": task.due_date.isoformat(),
                },
                link=reverse("plans:task-detail", args=[task.pk]),
                level="warning",
                dedupe_key=f"plan-task:{task.pk}:overdue:{task.due_date.isoformat()}",
                email=True,
            )
            sent["overdue"] += note is not None
    return sent
