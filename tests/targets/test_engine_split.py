"""The exact-sum split and largest-remainder rounding (targets.engine.split)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from targets.engine import SplitImpossible, round_to_total, split


def reference_split(total, weights, locked, fixed):
    """Straightforward Fraction implementation of the documented rule."""
    n = len(weights)
    fixed = fixed or [0] * n
    free = [i for i in range(n) if i not in locked]
    rest = total - sum(locked.values()) - sum(fixed[i] for i in free)
    wsum = sum(Fraction(weights[i]) for i in free)
    ws = {i: (Fraction(weights[i]) if wsum else Fraction(1)) for i in free}
    wsum = wsum or Fraction(len(free))
    exact = {i: rest * ws[i] / wsum for i in free}
    out = [0] * n
    for k, v in locked.items():
        out[k] = v
    floors = {i: exact[i].numerator // exact[i].denominator for i in free}
    left = rest - sum(floors.values())
    order = sorted(free, key=lambda i: (-(exact[i] - floors[i]), i))
    for i in free:
        out[i] = fixed[i] + floors[i] + (1 if i in order[:left] else 0)
    return out


@pytest.mark.parametrize(
    ("total", "weights", "locked", "fixed", "expected"),
    [
        (100, [1, 1, 1], {}, None, [34, 33, 33]),
        (2, [1, 1, 1], {}, None, [1, 1, 0]),  # ties go to the lower index
        (10, [1, 2, 3, 4], {1: 5}, None, [1, 5, 2, 2]),  # R=5 over 1:3:4
        (10, [1, 2, 3, 4], {}, None, [1, 2, 3, 4]),
        (7, [0, 1, 0], {}, None, [0, 7, 0]),  # zero weight gets nothing
        (7, [0, 0, 0], {}, None, [3, 2, 2]),  # all weights zero: documented even fallback
        (7, [0, 0, 0], {0: 7}, None, [7, 0, 0]),
        (0, [5, 3], {}, None, [0, 0]),
        (100, [1, 1, 1], {}, [10, 0, 50], [24, 13, 63]),  # R=40 -> 14, 13, 13 (+fixed)
        (100, [1, 1, 1], {2: 50}, [10, 0, 99], [30, 20, 50]),  # a lock ignores its fixed
        (10, [0.1, 0.2, 0.7], {}, None, [1, 2, 7]),  # floats are made exact first
        (1, [1, 1], {}, [0, 0], [1, 0]),
        (13, [3, 3, 3], {}, None, [5, 4, 4]),
        (10**15, [1, 2], {}, None, [333333333333333, 666666666666667]),
    ],
)
def test_split_table(total, weights, locked, fixed, expected):
    assert split(total, weights, locked, fixed) == expected


def test_split_locks_exceed_total_raises_with_indices():
    with pytest.raises(SplitImpossible) as info:
        split(10, [1, 1, 1], {0: 6, 2: 5})
    assert info.value.code == "locks_exceed_total"
    assert info.value.row_indices == [0, 2]
    assert "exceed" in str(info.value)


def test_split_fixed_mass_exceeding_total_raises():
    with pytest.raises(SplitImpossible) as info:
        split(10, [1, 1], {}, [4, 7])
    assert info.value.code == "locks_exceed_total"
    assert info.value.row_indices == [0, 1]


def test_split_everything_locked_but_short_raises():
    with pytest.raises(SplitImpossible) as info:
        split(10, [1, 1], {0: 3, 1: 3})
    assert info.value.code == "no_capacity"
    assert split(6, [1, 1], {0: 3, 1: 3}) == [3, 3]


def test_split_rejects_negative_values():
    with pytest.raises(SplitImpossible) as info:
        split(-1, [1])
    assert info.value.code == "negative_value"
    with pytest.raises(SplitImpossible):
        split(5, [1, 1], {0: -1})
    with pytest.raises(ValueError, match=">= 0"):
        split(5, [1, -1])
    with pytest.raises(ValueError, match="out of range"):
        split(5, [1, 1], {2: 1})


def test_split_of_nothing():
    assert split(0, []) == []
    with pytest.raises(SplitImpossible):
        split(1, [])


weights_st = st.lists(
    st.one_of(st.integers(0, 1000), st.floats(0, 1000, allow_nan=False, allow_infinity=False)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**13), weights_st, st.data())
def test_split_properties(total, weights, data):
    n = len(weights)
    locked_idx = data.draw(st.sets(st.integers(0, n - 1), max_size=n))
    locked = {i: data.draw(st.integers(0, total // n + 1)) for i in sorted(locked_idx)}
    fixed = data.draw(st.one_of(st.none(), st.lists(st.integers(0, 50), min_size=n, max_size=n)))
    free = [i for i in range(n) if i not in locked]
    rest = total - sum(locked.values()) - sum(fixed[i] for i in free if fixed)
    if rest < 0:
        with pytest.raises(SplitImpossible) as info:
            split(total, weights, locked, fixed)
        assert info.value.code == "locks_exceed_total"
        return
    if not free and rest:
        with pytest.raises(SplitImpossible):
            split(total, weights, locked, fixed)
        return
    out = split(total, weights, locked, fixed)
    assert sum(out) == total
    assert all(type(v) is int and v >= 0 for v in out)
    assert all(out[i] == v for i, v in locked.items())
    assert all(out[i] >= fixed[i] for i in free) if fixed else True
    assert out == split(total, list(weights), dict(locked), fixed)  # deterministic
    assert out == reference_split(total, weights, locked, fixed)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.lists(st.integers(1, 100), min_size=1, max_size=10))
def test_split_each_share_within_one_of_exact(total, weights):
    out = split(total, weights)
    wsum = sum(weights)
    for v, w in zip(out, weights, strict=True):
        assert abs(v - Fraction(total * w, wsum)) < 1


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 10), st.integers(1, 1000))
def test_split_equal_weights_ties_go_to_lower_index(total, n, w):
    out = split(total, [w] * n)
    assert out == sorted(out, reverse=True)
    assert max(out) - min(out) <= 1


@pytest.mark.parametrize(
    ("exact", "total", "expected"),
    [
        ([Fraction(5, 2), Fraction(5, 2)], 5, [3, 2]),
        ([Fraction(1, 3)] * 3, 1, [1, 0, 0]),
        ([Fraction(11, 10), Fraction(19, 10), 3], 6, [1, 2, 3]),
        ([Fraction(11, 10), Fraction(19, 10), 3], 7, [2, 2, 3]),
        ([], 0, []),
    ],
)
def test_round_to_total_table(exact, total, expected):
    assert round_to_total(exact, total) == expected


def test_round_to_total_precondition():
    with pytest.raises(ValueError, match="between"):
        round_to_total([Fraction(1, 2), 1], 3)
    with pytest.raises(ValueError, match="between"):
        round_to_total([Fraction(3, 2)], 0)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.fractions(min_value=0, max_value=10**6, max_denominator=10**4), max_size=15),
    st.data(),
)
def test_round_to_total_properties(exact, data):
    lo = sum(int(x) for x in exact)
    hi = lo + sum(1 for x in exact if x.denominator != 1)
    total = data.draw(st.integers(lo, hi))
    out = round_to_total(exact, total)
    assert sum(out) == total
    assert all(abs(v - x) < 1 for v, x in zip(out, exact, strict=True))
    assert out == round_to_total(list(exact), total)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fractions(min_value=0, max_value=100, max_denominator=50), min_size=1))
def test_round_to_total_of_the_rounded_sum(exact):
    total = round(sum(exact))
    assume(sum(int(x) for x in exact) <= total)
    out = round_to_total(exact, total)
    assert sum(out) == total
