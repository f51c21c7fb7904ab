"""Check an allocation against the invariants of DOMAIN.md (additive metrics)."""

from __future__ import annotations

from .scaling import FULL, scaled_list
from .trees import OwnerTree, PeriodTree
from .types import Allocation, Problem

MAX_REPORTED = 200  # violations listed; the rest are counted in one last line


def verify(problem: Problem, allocation: Allocation) -> list[str]:
    """Human-readable violations; empty when every invariant holds.

    - every (owner, period) cell is present, an int, and >= 0;
    - invariant 1: every cell equals the sum of its period children, for every owner;
    - invariant 2: the children of every node add up to the node's scaled cells (scaling as in
      `scaled_cells`), in every period;
    - locked cells equal their lock; the root's year equals `total` unless it is locked.
    """
    pt = PeriodTree(problem.periods)
    ot = OwnerTree(problem.owners)
    out: list[str] = []
    rows: list[list[int] | None] = []
    for key in ot.keys:
        try:
            row = [allocation[(key, pid)] for pid in pt.ids]
        except KeyError:
            missing = [pid for pid in pt.ids if (key, pid) not in allocation]
            out.append(f"{key}: no value for periods {missing}")
            rows.append(None)
            continue
        bad = [pid for pid, v in zip(pt.ids, row, strict=True) if type(v) is not int or v < 0]
        if bad:
            out.append(f"{key}: values that are not non-negative integers in periods {bad}")
            rows.append(None)
            continue
        consistent = True
        for p in pt.parents:
            lo, hi = pt.child_range[p]
            s = sum(row[lo:hi])
            if s != row[p]:
                consistent = False
                out.append(
                    f"{key}: {pt.kinds[p]} {pt.ids[p]} is {row[p]} but its periods add up to {s}"
                )
        rows.append(row if consistent else None)
    factors = problem.factor_bp
    for n in ot.bfs:
        kids = ot.children[n]
        nrow = rows[n]
        if not kids or nrow is None:
            continue
        key = ot.keys[n]
        krows = [r for r in (rows[c] for c in kids) if r is not None]
        if len(krows) != len(kids):
            continue
        fbp = factors.get(key, FULL)
        target = scaled_list(nrow, fbp, pt)
        sums = [sum(col) for col in zip(*krows, strict=True)]
        if sums != target:
            for p, (s, t) in enumerate(zip(sums, target, strict=True)):
                if s != t:
                    scaled = "" if fbp == FULL else f" (x{fbp / 100:g}% of {nrow[p]})"
                    out.append(
                        f"{key}: children add up to {s} in {pt.kinds[p]} {pt.ids[p]},"
                        f" expected {t}{scaled}"
                    )
    for (okey, pid), v in problem.locked.items():
        got = allocation.get((okey, pid))
        if got != v:
            out.append(f"{okey}: period {pid} is locked at {v} but has {got}")
    root_key = ot.keys[ot.root]
    year = pt.ids[0]
    if (root_key, year) not in problem.locked:
        got = allocation.get((root_key, year))
        if got != problem.total:
            out.append(f"{root_key}: the year is {got}, expected the total {problem.total}")
    if len(out) > MAX_REPORTED:
        out = [*out[:MAX_REPORTED], f"… and {len(out) - MAX_REPORTED} more violations"]
    return out
