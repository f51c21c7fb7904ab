"""Decomposition engine benchmark (pure Python, no database): prints JSON.

Builds an in-memory problem: 5,000 reps in a 6-level tree (company → 5 regions → areas →
districts → teams of 5-8 reps; about 1,000 units), a 4-4-5 fiscal year (12 months, 52 weeks,
or more with --split-weeks where weeks are cut at month ends) with working days (holiday weeks
included), rep seeds from working days and headcount owner weights. Times `decompose` (median
of --runs) and `verify`.

Scenarios (--scenario):
- `working_days` (default): every seed is the working days (the product's default method);
- `hires`: 10% of reps join mid-year (zero seeds before their first week) and every unit's seed
  is the sum of its reps' (the headcount method), so blocks need the iterative fit;
- `locks`: `working_days` plus 2% of reps with a locked month and an over-assignment of 110%
  on every district.

Usage: .venv/bin/python bench/decompose_engine.py [--scenario hires] [--reps 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from targets.engine import (
    OwnerKey,
    OwnerNode,
    PeriodNode,
    Problem,
    decompose,
    verify,
)


def calendar(rng: random.Random, split_weeks: bool) -> list[PeriodNode]:
    """A 4-4-5 year; with split_weeks some months get an extra partial week."""
    periods = [PeriodNode(1, "year", None, 0)]
    next_id = 2
    weeks_per_month = [4, 4, 5] * 4
    for q in range(4):
        qid = next_id
        next_id += 1
        periods.append(PeriodNode(qid, "quarter", 1, 0))
        for m in range(3):
            mid = next_id
            next_id += 1
            periods.append(PeriodNode(mid, "month", qid, 0))
            n = weeks_per_month[q * 3 + m] + (1 if split_weeks and rng.random() < 0.6 else 0)
            for _ in range(n):
                wd = rng.choice([5, 5, 5, 5, 5, 4, 3]) if rng.random() > 0.03 else 0
                periods.append(PeriodNode(next_id, "week", mid, wd))
                next_id += 1
    return periods


def org(rng: random.Random, reps: int) -> tuple[list[OwnerNode], dict[OwnerKey, list[OwnerKey]]]:
    owners: list[OwnerNode] = []
    kids: dict[OwnerKey, list[OwnerKey]] = {}
    uid = 0

    def unit(parent: OwnerKey | None) -> OwnerKey:
        nonlocal uid
        uid += 1
        key = ("unit", uid)
        owners.append(OwnerNode(key, parent))
        kids[key] = []
        if parent is not None:
            kids[parent].append(key)
        return key

    company = unit(None)
    teams: list[OwnerKey] = []
    n_teams = reps * 2 // 13  # teams of 6.5 reps on average
    districts_needed = max(1, n_teams // 5)
    regions = [unit(company) for _ in range(5)]
    areas = [unit(r) for r in regions for _ in range(5)]
    districts = [unit(areas[i % len(areas)]) for i in range(districts_needed)]
    for i in range(n_teams):
        teams.append(unit(districts[i % len(districts)]))
    rid = 0
    t = 0
    while rid < reps:
        team = teams[t % len(teams)]
        for _ in range(min(rng.randint(5, 8), reps - rid)):
            rid += 1
            key = ("rep", rid)
            owners.append(OwnerNode(key, team))
            kids[team].append(key)
        t += 1
    return owners, kids


def build(scenario: str, reps: int, split_weeks: bool, seed: int) -> Problem:
    rng = random.Random(seed)
    periods = calendar(rng, split_weeks)
    weeks = [p for p in periods if p.kind == "week"]
    owners, kids = org(rng, reps)
    rep_keys = [o.key for o in owners if o.key[0] == "rep"]
    seeds: dict[OwnerKey, dict[int, float | int]] = {}
    base = {w.id: w.working_days for w in weeks}
    for key in rep_keys:
        seeds[key] = dict(base)
        if scenario == "hires" and rng.random() < 0.1:
            start = rng.randrange(4, len(weeks) - 8)
            seeds[key] = {w.id: (0 if i < start else w.working_days) for i, w in enumerate(weeks)}
    headcount: dict[OwnerKey, int] = {}
    for o in reversed(owners):  # children come after their parents in the list
        ch = kids.get(o.key)
        headcount[o.key] = sum(headcount[c] for c in ch) if ch else 1
        if ch and scenario == "hires":
            seeds[o.key] = {w.id: sum(seeds[c][w.id] for c in ch) for w in weeks}
    problem = Problem(
        periods=periods,
        owners=owners,
        total=500_000_000_000,
        seeds=seeds,
        owner_weights={k: v for k, v in headcount.items() if v != 1},
    )
    if scenario == "locks":
        months = [p.id for p in periods if p.kind == "month"]
        for key in rng.sample(rep_keys, len(rep_keys) // 50):
            problem.locked[(key, rng.choice(months))] = rng.randrange(1_000_000, 5_000_000)
        for o in owners:  # districts: units whose first child is a team of reps
            first = kids[o.key][0] if kids.get(o.key) else None
            if first and first[0] == "unit" and kids[first] and kids[first][0][0] == "rep":
                problem.factor_bp[o.key] = 11000
    return problem


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", choices=["working_days", "hires", "locks"])
    ap.add_argument("--reps", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--split-weeks", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    args = ap.parse_args()
    scenario = args.scenario or "working_days"
    problem = build(scenario, args.reps, args.split_weeks, args.seed)
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        decompose(problem)
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    times = []
    cpu = []
    allocation = {}
    for _ in range(args.runs):
        t0 = time.perf_counter()
        c0 = time.process_time()
        allocation = decompose(problem)
        cpu.append(time.process_time() - c0)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    violations = verify(problem, allocation)
    verify_s = time.perf_counter() - t0
    units = sum(1 for o in problem.owners if o.key[0] == "unit")
    weeks = sum(1 for p in problem.periods if p.kind == "week")
    print(
        json.dumps(
            {
                "scenario": scenario,
                "reps": args.reps,
                "units": units,
                "periods": len(problem.periods),
                "weeks": weeks,
                "cells": len(allocation),
                "decompose_s": round(statistics.median(times), 3),
                "decompose_runs_s": [round(t, 3) for t in times],
                "decompose_cpu_s": round(statistics.median(cpu), 3),  # robust to a busy machine
                "verify_s": round(verify_s, 3),
                "violations": len(violations),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
