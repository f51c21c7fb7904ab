"""Top-down decomposition of a target over the owner tree and the period tree.

1. The root's periods: year (= `total`, or the root's year lock) → quarters → months → weeks,
   each level by the exact-sum `split` with the root's seed as weights; locks are honoured at
   every level. "Fixed mass": an unlocked cell with locked descendants (same owner, period
   dimension) carries those locked values as its fixed part, and only its free part is shared —
   by the FREE seed, i.e. the seed of its descendants that are not inside a lock. So locking
   March and re-splitting gives March exactly and rebalances the rest of Q1 and the year.
2. Every node N (breadth-first), with children C in list order and factor f = factor_bp/10000:
   a. N's scaled cells (`scaled_cells`): scaled year = round-half-up(f·year) in integers, then
      quarters, months and weeks each apportioned from their scaled parent by largest
      remainders of f·value. With f = 1 they are N's own cells.
   b. Children's years = split(scaled year, weights, locked years, fixed = locked mass
      below each child's year). The weight of a child with locked periods is its owner weight
      times the share of its seed outside those periods (its free seed / its seed): the locked
      mass is added on top, so a child locked in March at a low value (leave) gets the same
      rate as its siblings in the other months instead of being compensated for March, and
      locking cells at their current values and re-splitting changes (almost) nothing.
   c. Children x quarters, then per quarter children x its months, then per month children x
      its weeks: `fit_block` with rows = the children's values of the parent period, columns =
      N's scaled cells, seed = each child's (free) seed; locked cells and fixed masses are
      taken out of the margins first and added back after the fit.
   This hierarchical fit refines DOMAIN.md's single "children x months" block: it makes every
   child's row consistent at every level and lets quarter (and week) locks work.

Consequences: every cell is the sum of its period children (invariant 1), the children of a node
add up exactly to its scaled cells in every period (invariant 2), and locked cells keep their
value. Weeks of every owner are split from its months by its seed, which defaults to working
days: with working-day seeds each leaf's weeks are the working-day split of its months up to
controlled rounding, and every non-leaf week is the (scaled) sum of its children's weeks.

When the hierarchical fit of a node fails although locks and zero seeds would allow a
split (a coarse level cannot see the zero seeds of the weeks below it), the node is solved
again as one exact children x weeks block (`flat.py`); only if that fails too is
`SplitImpossible` raised. A node's seed should agree with its children's (e.g. be their sum,
as the headcount method does): a period where the node has a value but no child has a
positive seed cannot be split ("no_capacity").

`decompose(..., current=..., from_owner=X)` recomputes only the subtree strictly below X, with
X's cells taken from `current`; everything else is copied from `current`. Since each node's
split depends only on its own cells and its descendants' data, this equals a full recompute
whenever `current` came from `decompose` on a problem that differs only below X.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from itertools import repeat

from .fit import fit_core
from .flat import fit_node_flat
from .inputs import OwnerData, Seeds, lock_masses
from .scaling import FULL, scaled_list
from .split import split
from .trees import OwnerTree, PeriodTree
from .types import Allocation, OwnerKey, Problem, SplitImpossible


def decompose(
    problem: Problem,
    *,
    current: Allocation | None = None,
    from_owner: OwnerKey | None = None,
) -> Allocation:
    """A value for every (owner, period): see the module docstring. Raises `SplitImpossible`
    (and returns nothing, mutates nothing) when locks or zero seeds make it impossible."""
    if (current is None) != (from_owner is None):
        raise ValueError("current and from_owner go together")
    pt = PeriodTree(problem.periods)
    ot = OwnerTree(problem.owners)
    if from_owner is not None and from_owner not in ot.index:
        raise ValueError(f"unknown owner {from_owner}")
    top = ot.root if from_owner is None else ot.index[from_owner]
    order = ot.subtree(top)
    seeds = Seeds(pt, problem.seeds)
    weights = problem.owner_weights
    info: dict[int, OwnerData] = {}
    for o in order:
        key = ot.keys[o]
        info[o] = OwnerData(key, seeds.get(key), weights.get(key, 1))
    for (okey, pid), v in problem.locked.items():
        owner_idx = ot.index.get(okey)
        p = pt.index.get(pid)
        if owner_idx is None or p is None:
            raise ValueError(f"locked cell {(okey, pid)} names an unknown owner or period")
        data = info.get(owner_idx)
        if data is None:
            continue  # outside the recomputed subtree: its cells come from `current`
        if v < 0:
            raise SplitImpossible(
                "negative_value",
                f"locked value of {okey} in period {pid} is negative",
                owner=okey,
                period_id=pid,
                rows=[okey],
                periods=[pid],
            )
        if data.locks is None:
            data.locks = {}
        data.locks[p] = v
    for oi in info.values():
        if oi.locks:
            oi.fixed, oi.free = lock_masses(pt, oi.locks, oi.free, oi.key)

    vals: dict[int, list[int]] = {}
    root = info[top]
    if current is None:
        locks = root.locks or {}
        vals[top] = _split_own(pt, locks.get(0, problem.total), root)
    else:
        try:
            vals[top] = [current[(root.key, pid)] for pid in pt.ids]
        except KeyError as exc:
            raise ValueError(f"current has no cell {exc.args[0]} of {root.key}") from None
        top_row = vals[top]
        for p in pt.parents:
            lo, hi = pt.child_range[p]
            if sum(top_row[lo:hi]) != top_row[p] or top_row[p] < 0:
                raise ValueError(
                    f"current cells of {root.key} are not period-consistent at period {pt.ids[p]}"
                )
    factors = problem.factor_bp
    for n in order:
        kids = ot.children[n]
        if kids:
            _split_children(pt, info[n], vals[n], [info[c] for c in kids], factors, vals, kids)

    out: Allocation = {} if current is None else dict(current)
    ids = pt.ids
    size = pt.size
    for o in order:
        if o == top and current is not None:
            continue
        out.update(zip(zip(repeat(ot.keys[o], size), ids, strict=True), vals[o], strict=True))
    return out


def _split_own(pt: PeriodTree, year: int, oi: OwnerData) -> list[int]:
    """An owner's periods from its year value, level by level with `split`."""
    if year < 0:
        raise SplitImpossible("negative_value", f"the total ({year}) is negative", owner=oi.key)
    v = [0] * pt.size
    v[0] = year
    lk = oi.locks or {}
    for p in pt.parents:
        lo, hi = pt.child_range[p]
        locked = {j - lo: lk[j] for j in range(lo, hi) if j in lk}
        fixed = oi.fixed[lo:hi] if oi.fixed is not None else None
        try:
            v[lo:hi] = split(v[p], oi.free[lo:hi], locked, fixed)
        except SplitImpossible as exc:
            periods = [pt.ids[lo + j] for j in exc.row_indices]
            raise SplitImpossible(
                exc.code,
                f"cannot split {pt.kinds[p]} {pt.ids[p]} of {oi.key} ({v[p]}) into its periods:"
                f" {exc.message} (periods {periods})",
                owner=oi.key,
                period_id=pt.ids[p],
                rows=[oi.key],
                periods=periods,
            ) from None
    return v


