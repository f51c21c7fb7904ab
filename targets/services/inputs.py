"""From the org tree, the calendar and history to the decomposition engine's inputs.

This is the only place where splitting touches the database for reading: it builds the owner
tree of a plan (active units of the subtree and the reps employed during the fiscal year),
the period tree, and the seeds and weights of the plan's methods. The engine itself
(`targets.engine`) is pure.

Seeds (the shape of an owner's year, per week):
- base month weights by the period method — `even` 1 per month, `working_days` the month's
  working days, `profile` its share, `manual` the root's current month values, `seasonal` the
  owner's own actuals per working day in the same months of the last three years times this
  year's working days (so a Spring Festival that moves from February to January moves the
  weight with it), blended 80/20 with the working days, and working days alone without
  history (a rep follows their unit's history: one person's is too thin);
- a month's weight is spread over its weeks by the working days the owner can work there: a rep
  hired in July or leaving in May has zero seed outside employment; a unit is zero only where
  none of its people can work.
Owner weights (the year split among siblings): `even` 1; `headcount` working days employed in
the year (a unit: the sum over its reps); `history` last year's actual; `weights` the entered
potential; `manual` the current year values.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate

from django.db.models import Q

from kpis.selectors import actuals_for
from salesgoals import workdays
from salesgoals.models import FiscalYear, OrgUnit, Period, PeriodKind, Role, User
from salesgoals.selectors import period_tree
from targets.engine import OwnerKey, OwnerNode, PeriodNode, Problem
from targets.models import OwnerMethod, OwnerType, PeriodMethod, TargetLine, TargetPlan

__all__ = ["OwnerSpec", "PlanInputs", "owner_specs", "plan_inputs", "plan_periods"]

UNIT = OwnerType.UNIT.value
REP = OwnerType.REP.value
HISTORY_YEARS = 3
# Seasonal weights: this share from history, the rest from working days, so a month without
# history (a rep who joined late last year) still gets some target and the split stays possible.
HISTORY_BLEND = 0.8


@dataclass
class OwnerSpec:
    key: OwnerKey
    parent: OwnerKey | None
    name: str
    unit_path: str
    depth: int
    hire_date: datetime.date | None = None
    leave_date: datetime.date | None = None


@dataclass
class PlanInputs:
    problem: Problem
    periods: list[Period]
    lines: dict[OwnerKey, TargetLine]
    current: dict[tuple[OwnerKey, int], int] = field(default_factory=dict)


def plan_periods(fiscal_year: FiscalYear) -> list[Period]:
    return period_tree(fiscal_year)


def owner_specs(plan: TargetPlan) -> list[OwnerSpec]:
    """The plan's owners from today's org: depth first, a unit's reps before its sub-units."""
    root = plan.org_unit
    fiscal_year = plan.fiscal_year
    units = list(
        OrgUnit.objects.filter(path__startswith=root.path)
        .order_by("path")
        .only("pk", "name", "path", "depth", "is_active")
    )
    by_path = {u.path: u for u in units}
    steplen = OrgUnit.steplen
    kept: dict[str, OrgUnit] = {}
    for unit in units:
        parent_path = unit.path[:-steplen]
        if unit.pk == root.pk or (unit.is_active and parent_path in kept):
            kept[unit.path] = unit
    reps_by_unit: dict[int, list[User]] = defaultdict(list)
    reps = (
        User.objects.filter(role=Role.REP, is_active=True, org_unit__in=list(kept.values()))
        .filter(Q(hire_date__isnull=True) | Q(hire_date__lte=fiscal_year.end))
        .filter(Q(leave_date__isnull=True) | Q(leave_date__gte=fiscal_year.start))
        .only(
            "pk",
            "username",
            "first_name",
            "last_name",
            "display_name",
            "org_unit_id",
            "hire_date",
            "leave_date",
        )
        .order_by("pk")
    )
    for rep in reps:
        reps_by_unit[rep.org_unit_id].append(rep)
    children: dict[str, list[OrgUnit]] = defaultdict(list)
    for path, unit in kept.items():
        if unit.pk != root.pk:
            children[path[:-steplen]].append(unit)

    specs: list[OwnerSpec] = []

    def visit(unit: OrgUnit, parent: OwnerKey | None, depth: int) -> None:
        key = (UNIT, unit.pk)
        specs.append(OwnerSpec(key, parent, unit.name, unit.path, depth))
        for rep in sorted(reps_by_unit.get(unit.pk, []), key=lambda r: (r.display, r.pk)):
            specs.append(
                OwnerSpec(
                    (REP, rep.pk),
                    key,
                    rep.display,
                    unit.path,
                    depth + 1,
                    rep.hire_date,
                    rep.leave_date,
                )
            )
        for child in sorted(children.get(unit.path, []), key=lambda u: (u.name, u.pk)):
            visit(child, key, depth + 1)

    visit(by_path[root.path], None, 0)
    return specs


