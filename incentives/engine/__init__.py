"""The incentive calculation engine: pure Python (no Django), Decimal only, fully typed.

`components` parses and validates a plan's component list; `calc` computes a statement's
lines from inputs, the what-if (the same `compute` on inputs with one more deal) and the
payout curve of the plan builder.
"""

from .calc import (
    Cell,
    Inputs,
    Line,
    attainment_pct,
    commission_amount,
    compute,
    curve,
    money,
    promotion_check,
    tiered_payout_pct,
    total,
    with_extra,
)
from .components import (
    KINDS,
    BadgeRule,
    Band,
    Commission,
    Component,
    PlanInvalid,
    Problem,
    Promotion,
    Spiff,
    Tier,
    Tiered,
    parse_components,
    validate_components,
)

__all__ = [
    "KINDS",
    "BadgeRule",
    "Band",
    "Cell",
    "Commission",
    "Component",
    "Inputs",
    "Line",
    "PlanInvalid",
    "Problem",
    "Promotion",
    "Spiff",
    "Tier",
    "Tiered",
    "attainment_pct",
    "commission_amount",
    "compute",
    "curve",
    "money",
    "parse_components",
    "promotion_check",
    "tiered_payout_pct",
    "total",
    "validate_components",
    "with_extra",
]
