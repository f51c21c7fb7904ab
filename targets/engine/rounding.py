"""Controlled rounding of a real matrix to integers with both margins exact.

Start from the floors; each row i and column j then lacks `rdef[i]` / `cdef[j]` whole units.
Give +1 to a set of fractional cells chosen by a min-cost max-flow (source → row, capacity =
row deficit; row → column, capacity 1 where the cell is fractional; column → sink, capacity =
column deficit; cost −fraction, so the largest fractions are preferred). The flow is found in
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

from .types import SplitImpossible

Cell = tuple[int, int, float]  # (row, column, fractional part key > 0)


def controlled_round(
    nr: int, nc: int, cells: Sequence[Cell], rdef: list[int], cdef: list[int], eps: float
) -> list[bool] | None:
    """Which fractional cells get +1 (min-cost max-flow); None when the flow cannot saturate."""
    need = sum(rdef)
    if need != sum(cdef) or (rdef and min(rdef) < 0) or (cdef and min(cdef) < 0):
        return None
    m = len(cells)
    sel = [False] * m
    if need == 0:
        return sel
    if need > m:
        return None
    order = sorted(range(m), key=lambda k: cells[k][2], reverse=True)
    rd = list(rdef)
    cd = list(cdef)
    left = need
    skipped = False
    for k in order:
        i, j, _ = cells[k]
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
        if not _augment(nr, nc, cells, sel, rd, cd):
            return None
        skipped = True
    if skipped:
        _cancel_negative_cycles(nr, nc, cells, sel, eps)
    return sel


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
    """Flip alternating cycles of negative cost until none is left (Bellman-Ford)."""
    nv = nr + nc
    m = len(cells)
    cap = 4 * m + 16  # each cancel lowers the cost by > eps; the cap only guards float noise
    for _ in range(cap):
        dist: list[float] = [0] * nv
        pred = [-1] * nv
        changed = False
        for _pass in range(nv + 1):
            changed = False
            for k in range(m):
                i, j, w = cells[k]
                if sel[k]:  # residual edge column j -> row i, cost +w
                    d = dist[nr + j] + w
                    if d < dist[i] - eps:
                        dist[i] = d
                        pred[i] = k
                        changed = True
                else:  # residual edge row i -> column j, cost -w
                    d = dist[i] - w
                    if d < dist[nr + j] - eps:
                        dist[nr + j] = d
                        pred[nr + j] = k
                        changed = True
            if not changed:
                return
        cycle = _pred_cycle(nr, cells, sel, pred)
        if not cycle:
            return  # cannot happen with strict relaxations; never loop on float noise
        for k in cycle:
            sel[k] = not sel[k]


def _pred_cycle(nr: int, cells: Sequence[Cell], sel: list[bool], pred: list[int]) -> list[int]:
    """A cycle of the predecessor graph, as the list of its cells (empty if none)."""

    def tail(k: int) -> int:
        i, j, _ = cells[k]
        return nr + j if sel[k] else i

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
            v = tail(pred[v]) if pred[v] >= 0 else -1
        if v >= 0 and state[v] == 1:  # closed a cycle at v
            out = []
            u = v
            while True:
                k = pred[u]
                out.append(k)
                u = tail(k)
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
    strongly preferred, one more unit costs −fraction, anything outside [floor, ceil] costs a
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
