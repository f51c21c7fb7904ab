"""The one door through which training reads KPI values: `kpis.selectors`.

Recommendation rules and the effectiveness report need rep cells of one metric over monthly
periods. Reads for a person go through `kpis.selectors.kpi_values_visible(actor)`; the
periodic task (which has no user) reads the cells of the reps it evaluates through
`kpis.selectors.kpi_cells_of`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from kpis.models import OwnerType
from kpis.selectors import kpi_cells_of, kpi_values_visible
from salesgoals.models import Metric, Period, PeriodKind, User


@dataclass(frozen=True)
class Cell:
    actual: int | None
    attainment_bp: int | None


def complete_months(on: datetime.date, count: int) -> list[Period]:
    """The last ``count`` monthly periods that ended before ``on``, oldest first."""
    months = Period.objects.filter(kind=PeriodKind.MONTH, end__lt=on).order_by("-start")[:count]
    return list(reversed(months))


def months_between(start: datetime.date, end: datetime.date) -> list[Period]:
    """Monthly periods overlapping [start, end], oldest first."""
    return list(
        Period.objects.filter(kind=PeriodKind.MONTH, end__gte=start, start__lte=end).order_by(
            "start"
        )
    )


def rep_cells(
    *,
    metric: Metric,
    user_ids: Iterable[int],
    period_ids: Iterable[int],
    actor: User | None = None,
) -> dict[tuple[int, int], Cell]:
    """(user id, period id) → the rep cell's value and attainment; one query.

    A ratio with no denominator (no deals closed, no customers to retain) has no value.
    """
    user_ids = list(user_ids)
    ratio = metric.aggregation != Metric.Aggregation.SUM
    cells_in_view = (
        kpi_cells_of((OwnerType.REP, pk) for pk in user_ids)
        if actor is None
        else kpi_values_visible(actor).filter(owner_type=OwnerType.REP, owner_id__in=user_ids)
    )
    rows = cells_in_view.filter(metric_id=metric.pk, period_id__in=list(period_ids)).values_list(
        "owner_id", "period_id", "actual", "denominator", "attainment_bp"
    )
    cells: dict[tuple[int, int], Cell] = {}
    for owner_id, period_id, actual, denominator, attainment in rows:
        value = None if ratio and not denominator else actual
        cells[(owner_id, period_id)] = Cell(actual=value, attainment_bp=attainment)
    return cells
