"""The exact-sum split and largest-remainder rounding, in integer arithmetic.

`split(total, weights, locked, fixed)`: locked indices get exactly their value; the remainder
R = total - Σlocked - Σfixed(unlocked) is shared among the unlocked indices by weight: each gets
fixed_i + floor(R·w_i/W), then the leftover units go one each to the largest fractional
remainders, ties to the lower index. Weights are made exact integers first (a float is an exact
binary fraction, so all weights are put over their least common denominator), hence the result
never depends on float rounding. When all unlocked weights are zero and R > 0 the remainder is
shared evenly over the unlocked indices (documented fallback: the caller asked for R to be
placed somewhere and nothing says where).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType

from .types import SplitImpossible

_NO_LOCKS: Mapping[int, int] = MappingProxyType({})


def exact_weights(weights: Sequence[int | float | Fraction]) -> list[int]:
    """Non-negative weights as integers with the same ratios (exact, deterministic)."""
    if all(type(w) is int for w in weights):
        out = [int(w) for w in weights]
        if any(w < 0 for w in out):
            raise ValueError("weights must be >= 0")
        return out
    fractions = []
    for w in weights:
        f = Fraction(w)  # exact for floats; raises on nan / inf
        if f < 0:
            raise ValueError("weights must be >= 0")
        fractions.append(f)
    den = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    return [f.numerator * (den // f.denominator) for f in fractions]


def apportion(amount: int, weights: list[int], weight_sum: int) -> list[int]:
    """floor(amount·w/W) each, leftover units to the largest remainders (ties: lower index).

    Preconditions: amount >= 0, weights >= 0 integers, weight_sum = Σweights > 0.
    """
    shares: list[int] = []
    rems: list[int] = []
    for w in weights:
        q, r = divmod(amount * w, weight_sum)
        shares.append(q)
        rems.append(r)
    left = amount - sum(shares)
    if left:
        # sorted() is stable, also with reverse=True: equal remainders keep index order.
        for i in sorted(range(len(rems)), key=rems.__getitem__, reverse=True)[:left]:
            shares[i] += 1
    return shares


def split(
    total: int,
    weights: Sequence[int | float] | Sequence[int | float | Fraction],
    locked: Mapping[int, int] = _NO_LOCKS,
    fixed: Sequence[int] | None = None,
) -> list[int]:
    """Split `total` into len(weights) non-negative integers that add up to it exactly.

    Raises `SplitImpossible` ("locks_exceed_total") when locked + fixed values exceed the
    total, ("no_capacity") when everything is locked and the locks do not add up to the total,
    ("negative_value") for a negative total, lock or fixed value; `row_indices` names the
    indices involved.
    """
    n = len(weights)
    if fixed is not None and len(fixed) != n:
        raise ValueError("fixed must have one value per weight")
    for k in locked:
        if not 0 <= k < n:
            raise ValueError(f"locked index {k} out of range")
    if total < 0:
        raise SplitImpossible("negative_value", f"cannot split a negative total ({total})")
    bad = [k for k, v in locked.items() if v < 0]
    bad += [i for i in range(n) if fixed is not None and fixed[i] < 0 and i not in locked]
    if bad:
        raise SplitImpossible(
            "negative_value", "locked values must not be negative", row_indices=sorted(bad)
        )
    free = [i for i in range(n) if i not in locked]
    fixed_sum = sum(fixed[i] for i in free) if fixed is not None else 0
    rest = total - sum(locked.values()) - fixed_sum
    if rest < 0:
        at_fault = sorted(set(locked) | {i for i in free if fixed is not None and fixed[i]})
        raise SplitImpossible(
            "locks_exceed_total",
            f"locked values exceed the total {total} by {-rest}",
            row_indices=at_fault,
        )
    out = [0] * n
    for k, v in locked.items():
        out[k] = v
    if not free:
        if rest:
            raise SplitImpossible(
                "no_capacity",
                f"every part is locked but the locks fall short of the total {total} by {rest}",
                row_indices=sorted(locked),
            )
        return out
    wts = exact_weights([weights[i] for i in free])
    wsum = sum(wts)
    if wsum == 0:
        wts = [1] * len(free)  # documented fallback: share evenly
        wsum = len(free)
    shares = apportion(rest, wts, wsum)
    for i, share in zip(free, shares, strict=True):
        out[i] = share + (fixed[i] if fixed is not None else 0)
    return out


def round_to_total(exact: Sequence[Fraction | int], total: int) -> list[int]:
    """Round exact values to integers adding up to `total`.

    Floors first, then +1 to the largest fractional parts (ties: lower index), so each result
    differs from its exact value by less than one. Precondition: Σfloor <= total <= Σceil
    (ValueError otherwise).
    """
    floors = [math.floor(x) for x in exact]
    fracs = [Fraction(x) - f for x, f in zip(exact, floors, strict=True)]
    need = total - sum(floors)
    if need < 0 or need > sum(1 for f in fracs if f):
        raise ValueError(f"total {total} is not between Σfloor and Σceil of the values")
    for i in sorted(range(len(fracs)), key=fracs.__getitem__, reverse=True)[:need]:
        floors[i] += 1
    return floors


def round_scaled(values: Sequence[int], factor_bp: int, total: int) -> list[int]:
    """`round_to_total([v·factor_bp/10000 for v in values], total)` in integer arithmetic."""
    floors: list[int] = []
    rems: list[int] = []
    for v in values:
        q, r = divmod(v * factor_bp, 10000)
        floors.append(q)
        rems.append(r)
    need = total - sum(floors)
    if need < 0 or need > sum(1 for r in rems if r):
        raise ValueError(f"total {total} is not between Σfloor and Σceil of the scaled values")
    if need:
        for i in sorted(range(len(rems)), key=rems.__getitem__, reverse=True)[:need]:
            floors[i] += 1
    return floors


def scale_half_up(value: int, factor_bp: int) -> int:
    """round-half-up(value·factor_bp/10000) for value >= 0, in integers."""
    return (value * factor_bp + 5000) // 10000
