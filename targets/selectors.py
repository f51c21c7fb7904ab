"""Reads of target plans and their cells, scoped through `targets.rules`.

Cells are stored per owner (`TargetLine.values`); `CellRows` presents a plan's visible lines
by periods of a kind as a flat, sliceable list of rows without materialising it, so the API
pages through a 5,000-rep plan by reading only the lines of the requested page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from salesgoals.ids import is_id
from salesgoals.models import Period, User
from salesgoals.selectors import period_tree
from targets import rules
from targets.models import OwnerType, TargetLine, TargetPlan, TargetRevision

__all__ = [
    "CellRows",
    "GridRow",
    "acknowledgements",
    "grid_rows",
    "my_targets",
    "original_values",
    "plan_get_for_user",
    "plan_periods_of_kind",
    "plans_visible",
]


def plans_visible(user: User, **filters: Any) -> QuerySet[TargetPlan]:
    plans = TargetPlan.objects.filter(rules.plans_visible_q(user)).select_related(
        "metric", "fiscal_year", "org_unit", "profile", "created_by"
    )
    if filters.get("metric"):
        plans = plans.filter(metric__code=filters["metric"])
    if filters.get("fiscal_year"):
        plans = plans.filter(fiscal_year__year=filters["fiscal_year"])
    if filters.get("org_unit"):
        plans = plans.filter(org_unit_id=filters["org_unit"])
    if filters.get("status"):
        plans = plans.filter(status=filters["status"])
    return plans


def plan_get_for_user(*, user: User, pk: Any) -> TargetPlan:
    """The plan, or 404 when unknown and 403 when outside the user's scope."""
    plan = get_object_or_404(
        TargetPlan.objects.select_related("metric", "fiscal_year", "org_unit", "profile"), pk=pk
    )
    if not rules.can_view(user, plan):
        raise PermissionDenied
    return plan


def plan_periods_of_kind(plan: TargetPlan, kind: str | None) -> list[Period]:
    periods = period_tree(plan.fiscal_year)
    if kind:
        periods = [p for p in periods if p.kind == kind]
    return periods


def _visible_lines(user: User, plan: TargetPlan) -> QuerySet[TargetLine]:
    return plan.lines.filter(rules.lines_visible_q(user)).order_by("position")


class CellRows(Sequence):
    """Rows {owner_type, owner_id, owner_name, period, period_label, kind, value, locked}."""

    def __init__(self, lines: QuerySet[TargetLine], periods: list[Period]) -> None:
        self.lines = lines
        self.periods = periods
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.lines.count() * len(self.periods)
        return self._count

    def _rows(self, lines: list[TargetLine]) -> list[dict[str, Any]]:
        return [
            {
                "owner_type": line.owner_type,
                "owner_id": line.owner_id,
                "owner_name": line.name,
                "period": period.pk,
                "period_label": period.label,
                "kind": period.kind,
                "value": line.value_of(period.pk),
                "locked": line.is_locked(period.pk),
            }
            for line in lines
            for period in self.periods
        ]

    def __getitem__(self, index):  # type: ignore[override]
        width = len(self.periods) or 1
        if isinstance(index, slice):
            start, stop, _step = index.indices(len(self))
            first, last = start // width, (stop + width - 1) // width
            rows = self._rows(list(self.lines[first:last]))
            return rows[start - first * width : stop - first * width]
        line = self.lines[index // width]
        return self._rows([line])[index % width]


def cell_rows(
    *, user: User, plan: TargetPlan, period_kind: str | None = None, owner: str | None = None
) -> CellRows:
    lines = _visible_lines(user, plan)
    if owner:
        owner_type, _sep, owner_id = owner.partition(":")
        if owner_type in OwnerType.values and is_id(owner_id):
            unit_line = plan.lines.filter(owner_type=owner_type, owner_id=int(owner_id)).first()
            if owner_type == OwnerType.UNIT and unit_line is not None:
                lines = lines.filter(unit_path__startswith=unit_line.unit_path)
            else:
                lines = lines.filter(owner_type=owner_type, owner_id=int(owner_id))
        else:
            lines = lines.none()
    return CellRows(lines, plan_periods_of_kind(plan, period_kind))


@dataclass
class GridRow:
    line: TargetLine
    values: list[int]
    locked: list[bool]
    editable: bool
    has_children: bool
    children_sum: int | None  # Σ of the children's year, for the over-assignment column
    year_value: int


def grid_rows(
    *,
    user: User,
    plan: TargetPlan,
    periods: list[Period],
    year: Period,
    parent: tuple[str, int] | None = None,
) -> list[GridRow]:
    """The rows the grid shows: the plan's top visible line(s), or the children of `parent`.

    `periods` are the columns; `year` is the plan's year period (row totals and the
    over-assignment column).
    """
    visible = _visible_lines(user, plan)
    if parent is None:
        candidates = list(visible)
        keys = {line.key for line in candidates}
        shown = [line for line in candidates if line.parent_key not in keys]
    else:
        shown = list(visible.filter(parent_type=parent[0], parent_id=parent[1]))
    unit_ids = [line.owner_id for line in shown if line.owner_type == OwnerType.UNIT]
    children = {}
    if unit_ids:
        for line in plan.lines.filter(parent_type=OwnerType.UNIT, parent_id__in=unit_ids).only(
            "parent_id", "values"
        ):
            children[line.parent_id] = children.get(line.parent_id, 0) + line.value_of(year.pk)
    rows = []
    for line in shown:
        has_children = line.owner_type == OwnerType.UNIT and line.owner_id in children
        rows.append(
            GridRow(
                line=line,
                values=[line.value_of(p.pk) for p in periods],
                locked=[line.is_locked(p.pk) for p in periods],
                editable=rules.can_edit_line(user, plan, line),
                has_children=has_children,
                children_sum=children.get(line.owner_id) if has_children else None,
                year_value=line.value_of(year.pk),
            )
        )
    return rows


def my_targets(user: User) -> list[tuple[TargetPlan, TargetLine]]:
    """A rep's published targets: (plan, their line) for every approved or active plan."""
    lines = (
        TargetLine.objects.filter(
            owner_type=OwnerType.REP,
            owner_id=user.pk,
            plan__status__in=[TargetPlan.Status.APPROVED, TargetPlan.Status.ACTIVE],
        )
        .select_related("plan__metric", "plan__fiscal_year", "plan__org_unit")
        .order_by("-plan__fiscal_year__start", "plan__metric__sort_order")
    )
    return [(line.plan, line) for line in lines]


def acknowledgements(plan: TargetPlan) -> dict[str, int]:
    reps = plan.lines.filter(owner_type=OwnerType.REP)
    return {
        "reps": reps.count(),
        "acknowledged": reps.filter(acknowledged_version=plan.version).count(),
    }


def original_values(plan: TargetPlan) -> dict[tuple[str, int, int], int]:
    """Cells as first approved: each approved revision's diff walked back to its `before`."""
    original: dict[tuple[str, int, int], int] = {}
    revisions = plan.revisions.filter(status=TargetRevision.Status.APPROVED).order_by("-number")
    for revision in revisions:
        for owner_type, owner_id, period_id, before, _after in revision.diff:
            original[(owner_type, int(owner_id), int(period_id))] = before
    return original


def revisions_for(plan: TargetPlan) -> QuerySet[TargetRevision]:
    return plan.revisions.select_related("author", "decided_by").order_by("-number")


def plan_events(plan: TargetPlan) -> QuerySet:
    return plan.events.select_related("actor", "plan__metric").order_by("-at", "-pk")


def unit_lines_q(path: str) -> Q:
    return Q(unit_path__startswith=path)
