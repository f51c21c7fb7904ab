"""Reads behind the action-plan pages: the board's columns, a person's "my tasks" groups and
what a "Raise feedback" link is about (rules and scope from `plans.selectors.actions`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import ActionPlan, PlanStatus, Task
from plans.selectors.actions import plan_can_view, task_can_view, today
from salesgoals.ids import is_id
from salesgoals.models import User


@dataclass
class BoardColumn:
    status: str
    label: str
    tasks: list[Task]


def board_columns(tasks: list[Task]) -> list[BoardColumn]:
    """Tasks by status in the board's column order."""
    columns = [BoardColumn(code, label, []) for code, label in Task.Status.choices]
    by_status = {c.status: c for c in columns}
    for task in tasks:
        by_status[task.status].tasks.append(task)
    return columns


def my_task_groups(user: User, day: datetime.date | None = None) -> dict[str, list[Task]]:
    """A person's tasks for "my tasks": overdue, blocked, open (by due date), recently done."""
    day = day or today()
    tasks = list(
        Task.objects.filter(owner_id=user.pk)
        .exclude(plan__status=PlanStatus.CANCELLED)
        .select_related("plan", "plan__org_unit", "owner")
        .prefetch_related("depends_on")
        .order_by("due_date", "id")
    )
    groups: dict[str, list[Task]] = {"overdue": [], "blocked": [], "open": [], "done": []}
    recent = day - datetime.timedelta(days=30)
    for task in tasks:
        if task.status == Task.Status.DONE:
            if task.completed_at is None or timezone.localdate(task.completed_at) >= recent:
                groups["done"].append(task)
        elif task.status == Task.Status.CANCELLED:
            continue
        elif task.due_date < day:
            groups["overdue"].append(task)
        elif task.status == Task.Status.BLOCKED:
            groups["blocked"].append(task)
        else:
            groups["open"].append(task)
    return groups


def feedback_subject(user: User, action_plan: Any, task: Any) -> dict[str, str] | None:
    """What a "Raise feedback" link is about, for the feedback form (None when not visible)."""
    if is_id(task or ""):
        item = Task.objects.select_related("plan").filter(pk=task).first()
        if item is not None and task_can_view(user, item):
            url = reverse("plans:task-detail", args=[item.pk])
            return {"label": _("Task"), "title": item.title, "url": url}
    if is_id(action_plan or ""):
        plan = ActionPlan.objects.filter(pk=action_plan).first()
        if plan is not None and plan_can_view(user, plan):
            url = reverse("plans:action-plan-detail", args=[plan.pk])
            return {"label": _("Action plan"), "title": plan.title, "url": url}
    return None
