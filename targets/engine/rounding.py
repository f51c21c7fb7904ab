"""Controlled rounding of a real matrix to integers with both margins exact.

Start from the floors; each row i and column j then lacks `rdef[i]` / `cdef[j]` whole units.
Give +1 to a set of fractional cells chosen by a min-cost max-flow (source → row, capacity =
row deficit; row → column, capacity 1 where the cell is fractional; column → sink, capacity =
column deficit; cost -fraction, so the largest fractions are preferred). The flow is found in
three lean steps that together are exactly a min-cost max-flow:

1. greedy: fractional cells by decreasing fraction (ties: row-major order), taken while their
   row and column still lack units — when no cell was skipped before the last one taken, the
   chosen set is the top of the list and so already optimal;
2. augmenting paths (BFS) if the greedy choice does not saturate every deficit;
3. cycle cancelling: Bellman-Ford on the residual graph finds an alternating cycle of negative
   cost (unchosen fractions outweighing chosen ones); flipping it keeps every margin and lowers
   the cost. No negative cycle left = minimum cost.

`transport` is the exact fallback for a real matrix that is not quite consistent (an iterative
fit that did not converge far enough for the flow to saturate): a min-cost flow over the whole
integer transportation problem on the seed's support with convex costs (units outside the
[floor, ceil] box of each cell cost more than any choice of fractions inside it). It always
finds a solution when one exists and otherwise names the rows and columns at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from .types import SplitImpossible

Cell = tuple[int, int, float]  # (row, column, fractional part key > 0)
_WEIGHT = itemgetter(2)


def controlled_round(
    nr: int, nc: int, cells: Sequence[Cell], rdef: list[int], cdef: list[int], eps: float
) -> list[tuple[int, int]] | None:
    """The fractional cells that get +1 (a min-cost max-flow), as (row, column) pairs; None
    when the flow cannot saturate every deficit. `cells` must be in row-major order."""
    need = sum(rdef)
    if need != sum(cdef) or (rdef and min(rdef) < 0) or (cdef and min(cdef) < 0):
        return None
    if need == 0:
        return []
    # only cells whose row and column both lack units can take one (others lie on no path
    # and no cycle of the flow); stable sort: equal fractions keep row-major order
    live = [c for c in cells if rdef[c[0]] and cdef[c[1]]]
    m = len(live)
    if need > m:
        return None
    live.sort(key=_WEIGHT, reverse=True)
    sel = [False] * m
    rd = list(rdef)
    cd = list(cdef)
    left = need
    skipped = False
    for k in range(m):
        i, j, _ = live[k]
        if rd[i] and cd[j]:
            sel[k] = True
            rd[i] -= 1
            cd[j] -= 1
            left -= 1
            if not left:
                break
        else:
            skipped = True
    if left:
        if not _augment(nr, nc, live, sel, rd, cd):
            return None
        skipped = True
    if skipped:
        _cancel_negative_cycles(nr, nc, live, sel, eps)
    return [(i, j) for (i, j, _), s in zip(live, sel, strict=True) if s]


def _augment(
    nr: int, nc: int, cells: Sequence[Cell], sel: list[bool], rd: list[int], cd: list[int]
) -> bool:
    """Shortest augmenting paths (BFS) until every row deficit is met; False if impossible."""
    by_row: list[list[int]] = [[] for _ in range(nr)]
    by_col: list[list[int]] = [[] for _ in range(nc)]
    for k, (i, j, _) in enumerate(cells):
        by_row[i].append(k)
        by_col[j].append(k)
    while True:
        starts = [i for i in range(nr) if rd[i] > 0]
        if not starts:
            return True
        via_row: dict[int, int] = dict.fromkeys(starts, -1)  # row -> cell it was reached by
        via_col: dict[int, int] = {}
        queue = list(starts)
        found = -1
        for i in queue:  # the list grows while we walk it (BFS)
            for k in by_row[i]:
                if sel[k]:
                    continue
                j = cells[k][1]
                if j in via_col:
                    continue
                via_col[j] = k
                if cd[j] > 0:
                    found = j
                    break
                for k2 in by_col[j]:
                    if sel[k2]:
                        i2 = cells[k2][0]
                        if i2 not in via_row:
                            via_row[i2] = k2
                            queue.append(i2)
            if found >= 0:
                break
        if found < 0:
            return False
        j = found
        cd[j] -= 1
        while True:
            k = via_col[j]
            sel[k] = True
            i = cells[k][0]
            k2 = via_row[i]
            if k2 < 0:
                rd[i] -= 1
                break
            sel[k2] = False
            j = cells[k2][1]


def _cancel_negative_cycles(
    nr: int, nc: int, cells: Sequence[Cell], sel: list[bool], eps: float
) -> None:
    """Flip alternating cycles of negative cost until none is left.

    Bellman-Ford from a virtual source (all distances 0) over the residual edges: row -> column
    for an unchosen cell (cost -w), column -> row for a chosen one (cost +w). After every pass
    that changed something the predecessor graph is searched for a cycle (any such cycle is
    negative), so a cycle is cancelled as soon as it shows, not after |V| passes.
    """
    nv = nr + nc
    m = len(cells)
    # residual edges as (tail, head, cost, cell)
    edges = [
        (nr + j, i, w, k) if sel[k] else (i, nr + j, -w, k) for k, (i, j, w) in enumerate(cells)
    ]
    for _ in range(4 * m + 16):  # each cancel lowers the cost by > eps; the cap guards noise
        dist: list[float] = [0] * nv
        pred = [-1] * nv
        cycle: list[int] = []
        for _pass in range(nv + 1):
            changed = False
            if eps:
                for u, v, c, k in edges:
                    d = dist[u] + c
                    if d < dist[v] - eps:
                        dist[v] = d
                        pred[v] = k
                        changed = True
            else:  # exact integer costs
                for u, v, c, k in edges:
                    d = dist[u] + c
                    if d < dist[v]:
                        dist[v] = d
                        pred[v] = k
                        changed = True
            if not changed:
                return
            if _pass >= 2:  # most optimal choices settle in 2-3 passes; look after that
                cycle = _pred_cycle(edges, pred)
                if cycle:
                    break
        if not cycle:
            return  # cannot happen with strict relaxations; never loop on float noise
        for k in cycle:
            sel[k] = not sel[k]
            u, v, c, _ = edges[k]
            edges[k] = (v, u, -c, k)


def _pred_cycle(edges: Sequence[tuple[int, int, float, int]], pred: list[int]) -> list[int]:
    """A cycle of the predecessor graph, as the list of its cells (empty if none)."""
    nv = len(pred)
    state = [0] * nv  # 0 new, 1 on the current walk, 2 done
    for start in range(nv):
        if state[start]:
            continue
        walk = []
        v = start
        while v >= 0 and state[v] == 0:
            state[v] = 1
            walk.append(v)
            k = pred[v]
            v = edges[k][0] if k >= 0 else -1
        if v >= 0 and state[v] == 1:  # closed a cycle at v
            out = []
            u = v
            while True:
                k = pred[u]
                out.append(k)
                u = edges[k][0]
                if u == v:
                    return out
        for u in walk:
            state[u] = 2
    return []


def transport(
    rows: Sequence[int],
    cols: Sequence[int],
    x: Sequence[Sequence[float]],
    support: Sequence[Sequence[bool]],
) -> list[list[int]]:
    """Integer matrix with exact margins on `support`, closest to the real matrix `x`.

    Min-cost flow (successive shortest paths) with convex costs per cell: the floor of x is
    strongly preferred, one more unit costs -fraction, anything outside [floor, ceil] costs a
    penalty larger than all fractions together. Raises `SplitImpossible("no_capacity")` naming
    the rows / columns (`row_indices` / `col_indices`) whose margins the support cannot carry.
    """
    nr, nc = len(rows), len(cols)
    src, snk = nr + nc, nr + nc + 1
    nv = nr + nc + 2
    to: list[int] = []
    cap: list[int] = []
    cost: list[float] = []
    adj: list[list[int]] = [[] for _ in range(nv)]
    big = float(nr * nc + 2)
    total = sum(rows)

    def arc(u: int, v: int, c: int, w: float) -> int:
        adj[u].append(len(to))
        to.append(v)
        cap.append(c)
        cost.append(w)
        adj[v].append(len(to))
        to.append(u)
        cap.append(0)
        cost.append(-w)
        return len(to) - 2

    for i in range(nr):
        arc(src, i, rows[i], 0.0)
    for j in range(nc):
        arc(nr + j, snk, cols[j], 0.0)
    cell_arcs: list[tuple[int, int, int]] = []
    for i in range(nr):
        for j in range(nc):
            if not support[i][j]:
                continue
            v = max(x[i][j], 0.0)
            fl = int(v)
            fr = v - fl
            if fl:
                cell_arcs.append((i, j, arc(i, nr + j, fl, -big)))
            if fr > 0:
                cell_arcs.append((i, j, arc(i, nr + j, 1, -fr)))
            cell_arcs.append((i, j, arc(i, nr + j, total, big)))
    flow = 0
    while flow < total:
        dist = [float("inf")] * nv
        via = [-1] * nv
        dist[src] = 0.0
        queue = [src]
        inq = [False] * nv
        inq[src] = True
        head = 0
        while head < len(queue):  # SPFA (Bellman-Ford with a queue); no negative cycles
            u = queue[head]
            head += 1
            inq[u] = False
            du = dist[u]
            for e in adj[u]:
                if cap[e] > 0 and du + cost[e] < dist[to[e]] - 1e-12:
                    dist[to[e]] = du + cost[e]
                    via[to[e]] = e
                    if not inq[to[e]]:
                        inq[to[e]] = True
                        queue.append(to[e])
        if via[snk] < 0:
            reach = [v for v in range(nv) if dist[v] < float("inf")]
            raise SplitImpossible(
                "no_capacity",
                "the non-zero seeds cannot carry the row and column totals",
                row_indices=[v for v in reach if v < nr],
                col_indices=[v - nr for v in reach if nr <= v < nr + nc],
            )
        push = total - flow
        v = snk
        while v != src:
            e = via[v]
            push = min(push, cap[e])
            v = to[e ^ 1]
        v = snk
        while v != src:
            e = via[v]
            cap[e] -= push
            cap[e ^ 1] += push
            v = to[e ^ 1]
        flow += push
    out = [[0] * nc for _ in range(nr)]
    for i, j, e in cell_arcs:
        out[i][j] += cap[e ^ 1]
    return out
