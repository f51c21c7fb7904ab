"""verify() reports every broken invariant in plain words."""

from __future__ import annotations

from targets.engine import OwnerNode, PeriodNode, Problem, decompose, verify

ROOT = ("unit", 1)
A = ("rep", 1)
B = ("rep", 2)


def problem() -> Problem:
    # year 1 > Q 2..5 > one month each (6..9) > two weeks each (10..17)
    periods = [PeriodNode(1, "year", None, 0)]
    for q in range(4):
        periods.append(PeriodNode(2 + q, "quarter", 1, 0))
        periods.append(PeriodNode(6 + q, "month", 2 + q, 0))
        periods.append(PeriodNode(10 + 2 * q, "week", 6 + q, 5))
        periods.append(PeriodNode(11 + 2 * q, "week", 6 + q, 5))
    owners = [OwnerNode(ROOT, None), OwnerNode(A, ROOT), OwnerNode(B, ROOT)]
    return Problem(periods=periods, owners=owners, total=800)


def test_a_decomposed_allocation_is_clean():
    p = problem()
    a = decompose(p)
    assert verify(p, a) == []
    assert a[(A, 10)] == 50


def test_missing_and_negative_cells():
    p = problem()
    a = decompose(p)
    del a[(A, 10)]
    a[(B, 11)] = -1
    out = verify(p, a)
    assert any("('rep', 1): no value for periods [10]" in v for v in out)
    assert any("('rep', 2): values that are not non-negative integers" in v for v in out)


def test_period_sums():
    p = problem()
    a = decompose(p)
    a[(A, 10)] += 1
    out = verify(p, a)
    assert "('rep', 1): month 6 is 100 but its periods add up to 101" in out
    # the children of ROOT no longer add up in week 10
    assert "('unit', 1): children add up to 101 in week 10, expected 100" not in out  # skipped
    a[(A, 11)] -= 1  # A is consistent again, but A + B no longer equal ROOT per week
    out = verify(p, a)
    assert "('unit', 1): children add up to 101 in week 10, expected 100" in out
    assert "('unit', 1): children add up to 99 in week 11, expected 100" in out


def test_over_assignment_target_is_reported():
    p = problem()
    a = decompose(p)
    p.factor_bp = {ROOT: 11000}
    out = verify(p, a)
    assert "('unit', 1): children add up to 800 in year 1, expected 880 (x110% of 800)" in out


def test_locks_and_the_root_total():
    p = problem()
    a = decompose(p)
    p.locked = {(A, 6): 7}
    p.total = 900
    out = verify(p, a)
    assert "('rep', 1): period 6 is locked at 7 but has 100" in out
    assert "('unit', 1): the year is 800, expected the total 900" in out
    p.locked[(ROOT, 1)] = 800  # a locked root year replaces the total
    assert not any("expected the total" in v for v in verify(p, a))


def test_long_reports_are_capped():
    p = problem()
    a = {k: v + 1 for k, v in decompose(p).items()}
    out = verify(p, a)
    assert 0 < len(out) <= 201
