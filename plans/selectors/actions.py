"""Reads of strategies, action plans and tasks, always through `salesgoals.scope`.

Who sees what:
- executives and admins: everything;
- a manager: what belongs to a unit of their subtree, what they own or lead, and (strategies
  only) the strategies of the units above them, which apply to their subtree too;
- a rep: their own plans (for them, led by them, or holding a task of theirs), their team's
  plans (team plans of their unit) and their own tasks; the strategies of their unit and of
  the units above it.

Who changes what: managers create and edit strategies, plans and tasks in their subtree, and
admins everywhere; executives read. A task's owner may move it (status, progress) — except
cancelling it, which is for the plan's managers.

Overdue: an open task (not done or cancelled) whose due date has passed. A plan's progress is
the mean progress of its tasks that are not cancelled (done counts 100%), rounded half up.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from plans.models import ActionPlan, PlanStatus, Strategy, Task
from salesgoals import scope
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, Role, User

OPEN_STATUSES = (Task.Status.TODO, Task.Status.IN_PROGRESS, Task.Status.BLOCKED)
FINISHED_STATUSES = (Task.Status.DONE, Task.Status.CANCELLED)

#: status → statuses a strategy or an action plan may move to.
PLAN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PlanStatus.DRAFT: (PlanStatus.ACTIVE, PlanStatus.CANCELLED),
    PlanStatus.ACTIVE: (PlanStatus.DONE, PlanStatus.CANCELLED, PlanStatus.DRAFT),
    PlanStatus.DONE: (PlanStatus.ACTIVE,),
    PlanStatus.CANCELLED: (PlanStatus.DRAFT,),
}


def today() -> datetime.date:
    return timezone.localdate()


def _alive(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _manager_roots(user: User) -> list[str]:
    return scope.managed_roots(user) if user.role == Role.MANAGER else []


def _ancestor_paths(path: str) -> list[str]:
    step = OrgUnit.steplen
    return [path[:n] for n in range(step, len(path) + 1, step)]


def _home_path(user: User) -> str | None:
    unit = user.org_unit if user.org_unit_id else None
    return unit.path if unit is not None else None


def _unit_in(unit: OrgUnit | None, roots: list[str]) -> bool:
    return unit is not None and any(unit.path.startswith(p) for p in roots)


# --- Permissions ---------------------------------------------------------------------------


def can_manage_unit(user: User, unit: OrgUnit | None) -> bool:
    """Create and edit strategies and plans of this unit: its managers above, and admins."""
    if not _alive(user):
        return False
    if scope.is_admin(user):
        return True
    return _unit_in(unit, _manager_roots(user))


def can_create(user: User) -> bool:
    """May the user create strategies and plans at all (somewhere)?"""
    return _alive(user) and (scope.is_admin(user) or bool(_manager_roots(user)))


def manageable_units(user: User) -> QuerySet[OrgUnit]:
    if not _alive(user):
        return OrgUnit.objects.none()
    if scope.is_admin(user):
        return OrgUnit.objects.all()
    roots = _manager_roots(user)
    return OrgUnit.objects.filter(OrgUnit.subtree_q(roots)) if roots else OrgUnit.objects.none()


def strategy_can_manage(user: User, strategy: Strategy) -> bool:
    return can_manage_unit(user, strategy.org_unit)


def plan_can_manage(user: User, plan: ActionPlan) -> bool:
    return can_manage_unit(user, plan.org_unit)


def task_can_move(user: User, task: Task) -> bool:
    """Change status and progress: the task's owner and the plan's managers."""
    if not _alive(user):
        return False
    return task.owner_id == user.pk or plan_can_manage(user, task.plan)


# --- Visibility ----------------------------------------------------------------------------


def _strategies_q(user: User) -> Q | None:
    """None = everything."""
    if scope.sees_everything(user):
        return None
    q = Q(owner_id=user.pk)
    above: set[str] = set()
    roots = _manager_roots(user)
    if roots:
        q |= OrgUnit.subtree_q(roots, "org_unit__path")
        for root in roots:
            above.update(_ancestor_paths(root))
    home = _home_path(user)
    if home:
        above.update(_ancestor_paths(home))
    if above:
        q |= Q(org_unit__path__in=sorted(above))
    return q


def _plans_q(user: User) -> Q | None:
    """None = everything."""
    if scope.sees_everything(user):
        return None
    mine_tasks = Task.objects.filter(plan=OuterRef("pk"), owner_id=user.pk)
    q = Q(owner_id=user.pk) | Q(rep_id=user.pk) | Q(Exists(mine_tasks))
    roots = _manager_roots(user)
    if roots:
        q |= OrgUnit.subtree_q(roots, "org_unit__path")
    if user.org_unit_id:
        q |= Q(org_unit_id=user.org_unit_id, rep__isnull=True)
    return q


def _unit_filter(items: QuerySet, org_unit: Any, field: str = "org_unit__path") -> QuerySet:
    unit = OrgUnit.objects.filter(pk=org_unit).first() if is_id(org_unit) else None
    if unit is None:
        return items.none()
    return items.filter(OrgUnit.subtree_q([unit.path], field))


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def strategies_visible(user: User, **filters: Any) -> QuerySet[Strategy]:
    """Strategies in scope; filters: status, kind, owner, org_unit (subtree), target_plan."""
    if not _alive(user):
        return Strategy.objects.none()
    items = Strategy.objects.select_related(
        "owner", "org_unit", "target_plan", "target_plan__metric", "period__fiscal_year"
    )
    q = _strategies_q(user)
    if q is not None:
        items = items.filter(q)
    if filters.get("status"):
        items = items.filter(status=filters["status"])
    if filters.get("kind"):
        items = items.filter(kind=filters["kind"])
    if is_id(filters.get("owner") or ""):
        items = items.filter(owner_id=filters["owner"])
    if is_id(filters.get("target_plan") or ""):
        items = items.filter(target_plan_id=filters["target_plan"])
    if filters.get("org_unit"):
        items = _unit_filter(items, filters["org_unit"])
    return items.annotate(plan_count=Count("action_plans", distinct=True)).order_by(
        *Strategy._meta.ordering
    )


def _with_rollup(plans: QuerySet[ActionPlan], day: datetime.date) -> QuerySet[ActionPlan]:
    live = ~Q(tasks__status=Task.Status.CANCELLED)
    open_ = Q(tasks__status__in=OPEN_STATUSES)
    return plans.annotate(
        progress_avg=Avg("tasks__progress", filter=live),
        task_count=Count("tasks", filter=live, distinct=True),
        done_count=Count("tasks", filter=Q(tasks__status=Task.Status.DONE), distinct=True),
        open_count=Count("tasks", filter=open_, distinct=True),
        overdue_count=Count("tasks", filter=open_ & Q(tasks__due_date__lt=day), distinct=True),
        blocked_count=Count("tasks", filter=Q(tasks__status=Task.Status.BLOCKED), distinct=True),
        task_budget=Sum("tasks__budget", filter=live),
        task_hours=Sum("tasks__hours", filter=live),
    ).order_by(*ActionPlan._meta.ordering)


def action_plans_visible(user: User, **filters: Any) -> QuerySet[ActionPlan]:
    """Plans in scope with their task rollup (progress_avg, counts, budget, hours).

    Filters: status, owner, rep, org_unit (subtree), strategy, target_plan, overdue (has an
    overdue task), mine (led by me, for me, or holding a task of mine).
    """
    if not _alive(user):
        return ActionPlan.objects.none()
    day = filters.get("today") or today()
    items = ActionPlan.objects.select_related(
        "owner", "rep", "org_unit", "strategy", "target_plan", "target_plan__metric"
    )
    q = _plans_q(user)
    if q is not None:
        items = items.filter(q)
    if filters.get("status"):
        items = items.filter(status=filters["status"])
    for name in ("owner", "rep", "strategy", "target_plan"):
        if is_id(filters.get(name) or ""):
            items = items.filter(**{f"{name}_id": filters[name]})
    if filters.get("org_unit"):
        items = _unit_filter(items, filters["org_unit"])
    if _flag(filters.get("overdue")):
        late = Task.objects.filter(plan=OuterRef("pk"), status__in=OPEN_STATUSES, due_date__lt=day)
        items = items.filter(Exists(late))
    if _flag(filters.get("mine")):
        mine_tasks = Task.objects.filter(plan=OuterRef("pk"), owner_id=user.pk)
        items = items.filter(Q(owner_id=user.pk) | Q(rep_id=user.pk) | Q(Exists(mine_tasks)))
    return _with_rollup(items, day)


def tasks_visible(user: User, **filters: Any) -> QuerySet[Task]:
    """Tasks of the plans in scope, and the user's own tasks.

    Filters: status (one or a comma list), owner, plan, org_unit (the plan's unit subtree),
    overdue, blocked, open, due_before, due_after (inclusive), mine.
    """
    if not _alive(user):
        return Task.objects.none()
    day = filters.get("today") or today()
    items = Task.objects.select_related("plan", "plan__org_unit", "owner").prefetch_related(
        "depends_on"
    )
    q = _plans_q(user)
    if q is not None:
        plans = ActionPlan.objects.filter(q).values("pk")
        items = items.filter(Q(plan__in=plans) | Q(owner_id=user.pk))
    status = filters.get("status")
    if status:
        items = items.filter(status__in=str(status).split(","))
    for name in ("owner", "plan"):
        if is_id(filters.get(name) or ""):
            items = items.filter(**{f"{name}_id": filters[name]})
    if filters.get("org_unit"):
        items = _unit_filter(items, filters["org_unit"], "plan__org_unit__path")
    if _flag(filters.get("overdue")):
        items = items.filter(status__in=OPEN_STATUSES, due_date__lt=day)
    if _flag(filters.get("blocked")):
        items = items.filter(status=Task.Status.BLOCKED)
    if _flag(filters.get("open")):
        items = items.filter(status__in=OPEN_STATUSES)
    due_before, due_after = _date(filters.get("due_before")), _date(filters.get("due_after"))
    if filters.get("due_before") and due_before is None:
        return items.none()
    if filters.get("due_after") and due_after is None:
        return items.none()
    if due_before:
        items = items.filter(due_date__lte=due_before)
    if due_after:
        items = items.filter(due_date__gte=due_after)
    if _flag(filters.get("mine")):
        items = items.filter(owner_id=user.pk)
    return items


def strategy_get_for_user(*, user: User, pk: Any) -> Strategy:
    """The strategy, or 404 when unknown and 403 when outside the user's scope."""
    item = get_object_or_404(
        Strategy.objects.select_related(
            "owner", "org_unit", "target_plan__metric", "period__fiscal_year"
        ),
        pk=pk,
    )
    if not strategy_can_view(user, item):
        raise PermissionDenied
    return item


def strategy_can_view(user: User, item: Strategy) -> bool:
    if not _alive(user):
        return False
    q = _strategies_q(user)
    return q is None or Strategy.objects.filter(q, pk=item.pk).exists()


def plan_can_view(user: User, plan: ActionPlan) -> bool:
    if not _alive(user):
        return False
    q = _plans_q(user)
    return q is None or ActionPlan.objects.filter(q, pk=plan.pk).exists()


def task_can_view(user: User, task: Task) -> bool:
    return _alive(user) and (task.owner_id == user.pk or plan_can_view(user, task.plan))


def action_plan_get_for_user(*, user: User, pk: Any) -> ActionPlan:
    """The plan with its rollup, or 404 when unknown and 403 when outside the user's scope."""
    get_object_or_404(ActionPlan.objects.only("pk"), pk=pk)
    plan = _with_rollup(
        ActionPlan.objects.select_related(
            "owner", "rep", "org_unit", "strategy", "target_plan", "target_plan__metric"
        ),
        today(),
    ).get(pk=pk)
    if not plan_can_view(user, plan):
        raise PermissionDenied
    return plan


def task_get_for_user(*, user: User, pk: Any) -> Task:
    task = get_object_or_404(Task.objects.select_related("plan", "plan__org_unit", "owner"), pk=pk)
    if not task_can_view(user, task):
        raise PermissionDenied
    return task


# --- Plan details --------------------------------------------------------------------------


def plan_tasks(plan: ActionPlan) -> QuerySet[Task]:
    return plan.tasks.select_related("owner").prefetch_related("depends_on")


def plan_progress(plan: ActionPlan) -> int:
    """Mean progress of the plan's tasks that are not cancelled (0 without tasks)."""
    value = getattr(plan, "progress_avg", None)
    if value is None and not hasattr(plan, "progress_avg"):
        value = plan.tasks.exclude(status=Task.Status.CANCELLED).aggregate(p=Avg("progress"))["p"]
    return int((value or 0) + 0.5)


def is_overdue(task: Task, day: datetime.date | None = None) -> bool:
    return task.status in OPEN_STATUSES and task.due_date < (day or today())


def unfinished_dependencies(task: Task) -> list[Task]:
    """Dependencies still holding the task up (not done or cancelled)."""
    return [d for d in task.depends_on.all() if d.status not in FINISHED_STATUSES]


def next_statuses(user: User, item: Strategy | ActionPlan) -> list[str]:
    """The statuses this user may move a strategy or an action plan to now."""
    return list(PLAN_TRANSITIONS[item.status]) if can_manage_unit(user, item.org_unit) else []


def task_next_statuses(user: User, task: Task, manageable: bool | None = None) -> list[str]:
    """The statuses this user may move the task to now (the board's and "my tasks" buttons).

    `manageable` (may the user manage the task's plan?) can be passed by a page that already
    knows it, so a list of tasks costs no query per task.
    """
    if not _alive(user) or task.plan.status in (PlanStatus.DONE, PlanStatus.CANCELLED):
        return []
    if manageable is None:
        manageable = plan_can_manage(user, task.plan)
    if not (manageable or task.owner_id == user.pk):
        return []
    held = bool(unfinished_dependencies(task))
    choices = [s for s in Task.Status.values if s != task.status]
    if held:
        choices = [s for s in choices if s not in (Task.Status.IN_PROGRESS, Task.Status.DONE)]
    if not manageable:
        choices = [s for s in choices if s != Task.Status.CANCELLED]
    return choices


def assignable_people(user: User, plan: ActionPlan | None = None) -> QuerySet[User]:
    """Who may own a task or lead a plan: active people the user may see."""
    return scope.visible_users(user).filter(is_active=True).order_by("display_name", "username")
