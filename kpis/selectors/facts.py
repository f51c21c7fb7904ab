"""Reads of sales facts: scoped, pre-joined querysets for every list, and the drill-down.

Scope (PRODUCT.md, `salesgoals.scope`): a rep sees the facts they own, and deals they hold a
credit share of; a manager sees facts whose unit (as of the fact's date) is in their
subtree, plus their own and deals credited into the subtree; executives and admins see all.
Soft-deleted facts are never listed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Exists,
    Min,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Least
from django.http import Http404
from django.shortcuts import get_object_or_404

from kpis.models import Activity, Customer, Deal, DealShare, Fact, Lead, Order, Payment
from salesgoals import scope
from salesgoals.models import Metric, OrgUnit, Period, Role, User

__all__ = [
    "FACT_DATE_FIELD",
    "FACT_MODELS",
    "FactDrilldown",
    "activity_list",
    "customer_first_won_dates",
    "customer_list",
    "deal_list",
    "fact_can_edit",
    "fact_can_view",
    "fact_detail_queryset",
    "fact_filter",
    "fact_get_for_user",
    "fact_list",
    "facts_editable",
    "facts_for",
    "facts_visible",
    "lead_list",
    "order_list",
    "payment_list",
]

M = TypeVar("M", bound=Fact)

FACT_MODELS: dict[str, type[Fact]] = {
    Metric.Fact.CUSTOMER: Customer,
    Metric.Fact.LEAD: Lead,
    Metric.Fact.DEAL: Deal,
    Metric.Fact.ORDER: Order,
    Metric.Fact.PAYMENT: Payment,
    Metric.Fact.ACTIVITY: Activity,
}

# The date that places each kind of fact in a period, for lists and their date filters.
FACT_DATE_FIELD: dict[type[Model], str] = {
    Customer: "created_date",
    Lead: "created_date",
    Deal: "close_date",
    Order: "order_date",
    Payment: "payment_date",
    Activity: "activity_date",
}

SEARCH_FIELDS: dict[type[Model], tuple[str, ...]] = {
    Customer: ("name", "industry", "city", "external_id"),
    Lead: ("name", "company", "external_id"),
    Deal: ("name", "customer__name", "stage", "external_id"),
    Order: ("number", "customer__name", "deal__name", "external_id"),
    Payment: ("reference", "customer__name", "order__number", "external_id"),
    Activity: ("subject", "customer__name", "deal__name", "external_id"),
}

RELATED: dict[type[Model], tuple[str, ...]] = {
    Customer: ("owner", "org_unit"),
    Lead: ("owner", "org_unit", "customer"),
    Deal: ("owner", "org_unit", "customer"),
    Order: ("owner", "org_unit", "customer", "deal"),
    Payment: ("owner", "org_unit", "customer", "order"),
    Activity: ("owner", "org_unit", "customer", "deal"),
}


def _shares_prefetch() -> Prefetch:
    return Prefetch(
        "shares",
        queryset=DealShare.objects.select_related("user", "org_unit").order_by(
            "-share_bp", "user_id"
        ),
    )


def _prejoined(queryset: QuerySet[M]) -> QuerySet[M]:
    model = queryset.model
    queryset = queryset.select_related(*RELATED[model])
    if model is Deal:
        queryset = queryset.prefetch_related(_shares_prefetch())
    return queryset


# --- Scope ------------------------------------------------------------------------------


def _scope_q(user: User, model: type[Model]) -> Q | None:
    """None: everything; else the condition for the facts `user` may see."""
    if scope.sees_everything(user):
        return None
    condition = Q(owner=user)
    roots = scope.managed_roots(user) if user.role == Role.MANAGER else []
    if roots:
        condition |= OrgUnit.subtree_q(roots, "org_unit__path")
    if model is Deal:
        credited = Q(user=user)
        if roots:
            credited |= OrgUnit.subtree_q(roots, "org_unit__path")
        condition |= Q(Exists(DealShare.objects.filter(credited, deal=OuterRef("pk"))))
    return condition


def facts_visible(user: User, model: type[M]) -> QuerySet[M]:
    """The live facts of one kind that `user` may see (not pre-joined)."""
    queryset = model.objects.alive()
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    condition = _scope_q(user, model)
    return queryset if condition is None else queryset.filter(condition)


def fact_can_view(user: User, fact: Fact) -> bool:
    if scope.can_view(user, fact):
        return True
    if isinstance(fact, Deal) and user.is_authenticated and user.is_active:
        return facts_visible(user, Deal).filter(pk=fact.pk).exists()
    return False


def fact_can_edit(user: User, fact: Fact) -> bool:
    """Owners' data rule of `scope.can_edit`: reps their own, managers their subtree."""
    return scope.can_edit(user, fact)


