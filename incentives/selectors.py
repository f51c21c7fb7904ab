"""Reads of the incentives app, always through `salesgoals.scope`.

- Plans: admins configure every plan; executives read all; a manager reads the plans that
  apply to their subtree (company-wide plans and plans of units in or above it); a rep reads
  the plans that apply to them and the versions their statements were computed with.
- Statements: a rep sees their own; a manager their subtree's people (not only reps) and
  their own; executives and admins all. Managers approve statements in their subtree but
  never their own; executives and admins approve any; only admins mark statements paid.
- Badges and the recognition feed are public inside the company (recognition is meant to be
  seen), as are leaderboards: rank, name, unit and attainment — never pay.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from incentives.models import BadgeAward, Contest, IncentivePlan, Statement, StatementLine
from salesgoals import scope
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, Role, User


def _ancestor_paths(unit: OrgUnit | None) -> list[str]:
    if unit is None:
        return []
    step = OrgUnit.steplen
    return [unit.path[:n] for n in range(step, len(unit.path) + 1, step)]


def plan_applies(plan: IncentivePlan, person: User) -> bool:
    if plan.role and plan.role != person.role:
        return False
    if plan.org_unit_id is None:
        return True
    unit = person.org_unit
    return unit is not None and unit.path.startswith(plan.org_unit.path)


def plans_visible(user: User, *, current_only: bool = False) -> QuerySet[IncentivePlan]:
    if not user.is_authenticated or not user.is_active:
        return IncentivePlan.objects.none()
    plans = IncentivePlan.objects.select_related("org_unit", "created_by")
    if current_only:
        plans = plans.filter(is_current=True)
    if scope.sees_everything(user):
        return plans
    paths = set(_ancestor_paths(user.org_unit))
    if user.role == Role.MANAGER:
        roots = scope.managed_roots(user)
        for root in roots:
            paths.update(root[:n] for n in range(OrgUnit.steplen, len(root) + 1, OrgUnit.steplen))
        inside = OrgUnit.subtree_q(roots, "org_unit__path") if roots else Q(pk__in=[])
        return plans.filter(Q(org_unit__isnull=True) | Q(org_unit__path__in=paths) | inside)
    applies = (Q(role="") | Q(role=user.role)) & (
        Q(org_unit__isnull=True) | Q(org_unit__path__in=paths)
    )
    used = Q(pk__in=Statement.objects.filter(person=user).values("plan_id"))
    return plans.filter(applies | used)


def plan_get_for_user(*, user: User, pk: Any) -> IncentivePlan:
    plan = get_object_or_404(IncentivePlan.objects.select_related("org_unit"), pk=pk)
    if not plans_visible(user).filter(pk=plan.pk).exists():
        raise PermissionDenied
    return plan


def plan_can_edit(user: User) -> bool:
    return scope.is_admin(user)


def plan_versions(plan: IncentivePlan) -> QuerySet[IncentivePlan]:
    return IncentivePlan.objects.filter(family=plan.family).order_by("-version")


def plan_in_use(plan: IncentivePlan) -> bool:
    return plan.statements.exists()


def current_plans(period_kind: str) -> list[IncentivePlan]:
    return list(
        IncentivePlan.objects.filter(
            is_current=True, is_active=True, period_kind=period_kind
        ).select_related("org_unit")
    )


def best_plan(plans: list[IncentivePlan], person: User) -> IncentivePlan | None:
    """The most specific of `plans` for the person: deepest unit, then a role, then newest."""
    best, rank = None, None
    for plan in plans:
        if not plan_applies(plan, person):
            continue
        key = (plan.org_unit.depth if plan.org_unit_id else 0, bool(plan.role), plan.pk)
        if rank is None or key > rank:
            best, rank = plan, key
    return best


def plan_for(person: User, period_kind: str) -> IncentivePlan | None:
    """The most specific current, active plan for the person and period kind."""
    return best_plan(current_plans(period_kind), person)


def people_of_plan(plan: IncentivePlan) -> QuerySet[User]:
    """Active people the plan could apply to (the most specific plan still decides)."""
    people = User.objects.filter(is_active=True).select_related("org_unit")
    if plan.role:
        people = people.filter(role=plan.role)
    if plan.org_unit_id:
        people = people.filter(org_unit__path__startswith=plan.org_unit.path)
    return people


def _statement_q(user: User) -> Q | None:
    if scope.sees_everything(user):
        return None
    own = Q(person_id=user.pk)
    if user.role == Role.MANAGER:
        roots = scope.managed_roots(user)
        if roots:
            # The unit when computed, or the person's unit today: both managers see it.
            return (
                own
                | OrgUnit.subtree_q(roots, "org_unit__path")
                | OrgUnit.subtree_q(roots, "person__org_unit__path")
            )
    return own


def statements_visible(
    user: User,
    *,
    period: Any = None,
    status: str | None = None,
    person: Any = None,
    org_unit: Any = None,
    plan: Any = None,
) -> QuerySet[Statement]:
    if not user.is_authenticated or not user.is_active:
        return Statement.objects.none()
    rows = Statement.objects.select_related(
        "person", "person__org_unit", "period", "plan", "org_unit", "approved_by", "paid_by"
    )
    q = _statement_q(user)
    if q is not None:
        rows = rows.filter(q)
    if period:
        rows = rows.filter(period_id=period) if is_id(period) else rows.none()
    if status:
        rows = rows.filter(status=status)
    if person:
        rows = rows.filter(person_id=person) if is_id(person) else rows.none()
    if plan:
        rows = rows.filter(plan__family=_family_of(plan)) if is_id(plan) else rows.none()
    if org_unit:
        unit = OrgUnit.objects.filter(pk=org_unit).first() if is_id(org_unit) else None
        if unit is None:
            return rows.none()
        rows = rows.filter(person__org_unit__path__startswith=unit.path)
    return rows


def _family_of(plan_id: Any) -> Any:
    return IncentivePlan.objects.filter(pk=plan_id).values("family")[:1]


def statement_can_view(user: User, statement: Statement) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if scope.sees_everything(user) or statement.person_id == user.pk:
        return True
    if user.role != Role.MANAGER:
        return False
    return _in_roots(statement, scope.managed_roots(user))


def _in_roots(statement: Statement, roots: list[str]) -> bool:
    """Is the statement's unit (when computed) or the person's unit today in these subtrees?"""
    units = (statement.org_unit, statement.person.org_unit)
    return any(u is not None and any(u.path.startswith(p) for p in roots) for u in units)


def statement_get_for_user(*, user: User, pk: Any) -> Statement:
    statement = get_object_or_404(
        Statement.objects.select_related(
            "person", "person__org_unit", "org_unit", "period", "plan"
        ),
        pk=pk,
    )
    if not statement_can_view(user, statement):
        raise PermissionDenied
    return statement


def statement_can_approve(user: User, statement: Statement) -> bool:
    if statement.status != Statement.Status.DRAFT or statement.person_id == user.pk:
        return False
    if scope.sees_everything(user):
        return True
    return user.role == Role.MANAGER and statement_can_view(user, statement)


def statement_can_pay(user: User, statement: Statement) -> bool:
    return statement.status == Statement.Status.APPROVED and scope.is_admin(user)


def statement_can_recompute(user: User, statement: Statement) -> bool:
    return statement.status == Statement.Status.DRAFT and (
        scope.sees_everything(user)
        or (user.role == Role.MANAGER and statement_can_view(user, statement))
    )


def statement_lines(statement: Statement) -> list[StatementLine]:
    """The lines with `shown_inputs` [(key, value)] where metric codes read as names."""
    from salesgoals.models import Metric

    lines = list(statement.lines.select_related("adjusts", "adjusts__period"))
    codes = {line.inputs.get("metric") for line in lines} - {None}
    names = {m.code: str(m) for m in Metric.objects.filter(code__in=codes)} if codes else {}
    for line in lines:
        line.shown_inputs = [(key, _shown(key, value, names)) for key, value in line.inputs.items()]
    return lines


def _shown(key: str, value: str, metric_names: dict[str, str]) -> Any:
    from incentives.labels import EVENT_LABELS

    if key == "metric":
        return metric_names.get(value, value)
    if key == "event":
        return EVENT_LABELS.get(value, value)
    if key == "status" and value in Statement.Status.values:
        return Statement.Status(value).label
    return value


def annotate_actions(user: User, statements: list[Statement]) -> list[Statement]:
    """Set `can_approve` and `can_pay` on each statement, reading the user's scope once."""
    everything, admin = scope.sees_everything(user), scope.is_admin(user)
    roots = scope.managed_roots(user) if user.role == Role.MANAGER else []
    for statement in statements:
        in_subtree = bool(roots) and _in_roots(statement, roots)
        statement.can_approve = (
            statement.status == Statement.Status.DRAFT
            and statement.person_id != user.pk
            and (everything or in_subtree)
        )
        statement.can_pay = statement.status == Statement.Status.APPROVED and admin
    return statements


