"""Leaderboards: reps ranked by a metric's attainment (or actual) for one period.

Company scope or a unit's subtree. Rows carry rank, person, unit, actual, target, attainment
and the person's badges; the top three are highlighted by the pages. Pay never shows here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from incentives.engine import attainment_pct
from incentives.inputs import kpi_cells
from incentives.models import BadgeAward
from salesgoals.models import Metric, OrgUnit, Period, Role, User


@dataclass
class Row:
    rank: int
    person: User
    actual: Decimal
    target: Decimal | None
    attainment: Decimal | None
    badges: list[str] = field(default_factory=list)

    @property
    def top(self) -> bool:
        return self.rank <= 3


def leaderboard(
    *,
    metric: Metric,
    period: Period,
    unit: OrgUnit | None = None,
    rank_by: str = "attainment",
    limit: int | None = None,
) -> list[Row]:
    people = User.objects.filter(is_active=True, role=Role.REP).select_related("org_unit")
    if unit is not None:
        people = people.filter(org_unit__path__startswith=unit.path)
    people = list(people)
    cells = kpi_cells(people, [metric.code], [period.pk])
    badges: dict[int, list[str]] = defaultdict(list)
    for person_id, badge in (
        BadgeAward.objects.filter(person__in=people)
        .order_by("-awarded_at")
        .values_list("person_id", "badge")
    ):
        if badge not in badges[person_id]:
            badges[person_id].append(badge)
    rows: list[Row] = []
    for person in people:
        cell = cells.get((person.pk, metric.code, period.pk))
        if cell is None:
            continue
        rows.append(
            Row(
                0,
                person,
                cell.actual,
                cell.target,
                attainment_pct(cell.actual, cell.target),
                badges[person.pk][:3],
            )
        )

    def key(row: Row) -> tuple:
        if rank_by == "actual":
            return (-row.actual, row.person.display)
        missing = row.attainment is None
        return (missing, -(row.attainment or 0), -row.actual, row.person.display)

    rows.sort(key=key)
    for i, row in enumerate(rows, start=1):
        row.rank = i
    return rows[:limit] if limit else rows
