"""Writes of strategies, action plans and tasks.

Each write is one transaction and raises `ValidationError` with a field dict on bad input, and
`PermissionDenied` when the user may not act (rules in `plans.selectors.actions`).

- Strategies and plans are saved whole (`*_save`: create when no instance is given); their
  status moves draft → active → done, with cancel and reopen (`PLAN_TRANSITIONS`). A plan is
  done only when none of its tasks is still open; cancelling a plan cancels its open tasks.
- Tasks: dependencies are tasks of the same plan and never form a cycle. A task whose
  dependencies are not all done (or cancelled) cannot start or finish: after every change the
  plan's tasks are re-checked — held ones become "blocked", and blocked ones whose dependencies
  are now done (and that were not blocked by hand, with a reason) go back to "to do".
  Done means 100 %. The owner may move their task; only the plan's managers cancel it.
- Notifications (once each, by `dedupe_key`): a task's new owner; the daily reminders before a
  due date and the overdue notices (`task_reminders_send`, run by Celery beat).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import ActionPlan, PlanStatus, Strategy, Task
from plans.selectors import actions as sel
from salesgoals.models import OrgUnit, Period, User
from salesgoals.services import notification_send
from targets import rules as target_rules
from targets.models import TargetPlan

#: How many days before the due date the owner is reminded.
REMINDER_DAYS = 2

Errors = dict[str, list[str]]


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _resolve(model: type[Model], value: Any, field: str, errors: Errors) -> Any:
    """An instance from an instance or an id; None stays None; unknown ids are errors."""
    if value is None or value == "" or isinstance(value, model):
        return value or None
    found = model.objects.filter(pk=value).first() if str(value).isdigit() else None
    if found is None:
        _add(errors, field, _("Unknown value."))
    return found


def _text(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value)


def _date(value: Any, field: str, errors: Errors, required: bool = True) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    if value in (None, ""):
        if required:
            _add(errors, field, _("Enter a date."))
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        _add(errors, field, _("Enter a valid date."))
        return None


def _amount(value: Any, field: str, errors: Errors) -> int:
    """A non-negative whole number of minor units."""
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        _add(errors, field, _("Enter a whole number of minor units."))
        return 0
    if number < 0:
        _add(errors, field, _("Cannot be negative."))
    return number


def _person(actor: User, value: Any, field: str, errors: Errors) -> User | None:
    person = _resolve(User, value, field, errors)
    if person is None:
        if field not in errors:
            _add(errors, field, _("Choose a person."))
        return None
    if not person.is_active:
        _add(errors, field, _("%(name)s is no longer active.") % {"name": person.display})
    elif not sel.assignable_people(actor).filter(pk=person.pk).exists():
        _add(errors, field, _("This person is outside your scope."))
    return person


def _target_plan(actor: User, value: Any, errors: Errors) -> TargetPlan | None:
    plan = _resolve(TargetPlan, value, "target_plan", errors)
    if plan is not None and not target_rules.can_view(actor, plan):
        _add(errors, "target_plan", _("This target plan is outside your scope."))
    return plan


def _unit(actor: User, value: Any, errors: Errors) -> OrgUnit | None:
    unit = _resolve(OrgUnit, value, "org_unit", errors)
    if unit is None:
        if "org_unit" not in errors:
            _add(errors, "org_unit", _("Choose an org unit."))
    elif not sel.can_manage_unit(actor, unit):
        _add(errors, "org_unit", _("You may not plan for this org unit."))
    return unit


def _status_change(item: Strategy | ActionPlan, status: str) -> None:
    if status not in PlanStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if status not in sel.PLAN_TRANSITIONS[item.status]:
        raise ValidationError(
            {
                "status": [
                    _("“%(current)s” cannot become “%(new)s”.")
                    % {"current": item.get_status_display(), "new": PlanStatus(status).label}
                ]
            }
        )


# --- Strategies ----------------------------------------------------------------------------


@transaction.atomic
def strategy_save(
    *,
    actor: User,
    strategy: Strategy | None = None,
    name: str,
    kind: str,
    goal: str,
    owner: User | int | None,
    org_unit: OrgUnit | int | None,
    target_plan: TargetPlan | int | None = None,
    period: Period | int | None = None,
    start_date: datetime.date | str | None = None,
    end_date: datetime.date | str | None = None,
    budget: int | None = 0,
    expected_contribution: int | None = None,
) -> Strategy:
    """Create (no `strategy`) or replace every field of a strategy."""
    if strategy is not None:
        strategy = Strategy.objects.select_for_update().get(pk=strategy.pk)
        if not sel.strategy_can_manage(actor, strategy):
            raise PermissionDenied(_("You may not change this strategy."))
    elif not sel.can_create(actor):
        raise PermissionDenied(_("Only managers and admins create strategies."))
    errors: Errors = {}
    name, goal = _text(name), _text(goal)
    if not name:
        _add(errors, "name", _("Give the strategy a name."))
    if kind not in Strategy.Kind.values:
        _add(errors, "kind", _("Choose a kind."))
    if not goal:
        _add(errors, "goal", _("Describe the goal."))
    owner = _person(actor, owner, "owner", errors)
    org_unit = _unit(actor, org_unit, errors)
    target_plan = _target_plan(actor, target_plan, errors)
    period = _resolve(Period, period, "period", errors)
    if period is not None:
        start, end = period.start, period.end
    else:
        start = _date(start_date, "start_date", errors)
        end = _date(end_date, "end_date", errors)
    if start and end and end < start:
        _add(errors, "end_date", _("The end date cannot be before the start date."))
    budget = _amount(budget, "budget", errors)
    contribution = None
    if expected_contribution not in (None, ""):
        try:
            contribution = int(expected_contribution)
        except (TypeError, ValueError):
            _add(errors, "expected_contribution", _("Enter a whole number."))
    if errors:
        raise ValidationError(errors)
    item = strategy or Strategy(created_by=actor)
    item.name, item.kind, item.goal = name, kind, goal
    item.owner, item.org_unit, item.target_plan, item.period = owner, org_unit, target_plan, period
    item.start_date, item.end_date = start, end
    item.budget, item.expected_contribution = budget, contribution
    item.save()
    return item


def strategy_create(*, actor: User, **fields: Any) -> Strategy:
    return strategy_save(actor=actor, strategy=None, **fields)


@transaction.atomic
def strategy_set_status(*, actor: User, strategy: Strategy, status: str) -> Strategy:
    item = Strategy.objects.select_for_update().get(pk=strategy.pk)
    if not sel.strategy_can_manage(actor, item):
        raise PermissionDenied(_("You may not change this strategy."))
    _status_change(item, status)
    item.status = status
    item.save(update_fields=["status", "updated_at"])
    return item


# --- Action plans --------------------------------------------------------------------------


@transaction.atomic
def action_plan_save(
    *,
    actor: User,
    plan: ActionPlan | None = None,
    title: str,
    org_unit: OrgUnit | int | None,
    owner: User | int | None,
    start_date: datetime.date | str | None,
    end_date: datetime.date | str | None,
    description: str = "",
    rep: User | int | None = None,
    strategy: Strategy | int | None = None,
    target_plan: TargetPlan | int | None = None,
) -> ActionPlan:
    """Create (no `plan`) or replace every field of an action plan.

    A plan is for a team (its org unit) or for one rep of that team; it follows a strategy or
    a target plan (the strategy's target plan when only the strategy is given).
    """
    if plan is not None:
        plan = ActionPlan.objects.select_for_update().get(pk=plan.pk)
        if not sel.plan_can_manage(actor, plan):
            raise PermissionDenied(_("You may not change this action plan."))
    elif not sel.can_create(actor):
        raise PermissionDenied(_("Only managers and admins create action plans."))
    errors: Errors = {}
    title = _text(title)
    if not title:
        _add(errors, "title", _("Give the plan a title."))
    org_unit = _unit(actor, org_unit, errors)
    owner = _person(actor, owner, "owner", errors)
    rep = _resolve(User, rep, "rep", errors)
    if rep is not None and org_unit is not None:
        if not (rep.org_unit_id and rep.org_unit.path.startswith(org_unit.path)):
            _add(errors, "rep", _("The rep must belong to the plan's team."))
        elif not rep.is_active:
            _add(errors, "rep", _("%(name)s is no longer active.") % {"name": rep.display})
    strategy = _resolve(Strategy, strategy, "strategy", errors)
    if strategy is not None and not sel.strategy_can_view(actor, strategy):
        _add(errors, "strategy", _("This strategy is outside your scope."))
    target_plan = _target_plan(actor, target_plan, errors)
    if target_plan is None and strategy is not None:
        target_plan = strategy.target_plan
    if strategy is None and target_plan is None and not errors.keys() & {"strategy", "target_plan"}:
        _add(errors, "strategy", _("Link the plan to a strategy or a target plan."))
    start = _date(start_date, "start_date", errors)
    end = _date(end_date, "end_date", errors)
    if start and end and end < start:
        _add(errors, "end_date", _("The end date cannot be before the start date."))
    if errors:
        raise ValidationError(errors)
    item = plan or ActionPlan(created_by=actor)
    item.title, item.description = title, _text(description)
    item.org_unit, item.owner, item.rep = org_unit, owner, rep
    item.strategy, item.target_plan = strategy, target_plan
    item.start_date, item.end_date = start, end
    item.save()
    return item


def action_plan_create(*, actor: User, **fields: Any) -> ActionPlan:
    return action_plan_save(actor=actor, plan=None, **fields)


@transaction.atomic
def action_plan_set_status(*, actor: User, plan: ActionPlan, status: str) -> ActionPlan:
    item = ActionPlan.objects.select_for_update().get(pk=plan.pk)
    if not sel.plan_can_manage(actor, item):
        raise PermissionDenied(_("You may not change this action plan."))
    _status_change(item, status)
    still_open = item.tasks.filter(status__in=sel.OPEN_STATUSES)
    if status == PlanStatus.DONE and still_open.exists():
        count = still_open.count()
        raise ValidationError(
            {
                "status": [
                    _("%(count)s task(s) are still open: finish or cancel them first.")
                    % {"count": count}
                ]
            }
        )
    if status == PlanStatus.CANCELLED:
        for task in still_open:
            task.status = Task.Status.CANCELLED
            task.save(update_fields=["status", "updated_at"])
    item.status = status
    item.save(update_fields=["status", "updated_at"])
    return item


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


def _dependencies(plan: ActionPlan, task: Task | None, values: Any, errors: Errors) -> list[Task]:
    ids = []
    for value in values or []:
        pk = value.pk if isinstance(value, Task) else value
        if not str(pk).isdigit():
            _add(errors, "depends_on", _("Unknown task."))
            return []
        ids.append(int(pk))
    found = list(Task.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        _add(errors, "depends_on", _("Unknown task."))
        return []
    if any(d.plan_id != plan.pk for d in found):
        _add(errors, "depends_on", _("A task may depend only on tasks of the same plan."))
        return []
    if task is not None:
        if task.pk in ids:
            _add(errors, "depends_on", _("A task cannot depend on itself."))
            return []
        edges = _dependency_graph(plan)
        edges[task.pk] = set(ids)
        cyclic = [d for d in found if _reaches(edges, d.pk, task.pk)]
        if cyclic:
            _add(
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
    errors: Errors = {}
    title = _text(title)
    if not title:
        _add(errors, "title", _("Give the task a title."))
    owner = _person(actor, owner, "owner", errors)
    due = _date(due_date, "due_date", errors)
    start = due if is_milestone else _date(start_date, "start_date", errors)
    if start and due and due < start:
        _add(errors, "due_date", _("The due date cannot be before the start date."))
    budget = _amount(budget, "budget", errors)
    try:
        hours = Decimal(str(hours if hours not in (None, "") else 0))
    except InvalidOperation:
        hours = Decimal(0)
        _add(errors, "hours", _("Enter a number of hours."))
    if hours < 0:
        _add(errors, "hours", _("Cannot be negative."))
    dependencies = _dependencies(plan, task, depends_on, errors)
    if errors:
        raise ValidationError(errors)
    previous_owner = task.owner_id if task else None
    item = task or Task(plan=plan)
    item.title, item.description, item.owner = title, _text(description), owner
    item.start_date, item.due_date, item.is_milestone = start, due, bool(is_milestone)
    item.budget, item.hours, item.materials = budget, hours, _text(materials)
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
    errors: Errors = {}
    status = status or item.status
    if status not in Task.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    cancelling = status == Task.Status.CANCELLED and status != item.status
    if cancelling and not sel.plan_can_manage(actor, item.plan):
        raise PermissionDenied(_("Only the plan's managers may cancel a task."))
    held = sel.unfinished_dependencies(item)
    if held and status in (Task.Status.IN_PROGRESS, Task.Status.DONE):
        names = ", ".join(f"“{d.title}”" for d in held)
        _add(errors, "status", _("This task waits for %(tasks)s.") % {"tasks": names})
    reason = _text(blocked_reason) if blocked_reason is not None else item.blocked_reason
    if status == Task.Status.BLOCKED and not held and not reason:
        _add(errors, "blocked_reason", _("Say what blocks the task."))
    if status != Task.Status.BLOCKED:
        reason = ""
    if progress in (None, ""):
        progress = item.progress
    try:
        progress = int(progress)
    except (TypeError, ValueError):
        _add(errors, "progress", _("Enter a whole percentage."))
        progress = item.progress
    if not 0 <= progress <= 100:
        _add(errors, "progress", _("Progress is between 0 and 100 %."))
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
    refresh_blocked(item.plan)
    item.refresh_from_db()
    return item


# --- Reminders -----------------------------------------------------------------------------


def task_reminders_send(
    *, day: datetime.date | None = None, days_ahead: int = REMINDER_DAYS
) -> dict[str, int]:
    """Remind owners of open tasks due within `days_ahead` days; tell owners and plan leads of
    overdue ones. Each reminder is sent once per task and due date (dedupe keys), so the daily
    run may repeat safely; moving a due date brings a new reminder."""
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
    for task in open_tasks.filter(due_date__lt=day):
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


__all__ = [
    "action_plan_create",
    "action_plan_save",
    "action_plan_set_status",
    "refresh_blocked",
    "strategy_create",
    "strategy_save",
    "strategy_set_status",
    "task_create",
    "task_reminders_send",
    "task_save",
    "task_set_status",
]