def facts_editable(user: User, facts: Iterable[Fact]) -> set[int]:
    """Ids of the given facts `user` may change, as `scope.can_edit` decides, in one query.

    For lists: the facts come pre-joined with their unit, so nothing is asked per row.
    """
    rows = list(facts)
    if not user.is_authenticated or not user.is_active:
        return set()
    if scope.sees_everything(user):
        return {f.pk for f in rows}
    if user.role == Role.MANAGER:
        roots = scope.managed_roots(user)
        return {f.pk for f in rows if any(f.org_unit.path.startswith(p) for p in roots)}
    return {f.pk for f in rows if f.owner_id == user.pk}


def fact_detail_queryset(model: type[M]) -> QuerySet[M]:
    """Every live fact of a kind, pre-joined, unscoped: look up first, then check the scope
    (so that out of scope is 403 and unknown is 404)."""
    return _prejoined(model.objects.alive())


def fact_get_for_user(*, user: User, model: type[M], pk: Any, edit: bool = False) -> M:
    """One live fact, pre-joined: 404 if unknown or deleted, 403 outside the user's scope."""
    fact = get_object_or_404(fact_detail_queryset(model), pk=pk)
    allowed = fact_can_edit(user, fact) if edit else fact_can_view(user, fact)
    if not allowed:
        raise PermissionDenied
    return fact


# --- Lists ------------------------------------------------------------------------------


def _pk_of(value: Any) -> Any:
    return getattr(value, "pk", value)


def fact_filter(
    queryset: QuerySet[M],
    *,
    owner: User | int | None = None,
    org_unit: OrgUnit | int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    status: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    customer: Customer | int | None = None,
    search: str | None = None,
) -> QuerySet[M]:
    """Narrow a fact list: owner, unit subtree (the fact's unit), its date, status, text."""
    model = queryset.model
    if owner:
        queryset = queryset.filter(owner_id=_pk_of(owner))
    if org_unit:
        unit = org_unit
        if not isinstance(unit, OrgUnit):
            unit = OrgUnit.objects.filter(pk=unit).only("path").first()
        if unit is None:
            return queryset.none()
        queryset = queryset.filter(org_unit__path__startswith=unit.path)
    date_field = FACT_DATE_FIELD[model]
    if date_from:
        queryset = queryset.filter(**{f"{date_field}__gte": date_from})
    if date_to:
        queryset = queryset.filter(**{f"{date_field}__lte": date_to})
    if status and hasattr(model, "Status"):
        queryset = queryset.filter(status=status)
    if kind and model is Activity:
        queryset = queryset.filter(kind=kind)
    if source:
        queryset = queryset.filter(source=source)
    if customer and model is not Customer:
        queryset = queryset.filter(customer_id=_pk_of(customer))
    text = (search or "").strip()
    if text:
        condition = Q()
        for field in SEARCH_FIELDS[model]:
            condition |= Q(**{f"{field}__icontains": text})
        queryset = queryset.filter(condition)
    return queryset


def fact_list(*, user: User, model: type[M], **filters: Any) -> QuerySet[M]:
    """Scoped, filtered, pre-joined, newest first (the fact's date, then id)."""
    queryset = fact_filter(facts_visible(user, model), **filters)
    date_field = FACT_DATE_FIELD[model]
    return _prejoined(queryset).order_by(f"-{date_field}", "-pk")


def customer_list(*, user: User, **filters: Any) -> QuerySet[Customer]:
    return fact_list(user=user, model=Customer, **filters)


