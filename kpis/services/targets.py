"""Targets as numbers: `targets` publishes target cells here, beside the actuals.

Values are in the metric's unit: minor units for currency, a whole count for counts, basis
points for rates. Storing or clearing targets refreshes the derived fields (attainment,
expected-to-date, pace, status, required rate, coverage) of the affected cells and of their
parent periods (whose expected-to-date follows the child targets). A target without actuals
gets a zero-actual cell, so attainment and pace exist as soon as targets are published.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpis import rollup
from kpis.models import KpiTarget, OwnerType
from salesgoals.models import Metric, Period

__all__ = ["TargetRow", "targets_clear", "targets_store"]

TargetRow = tuple[str, int, int, int]  # (owner_type, owner_id, period_id, value)


def _with_parent_periods(keys: set[rollup.CellKey]) -> set[rollup.CellKey]:
    parents = dict(Period.objects.values_list("id", "parent_id"))
    out = set(keys)
    for metric_id, owner_type, owner_id, period_id in keys:
        parent = parents.get(period_id)
        while parent is not None:
            out.add((metric_id, owner_type, owner_id, parent))
            parent = parents.get(parent)
    return out


@transaction.atomic
def targets_store(
    *,
    metric: Metric,
    rows: Iterable[TargetRow],
    source_ref: str = "",
    replace: bool = False,
    today: datetime.date | None = None,
) -> dict[str, int]:
    """Upsert target numbers for `metric`; with `replace`, drop this source's other targets.

    Returns how many targets were stored and removed and how many cells were refreshed.
    """
    wanted: dict[tuple[str, int, int], int] = {}
    for owner_type, owner_id, period_id, value in rows:
        if owner_type not in OwnerType.values:
            raise ValidationError({"owner_type": [_("Owner type must be “rep” or “unit”.")]})
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError({"value": [_("A target must be a whole number.")]})
        wanted[(owner_type, int(owner_id), int(period_id))] = value
    unknown = {p for _t, _o, p in wanted} - set(
        Period.objects.filter(pk__in={p for _t, _o, p in wanted}).values_list("pk", flat=True)
    )
    if unknown:
        raise ValidationError({"period": [_("Unknown period.")]})
    touched: set[rollup.CellKey] = {(metric.pk, t, o, p) for t, o, p in wanted}
    removed = 0
    if replace:
        stale = KpiTarget.objects.filter(metric=metric, source_ref=source_ref)
        gone = [
            (pk, t, o, p)
            for pk, t, o, p in stale.values_list("pk", "owner_type", "owner_id", "period_id")
            if (t, o, p) not in wanted
        ]
        touched.update((metric.pk, t, o, p) for _pk, t, o, p in gone)
        removed, _detail = KpiTarget.objects.filter(pk__in=[g[0] for g in gone]).delete()
    objs = [
        KpiTarget(
            metric=metric,
            owner_type=t,
            owner_id=o,
            period_id=p,
            value=value,
            source_ref=source_ref,
        )
        for (t, o, p), value in sorted(wanted.items())
    ]
    for i in range(0, len(objs), 2000):
        KpiTarget.objects.bulk_create(
            objs[i : i + 2000],
            update_conflicts=True,
            unique_fields=["metric", "period", "owner_type", "owner_id"],
            update_fields=["value", "source_ref", "updated_at"],
        )
    refreshed = rollup.refresh_derived(keys=_with_parent_periods(touched), today=today)
    return {"stored": len(objs), "removed": removed, "cells": refreshed["cells"]}


@transaction.atomic
def targets_clear(*, source_ref: str, today: datetime.date | None = None) -> dict[str, int]:
    """Remove every target published under `source_ref` (e.g. a withdrawn plan version)."""
    rows = KpiTarget.objects.filter(source_ref=source_ref)
    touched = {
        (m, t, o, p)
        for m, t, o, p in rows.values_list("metric_id", "owner_type", "owner_id", "period_id")
    }
    removed, _detail = rows.delete()
    refreshed = rollup.refresh_derived(keys=_with_parent_periods(touched), today=today)
    return {"removed": removed, "cells": refreshed["cells"]}
