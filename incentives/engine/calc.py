"""The payout calculation: one pure function for statements, what-if and the curve preview.

Every line carries its inputs and a formula in plain arithmetic, so a rep can redo it by hand.
Rounding happens in exactly two places: attainment to 0.01 percentage point (the number the
rep sees is the number used) and each line's amount to the cent (half up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .components import (
    HUNDRED,
    BadgeRule,
    Commission,
    Component,
    Promotion,
    Spiff,
    Tiered,
)

CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Cell:
    """A metric for the person and period: actual and target (currency or count)."""

    actual: Decimal
    target: Decimal | None = None


@dataclass(frozen=True)
class Inputs:
    cells: dict[str, Cell] = field(default_factory=dict)
    #: Amounts of the deals won in the period (SPIFF events).
    won_deals: tuple[Decimal, ...] = ()
    contest_wins: int = 0
    #: Attainment % of the periods before this one, oldest first, per metric (promotion).
    history: dict[str, tuple[Decimal | None, ...]] = field(default_factory=dict)
    certifications: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Line:
    key: str
    kind: str
    label: str
    amount: Decimal
    inputs: dict[str, str]
    formula: str
    #: badges and promotion: earned / eligible; money lines: None.
    achieved: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def num(value: Decimal | None) -> str:
    """A decimal as short text: 50 → "50", 1.50 → "1.5", money keeps its cents elsewhere."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return text


def cents(value: Decimal) -> str:
    return format(money(value), "f")


def attainment_pct(actual: Decimal, target: Decimal | None) -> Decimal | None:
    """actual ÷ target in percent, rounded to 0.01 (None without a positive target)."""
    if target is None or target <= 0:
        return None
    return (actual * HUNDRED / target).quantize(CENT, rounding=ROUND_HALF_UP)


def tiered_payout_pct(plan: Tiered, attainment: Decimal) -> tuple[Decimal, list[str]]:
    """Payout in percent of the target amount at `attainment`, with the terms that made it."""
    if attainment < plan.threshold_pct:
        return ZERO, []
    payout, terms = ZERO, []
    for band in plan.bands:
        if attainment < band.from_pct:
            break
        if band.step_pct:
            payout += band.step_pct
            terms.append(num(band.step_pct))
        if band.mode != "linear" or not band.rate:
            continue
        top = attainment if band.to_pct is None else min(attainment, band.to_pct)
        # Split the band at 100%: the accelerator multiplies the rate above it.
        pieces = [(band.from_pct, top)]
        if plan.accelerator != 1 and band.from_pct < HUNDRED < top:
            pieces = [(band.from_pct, HUNDRED), (HUNDRED, top)]
        for lo, hi in pieces:
            if hi <= lo:
                continue
            factor = plan.accelerator if lo >= HUNDRED else Decimal(1)
            payout += (hi - lo) * band.rate * factor
            term = f"({num(hi)} − {num(lo)}) × {num(band.rate)}"
            if factor != 1:
                term += f" × {num(factor)}"
            terms.append(term)
    return payout, terms


def _tiered(plan: Tiered, inputs: Inputs) -> Line:
    cell = inputs.cells.get(plan.metric, Cell(ZERO))
    attainment = attainment_pct(cell.actual, cell.target)
    facts = {
        "metric": plan.metric,
        "actual": num(cell.actual),
        "target": num(cell.target),
        "attainment_pct": num(attainment),
        "threshold_pct": num(plan.threshold_pct),
        "target_amount": cents(plan.target_amount),
        "accelerator": num(plan.accelerator),
        "cap_pct": num(plan.cap_pct),
    }
    if attainment is None:
        return Line(plan.key, plan.kind, plan.label, ZERO, facts, "no target → 0.00")
    head = f"attainment = {num(cell.actual)} ÷ {num(cell.target)} = {num(attainment)}%"
    if attainment < plan.threshold_pct:
        formula = f"{head}; {num(attainment)}% < {num(plan.threshold_pct)}% → 0.00"
        facts["payout_pct"] = "0"
        return Line(plan.key, plan.kind, plan.label, ZERO, facts, formula)
    payout, terms = tiered_payout_pct(plan, attainment)
    raw = payout
    parts = [head, f"payout % = {' + '.join(terms) or '0'} = {num(raw)}%"]
    if plan.cap_pct is not None and payout > plan.cap_pct:
        payout = plan.cap_pct
        parts.append(f"min({num(raw)}%, cap {num(plan.cap_pct)}%) = {num(payout)}%")
    amount = money(plan.target_amount * payout / HUNDRED)
    parts.append(f"{cents(plan.target_amount)} × {num(payout)}% = {cents(amount)}")
    facts["payout_pct"] = num(payout)
    return Line(plan.key, plan.kind, plan.label, amount, facts, "; ".join(parts))