def lead_list(*, user: User, **filters: Any) -> QuerySet[Lead]:
    return fact_list(user=user, model=Lead, **filters)


def deal_list(*, user: User, **filters: Any) -> QuerySet[Deal]:
    """Deals with owner, unit and customer joined and credit shares (with people) prefetched."""
    return fact_list(user=user, model=Deal, **filters)


def order_list(*, user: User, **filters: Any) -> QuerySet[Order]:
    return fact_list(user=user, model=Order, **filters)


def payment_list(*, user: User, **filters: Any) -> QuerySet[Payment]:
    return fact_list(user=user, model=Payment, **filters)


def activity_list(*, user: User, **filters: Any) -> QuerySet[Activity]:
    return fact_list(user=user, model=Activity, **filters)


# --- Customers' first won deal or order (new customers) ----------------------------------


def customer_first_won_dates(customer_ids: Iterable[int]) -> dict[int, datetime.date]:
    """Date of each customer's first won deal or order (live facts only): `new_customers`."""
    ids = list(set(customer_ids))
    if not ids:
        return {}
    firsts: dict[int, datetime.date] = {}
    won = (
        Deal.objects.alive()
        .filter(status=Deal.Status.WON, customer_id__in=ids)
        .values("customer_id")
        .annotate(first=Min("close_date"))
        .values_list("customer_id", "first")
    )
    ordered = (
        Order.objects.alive()
        .filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(first=Min("order_date"))
        .values_list("customer_id", "first")
    )
    for rows in (won, ordered):
        for customer_id, day in rows.order_by():
            if day is not None and (customer_id not in firsts or day < firsts[customer_id]):
                firsts[customer_id] = day
    return firsts


# --- Drill-down ---------------------------------------------------------------------------


@dataclass
class FactDrilldown:
    """The facts behind one KPI cell.

    For deal metrics `rows` are `DealShare`s (each with its deal, person and unit joined):
    one row per credit share counted in the cell. Otherwise `rows` are the facts; for
    `new_customers` customers annotated with `first_won_date`, for `retention_rate` the
    customers who bought in the previous period, annotated with `retained`.
    """

    metric: Metric
    owner_type: str
    owner: User | OrgUnit
    start: datetime.date
    end: datetime.date
    rows: QuerySet[Any]
    via_shares: bool
    previous: tuple[datetime.date, datetime.date] | None = None


def _owner_for(owner_type: str, owner_id: Any, user: User) -> User | OrgUnit:
    if owner_type == "rep":
        owner: User | OrgUnit = get_object_or_404(
            User.objects.select_related("org_unit"), pk=owner_id
        )
    elif owner_type == "unit":
        owner = get_object_or_404(OrgUnit, pk=owner_id)
    else:
        raise Http404("owner_type must be 'rep' or 'unit'")
    if not scope.can_view(user, owner):
        raise PermissionDenied
    return owner


def _owned(owner: User | OrgUnit, prefix: str = "") -> Q:
    if isinstance(owner, User):
        field = "user_id" if prefix == "share" else "owner_id"
        return Q(**{field: owner.pk})
    return Q(org_unit__path__startswith=owner.path)


