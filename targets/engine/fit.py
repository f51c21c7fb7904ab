"""Two-dimensional consistency: fit a block to exact integer row and column totals.

`fit_block(row_sums, col_sums, seed, locked)`:

1. Locked cells are taken out and subtracted from the margins; a negative leftover margin
   raises `SplitImpossible("locks_exceed_total")` with the rows / columns at fault in
   `row_indices` / `col_indices`.
2. Zero seeds are STRUCTURAL (the behaviour chosen for the engine): a free cell whose seed is 0
   stays 0 — a rep before hire or after leaving gets nothing there. There is no uniform
   fallback; when a row or column with a positive leftover margin has no free cell with a
   positive seed (or the positive-seed cells cannot carry the margins together),
   `SplitImpossible("no_capacity")` names the rows / columns.
3. The free cells are fitted by iterative proportional fitting (RAS) from the seed. Floats are
   used only here, to decide the shape; the result is then rounded with BOTH margins exact by
   controlled rounding (see `rounding.py`), in integers: floors, deficits from the integer
   margins, +1 on fractional cells chosen by a min-cost max-flow. If float error or slow
   convergence ever keeps the flow from saturating, an exact min-cost transportation flow on
   the positive-seed support takes over (`rounding.transport`), so margins are never broken.

Fast paths (a full decomposition calls this tens of thousands of times on tiny blocks): a 1xn
or nx1 block is determined by its margins; a seed whose rows are all equal (the usual
working-day seed) has the closed-form fit x_ij = r_i·c_j / T, computed and rounded in exact
integer arithmetic with no iteration; an integral seed that already has the margins is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .rounding import controlled_round, transport
from .types import SplitImpossible

MAX_ITERATIONS = 1000
STALL_WINDOW = 50  # RAS stops when 50 iterations cut the row error by less than 10%
FLOAT_EPS = 1e-12


def fit_block(
    row_sums: Sequence[int],
    col_sums: Sequence[int],
    seed: Sequence[Sequence[float | int]],
    locked: Mapping[tuple[int, int], int] | None = None,
) -> list[list[int]]:
    """Non-negative integer matrix with the given row / column sums, shaped like `seed`.

    Locked cells keep their value; zero-seed free cells stay 0 (see the module docstring).
    Raises ValueError for malformed input (shapes, negative seeds, Σrows != Σcols) and
    `SplitImpossible` when locks or zero seeds make the margins impossible.
    """
    rows = [int(r) for r in row_sums]
    cols = [int(c) for c in col_sums]
    nr, nc = len(rows), len(cols)
    if len(seed) != nr or any(len(s) != nc for s in seed):
        raise ValueError("seed must have one row per row sum and one column per column sum")
    if any(v < 0 for s in seed for v in s):
        raise ValueError("seed values must be >= 0")
    neg_r = [i for i in range(nr) if rows[i] < 0]
    neg_c = [j for j in range(nc) if cols[j] < 0]
    if neg_r or neg_c:
        raise SplitImpossible(
            "negative_value",
            "row and column totals must not be negative",
            row_indices=neg_r,
            col_indices=neg_c,
        )
    lock = dict(locked or {})
    for (i, j), v in lock.items():
        if not (0 <= i < nr and 0 <= j < nc):
            raise ValueError(f"locked cell {(i, j)} is outside the block")
        if v < 0:
            raise SplitImpossible(
                "negative_value", "locked values must not be negative", row_indices=[i]
            )
    return fit_core(rows, cols, [list(s) for s in seed], lock)


def fit_core(
    rows: list[int],
    cols: list[int],
    seed: Sequence[Sequence[float | int]],
    locked: Mapping[tuple[int, int], int] | None,
) -> list[list[int]]:
    """`fit_block` without input validation (the engine's inner loop)."""
    nr, nc = len(rows), len(cols)
    if sum(rows) != sum(cols):
        raise ValueError(f"row sums ({sum(rows)}) and column sums ({sum(cols)}) differ")
    if not locked:
        if nr == 1:
            first = seed[0]
            bad = [j for j in range(nc) if cols[j] and not first[j] > 0]
            if bad:
                raise _no_capacity([0], bad)
            return [list(cols)]
        if nc == 1:
            bad = [i for i in range(nr) if rows[i] and not seed[i][0] > 0]
            if bad:
                raise _no_capacity(bad, [0])
            return [[r] for r in rows]
        first = seed[0]
        if [*seed].count(first) == nr:  # all seed rows equal (identity is checked first)
            return _rank_one(rows, cols, first)
        shape = _common_shape(rows, seed)
        if shape is not None:
            return _rank_one(rows, cols, shape)
    return _general(rows, cols, seed, locked or {})


def _common_shape(
    rows: list[int], seed: Sequence[Sequence[float | int]]
) -> Sequence[float | int] | None:
    """A seed row that every row with a positive total is proportional to (exactly), or
    None. Proportional seed rows have the closed-form fit r_i·c_j / T."""
    ref: Sequence[float | int] | None = None
    ref_sum: float | int = 0
    for r, s in zip(rows, seed, strict=True):
        if not r:
            continue  # a zero row is all zeros whatever its seed
        if ref is None:
            ref, ref_sum = s, sum(s)
            if ref_sum <= 0:
                return None
            continue
        s_sum = sum(s)
        if s_sum <= 0 or [v * ref_sum for v in s] != [v * s_sum for v in ref]:
            return None
    return ref


def _no_capacity(rows: list[int], cols: list[int]) -> SplitImpossible:
    return SplitImpossible(
        "no_capacity",
        "a positive total has no cell with a non-zero seed to take it",
        row_indices=rows,
        col_indices=cols,
    )


def _rank_one(rows: list[int], cols: list[int], srow: Sequence[float | int]) -> list[list[int]]:
    """All seed rows equal: the RAS fit is r_i·c_j / T exactly; round it in integers."""
    nr, nc = len(rows), len(cols)
    total = sum(rows)
    if total == 0:
        return [[0] * nc for _ in range(nr)]
    bad = [j for j in range(nc) if cols[j] and not srow[j] > 0]
    if bad:
        raise _no_capacity([i for i in range(nr) if rows[i]], bad)
    out: list[list[int]] = []
    cells: list[tuple[int, int, float]] = []
    rdef: list[int] = []
    for i, r in enumerate(rows):
        qr = [divmod(r * c, total) for c in cols]
        row = [q for q, _ in qr]
        out.append(row)
        rdef.append(r - sum(row))
        cells.extend([(i, j, rem) for j, (_, rem) in enumerate(qr) if rem])
    if not cells:
        return out
    cdef = [c - s for c, s in zip(cols, map(sum, zip(*out, strict=True)), strict=True)]
    sel = controlled_round(nr, nc, cells, rdef, cdef, 0)
    if sel is None:  # impossible: r_i·c_j/T is an exact consistent fit
        raise RuntimeError("controlled rounding failed on an exact fit")
    for i, j in sel:
        out[i][j] += 1
    return out


def _general(
    rows: list[int],
    cols: list[int],
    seed: Sequence[Sequence[float | int]],
    locked: Mapping[tuple[int, int], int],
) -> list[list[int]]:
    nr, nc = len(rows), len(cols)
    frow = list(rows)
    fcol = list(cols)
    for (i, j), v in locked.items():
        frow[i] -= v
        fcol[j] -= v
    neg_r = [i for i in range(nr) if frow[i] < 0]
    neg_c = [j for j in range(nc) if fcol[j] < 0]
    if neg_r or neg_c:
        raise SplitImpossible(
            "locks_exceed_total",
            "locked values exceed the row or column totals",
            row_indices=neg_r,
            col_indices=neg_c,
        )
    act_r = [i for i in range(nr) if frow[i] > 0]
    act_c = [j for j in range(nc) if fcol[j] > 0]
    sub = [
        [seed[i][j] if (i, j) not in locked and seed[i][j] > 0 else 0 for j in act_c] for i in act_r
    ]
    bad_r = [act_r[a] for a, srow in enumerate(sub) if not any(srow)]
    bad_c = [act_c[b] for b, col in enumerate(zip(*sub, strict=True)) if not any(col)]
    if bad_r or bad_c:
        raise _no_capacity(bad_r, bad_c)
    out = [[0] * nc for _ in range(nr)]
    for (i, j), v in locked.items():
        out[i][j] = v
    if act_r:
        try:
            fitted = _fit_free([frow[i] for i in act_r], [fcol[j] for j in act_c], sub)
        except SplitImpossible as exc:
            raise _no_capacity(
                [act_r[a] for a in exc.row_indices], [act_c[b] for b in exc.col_indices]
            ) from None
        for a, i in enumerate(act_r):
            row = out[i]
            for b, j in enumerate(act_c):
                row[j] += fitted[a][b]
    return out


def _fit_free(r: list[int], c: list[int], s: list[list[float | int]]) -> list[list[int]]:
    """Fit positive margins on the positive cells of `s`; every row and column has one."""
    nr, nc = len(r), len(c)
    if nr == 1:
        return [list(c)]
    if nc == 1:
        return [[v] for v in r]
    if (
        [sum(row) for row in s] == r
        and [sum(col) for col in zip(*s, strict=True)] == c
        and all(type(v) is int for row in s for v in row)
    ):
        return [list(row) for row in s]  # type: ignore[arg-type]
    x = ras(r, c, s)
    out: list[list[int]] = []
    cells: list[tuple[int, int, float]] = []
    rdef: list[int] = []
    for i, row in enumerate(x):
        fl = [int(v) for v in row]
        for j, v in enumerate(row):
            fr = v - fl[j]
            if fr > 0:
                cells.append((i, j, fr))
        out.append(fl)
        rdef.append(r[i] - sum(fl))
    cdef = [cj - sj for cj, sj in zip(c, map(sum, zip(*out, strict=True)), strict=True)]
    sel = controlled_round(nr, nc, cells, rdef, cdef, FLOAT_EPS)
    if sel is None:
        support = [[v > 0 for v in row] for row in s]
        return transport(r, c, x, support)
    for i, j in sel:
        out[i][j] += 1
    return out


def ras(
    r: Sequence[int], c: Sequence[int], s: Sequence[Sequence[float | int]]
) -> list[list[float]]:
    """Iterative proportional fitting of `s` to row sums `r` and column sums `c` (floats).

    Every row and column must have a positive cell. Stops when the row sums are within
    1e-9 + 1e-14·T of their targets (the column sums are exact after each column step), when
    the error stalls, or after MAX_ITERATIONS.
    """
    x = [[float(v) for v in row] for row in s]
    tol = 1e-9 + float(sum(r)) * 1e-14
    checkpoint = float("inf")
    for it in range(1, MAX_ITERATIONS + 1):
        x = [[v * f for v in row] for row, f in zip(x, _factors(r, x), strict=True)]
        cf = [cj / sj for cj, sj in zip(c, map(sum, zip(*x, strict=True)), strict=True)]
        x = [[v * f for v, f in zip(row, cf, strict=True)] for row in x]
        err = max(abs(sum(row) - ri) for row, ri in zip(x, r, strict=True))
        if err <= tol:
            break
        if not it % STALL_WINDOW:
            if err > 0.9 * checkpoint:
                break  # stalled (no fit on this support, or a very slow one): let the exact
            checkpoint = err  # rounding decide
    return x


def _factors(r: Sequence[int], x: list[list[float]]) -> list[float]:
    return [ri / sum(row) for ri, row in zip(r, x, strict=True)]