def badges_visible(
    user: User, *, person: Any = None, source: str | None = None
) -> QuerySet[BadgeAward]:
    if not user.is_authenticated or not user.is_active:
        return BadgeAward.objects.none()
    rows = BadgeAward.objects.select_related(
        "person", "person__org_unit", "period", "contest", "awarded_by"
    )
    if person:
        rows = rows.filter(person_id=person) if is_id(person) else rows.none()
    if source:
        rows = rows.filter(source=source)
    return rows


def badge_can_award(user: User, person: User) -> bool:
    """Managers award badges in their subtree (not to themselves); executives and admins to all."""
    if not user.is_authenticated or not user.is_active or person.pk == user.pk:
        return False
    if scope.sees_everything(user):
        return True
    return user.role == Role.MANAGER and scope.can_view(user, person)


def contests_visible(user: User) -> QuerySet[Contest]:
    if not user.is_authenticated or not user.is_active:
        return Contest.objects.none()
    return Contest.objects.select_related("metric", "period", "org_unit").prefetch_related(
        "results__person"
    )


def recognition_feed(limit: int = 20) -> list[BadgeAward]:
    """The latest badges (rules, manual awards and contest wins), newest first."""
    return list(
        BadgeAward.objects.select_related("person", "person__org_unit", "period", "contest")[:limit]
    )