class _Calendar:
    """Working-day counts of arbitrary spans of one fiscal year in O(1)."""

    def __init__(self, fiscal_year: FiscalYear) -> None:
        self.start = fiscal_year.start
        flags = workdays.working_day_flags(
            fiscal_year.start, fiscal_year.end, region=fiscal_year.holiday_region
        )
        self.prefix = [0, *accumulate(flags)]

    def working_days(self, start: datetime.date, end: datetime.date) -> int:
        if end < start:
            return 0
        first = max(0, (start - self.start).days)
        last = min(len(self.prefix) - 2, (end - self.start).days)
        return self.prefix[last + 1] - self.prefix[first] if last >= first else 0


def _employed_working_days(
    calendar: _Calendar, spec: OwnerSpec, start: datetime.date, end: datetime.date
) -> int:
    if spec.hire_date and spec.hire_date > start:
        start = spec.hire_date
    if spec.leave_date and spec.leave_date < end:
        end = spec.leave_date
    return calendar.working_days(start, end)


def _previous_months(plan: TargetPlan, months: list[Period]) -> dict[int, list[Period]]:
    """For each month number of this year: the same month of up to three earlier years."""
    earlier = Period.objects.filter(
        kind=PeriodKind.MONTH,
        fiscal_year__year__lt=plan.fiscal_year.year,
        fiscal_year__year__gte=plan.fiscal_year.year - HISTORY_YEARS,
    )
    by_number: dict[int, list[Period]] = defaultdict(list)
    for period in earlier:
        by_number[period.number].append(period)
    return by_number


def _seasonal_month_weights(
    plan: TargetPlan, months: list[Period], keys: set[OwnerKey]
) -> dict[OwnerKey, dict[int, float]]:
    """Actual per working day in the same months of earlier years, times this year's days."""
    previous = _previous_months(plan, months)
    past_ids = [p.pk for ps in previous.values() for p in ps]
    actuals = actuals_for(metric=plan.metric, period_ids=past_ids)
    out: dict[OwnerKey, dict[int, float]] = {}
    for key in keys:
        weights: dict[int, float] = {}
        for month in months:
            rates = [
                actuals.get((key[0], key[1], past.pk), 0) / past.working_days
                for past in previous.get(month.number, [])
                if past.working_days
            ]
            weights[month.pk] = (
                max(0.0, sum(rates) / len(rates)) * month.working_days if rates else 0.0
            )
        history_total = sum(weights.values())
        if history_total > 0:
            days_total = sum(m.working_days for m in months) or 1
            out[key] = {
                m.pk: HISTORY_BLEND * weights[m.pk] / history_total
                + (1 - HISTORY_BLEND) * m.working_days / days_total
                for m in months
            }
    return out


def _base_month_weights(
    plan: TargetPlan, months: list[Period], current: dict[tuple[OwnerKey, int], int]
) -> dict[int, float]:
    method = plan.period_method
    root = (UNIT, plan.org_unit_id)
    if method == PeriodMethod.EVEN:
        return {m.pk: 1.0 for m in months}
    if method == PeriodMethod.PROFILE and plan.profile is not None:
        shares = plan.profile.month_shares_bp
        return {m.pk: float(shares[(m.number - 1) % len(shares)]) for m in months}
    if method == PeriodMethod.MANUAL:
        manual = {m.pk: float(current.get((root, m.pk), 0)) for m in months}
        if sum(manual.values()) > 0:
            return manual
    return {m.pk: float(m.working_days) for m in months}


