"""Who may do what with a target plan — built on `salesgoals.scope`, used by pages and API.

- See a plan: whoever sees its root unit, and everyone whose own subtree (or, for a rep, own
  line) lies inside the plan; they see only the lines inside their scope.
- Manage a plan (edit its fields, re-split all of it, submit, close): executives and admins,
  and managers whose subtree contains the plan's root unit.
- Edit a cell: only while the plan is a draft, and only where the rebalancing stays inside the
  user's subtree — the cells of an owner whose parent unit the user may edit (so a team's
  manager splits the team's target among its reps, but does not change the team's own cells,
  which its region set). The root's cells belong to whoever manages the plan.
- Propose a revision: whoever manages the plan; also a manager inside the plan for a revision
  that moves only their own unit's branch (a market change logged for their subtree, passed
  up one to one) — those above the plan still approve it.
- Approve: executives and admins, or a manager of a unit strictly above the plan's root; never
  the person who submitted it (except admins). A revision is decided by the same people,
  except that its author may not approve it (whoever submitted the plan may).
- Acknowledge: a rep, for their own line, once the plan is published.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from salesgoals import scope
from salesgoals.models import OrgUnit, Role, User
from targets.models import OwnerType, TargetLine, TargetPlan

__all__ = [
    "can_acknowledge",
    "can_approve",
    "can_decide_revision",
    "can_edit_line",
    "can_manage",
    "can_propose_revision",
    "can_view",
    "lines_visible_q",
    "plans_visible_q",
]


def _roots(user: User) -> list[str]:
    return scope.managed_roots(user) if user.role == Role.MANAGER else []


def plans_visible_q(user: User) -> Q:
    """A filter over `TargetPlan` for the plans the user may open."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if scope.sees_everything(user):
        return Q()
    lines = TargetLine.objects.filter(plan=OuterRef("pk"))
    mine = Q(Exists(lines.filter(owner_type=OwnerType.REP, owner_id=user.pk)))
    for path in _roots(user):
        # The plan's root is inside my subtree, or my subtree is inside the plan.
        mine |= Q(org_unit__path__startswith=path)
        mine |= Q(Exists(lines.filter(owner_type=OwnerType.UNIT, unit_path=path)))
    return mine


def can_view(user: User, plan: TargetPlan) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if scope.sees_everything(user):
        return True
    return TargetPlan.objects.filter(plans_visible_q(user), pk=plan.pk).exists()


def lines_visible_q(user: User) -> Q:
    """A filter over `TargetLine` for the lines (owners) the user may see inside a plan."""
    if scope.sees_everything(user):
        return Q()
    mine = Q(owner_type=OwnerType.REP, owner_id=user.pk)
    for path in _roots(user):
        mine |= Q(unit_path__startswith=path)
    return mine


def can_manage(user: User, plan: TargetPlan) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if scope.sees_everything(user):
        return True
    return any(plan.org_unit.path.startswith(p) for p in _roots(user))


def can_edit_line(user: User, plan: TargetPlan, line: TargetLine) -> bool:
    """May the user change this owner's cells (rebalancing its siblings)?"""
    if not plan.is_editable or not user.is_authenticated or not user.is_active:
        return False
    if line.parent_type == "":
        return can_manage(user, plan)
    if scope.sees_everything(user):
        return True
    # The parent is always a unit; its path is the line's unit path for a rep, and the unit
    # path minus one step for a unit.
    from salesgoals.models import OrgUnit

    parent_path = (
        line.unit_path if line.owner_type == OwnerType.REP else line.unit_path[: -OrgUnit.steplen]
    )
    return any(parent_path.startswith(p) for p in _roots(user))


def can_propose_revision(user: User, plan: TargetPlan, unit: OrgUnit | None = None) -> bool:
    """Managers of the plan propose any revision; a manager inside it proposes one that
    scales only `unit`, a unit of their own subtree inside the plan (see the module doc)."""
    if can_manage(user, plan):
        return True
    if unit is None or not user.is_authenticated or not user.is_active:
        return False
    path = unit.path
    return path.startswith(plan.org_unit.path) and any(path.startswith(p) for p in _roots(user))


def can_approve(user: User, plan: TargetPlan) -> bool:
    return _approver(user, plan, plan.submitted_by_id)


def can_decide_revision(user: User, plan: TargetPlan, revision, *, approve: bool = True) -> bool:
    """Approve (or reject) a proposed revision: the plan's approvers, but the one kept out of
    approving is the revision's author, not whoever submitted the plan once; the author may
    reject (withdraw) their own proposal."""
    return _approver(user, plan, revision.author_id if approve else None)


def _approver(user: User, plan: TargetPlan, proposer_id: int | None) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if scope.is_admin(user):
        return True
    if proposer_id == user.pk:
        return False
    if user.role == Role.EXECUTIVE:
        return True
    path = plan.org_unit.path
    return any(path.startswith(p) and path != p for p in _roots(user))


def can_acknowledge(user: User, plan: TargetPlan) -> bool:
    return (
        plan.is_published
        and user.is_authenticated
        and plan.lines.filter(owner_type=OwnerType.REP, owner_id=user.pk).exists()
    )
