"""Non-additive metrics: values inherited from the closest overridden ancestor."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from targets.engine import OwnerNode, PeriodTree, Problem, inherit
from tests.targets.test_engine_support import fake_calendar, fake_tree

ROOT = ("unit", 1)
TEAM = ("unit", 2)
REP = ("rep", 1)
OTHER = ("rep", 2)


def small_problem(total: int = 2500) -> tuple[Problem, PeriodTree]:
    periods = fake_calendar(random.Random(1))
    owners = [
        OwnerNode(ROOT, None),
        OwnerNode(TEAM, ROOT),
        OwnerNode(REP, TEAM),
        OwnerNode(OTHER, ROOT),
    ]
    return Problem(periods=periods, owners=owners, total=total), PeriodTree(periods)


def test_without_overrides_everything_is_the_total():
    p, pt = small_problem()
    out = inherit(p)
    assert len(out) == 4 * pt.size
    assert set(out.values()) == {2500}


def test_owner_override_flows_down_the_owner_tree_in_every_period():
    p, pt = small_problem()
    year = pt.ids[0]
    out = inherit(p, {(TEAM, year): 3000})
    assert all(out[(TEAM, pid)] == 3000 for pid in pt.ids)
    assert all(out[(REP, pid)] == 3000 for pid in pt.ids)
    assert all(out[(OTHER, pid)] == 2500 for pid in pt.ids)
    assert all(out[(ROOT, pid)] == 2500 for pid in pt.ids)


def test_period_override_flows_to_child_periods_and_child_owners():
    p, pt = small_problem()
    q1 = pt.ids[1]
    lo, hi = pt.child_range[1]
    q1_months = pt.ids[lo:hi]
    out = inherit(p, {(ROOT, q1): 2000})
    for owner in (ROOT, TEAM, REP, OTHER):
        assert out[(owner, q1)] == 2000
        assert all(out[(owner, m)] == 2000 for m in q1_months)
        assert out[(owner, pt.ids[2])] == 2500  # Q2 untouched
        assert out[(owner, pt.ids[0])] == 2500  # the year is not an override's child


def test_own_override_beats_an_inherited_period_override():
    """Documented precedence: the owner's own period ancestors first, then the parent owner."""
    p, pt = small_problem()
    year, q1 = pt.ids[0], pt.ids[1]
    lo, _ = pt.child_range[1]
    jan = pt.ids[lo]
    out = inherit(p, {(ROOT, jan): 1000, (TEAM, year): 3000})
    assert out[(TEAM, jan)] == 3000  # TEAM's own year beats ROOT's January
    assert out[(REP, jan)] == 3000
    assert out[(OTHER, jan)] == 1000  # OTHER has nothing of its own: ROOT's January
    assert out[(OTHER, q1)] == 2500
    # a rep's own month override beats everything above it
    out = inherit(p, {(ROOT, jan): 1000, (TEAM, year): 3000, (REP, jan): 1234})
    assert out[(REP, jan)] == 1234
    assert out[(REP, q1)] == 3000


def test_locked_cells_count_as_overrides_and_explicit_overrides_win():
    p, pt = small_problem()
    year = pt.ids[0]
    p.locked = {(TEAM, year): 4000, (OTHER, year): 100}
    out = inherit(p, {(OTHER, year): 200})
    assert out[(REP, year)] == 4000
    assert out[(OTHER, year)] == 200
    assert p.locked == {(TEAM, year): 4000, (OTHER, year): 100}  # the problem is not changed


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 4))
def test_inherit_matches_the_recursive_definition(seed, levels):
    rng = random.Random(seed)
    periods = fake_calendar(rng)
    owners = fake_tree(rng, levels, max_owners=30)
    p = Problem(periods=periods, owners=owners, total=rng.randint(0, 10000))
    pt = PeriodTree(periods)
    keys = [o.key for o in owners]
    overrides = {(rng.choice(keys), rng.choice(pt.ids)): rng.randint(0, 10000) for _ in range(8)}
    out = inherit(p, overrides)
    parent_of = {o.key: o.parent for o in owners}

    def own(owner, p_idx):
        while p_idx >= 0:
            v = overrides.get((owner, pt.ids[p_idx]))
            if v is not None:
                return v
            p_idx = pt.parent[p_idx]
        return None

    def value(owner, p_idx):
        v = own(owner, p_idx)
        if v is not None:
            return v
        up = parent_of[owner]
        return p.total if up is None else value(up, p_idx)

    for owner in keys:
        for i, pid in enumerate(pt.ids):
            assert out[(owner, pid)] == value(owner, i)