def _split_children(
    pt: PeriodTree,
    node: OwnerData,
    nv: list[int],
    kids: list[OwnerData],
    factors: Mapping[OwnerKey, int],
    vals: dict[int, list[int]],
    kid_idx: list[int],
) -> None:
    try:
        sc = scaled_list(nv, factors.get(node.key, FULL), pt)
    except ValueError as exc:
        raise ValueError(f"cells of {node.key} are not period-consistent: {exc}") from None
    any_locks = any(c.locks for c in kids)
    try:
        years = split(
            sc[0],
            [_free_weight(c) for c in kids] if any_locks else [c.weight for c in kids],
            {a: c.locks[0] for a, c in enumerate(kids) if c.locks and 0 in c.locks},
            [c.fixed[0] if c.fixed else 0 for c in kids] if any_locks else None,
        )
    except SplitImpossible as exc:
        rows = [kids[a].key for a in exc.row_indices]
        raise SplitImpossible(
            exc.code,
            f"cannot split the year of {node.key} ({sc[0]}) among its children: {exc.message}"
            f" (children {rows})",
            owner=node.key,
            period_id=pt.ids[0],
            rows=rows,
            periods=[pt.ids[0]],
        ) from None
    try:
        cv = _fit_levels(pt, node, sc, kids, years, any_locks)
    except SplitImpossible as exc:
        try:
            cv = fit_node_flat(pt, node.key, years, sc, kids)
        except SplitImpossible:
            if exc.code == "locks_exceed_total":
                raise exc from None  # names the level where the locks do not fit
            raise
    for a, o in enumerate(kid_idx):
        vals[o] = cv[a]


