"""Reads of rolled-up KPI cells for the API and the dashboards (scoped, pre-joined).

Scope (PRODUCT.md): a rep sees only their own rep cells; a manager the cells of the reps and
units in their subtrees; executives and admins everything. Every function returns one lazy
queryset (metric and period joined, the owner's name as a subquery), so a page of cells is
one SQL query whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.shortcuts import get_object_or_404

from kpis.models import KpiValue, OwnerType
from salesgoals import scope
from salesgoals.models import Metric, OrgUnit, Role, User

__all__ = [
    "actuals_for",
    "kpi_cells_of",
    "kpi_value_get_for_user",
    "kpi_values_for_user",
    "kpi_values_in_unit",
    "kpi_values_visible",
]


def _owner_name() -> Case:
    users = User.objects.filter(pk=OuterRef("owner_id")).annotate(
        shown=Coalesce(
            NullIf("display_name", Value("")),
            NullIf(Trim(Concat("first_name", Value(" "), "last_name")), Value("")),
            "username",
            output_field=CharField(),
        )
    )
    units = OrgUnit.objects.filter(pk=OuterRef("owner_id")).values("name")[:1]
    return Case(
        When(owner_type=OwnerType.REP, then=Subquery(users.values("shown")[:1])),
        default=Subquery(units),
        output_field=CharField(),
    )


def _prejoined(queryset: QuerySet[KpiValue]) -> QuerySet[KpiValue]:
    return queryset.select_related("metric", "period").annotate(owner_name=_owner_name())


def kpi_values_visible(user: User) -> QuerySet[KpiValue]:
    """Every cell the user may see (no joins; filter or count it)."""
    if not user.is_authenticated or not user.is_active:
        return KpiValue.objects.none()
    if scope.sees_everything(user):
        return KpiValue.objects.all()
    mine = Q(owner_type=OwnerType.REP, owner_id=user.pk)
    if user.role == Role.MANAGER:
        reps = scope.visible_users(user).values("pk")
        units = scope.visible_units(user).values("pk")
        mine |= Q(owner_type=OwnerType.REP, owner_id__in=reps)
        mine |= Q(owner_type=OwnerType.UNIT, owner_id__in=units)
    return KpiValue.objects.filter(mine)


def kpi_cells_of(owners: Iterable[tuple[str, int]]) -> QuerySet[KpiValue]:
    """The cells of these (owner type, owner id) pairs, with no viewer's scope applied.

    For computations that run for the company (incentive statements, training
    recommendations): they read the cells that measure each person and decide themselves who
    may see what they produce. Pages and the API read through `kpi_values_visible`.
    """
    wanted = Q(pk__in=[])
    for owner_type, ids in _group(owners).items():
        wanted |= Q(owner_type=owner_type, owner_id__in=sorted(ids))
    return KpiValue.objects.filter(wanted)


def _group(owners: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    grouped: dict[str, set[int]] = {}
    for owner_type, owner_id in owners:
        grouped.setdefault(owner_type, set()).add(owner_id)
    return grouped


def kpi_values_in_unit(queryset: QuerySet[KpiValue], unit_id: Any) -> QuerySet[KpiValue]:
    """Cells of a unit's subtree: its units and the reps whose home unit lies in it."""
    unit = OrgUnit.objects.filter(pk=unit_id).values("path")[:1]
    path = Subquery(unit)
    units = OrgUnit.objects.filter(path__startswith=path).values("pk")
    reps = User.objects.filter(org_unit__path__startswith=path).values("pk")
    return queryset.filter(
        Q(owner_type=OwnerType.UNIT, owner_id__in=units)
        | Q(owner_type=OwnerType.REP, owner_id__in=reps)
    )


def kpi_values_for_user(
    *,
    user: User,
    metric: str | None = None,
    period: int | None = None,
    period_kind: str | None = None,
    owner_type: str | None = None,
    owner: int | None = None,
    org_unit: int | None = None,
) -> QuerySet[KpiValue]:
    """Scoped cells, filtered; ordered by period start, metric, owner type and owner."""
    qs = kpi_values_visible(user)
    if metric:
        qs = qs.filter(metric__code=metric)
    if period:
        qs = qs.filter(period_id=period)
    if period_kind:
        qs = qs.filter(period__kind=period_kind)
    if owner_type:
        qs = qs.filter(owner_type=owner_type)
    if owner:
        qs = qs.filter(owner_id=owner)
    if org_unit:
        qs = kpi_values_in_unit(qs, org_unit)
    return _prejoined(qs).order_by(
        "period__start", "period__kind", "metric__sort_order", "owner_type", "owner_id"
    )


def kpi_value_get_for_user(*, user: User, pk: Any) -> KpiValue:
    """One cell: 404 if unknown, 403 if outside the user's scope."""
    cell = get_object_or_404(_prejoined(KpiValue.objects.all()), pk=pk)
    if not kpi_values_visible(user).filter(pk=cell.pk).exists():
        raise PermissionDenied
    return cell


def actuals_for(
    *, metric: Metric, period_ids: Iterable[int], owner_type: str | None = None
) -> dict[tuple[str, int, int], int]:
    """Rolled-up actuals {(owner_type, owner_id, period_id): actual} of one metric.

    Unscoped: for services (targets' baselines, seasonal and history splits), not for pages.
    """
    cells = KpiValue.objects.filter(metric=metric, period_id__in=list(period_ids))
    if owner_type is not None:
        cells = cells.filter(owner_type=owner_type)
    return {
        (t, o, p): actual
        for t, o, p, actual in cells.values_list("owner_type", "owner_id", "period_id", "actual")
    }