def commission_amount(plan: Commission, actual: Decimal) -> tuple[Decimal, list[str]]:
    total, terms = ZERO, []
    for tier in plan.tiers:
        if actual <= tier.from_amount:
            break
        top = actual if tier.to_amount is None else min(actual, tier.to_amount)
        total += (top - tier.from_amount) * tier.rate_pct / HUNDRED
        terms.append(f"({num(top)} − {num(tier.from_amount)}) × {num(tier.rate_pct)}%")
    return total, terms


def _commission(plan: Commission, inputs: Inputs) -> Line:
    cell = inputs.cells.get(plan.metric, Cell(ZERO))
    actual = max(cell.actual, ZERO)
    raw, terms = commission_amount(plan, actual)
    amount = money(raw)
    rates = ", ".join(
        f"{num(t.from_amount)}–{num(t.to_amount) if t.to_amount is not None else '∞'}: "
        f"{num(t.rate_pct)}%"
        for t in plan.tiers
    )
    facts = {"metric": plan.metric, "actual": num(cell.actual), "tiers": rates}
    formula = f"{' + '.join(terms) or '0'} = {cents(amount)}"
    return Line(plan.key, plan.kind, plan.label, amount, facts, formula)


def _spiff(plan: Spiff, inputs: Inputs) -> Line:
    if plan.event == "contest_win":
        count = inputs.contest_wins
        facts = {"event": plan.event, "wins": str(count)}
    else:
        count = sum(1 for deal in inputs.won_deals if deal >= plan.min_deal_amount)
        facts = {
            "event": plan.event,
            "deals_won": str(len(inputs.won_deals)),
            "min_deal_amount": cents(plan.min_deal_amount),
            "qualifying": str(count),
        }
    paid = count if plan.max_count is None else min(count, plan.max_count)
    facts["amount_each"] = cents(plan.amount)
    if plan.max_count is not None:
        facts["max_count"] = str(plan.max_count)
    amount = money(plan.amount * paid)
    formula = f"{paid} × {cents(plan.amount)} = {cents(amount)}"
    if paid != count:
        formula = f"min({count}, {plan.max_count}) = {paid}; {formula}"
    return Line(plan.key, plan.kind, plan.label, amount, facts, formula)


def _badge(plan: BadgeRule, inputs: Inputs) -> Line:
    cell = inputs.cells.get(plan.metric, Cell(ZERO))
    attainment = attainment_pct(cell.actual, cell.target)
    earned = attainment is not None and attainment >= plan.min_attainment_pct
    facts = {
        "metric": plan.metric,
        "badge": plan.badge,
        "attainment_pct": num(attainment),
        "min_attainment_pct": num(plan.min_attainment_pct),
    }
    sign = "≥" if earned else "<"
    formula = f"{num(attainment)}% {sign} {num(plan.min_attainment_pct)}%"
    return Line(
        plan.key, plan.kind, plan.label, ZERO, facts, formula, earned, {"badge": plan.badge}
    )


