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
- Tasks and reminders are written by `plans.services.actions_tasks`, re-exported here.
- Notifications (once each, by `dedupe_key`): a task's new owner; the daily reminders before a
  due date and the overdue notices (`task_reminders_send`, run by Celery beat).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from plans.models import ActionPlan, PlanStatus, Strategy, Task
from plans.selectors import actions as sel
from plans.services import actions_common as check
from plans.services.actions_tasks import (
    REMINDER_DAYS,
    refresh_blocked,
    task_create,
    task_reminders_send,
    task_save,
    task_set_status,
)
from salesgoals.models import OrgUnit, Period, User
from targets.models import TargetPlan

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
    errors: check.Errors = {}
    name, goal = check.text(name), check.text(goal)
    if not name:
        check.add(errors, "name", _("Give the strategy a name."))
    if kind not in Strategy.Kind.values:
        check.add(errors, "kind", _("Choose a kind."))
    if not goal:
        check.add(errors, "goal", _("Describe the goal."))
    owner = check.person(actor, owner, "owner", errors)
    org_unit = check.unit(actor, org_unit, errors)
    target_plan = check.target_plan(actor, target_plan, errors)
    period = check.resolve(Period, period, "period", errors)
    if period is not None:
        start, end = period.start, period.end
    else:
        start = check.date(start_date, "start_date", errors)
        end = check.date(end_date, "end_date", errors)
    if start and end and end < start:
        check.add(errors, "end_date", _("The end date cannot be before the start date."))
    budget = check.amount(budget, "budget", errors)
    contribution = None
    if expected_contribution not in (None, ""):
        try:
            contribution = int(expected_contribution)
        except (TypeError, ValueError):
            check.add(errors, "expected_contribution", _("Enter a whole number."))
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
    check.status_change(item, status)
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
    errors: check.Errors = {}
    title = check.text(title)
    if not title:
        check.add(errors, "title", _("Give the plan a title."))
    org_unit = check.unit(actor, org_unit, errors)
    owner = check.person(actor, owner, "owner", errors)
    rep = check.resolve(User, rep, "rep", errors)
    if rep is not None and org_unit is not None:
        if not (rep.org_unit_id and rep.org_unit.path.startswith(org_unit.path)):
            check.add(errors, "rep", _("The rep must belong to the plan's team."))
        elif not rep.is_active:
            check.add(errors, "rep", _("%(name)s is no longer active.") % {"name": rep.display})
    strategy = check.resolve(Strategy, strategy, "strategy", errors)
    if strategy is not None and not sel.strategy_can_view(actor, strategy):
        check.add(errors, "strategy", _("This strategy is outside your scope."))
    target_plan = check.target_plan(actor, target_plan, errors)
    if target_plan is None and strategy is not None:
        target_plan = strategy.target_plan
    if strategy is None and target_plan is None and not errors.keys() & {"strategy", "target_plan"}:
        check.add(errors, "strategy", _("Link the plan to a strategy or a target plan."))
    start = check.date(start_date, "start_date", errors)
    end = check.date(end_date, "end_date", errors)
    if start and end and end < start:
        check.add(errors, "end_date", _("The end date cannot be before the start date."))
    if errors:
        raise ValidationError(errors)
    item = plan or ActionPlan(created_by=actor)
    item.title, item.description = title, check.text(description)
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
    check.status_change(item, status)
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


__all__ = [
    "REMINDER_DAYS",
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
