"""What the children of a node add up to: the node's cells scaled by its factor.

Scaled year = round-half-up(year x factor_bp / 10000), in integers; each quarter, month and
week is then apportioned from its scaled parent by largest remainders of factor x value
(`round_to_total`). The result is period-consistent, and each scaled value differs from
factor x value by less than one unit. Used by `decompose` and `verify` alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .split import round_scaled, scale_half_up
from .trees import PeriodTree
from .types import PeriodNode

FULL = 10000  # basis points of a factor of 1


def scaled_list(values: Sequence[int], factor_bp: int, pt: PeriodTree) -> list[int]:
    """Canonical-order scaled cells (see `scaled_cells`); ValueError if `values` is not
    period-consistent (a parent differing from the sum of its children)."""
    if factor_bp == FULL:
        return list(values)
    if factor_bp < 0:
        raise ValueError("factor_bp must be >= 0")
    out = [0] * pt.size
    out[0] = scale_half_up(values[0], factor_bp)
    for p in pt.parents:
        lo, hi = pt.child_range[p]
        out[lo:hi] = round_scaled(values[lo:hi], factor_bp, out[p])
    return out


def scaled_cells(
    values: Mapping[int, int], factor_bp: int, periods: Sequence[PeriodNode] | PeriodTree
) -> dict[int, int]:
    """What a node's children must add up to, per period id, for a node with `values`.

    Scaled year = round-half-up(year·factor_bp/10000); each quarter, month and week is then
    apportioned from its scaled parent by `round_to_total` of factor·value, so the result is
    period-consistent and each scaled value is within one unit of factor x value.
    """
    pt = periods if isinstance(periods, PeriodTree) else PeriodTree(periods)
    scaled = scaled_list([values[pid] for pid in pt.ids], factor_bp, pt)
    return dict(zip(pt.ids, scaled, strict=True))
