"""What a statement is computed from: the one place incentives reads other apps.

KPI cells come through `kpis.selectors.kpi_cells_of` (the cells measuring each person of a
batch, in one query; who may see a statement is decided on the statement), won deals through
`kpis.selectors.deal_list`, certifications through `training.selectors.valid_certifications`
(incentives may read training; training never reads incentives). Everything is converted to
the engine's `Decimal` inputs here: currency metrics from minor units to the currency unit,
counts as counts, rates from basis points to percent.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from incentives.engine import Cell, Inputs, attainment_pct
from kpis.models import OwnerType
from salesgoals.models import Metric, Period, Role, User

Key = tuple[int, str, int]  # (person id, metric code, period id)


def _decimal(value: int | None, unit: str) -> Decimal | None:
    if value is None:
        return None
    if unit == Metric.Unit.CURRENCY:
        return Decimal(int(value)).scaleb(-2)
    if unit == Metric.Unit.PERCENT:
        return Decimal(int(value)).scaleb(-2)  # basis points → percent
    return Decimal(int(value))


def measured_owner(person: User) -> tuple[str, int]:
    """Whose cells measure the person: a rep's own; a manager's or executive's home unit."""
    if person.role in (Role.MANAGER, Role.EXECUTIVE) and person.org_unit_id:
        return OwnerType.UNIT, person.org_unit_id
    return OwnerType.REP, person.pk


def kpi_cells(
    people: Sequence[User], metric_codes: Iterable[str], period_ids: Iterable[int]
) -> dict[Key, Cell]:
    """The cells measuring each person (see `measured_owner`), keyed by person, in one query."""
    from kpis.selectors import kpi_cells_of

    codes, periods = set(metric_codes), set(period_ids)
    if not people or not codes or not periods:
        return {}
    owners: dict[tuple[str, int], list[int]] = {}
    for person in people:
        owners.setdefault(measured_owner(person), []).append(person.pk)
    rows = (
        kpi_cells_of(owners)
        .filter(metric__code__in=codes, period_id__in=periods)
        .values_list(
            "owner_type",
            "owner_id",
            "metric__code",
            "metric__unit",
            "period_id",
            "actual",
            "target",
        )
    )
    cells: dict[Key, Cell] = {}
    for owner_type, owner_id, code, unit, period, actual, target in rows:
        cell = Cell(_decimal(actual, unit) or Decimal(0), _decimal(target, unit))
        for person_id in owners.get((owner_type, owner_id), ()):
            cells[(person_id, code, period)] = cell
    return cells


def won_deal_amounts(person: User, period: Period) -> tuple[Decimal, ...]:
    """Amounts of the deals the person owns that were won in the period (SPIFF events)."""
    from kpis.selectors import deal_list

    deals = deal_list(
        user=person, owner=person, status="won", date_from=period.start, date_to=period.end
    )
    return tuple(Decimal(int(a)).scaleb(-2) for a in deals.values_list("amount_minor", flat=True))


def won_deals_by_period(
    people: Sequence[User], periods: Sequence[Period]
) -> dict[tuple[int, int], tuple[Decimal, ...]]:
    """{(person id, period id): amounts of the deals they own won in it} — one query."""
    from kpis.models import Deal
    from kpis.selectors import facts_visible

    if not people or not periods:
        return {}
    queryset = None
    for person in people:
        own = facts_visible(person, Deal)
        queryset = own if queryset is None else queryset | own
    rows = queryset.filter(
        owner_id__in=[p.pk for p in people],
        status="won",
        close_date__gte=min(p.start for p in periods),
        close_date__lte=max(p.end for p in periods),
    ).values_list("owner_id", "close_date", "amount_minor")
    found: dict[tuple[int, int], list[Decimal]] = {}
    for owner_id, day, amount in rows.order_by("close_date", "pk"):
        for period in periods:
            if period.start <= day <= period.end:
                found.setdefault((owner_id, period.pk), []).append(Decimal(int(amount)).scaleb(-2))
    return {key: tuple(values) for key, values in found.items()}


def certifications(user_ids: Iterable[int], on: datetime.date) -> dict[int, set[str]]:
    """Course codes with a certification valid on the date, per person (empty without training)."""
    try:
        from training.selectors import valid_certifications
    except ImportError:  # training not installed yet: nobody holds a certification
        return {}
    return valid_certifications(list(user_ids), on)


def previous_periods(period: Period, count: int) -> list[Period]:
    """The `count` periods of the same kind before `period`, oldest first."""
    if count <= 0:
        return []
    rows = Period.objects.filter(kind=period.kind, end__lt=period.start).order_by("-start")
    return list(reversed(rows[:count]))


def build_inputs(
    person: User,
    period: Period,
    *,
    metrics: set[str],
    history_metrics: dict[str, int],
    spiff_deals: bool,
    contest_wins: int = 0,
    cells: dict[Key, Cell] | None = None,
    earlier: list[Period] | None = None,
    held: set[str] | None = None,
    deals: dict[tuple[int, int], tuple[Decimal, ...]] | None = None,
    money_only: bool = False,
) -> Inputs:
    """The engine's inputs for one person and period.

    `history_metrics` maps a metric to how many earlier periods the promotion rule needs.
    Batches pass what they read once for everyone (`cells`, `earlier` periods, the person's
    certifications `held`); `money_only` skips what never changes an amount (the promotion
    history and certifications), for recomputing totals.
    """
    if money_only:
        history_metrics = {}
    depth = max(history_metrics.values(), default=0)
    if earlier is None:
        earlier = previous_periods(period, depth)
    earlier = earlier[len(earlier) - depth :] if depth else []
    all_metrics = metrics | set(history_metrics)
    if cells is None:
        cells = kpi_cells([person], all_metrics, [period.pk, *(p.pk for p in earlier)])
    current = {code: cells.get((person.pk, code, period.pk), Cell(Decimal(0))) for code in metrics}
    history: dict[str, tuple[Decimal | None, ...]] = {}
    for code, n in history_metrics.items():
        values = []
        for p in earlier[len(earlier) - n :] if n else []:
            cell = cells.get((person.pk, code, p.pk))
            values.append(attainment_pct(cell.actual, cell.target) if cell else None)
        history[code] = tuple(values)
    if not history_metrics:
        held = set()
    elif held is None:
        held = certifications([person.pk], period.end).get(person.pk, set())
    return Inputs(
        cells=current,
        won_deals=(
            ()
            if not spiff_deals
            else deals.get((person.pk, period.pk), ())
            if deals is not None
            else won_deal_amounts(person, period)
        ),
        contest_wins=contest_wins,
        history=history,
        certifications=frozenset(held),
    )