def _free_weight(c: OwnerData) -> Fraction | float | int:
    """A child's weight for the year split: its owner weight times the share of its seed that
    lies outside its locked periods (the locked mass is added on top as `fixed`)."""
    if not c.fixed or not c.fixed[0] or c.free is c.seed:
        return c.weight
    whole = c.seed[0]
    if not whole:
        return c.weight
    return Fraction(c.weight) * Fraction(c.free[0]) / Fraction(whole)


def _fit_levels(
    pt: PeriodTree,
    node: OwnerData,
    sc: list[int],
    kids: list[OwnerData],
    years: list[int],
    any_locks: bool,
) -> list[list[int]]:
    """Children x quarters, then x months per quarter, then x weeks per month."""
    k = len(kids)
    cv = [[0] * pt.size for _ in range(k)]
    for a in range(k):
        cv[a][0] = years[a]
    seeds = [c.free for c in kids]
    for p in pt.parents:
        lo, hi = pt.child_range[p]
        rows = [row[p] for row in cv]
        block = [s[lo:hi] for s in seeds]
        try:
            if any_locks:
                fitted = _fit_with_locks(rows, sc[lo:hi], block, kids, lo, hi)
            else:
                fitted = fit_core(rows, sc[lo:hi], block, None)
        except SplitImpossible as exc:
            rows_at = [kids[a].key for a in exc.row_indices]
            periods = [pt.ids[lo + b] for b in exc.col_indices]
            raise SplitImpossible(
                exc.code,
                f"cannot split {pt.kinds[p]} {pt.ids[p]} of {node.key} among its children:"
                f" {exc.message} (children {rows_at}, periods {periods})",
                owner=node.key,
                period_id=pt.ids[p],
                rows=rows_at,
                periods=periods,
            ) from None
        for a in range(k):
            cv[a][lo:hi] = fitted[a]
    return cv


def _fit_with_locks(
    rows: list[int],
    cols: list[int],
    block: list[list[float | int]],
    kids: list[OwnerData],
    lo: int,
    hi: int,
) -> list[list[int]]:
    """Take locked cells and fixed masses out of the margins, fit the rest, add them back."""
    taken: dict[tuple[int, int], int] = {}
    locked_cells = set()
    for a, c in enumerate(kids):
        lk = c.locks
        if not lk:
            continue
        fx = c.fixed
        for j in range(lo, hi):
            if j in lk:
                taken[(a, j - lo)] = lk[j]
                locked_cells.add((a, j - lo))
            elif fx is not None and fx[j]:
                taken[(a, j - lo)] = fx[j]
    if not taken:
        return fit_core(rows, cols, block, None)
    frow = list(rows)
    fcol = list(cols)
    for (a, b), v in taken.items():
        frow[a] -= v
        fcol[b] -= v
    neg_r = [a for a, v in enumerate(frow) if v < 0]
    neg_c = [b for b, v in enumerate(fcol) if v < 0]
    if neg_r or neg_c:
        raise SplitImpossible(
            "locks_exceed_total",
            "locked values exceed what is to be split",
            row_indices=neg_r or sorted({a for a, _ in taken}),
            col_indices=neg_c or sorted({b for _, b in taken}),
        )
    seed = block
    if locked_cells:
        seed = [list(s) for s in block]
        for a, b in locked_cells:
            seed[a][b] = 0  # a locked cell has no free part
    fitted = fit_core(frow, fcol, seed, None)
    for (a, b), v in taken.items():
        fitted[a][b] += v
    return fitted
