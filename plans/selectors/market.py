"""Reads of the market change log, always through `salesgoals.scope`.

A market change concerns a region or unit. Everyone sees the changes of their own units and of
the units above them (a change in the region concerns its teams); managers also see those of
their subtree, executives and admins all. Managers log and edit changes for units of their
subtree; executives and admins anywhere; reps raise feedback instead.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from plans.models import MarketChange, MarketChangeImpact, MarketChangeRevision
from salesgoals import scope
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, Role, User
from targets import selectors as target_selectors
from targets.models import TargetPlan

__all__ = [
    "market_can_create",
    "market_can_edit",
    "market_can_edit_unit",
    "market_can_view",
    "market_change_get_for_user",
    "market_changes_visible",
    "plans_for_change",
]


def _ancestor_paths(paths: list[str]) -> set[str]:
    step = OrgUnit.steplen
    return {p[:n] for p in paths for n in range(step, len(p) + 1, step)}


def _visible_q(user: User) -> Q | None:
    """None = everything."""
    if scope.sees_everything(user):
        return None
    roots = scope.managed_roots(user) if user.role == Role.MANAGER else []
    own = [user.org_unit.path] if user.org_unit_id else []
    q = Q(org_unit__path__in=_ancestor_paths(roots + own))
    if roots:
        q |= OrgUnit.subtree_q(roots, "org_unit__path")
    return q


def _prefetched(items: QuerySet[MarketChange]) -> QuerySet[MarketChange]:
    return items.select_related("org_unit", "author", "feedback").prefetch_related(
        Prefetch(
            "impacts",
            queryset=MarketChangeImpact.objects.select_related("metric").order_by(
                "metric__sort_order"
            ),
        ),
        Prefetch(
            "revision_links",
            queryset=MarketChangeRevision.objects.select_related(
                "revision",
                "revision__plan",
                "revision__plan__metric",
                "revision__plan__org_unit",
                "revision__plan__fiscal_year",
            ),
        ),
    )


def market_changes_visible(
    user: User,
    *,
    category: str | None = None,
    org_unit: Any = None,
    metric: str | None = None,
    date_from: Any = None,
    date_to: Any = None,
) -> QuerySet[MarketChange]:
    """Market changes in the user's scope; `org_unit` keeps that unit's subtree."""
    if not user.is_authenticated or not user.is_active:
        return MarketChange.objects.none()
    items = MarketChange.objects.all()
    q = _visible_q(user)
    if q is not None:
        items = items.filter(q)
    if category:
        items = items.filter(category=category)
    if org_unit:
        unit = OrgUnit.objects.filter(pk=org_unit).first() if is_id(org_unit) else None
        if unit is None:
            return MarketChange.objects.none()
        items = items.filter(OrgUnit.subtree_q([unit.path], "org_unit__path"))
    if metric:
        items = items.filter(impacts__metric__code=metric).distinct()
    if date_from:
        items = items.filter(date__gte=date_from)
    if date_to:
        items = items.filter(date__lte=date_to)
    return _prefetched(items)


def market_can_view(user: User, item: MarketChange) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    q = _visible_q(user)
    return q is None or MarketChange.objects.filter(q, pk=item.pk).exists()


def market_can_create(user: User) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and (scope.sees_everything(user) or user.role == Role.MANAGER)
    )


def market_can_edit_unit(user: User, unit: OrgUnit) -> bool:
    return market_can_create(user) and scope.editable_units(user).filter(pk=unit.pk).exists()


def market_can_edit(user: User, item: MarketChange) -> bool:
    return market_can_edit_unit(user, item.org_unit)


def market_change_get_for_user(*, user: User, pk: Any) -> MarketChange:
    """The entry, or 404 when unknown and 403 when outside the user's scope."""
    item = get_object_or_404(_prefetched(MarketChange.objects.all()), pk=pk)
    if not market_can_view(user, item):
        raise PermissionDenied
    return item


def plans_for_change(user: User, item: MarketChange) -> QuerySet[TargetPlan]:
    """Approved or active plans the user sees that a revision from this change could revise:
    a metric with an impact, a year that has not ended before the effective date, and a root
    at or above the change's unit."""
    metrics = [impact.metric_id for impact in item.impacts.all()]
    return (
        target_selectors.plans_visible(user)
        .filter(
            status__in=[TargetPlan.Status.APPROVED, TargetPlan.Status.ACTIVE],
            metric_id__in=metrics,
            fiscal_year__end__gte=item.effective_from,
            org_unit__path__in=_ancestor_paths([item.org_unit.path]),
        )
        .order_by("-fiscal_year__start", "metric__sort_order")
    )
