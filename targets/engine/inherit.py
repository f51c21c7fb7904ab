"""Non-additive metrics (rates in basis points): values are inherited, never split."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import repeat

from .trees import OwnerTree, PeriodTree
from .types import Allocation, CellKey, Problem


def inherit(problem: Problem, overrides: Mapping[CellKey, int] | None = None) -> Allocation:
    """Every cell takes the value of its closest overridden ancestor, else `problem.total`.

    Precedence for cell (owner O, period P): O's own override at P; else O's override at the
    nearest period ancestor of P (month, then quarter, then year); else the value the parent
    owner has at P, by the same rule, recursively up to the root; else `problem.total`.
    So an owner's own override at any level beats anything inherited from above in the owner
    tree (an owner's yearly rate applies to all its months, even where its manager overrode a
    month). The problem's `locked` cells count as overrides; `overrides` wins where both name
    the same cell.
    """
    pt = PeriodTree(problem.periods)
    ot = OwnerTree(problem.owners)
    ov: dict[CellKey, int] = dict(problem.locked)
    if overrides:
        ov.update(overrides)
    by_owner: dict[int, dict[int, int]] = {}
    for (okey, pid), value in ov.items():
        oi = ot.index.get(okey)
        pi = pt.index.get(pid)
        if oi is None or pi is None:
            raise ValueError(f"override {(okey, pid)} names an unknown owner or period")
        by_owner.setdefault(oi, {})[pi] = value
    size = pt.size
    parent = pt.parent
    final: list[list[int]] = [[]] * len(ot.keys)
    base = [problem.total] * size
    for o in ot.bfs:
        up = base if ot.parent[o] < 0 else final[ot.parent[o]]
        own = by_owner.get(o)
        if not own:
            final[o] = up  # shared: nothing of its own
            continue
        mine: list[int | None] = [None] * size
        row = list(up)
        for p in range(size):
            v: int | None = own.get(p)
            if v is None and p:
                v = mine[parent[p]]
            mine[p] = v
            if v is not None:
                row[p] = v
        final[o] = row
    out: Allocation = {}
    ids = pt.ids
    for o, key in enumerate(ot.keys):
        out.update(zip(zip(repeat(key, size), ids, strict=True), final[o], strict=True))
    return out
