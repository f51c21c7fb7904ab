"""Builders shared by the engine tests: a small fake fiscal calendar and generated org trees.

(The real calendar needs Django; the engine only needs the period tree, so tests make one.)
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from targets.engine import OwnerKey, OwnerNode, PeriodNode, PeriodTree, Problem

YEAR_ID = 1


def fake_calendar(rng: random.Random, shuffle: bool = True) -> list[PeriodNode]:
    """One year, 4 quarters, 12 months, 4-6 weeks per month, 0-5 working days per week and at
    least one working day per month. Ids grow chronologically; the list order is shuffled."""
    periods = [PeriodNode(YEAR_ID, "year", None, 0)]
    next_id = YEAR_ID + 1
    for _ in range(4):
        qid = next_id
        next_id += 1
        periods.append(PeriodNode(qid, "quarter", YEAR_ID, 0))
        for _ in range(3):
            mid = next_id
            next_id += 1
            periods.append(PeriodNode(mid, "month", qid, 0))
            days = [rng.randint(0, 5) for _ in range(rng.randint(4, 6))]
            if not any(days):
                days[rng.randrange(len(days))] = rng.randint(1, 5)
            for wd in days:
                periods.append(PeriodNode(next_id, "week", mid, wd))
                next_id += 1
    if shuffle:
        rng.shuffle(periods)
    return periods


def weeks_of(periods: list[PeriodNode]) -> list[PeriodNode]:
    """The weeks in chronological (id) order."""
    return sorted((p for p in periods if p.kind == "week"), key=lambda p: p.id)


def fake_tree(
    rng: random.Random, levels: int, max_children: int = 6, max_owners: int = 80
) -> list[OwnerNode]:
    """A unit tree `levels` deep below the root; the last level holds reps (leaves). Units
    may also have reps directly. Parents come before their children in the list."""
    owners = [OwnerNode(("unit", 1), None)]
    ids = {"unit": 1, "rep": 0}

    def add(kind: str, parent: OwnerKey) -> OwnerKey:
        ids[kind] += 1
        key = (kind, ids[kind])
        owners.append(OwnerNode(key, parent))
        return key

    level = [("unit", 1)]
    for depth in range(1, levels + 1):
        nxt = []
        for parent in level:
            for _ in range(rng.randint(1, max_children)):
                if len(owners) >= max_owners:
                    break
                last = depth == levels
                kind = "rep" if last or rng.random() < 0.25 else "unit"
                key = add(kind, parent)
                if kind == "unit":
                    nxt.append(key)
        level = nxt
    # units that ended up without children get one rep, so every leaf is a rep
    parents = {o.parent for o in owners}
    for o in list(owners):
        if o.key[0] == "unit" and o.key not in parents:
            add("rep", o.key)
    return owners


def children_of(owners: list[OwnerNode]) -> dict[OwnerKey, list[OwnerKey]]:
    out: dict[OwnerKey, list[OwnerKey]] = {o.key: [] for o in owners}
    for o in owners:
        if o.parent is not None:
            out[o.parent].append(o.key)
    return out


def subtree(owners: list[OwnerNode], top: OwnerKey) -> list[OwnerKey]:
    kids = children_of(owners)
    out = [top]
    for k in out:
        out.extend(kids[k])
    return out


def hire_problem(rng: random.Random, levels: int, total: int) -> tuple[Problem, dict]:
    """Reps with seasonal seeds, ~30% hired after the first weeks (zero seeds before); units'
    seeds are the sums of their children's and weights are the seed mass (pro-rated
    headcount). Returns the problem and {rep: number of zero weeks at the start}."""
    periods = fake_calendar(rng)
    owners = fake_tree(rng, levels)
    weeks = weeks_of(periods)
    kids = children_of(owners)
    seeds: dict[OwnerKey, dict[int, float | int]] = {}
    hired: dict[OwnerKey, int] = {}
    for o in reversed(owners):
        if kids[o.key]:
            seeds[o.key] = {w.id: sum(seeds[c][w.id] for c in kids[o.key]) for w in weeks}
            continue
        start = rng.randrange(1, len(weeks) - 12) if rng.random() < 0.3 else 0
        if start:
            hired[o.key] = start
        seeds[o.key] = {
            w.id: 0 if i < start or not w.working_days else rng.randint(1, 9)
            for i, w in enumerate(weeks)
        }
    weights = {k: sum(s.values()) for k, s in seeds.items()}
    problem = Problem(
        periods=periods, owners=owners, total=total, seeds=seeds, owner_weights=weights
    )
    return problem, hired


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 4))
def test_builders_make_valid_trees(seed: int, levels: int) -> None:
    rng = random.Random(seed)
    periods = fake_calendar(rng)
    pt = PeriodTree(periods)
    assert pt.kinds.count("quarter") == 4
    assert pt.kinds.count("month") == 12
    for p in pt.parents:
        if pt.kinds[p] == "month":
            lo, hi = pt.child_range[p]
            assert 4 <= hi - lo <= 6
            assert sum(pt.week_wd[lo - pt.week_start : hi - pt.week_start]) > 0
    owners = fake_tree(rng, levels)
    kids = children_of(owners)
    leaves = [k for k, c in kids.items() if not c]
    assert all(k[0] == "rep" for k in leaves)
    assert len(subtree(owners, ("unit", 1))) == len(owners)