def _last_year_actuals(plan: TargetPlan) -> dict[OwnerKey, int]:
    year = Period.objects.filter(
        kind=PeriodKind.YEAR, fiscal_year__year=plan.fiscal_year.year - 1
    ).first()
    if year is None:
        return {}
    return {
        (t, o): v for (t, o, _p), v in actuals_for(metric=plan.metric, period_ids=[year.pk]).items()
    }


def _owner_weights(
    plan: TargetPlan,
    specs: list[OwnerSpec],
    lines: dict[OwnerKey, TargetLine],
    year_working_days: dict[OwnerKey, int],
    current: dict[tuple[OwnerKey, int], int],
    year_id: int,
) -> dict[OwnerKey, float]:
    children: dict[OwnerKey, list[OwnerSpec]] = defaultdict(list)
    for spec in specs:
        if spec.parent is not None:
            children[spec.parent].append(spec)
    headcount: dict[OwnerKey, int] = {}
    for spec in reversed(specs):  # children before parents
        if spec.key[0] == REP:
            headcount[spec.key] = year_working_days[spec.key]
        else:
            headcount[spec.key] = sum(headcount[c.key] for c in children[spec.key])
    history: dict[OwnerKey, int] | None = None
    weights: dict[OwnerKey, float] = {}
    for parent, kids in children.items():
        line = lines.get(parent)
        method = (line.owner_method if line is not None else "") or plan.owner_method
        for kid in kids:
            if method == OwnerMethod.HEADCOUNT:
                weights[kid.key] = float(headcount[kid.key])
            elif method == OwnerMethod.HISTORY:
                if history is None:
                    history = _last_year_actuals(plan)
                weights[kid.key] = float(max(0, history.get(kid.key, 0)))
            elif method == OwnerMethod.WEIGHTS:
                kid_line = lines.get(kid.key)
                weights[kid.key] = float(kid_line.weight if kid_line is not None else 100)
            elif method == OwnerMethod.MANUAL:
                weights[kid.key] = float(current.get((kid.key, year_id), 0))
            else:
                weights[kid.key] = 1.0
        if method == OwnerMethod.MANUAL and not any(weights[k.key] for k in kids):
            for kid in kids:
                weights[kid.key] = 1.0
    return weights


