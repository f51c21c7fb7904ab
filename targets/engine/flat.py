"""The exact fallback of a node's split: one children x weeks block.

The hierarchical fit (children x quarters, then x months, then x weeks) decides each level
without seeing the finer levels, so with zero seeds (hires, leavers) or small counts a coarse
level can hand a child more than the weeks it may use can take, although an answer exists.
When that happens the node is solved again as ONE two-dimensional block, which is exact:

- rows are "sub-rows": each child's weeks are grouped by their nearest locked ancestor period
  (or the year when there is none); a group's margin is that period's value (the child's year
  or the lock) minus the locked periods nested inside it. Locks of one child are nested
  (laminar), so this grouping expresses all of them as plain row sums;
- columns are the node's scaled weeks; locked weeks are taken out of both margins;
- the seed is the child's week seed on its group's weeks, zero elsewhere.

An integer solution then exists exactly when a real one does (the transportation polytope is
integral), `fit_core` finds it, and the quarters and months are sums of the weeks, so both
invariants and every lock hold by construction. If it still fails, the split is impossible,
and the error names the children and weeks at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .fit import fit_core
from .trees import PeriodTree
from .types import OwnerKey, SplitImpossible


class ChildData(Protocol):
    key: OwnerKey
    locks: dict[int, int] | None
    fixed: list[int] | None
    free: list[float | int]


def fit_node_flat(
    pt: PeriodTree,
    node: OwnerKey,
    years: Sequence[int],
    sc: Sequence[int],
    kids: Sequence[ChildData],
) -> list[list[int]]:
    """Canonical-order values of every child (see the module docstring)."""
    w0 = pt.week_start
    nw = pt.size - w0
    parent = pt.parent
    cols = list(sc[w0:])
    sub_rows: list[int] = []
    sub_seed: list[list[float | int]] = []
    sub_owner: list[int] = []
    week_rows: list[list[int]] = []  # per child: the sub-row index of each week (-1 = locked)
    locked_weeks: list[dict[int, int]] = []
    for a, c in enumerate(kids):
        lk = c.locks or {}
        groups: dict[int, int] = {}  # group period index -> sub-row index
        where = [-1] * nw
        mine: dict[int, int] = {}
        for b in range(nw):
            w = w0 + b
            if w in lk:
                mine[b] = lk[w]
                cols[b] -= lk[w]
                continue
            g = parent[w]
            while g > 0 and g not in lk:
                g = parent[g]
            s = groups.get(g)
            if s is None:
                s = groups[g] = len(sub_rows)
                value = years[a] if g == 0 else lk[g]
                sub_rows.append(value - (c.fixed[g] if c.fixed else 0))
                sub_seed.append([0] * nw)
                sub_owner.append(a)
            where[b] = s
            seed = c.free[w]
            sub_seed[s][b] = seed if seed > 0 else 0
        # a group without free weeks (all its weeks locked or inside nested locks) must have
        # nothing left to place
        for g in [0, *sorted(p for p in lk if 0 < p < w0)]:
            value = years[a] if g == 0 else lk[g]
            if g not in groups and value != (c.fixed[g] if c.fixed else 0):
                raise SplitImpossible(
                    "no_capacity",
                    f"every week of {pt.kinds[g]} {pt.ids[g]} of {c.key} is locked but the"
                    f" locks do not add up to {value}",
                    owner=node,
                    period_id=pt.ids[g],
                    rows=[c.key],
                    periods=[pt.ids[g]],
                )
        week_rows.append(where)
        locked_weeks.append(mine)
    neg_r = sorted({sub_owner[s] for s, v in enumerate(sub_rows) if v < 0})
    neg_c = [b for b, v in enumerate(cols) if v < 0]
    if neg_r or neg_c:
        raise SplitImpossible(
            "locks_exceed_total",
            f"locked values of the children of {node} exceed what is to be split",
            owner=node,
            period_id=pt.ids[0],
            rows=[kids[a].key for a in neg_r],
            periods=[pt.ids[w0 + b] for b in neg_c],
        )
    try:
        fitted = fit_core(sub_rows, cols, sub_seed, None)
    except SplitImpossible as exc:
        rows = [kids[a].key for a in sorted({sub_owner[s] for s in exc.row_indices})]
        weeks = [pt.ids[w0 + b] for b in exc.col_indices]
        if rows:
            why = f"the non-zero seeds and locks of {rows} cannot carry their totals"
        else:
            why = "no child has a non-zero seed left to take the node's value"
        raise SplitImpossible(
            exc.code,
            f"cannot split {node} among its children: {why} (weeks {weeks})",
            owner=node,
            period_id=pt.ids[0],
            rows=rows,
            periods=weeks,
        ) from None
    out: list[list[int]] = []
    for a in range(len(kids)):
        where = week_rows[a]
        mine = locked_weeks[a]
        weeks = [mine[b] if where[b] < 0 else fitted[where[b]][b] for b in range(nw)]
        out.append(pt.aggregate(weeks))  # type: ignore[arg-type]
    return out