def promotion_check(
    plan: Promotion, attainments: Sequence[Decimal | None], held: frozenset[str]
) -> tuple[int, list[str], bool]:
    """(streak of periods at or above the level, ending with the last; missing courses; ok)."""
    streak = 0
    for value in reversed(attainments):
        if value is None or value < plan.level_pct:
            break
        streak += 1
    missing = [code for code in plan.required_course_codes if code not in held]
    return streak, missing, streak >= plan.periods and not missing


def _promotion(plan: Promotion, inputs: Inputs) -> Line:
    cell = inputs.cells.get(plan.metric, Cell(ZERO))
    current = attainment_pct(cell.actual, cell.target)
    series = (*inputs.history.get(plan.metric, ()), current)
    streak, missing, eligible = promotion_check(plan, series, inputs.certifications)
    held = [c for c in plan.required_course_codes if c in inputs.certifications]
    facts = {
        "metric": plan.metric,
        "level_pct": num(plan.level_pct),
        "periods": str(plan.periods),
        "attainments": ", ".join(f"{num(v)}%" if v is not None else "—" for v in series),
        "streak": str(streak),
        "certifications_required": ", ".join(plan.required_course_codes) or "—",
        "certifications_held": ", ".join(held) or "—",
        "certifications_missing": ", ".join(missing) or "—",
    }
    formula = (
        f"streak {streak} {'≥' if streak >= plan.periods else '<'} {plan.periods}; "
        f"missing certifications: {len(missing)}"
    )
    detail = {"streak": streak, "missing": missing}
    return Line(plan.key, plan.kind, plan.label, ZERO, facts, formula, eligible, detail)


def compute(components: Sequence[Component], inputs: Inputs) -> list[Line]:
    """Every component's line for one person and period."""
    lines: list[Line] = []
    for component in components:
        if isinstance(component, Tiered):
            lines.append(_tiered(component, inputs))
        elif isinstance(component, Commission):
            lines.append(_commission(component, inputs))
        elif isinstance(component, Spiff):
            lines.append(_spiff(component, inputs))
        elif isinstance(component, BadgeRule):
            lines.append(_badge(component, inputs))
        elif isinstance(component, Promotion):
            lines.append(_promotion(component, inputs))
    return lines


def total(lines: Sequence[Line]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


#: Metrics a closed deal adds to in the what-if: its amount to revenue, one to deals won.
WHAT_IF_AMOUNT_METRICS = ("revenue",)
WHAT_IF_COUNT_METRICS = ("deals_won",)


def with_extra(inputs: Inputs, extra: Decimal) -> Inputs:
    """The inputs as if one more deal of `extra` were won before the period ends."""
    if extra <= 0:
        return inputs
    cells = dict(inputs.cells)
    for code in WHAT_IF_AMOUNT_METRICS:
        cell = cells.get(code, Cell(ZERO))
        cells[code] = replace(cell, actual=cell.actual + extra)
    for code in WHAT_IF_COUNT_METRICS:
        if code in cells:
            cells[code] = replace(cells[code], actual=cells[code].actual + 1)
    return replace(inputs, cells=cells, won_deals=(*inputs.won_deals, extra))


def curve(plan: Tiered, *, upto: int = 200, step: int = 1) -> list[tuple[Decimal, Decimal]]:
    """(attainment %, payout amount) from 0 to `upto`% — the plan builder's preview.

    Whole percentages, plus the point just below each band start (and the threshold), so
    steps are drawn as steps.
    """
    xs = {Decimal(a) for a in range(0, upto + 1, step)}
    for edge in (plan.threshold_pct, *(b.from_pct for b in plan.bands)):
        if 0 < edge <= upto:
            xs.add(edge - CENT)
            xs.add(edge)
    points: list[tuple[Decimal, Decimal]] = []
    for attainment in sorted(xs):
        payout, _ = tiered_payout_pct(plan, attainment)
        if plan.cap_pct is not None:
            payout = min(payout, plan.cap_pct)
        points.append((attainment, money(plan.target_amount * payout / HUNDRED)))
    return points