def _previous_span(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The previous period of the same kind, or the same number of days just before."""
    period = Period.objects.filter(start=start, end=end).only("kind").first()
    if period is not None:
        before = (
            Period.objects.filter(kind=period.kind, end__lt=start)
            .order_by("-end")
            .only("start", "end")
            .first()
        )
        if before is not None:
            return before.start, before.end
    length = end - start
    prev_end = start - datetime.timedelta(days=1)
    return prev_end - length, prev_end


def _deal_conditions(metric: Metric, start: datetime.date, end: datetime.date) -> Q:
    code = metric.code
    span = {"deal__close_date__gte": start, "deal__close_date__lte": end}
    if code in ("revenue", "deals_won", "avg_deal_size"):
        return Q(deal__status=Deal.Status.WON, **span)
    if code == "conversion_rate":
        return Q(deal__status__in=[Deal.Status.WON, Deal.Status.LOST], **span)
    if code == "pipeline_created":
        return Q(deal__created_date__gte=start, deal__created_date__lte=end)
    field = metric.date_field or "close_date"
    condition = Q(**{f"deal__{field}__gte": start, f"deal__{field}__lte": end})
    if isinstance(metric.filters, dict) and metric.filters:
        condition &= Q(**{f"deal__{k}": v for k, v in metric.filters.items()})
    return condition


def facts_for(
    metric_code: str,
    owner_type: str,
    owner_id: Any,
    start: datetime.date,
    end: datetime.date,
    user: User,
) -> FactDrilldown:
    """The facts (and credit shares, for deal metrics) that make up one KPI cell.

    `owner_type` is "rep" (facts credited to that person) or "unit" (facts whose unit as of
    their date lies in that unit's subtree). 404 for an unknown metric or owner, 403 if the
    owner is outside the user's scope; rows the user may not see are left out.
    """
    metric = get_object_or_404(Metric, code=metric_code)
    owner = _owner_for(owner_type, owner_id, user)
    drill = FactDrilldown(metric, owner_type, owner, start, end, DealShare.objects.none(), False)
    everything = scope.sees_everything(user)

    if metric.fact == Metric.Fact.DEAL:
        rows = DealShare.objects.filter(
            _owned(owner, "share"),
            _deal_conditions(metric, start, end),
            deal__deleted_at__isnull=True,
        )
        if not everything:
            rows = rows.filter(deal__in=facts_visible(user, Deal).values("pk"))
        drill.rows = rows.select_related(
            "deal", "deal__customer", "deal__owner", "user", "org_unit"
        ).order_by("-deal__close_date", "-deal_id", "user_id")
        drill.via_shares = True
        return drill

    model = FACT_MODELS[metric.fact]
    if metric.code == "new_customers":
        firsts = _first_won_expression()
        rows = (
            Customer.objects.alive()
            .filter(_owned(owner))
            .annotate(first_won_date=firsts)
            .filter(first_won_date__gte=start, first_won_date__lte=end)
        )
        order_field = "first_won_date"
    elif metric.code == "retention_rate":
        prev_start, prev_end = _previous_span(start, end)
        drill.previous = (prev_start, prev_end)
        orders = Order.objects.alive().filter(_owned(owner))
        if not everything:
            orders = orders.filter(pk__in=facts_visible(user, Order).values("pk"))
        bought_before = orders.filter(order_date__gte=prev_start, order_date__lte=prev_end)
        bought_now = orders.filter(
            order_date__gte=start, order_date__lte=end, customer_id=OuterRef("pk")
        )
        rows = Customer.objects.filter(pk__in=bought_before.values("customer_id")).annotate(
            retained=Exists(bought_now)
        )
        drill.rows = rows.select_related("owner", "org_unit").order_by("name", "pk")
        return drill
    else:
        date_field = metric.date_field or FACT_DATE_FIELD[model]
        rows = model.objects.alive().filter(
            _owned(owner), **{f"{date_field}__gte": start, f"{date_field}__lte": end}
        )
        if isinstance(metric.filters, dict) and metric.filters and not metric.is_system:
            rows = rows.filter(**metric.filters)
        order_field = date_field
    if not everything:
        rows = rows.filter(pk__in=facts_visible(user, model).values("pk"))
    drill.rows = _prejoined(rows).order_by(f"-{order_field}", "-pk")
    return drill


def _first_won_expression() -> Any:
    """SQL for a customer's first won deal or order date (NULL if none)."""
    won = (
        Deal.objects.alive()
        .filter(customer_id=OuterRef("pk"), status=Deal.Status.WON)
        .order_by()
        .values("customer_id")
        .annotate(first=Min("close_date"))
        .values("first")
    )
    ordered = (
        Order.objects.alive()
        .filter(customer_id=OuterRef("pk"))
        .order_by()
        .values("customer_id")
        .annotate(first=Min("order_date"))
        .values("first")
    )
    first_won, first_order = Subquery(won), Subquery(ordered)
    # LEAST is NULL if any argument is NULL (PostgreSQL ignores NULLs, SQLite does not).
    return Least(Coalesce(first_won, first_order), Coalesce(first_order, first_won))
