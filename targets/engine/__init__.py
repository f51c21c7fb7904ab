"""The decomposition engine: pure functions over integers (no Django, no ORM).

Public API:
- types: `OwnerKey`, `CellKey`, `Allocation`, `PeriodNode`, `OwnerNode`, `Problem`,
  `SplitImpossible`;
- `split(total, weights, locked, fixed)` — the exact-sum split;
- `round_to_total(exact, total)` — largest-remainder rounding to a given sum;
- `fit_block(row_sums, col_sums, seed, locked)` — two-dimensional fit (RAS + controlled
  rounding), both margins exact;
- `decompose(problem, *, current=None, from_owner=None)` — the full top-down allocation;
- `scaled_cells(values, factor_bp, periods)` — what a node's children must add up to;
- `inherit(problem, overrides)` — non-additive metrics: values inherited, not split;
- `verify(problem, allocation)` — the invariants, as human-readable violations;
- `PeriodTree`, `OwnerTree` — validated, indexed views of the two trees.
"""

from .decompose import decompose
from .fit import fit_block
from .inherit import inherit
from .scaling import scaled_cells
from .split import round_to_total, split
from .trees import OwnerTree, PeriodTree
from .types import (
    Allocation,
    CellKey,
    OwnerKey,
    OwnerNode,
    PeriodNode,
    Problem,
    SplitImpossible,
)
from .verify import verify

__all__ = [
    "Allocation",
    "CellKey",
    "OwnerKey",
    "OwnerNode",
    "OwnerTree",
    "PeriodNode",
    "PeriodTree",
    "Problem",
    "SplitImpossible",
    "decompose",
    "fit_block",
    "inherit",
    "round_to_total",
    "scaled_cells",
    "split",
    "verify",
]
