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
   b. Children's years = split(scaled year, owner weights, locked years, fixed = locked mass
      below each child's year).
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

`decompose(..., current=..., from_owner=X)` recomputes only the subtree strictly below X, with
X's cells taken from `current`; everything else is copied from `current`. Since each node's
split depends only on its own cells and its descendants' data, this equals a full recompute
whenever `current` came from `decompose` on a problem that differs only below X.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat

from .fit import fit_core
from .flat import fit_node_flat
from .split import round_scaled, scale_half_up, split
from .trees import OwnerTree, PeriodTree
from .types import Allocation, OwnerKey, PeriodNode, Problem, SplitImpossible

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


class _Seeds:
    """Canonical full-length seed lists per owner; equal seeds share one list object."""

    def __init__(self, pt: PeriodTree, seeds: Mapping[OwnerKey, Mapping[int, float | int]]):
        self.pt = pt
        self.seeds = seeds
        self.week_ids = pt.ids[pt.week_start :]
        self.week_set = frozenset(self.week_ids)
        self.default = pt.aggregate(pt.week_wd)
        self.cache: dict[tuple[float | int, ...], list[float | int]] = {
            tuple(pt.week_wd): self.default
        }

    def get(self, key: OwnerKey) -> list[float | int]:
        s = self.seeds.get(key)
        if not s:
            return self.default
        if not s.keys() <= self.week_set:
            raise ValueError(f"seeds of {key} name periods that are not weeks")
        weeks = tuple(map(s.get, self.week_ids, self.pt.week_wd))
        full = self.cache.get(weeks)
        if full is None:
            if min(weeks) < 0:
                raise ValueError(f"seeds of {key} must be >= 0")
            full = self.cache[weeks] = self.pt.aggregate(weeks)
        return full


def lock_masses(
    pt: PeriodTree, lk: Mapping[int, int], seed: Sequence[float | int], owner: OwnerKey
) -> tuple[list[int], list[float | int]]:
    """Per period index: the locked mass strictly below it (maximal locked descendants) and
    its free seed (the seed of its descendants outside any lock)."""
    fixed = [0] * pt.size
    free: list[float | int] = list(seed)
    for p in reversed(pt.parents):
        lo, hi = pt.child_range[p]
        mass = 0
        fs: float | int = 0
        for j in range(lo, hi):
            if j in lk:
                mass += lk[j]
            else:
                mass += fixed[j]
                fs += free[j]
        fixed[p] = mass
        free[p] = fs
        if p in lk and mass > lk[p]:
            raise SplitImpossible(
                "locks_exceed_total",
                f"locked periods inside {pt.kinds[p]} {pt.ids[p]} of {owner} add up to {mass},"
                f" more than its locked value {lk[p]}",
                owner=owner,
                period_id=pt.ids[p],
                rows=[owner],
                periods=[pt.ids[j] for j in range(lo, hi) if j in lk or fixed[j]],
            )
    return fixed, free


class _Owner:
    """What the engine needs per owner: its seed, locks, fixed masses and free seed."""

    __slots__ = ("fixed", "free", "key", "locks", "weight")

    def __init__(self, key: OwnerKey, seed: list[float | int], weight: float | int) -> None:
        self.key = key
        self.locks: dict[int, int] | None = None
        self.fixed: list[int] | None = None
        self.free: list[float | int] = seed
        self.weight = weight


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
    seeds = _Seeds(pt, problem.seeds)
    weights = problem.owner_weights
    info: dict[int, _Owner] = {}
    for o in order:
        key = ot.keys[o]
        info[o] = _Owner(key, seeds.get(key), weights.get(key, 1))
    for (okey, pid), v in problem.locked.items():
        o = ot.index.get(okey)
        p = pt.index.get(pid)
        if o is None or p is None:
            raise ValueError(f"locked cell {(okey, pid)} names an unknown owner or period")
        if o not in info:
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
        oi = info[o]
        if oi.locks is None:
            oi.locks = {}
        oi.locks[p] = v
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


def _split_own(pt: PeriodTree, year: int, oi: _Owner) -> list[int]:
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
    node: _Owner,
    nv: list[int],
    kids: list[_Owner],
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
            [c.weight for c in kids],
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


def _fit_levels(
    pt: PeriodTree,
    node: _Owner,
    sc: list[int],
    kids: list[_Owner],
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
    kids: list[_Owner],
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
