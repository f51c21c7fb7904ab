"""Two-dimensional fit: RAS + controlled rounding (targets.engine.fit_block)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from targets.engine import SplitImpossible, fit_block
from targets.engine.fit import ras
from targets.engine.rounding import controlled_round, transport


def margins(m):
    return [sum(r) for r in m], [sum(c) for c in zip(*m, strict=True)]


def check(out, rows, cols, seed=None, locked=None):
    assert [sum(r) for r in out] == rows
    assert [sum(c) for c in zip(*out, strict=True)] == cols
    assert all(type(v) is int and v >= 0 for r in out for v in r)
    for (i, j), v in (locked or {}).items():
        assert out[i][j] == v
    if seed is not None:
        for i, row in enumerate(seed):
            for j, s in enumerate(row):
                if s == 0 and (i, j) not in (locked or {}):
                    assert out[i][j] == 0, "a zero seed is structural"


matrices = st.integers(1, 6).flatmap(
    lambda nr: st.integers(1, 6).flatmap(
        lambda nc: st.lists(
            st.lists(st.integers(0, 1000), min_size=nc, max_size=nc), min_size=nr, max_size=nr
        )
    )
)


def positive_seed(nr, nc):
    return st.lists(
        st.lists(st.floats(0.05, 20), min_size=nc, max_size=nc), min_size=nr, max_size=nr
    )


@pytest.mark.parametrize(
    ("rows", "cols", "seed", "expected"),
    [
        ([10, 20, 30], [15, 15, 30], [[1, 1, 1]] * 3, [[3, 2, 5], [5, 5, 10], [7, 8, 15]]),
        ([5], [1, 2, 2], [[1, 1, 1]], [[1, 2, 2]]),  # 1 x n: the columns decide
        ([1, 2, 2], [5], [[1], [1], [1]], [[1], [2], [2]]),  # n x 1: the rows decide
        ([1, 1], [1, 1], [[1, 1], [1, 0]], [[0, 1], [1, 0]]),  # zero seed stays zero
        ([3, 4], [2, 5], [[2, 1], [0, 4]], [[2, 1], [0, 4]]),  # consistent seed kept
        ([0, 0], [0, 0], [[1, 1], [1, 1]], [[0, 0], [0, 0]]),
        ([1, 1], [1, 1], [[1, 1], [1, 1]], [[1, 0], [0, 1]]),  # ties: row-major order
    ],
)
def test_fit_table(rows, cols, seed, expected):
    out = fit_block(rows, cols, seed, {})
    assert out == expected
    check(out, rows, cols, seed)


def test_fit_with_locks_table():
    out = fit_block([10, 20, 30], [15, 15, 30], [[1, 2, 1], [1, 1, 3], [1, 1, 1]], {(0, 0): 10})
    check(out, [10, 20, 30], [15, 15, 30], locked={(0, 0): 10})
    assert out[0] == [10, 0, 0]
    # a locked cell may hold a value where the seed is zero
    out = fit_block([4, 4], [4, 4], [[0, 1], [1, 1]], {(0, 0): 3})
    assert out == [[3, 1], [1, 3]]


@settings(max_examples=300, deadline=None)
@given(matrices, st.data())
def test_fit_properties(m, data):
    rows, cols = margins(m)
    nr, nc = len(rows), len(cols)
    seed = data.draw(positive_seed(nr, nc))
    locked_cells = data.draw(st.sets(st.tuples(st.integers(0, nr - 1), st.integers(0, nc - 1))))
    locked = {c: m[c[0]][c[1]] for c in sorted(locked_cells)}
    out = fit_block(rows, cols, seed, locked)
    check(out, rows, cols, locked=locked)
    assert out == fit_block(list(rows), list(cols), [list(s) for s in seed], dict(locked))


@settings(max_examples=200, deadline=None)
@given(matrices, st.data())
def test_fit_zero_seeds_stay_zero_where_feasible(m, data):
    """Seeds are zero exactly where the witness matrix is zero (e.g. before a hire)."""
    rows, cols = margins(m)
    scale = data.draw(positive_seed(len(rows), len(cols)))
    seed = [
        [s if v else 0 for s, v in zip(sr, mr, strict=True)]
        for sr, mr in zip(scale, m, strict=True)
    ]
    out = fit_block(rows, cols, seed, {})
    check(out, rows, cols, seed)


@settings(max_examples=200, deadline=None)
@given(matrices, st.data())
def test_fit_moves_cells_by_less_than_one_from_the_real_fit(m, data):
    rows, cols = margins(m)
    nr, nc = len(rows), len(cols)
    seed = data.draw(positive_seed(nr, nc))
    out = fit_block(rows, cols, seed, {})
    act_r = [i for i in range(nr) if rows[i]]
    act_c = [j for j in range(nc) if cols[j]]
    if not act_r:
        return
    x = ras(
        [rows[i] for i in act_r],
        [cols[j] for j in act_c],
        [[seed[i][j] for j in act_c] for i in act_r],
    )
    for a, i in enumerate(act_r):
        for b, j in enumerate(act_c):
            assert abs(out[i][j] - x[a][b]) < 1 + 1e-6


def brute_force_best(cells, rdef, cdef):
    """Largest total fraction over all exact selections (tiny blocks only)."""
    best = None
    for pick in itertools.product([0, 1], repeat=len(cells)):
        rs = [0] * len(rdef)
        cs = [0] * len(cdef)
        for p, (i, j, _) in zip(pick, cells, strict=True):
            rs[i] += p
            cs[j] += p
        if rs == rdef and cs == cdef:
            value = sum(w for p, (_, _, w) in zip(pick, cells, strict=True) if p)
            best = value if best is None else max(best, value)
    return best


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda nr: st.integers(1, 4).flatmap(
            lambda nc: st.lists(
                st.lists(st.integers(0, 40), min_size=nc, max_size=nc), min_size=nr, max_size=nr
            )
        )
    ),
    st.data(),
)
def test_controlled_rounding_is_a_min_cost_flow(m, data):
    """Integer margins, fractional cells from exact r_i c_j / T: the chosen cells maximise the
    total fraction (checked by brute force)."""
    rows, cols = margins(m)
    total = sum(rows)
    if not total:
        return
    cells, rdef, cdef = [], [], list(cols)
    for i, r in enumerate(rows):
        fl = []
        for j, c in enumerate(cols):
            q, rem = divmod(r * c, total)
            fl.append(q)
            cdef[j] -= q
            if rem:
                cells.append((i, j, rem))
        rdef.append(r - sum(fl))
    sel = controlled_round(len(rows), len(cols), cells, rdef, cdef, 0)
    assert sel is not None
    assert len(set(sel)) == len(sel) == sum(rdef)
    weight = {(i, j): w for i, j, w in cells}
    assert [sum(1 for i, _ in sel if i == r) for r in range(len(rows))] == rdef
    assert [sum(1 for _, j in sel if j == c) for c in range(len(cols))] == cdef
    assert sum(weight[c] for c in sel) == brute_force_best(cells, rdef, cdef)


def test_controlled_rounding_cancels_a_greedy_mistake():
    # greedy takes (0,0)=.9 first and is then forced into (1,1)=.1: total 1.0;
    # the optimum is (0,1)+(1,0) = .8+.8 = 1.6
    cells = [(0, 0, 0.9), (0, 1, 0.8), (1, 0, 0.8), (1, 1, 0.1)]
    sel = controlled_round(2, 2, cells, [1, 1], [1, 1], 1e-12)
    assert sorted(sel) == [(0, 1), (1, 0)]


def test_transport_fallback_is_exact_and_names_the_fault():
    out = transport([3, 2], [1, 4], [[0.5, 2.4], [0.6, 1.5]], [[True, True], [True, True]])
    check(out, [3, 2], [1, 4])
    with pytest.raises(SplitImpossible) as info:
        transport([3, 2], [1, 4], [[1.0, 0.0], [0.0, 2.0]], [[True, False], [False, True]])
    assert info.value.code == "no_capacity"
    assert info.value.row_indices == [0]
    assert info.value.col_indices == [0]


def test_fit_locks_exceeding_a_margin_raise_naming_it():
    with pytest.raises(SplitImpossible) as info:
        fit_block([10, 20, 30], [15, 15, 30], [[1, 1, 1]] * 3, {(0, 0): 16})
    exc = info.value
    assert exc.code == "locks_exceed_total"
    assert exc.row_indices == [0]
    assert exc.col_indices == [0]
    with pytest.raises(SplitImpossible) as info:
        fit_block([10, 20], [15, 15], [[1, 1]] * 2, {(0, 0): 6, (1, 0): 10})
    assert info.value.col_indices == [0]
    assert info.value.row_indices == []


def test_fit_zero_seeds_that_cannot_carry_a_margin_raise():
    # row 0 may only use column 0, which holds 1, but needs 2
    with pytest.raises(SplitImpossible) as info:
        fit_block([2, 1], [1, 2], [[1, 0], [1, 1]], {})
    assert info.value.code == "no_capacity"
    assert info.value.row_indices == [0]
    assert info.value.col_indices == [0]
    # a positive column without any positive seed
    with pytest.raises(SplitImpossible) as info:
        fit_block([2, 1, 0], [1, 1, 1], [[1, 1, 0], [1, 1, 0], [1, 1, 1]], {})
    assert info.value.col_indices == [2]
    # all rows alike (closed-form path), a positive column with a zero seed
    with pytest.raises(SplitImpossible) as info:
        fit_block([2, 2], [2, 2], [[1, 0], [1, 0]], {})
    assert info.value.col_indices == [1]
    # a locked cell takes the only positive seed of its row
    with pytest.raises(SplitImpossible):
        fit_block([5, 5], [5, 5], [[1, 0], [1, 1]], {(0, 0): 2})


def test_fit_rejects_malformed_input():
    with pytest.raises(ValueError, match="differ"):
        fit_block([1, 2], [4], [[1], [1]], {})
    with pytest.raises(ValueError, match="one row"):
        fit_block([1, 2], [3], [[1]], {})
    with pytest.raises(ValueError, match=">= 0"):
        fit_block([1], [1], [[-1]], {})
    with pytest.raises(SplitImpossible):
        fit_block([-1, 2], [1], [[1], [1]], {})


def test_fit_converges_on_a_boundary_solution():
    """The only fit puts 0 in a positive-seed cell: RAS converges slowly, rounding is exact."""
    out = fit_block([1, 1], [1, 1], [[5, 1], [1, 0]], {})
    assert out == [[0, 1], [1, 0]]
    rows, cols = [1000, 1000, 1], [1, 1000, 1000]
    seed = [[1, 1, 0], [1, 0, 1], [0, 1, 1]]
    out = fit_block(rows, cols, seed, {})
    check(out, rows, cols, seed)


def test_fit_huge_values_stay_exact():
    rows = [10**12 + 7, 3 * 10**11 + 1, 5]
    cols = [7 * 10**11, 6 * 10**11 + 13]
    seed = [[1.5, 2.25], [0.3, 9.0], [1.0, 1.0]]
    out = fit_block(rows, cols, seed, {})
    check(out, rows, cols)