def plan_inputs(
    plan: TargetPlan,
    *,
    lines: list[TargetLine],
    specs: list[OwnerSpec] | None = None,
    total: int | None = None,
    extra_locks: dict[tuple[OwnerKey, int], int] | None = None,
    plan_root: TargetLine | None = None,
) -> PlanInputs:
    """The engine problem of `plan` for the given lines (owners) and their locks.

    Without `specs` the owner tree comes from the lines, the first line being the root.
    `lines` may be one unit's subtree (its line first, as the problem's root) for a local
    rebalance; `plan_root` then brings the plan root's values, which the `manual` split's
    base shape comes from, so a local solve sees exactly the seeds a full one would.
    """
    periods = plan_periods(plan.fiscal_year)
    by_line = {line.key: line for line in lines}
    if specs is None:
        root_key = lines[0].key if lines else None  # the problem's root has no parent
        specs = [
            OwnerSpec(
                line.key,
                None if line.key == root_key else line.parent_key,
                line.name,
                line.unit_path,
                line.depth,
                line.hire_date,
                line.leave_date,
            )
            for line in lines
        ]
    current: dict[tuple[OwnerKey, int], int] = {}
    locked: dict[tuple[OwnerKey, int], int] = {}
    for line in lines:
        key = line.key
        for pid, v in line.values.items():
            current[(key, int(pid))] = int(v)
        for pid in line.locked:
            locked[(key, pid)] = line.value_of(pid)
    locked.update(extra_locks or {})

    calendar = _Calendar(plan.fiscal_year)
    year = next(p for p in periods if p.kind == PeriodKind.YEAR)
    months = [p for p in periods if p.kind == PeriodKind.MONTH]
    weeks = [p for p in periods if p.kind == PeriodKind.WEEK]
    plan_root_key = (UNIT, plan.org_unit_id)
    root_values = current
    if plan_root is not None:
        root_values = {(plan_root_key, int(p)): int(v) for p, v in plan_root.values.items()}
    base = _base_month_weights(plan, months, root_values)
    own: dict[OwnerKey, dict[int, float]] = {}
    if plan.period_method == PeriodMethod.SEASONAL:
        # Units follow their own history; a rep's history is too thin to shape a year, so a
        # rep follows their unit's.
        units = {s.key for s in specs if s.key[0] == UNIT} | {plan_root_key}
        own = _seasonal_month_weights(plan, months, units)
        parent_of = {s.key: s.parent for s in specs}
        for spec in specs:
            if spec.key[0] == REP and parent_of.get(spec.key) in own:
                own[spec.key] = own[parent_of[spec.key]]
        if plan_root_key in own:
            base = (
                own.pop(plan_root_key)
                if plan_root_key not in {s.key for s in specs}
                else own[plan_root_key]
            )

    # Reps employed for only part of the year: working days they can work, week by week.
    employed: dict[OwnerKey, dict[int, int]] = {}
    year_days: dict[OwnerKey, int] = {}
    for spec in specs:
        part_year = (spec.hire_date is not None and spec.hire_date > year.start) or (
            spec.leave_date is not None and spec.leave_date < year.end
        )
        if spec.key[0] == REP and part_year:
            employed[spec.key] = {
                w.pk: _employed_working_days(calendar, spec, w.start, w.end) for w in weeks
            }
            year_days[spec.key] = _employed_working_days(calendar, spec, year.start, year.end)
        else:
            year_days[spec.key] = year.working_days

    month_of = {w.pk: w.parent_id for w in weeks}
    month_days = {m.pk: m.working_days for m in months}

    def spread(weights: dict[int, float], days: dict[int, int] | None) -> dict[int, float]:
        """Month weights over the weeks by the working days (the owner can work there)."""
        out = {}
        for week in weeks:
            m = month_of[week.pk]
            worked = days[week.pk] if days is not None else week.working_days
            out[week.pk] = weights[m] * worked / month_days[m] if month_days[m] else 0.0
        return out

    default_seed = spread(base, None)
    children: dict[OwnerKey, list[OwnerKey]] = defaultdict(list)
    for spec in specs:
        if spec.parent is not None:
            children[spec.parent].append(spec.key)
    seeds: dict[OwnerKey, dict[int, float]] = {}
    for spec in reversed(specs):  # children before their parents
        key = spec.key
        kids = children.get(key, [])
        if key in employed or key in own:
            seed = spread(own.get(key, base), employed.get(key))
            if kids and key not in employed:  # a unit's history shape, where its people work
                capacity = {w for w in default_seed if any(seeds[k][w] > 0 for k in kids)}
                seed = {w: (v if w in capacity else 0.0) for w, v in seed.items()}
            seeds[key] = seed
        elif kids and any(seeds[k] is not default_seed for k in kids):
            # A unit whose people join or leave during the year: its shape is theirs, summed,
            # so a split by headcount stays possible month by month.
            total_kids = len(kids)
            seeds[key] = {w: sum(seeds[k][w] for k in kids) / total_kids for w in default_seed}
        else:
            seeds[key] = default_seed

    owner_weights = _owner_weights(plan, specs, by_line, year_days, current, year.pk)
    factors = {line.key: line.over_assignment_bp for line in lines if line.owner_type == UNIT}
    factors[(UNIT, plan.org_unit_id)] = plan.over_assignment_bp
    problem = Problem(
        periods=[
            PeriodNode(id=p.pk, kind=p.kind, parent=p.parent_id, working_days=p.working_days)
            for p in periods
        ],
        owners=[OwnerNode(key=s.key, parent=s.parent) for s in specs],
        total=plan.value if total is None else total,
        seeds=seeds,
        owner_weights=owner_weights,
        locked=locked,
        factor_bp=factors,
    )
    return PlanInputs(problem=problem, periods=periods, lines=by_line, current=current)
